"""Command line: parse arguments, call one core function, render, map errors to exit codes."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from tunewise import __version__
from tunewise.errors import TunewiseError

app = typer.Typer(
    name="tunewise",
    help="Decide between prompt engineering, RAG and fine-tuning — with every reason cited.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
rules_app = typer.Typer(help="Verify, test and draw rule sets.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

# Options shared by several commands, declared once.
RulesOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--rules", metavar="FILE", help="Rule set to use (default: the built-in one)."),
]
ParamOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--param", metavar="NAME=VALUE", help="Override a rule-set parameter (repeatable)."
    ),
]
RulesFileArg = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Argument(help="Rule set (default: the built-in one).", show_default=False),
]
AdviceFormat = Annotated[
    str,
    typer.Option("--format", "-f", help="Output format: text, json or markdown."),
]

F = TypeVar("F", bound=Callable[..., Any])


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _fail(lines: Sequence[str]) -> None:
    for line in lines:
        sys.stderr.write(f"tunewise: {line}\n" if not line.startswith("tunewise") else line + "\n")


def handles_errors(func: F) -> F:
    """Every user-facing error becomes clean lines on stderr and its documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TunewiseError as exc:
            _fail(exc.lines)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("\ntunewise: interrupted\n")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None

    return wrapper  # type: ignore[return-value]


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _width() -> int:
    return (
        max(60, min(shutil.get_terminal_size((80, 24)).columns, 120)) if sys.stdout.isatty() else 80
    )


def _choice(value: str, allowed: Sequence[str], option: str) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)
    return value


def _version(value: bool) -> None:
    if value:
        _emit(f"tunewise {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """tunewise: which of prompt engineering, RAG or fine-tuning fits each need, and why."""


@app.command()
@handles_errors
def advise(
    profile: Annotated[Path, typer.Argument(help="Project profile (YAML).", show_default=False)],
    output_format: AdviceFormat = "text",
    rules: RulesOpt = None,
    param: ParamOpt = None,
) -> None:
    """Recommend an approach for every need in PROFILE. Exit 4 if answers are missing."""
    from tunewise.reporters import ADVICE_FORMATS, render
    from tunewise.service import advise_profile

    _choice(output_format, list(ADVICE_FORMATS), "--format")
    decision = advise_profile(profile, rules, param or [])
    _emit(render(ADVICE_FORMATS, output_format, decision, color=_color(), width=_width()))
    raise typer.Exit(0 if decision.verdict != "undecided" else 4)


@app.command()
@handles_errors
def ask(
    profile: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--profile", metavar="FILE", help="Pre-fill answers; only missing ones are asked."
        ),
    ] = None,
    save: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--save", metavar="FILE", help="Save the answers as a profile."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --save file without asking.")
    ] = False,
    rules: RulesOpt = None,
    param: ParamOpt = None,
) -> None:
    """Interactive questionnaire: answer only what matters, review, get the recommendation."""
    from tunewise import interview
    from tunewise.reporters import ADVICE_FORMATS, render
    from tunewise.rules import load_rules
    from tunewise.terminal import TerminalSource, open_terminal

    if save is not None:  # say so now, not after every question
        interview.check_save_target(save)
    terminal = open_terminal(_width())
    loaded = load_rules(rules, param or [])
    source = TerminalSource(loaded, terminal)
    source.say("tunewise — answer the questions; ? shows help, < goes back.", "")
    session = interview.run(loaded, profile, source)
    decision = interview.decision_of(session)
    _emit("\n" + render(ADVICE_FORMATS, "text", decision, color=_color(), width=_width()))
    if save is not None:
        saved = interview.save(session, save, force)
        if saved is None:
            _emit(f"Not saved: {save} was left as it was.\n")
        else:
            _emit(f"Saved to {saved}; `tunewise advise {saved}` gives this result again.\n")
    raise typer.Exit(interview.exit_code(decision))


@app.command()
@handles_errors
def check(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Argument(
            help="Profiles or folders to search (default: the current folder).", show_default=False
        ),
    ] = None,
    output_format: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--format",
            "-f",
            help="text, json, junit, sarif, github or markdown "
            "(default: github when GITHUB_ACTIONS=true, else text).",
        ),
    ] = None,
    output: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--output",
            "-o",
            metavar="FORMAT:FILE",
            help="Also write a report in FORMAT to FILE (repeatable).",
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    rules: RulesOpt = None,
    param: ParamOpt = None,
    waiver_horizon: Annotated[
        int,
        typer.Option(
            "--waiver-horizon",
            metavar="DAYS",
            min=0,
            help="Latest expiry a waiver may have, in days from today.",
        ),
    ] = 365,
) -> None:
    """CI gate: fail profiles that propose fine-tuning without justification."""
    from tunewise.progress import progress_bar
    from tunewise.reporters import CHECK_FORMATS, check_reporter
    from tunewise.service import check_paths, report_files

    chosen = output_format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    _choice(chosen, list(CHECK_FORMATS), "--format")
    targets = [_parse_output(item, list(CHECK_FORMATS)) for item in output or []]
    with report_files([file for _, file in targets]) as streams:
        reporters = [check_reporter(chosen, sys.stdout, strict)]
        reporters += [
            check_reporter(fmt, stream, strict)
            for (fmt, _), stream in zip(targets, streams, strict=True)
        ]
        with progress_bar("Checking profiles") as progress:
            summary = check_paths(
                paths or [Path(".")],
                rules,
                param or [],
                strict,
                reporters,
                progress,
                waiver_horizon_days=waiver_horizon,
            )
    sys.stdout.flush()
    if summary.count("error"):
        raise typer.Exit(3)
    raise typer.Exit(0 if summary.passed else 1)


def _parse_output(item: str, formats: list[str]) -> tuple[str, Path]:
    fmt, sep, file = item.partition(":")
    if not sep or not file:
        raise typer.BadParameter(f"{item!r}: expected FORMAT:FILE", param_hint="--output")
    return _choice(fmt, formats, "--output"), Path(file)


@app.command()
@handles_errors
def data(
    dataset: Annotated[Path, typer.Argument(help="Training set (JSONL).", show_default=False)],
    output_format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Inspect a JSONL training set: records, valid, unique, formats, problems, 80/20 split."""
    from tunewise.evidence import measure
    from tunewise.progress import progress_bar
    from tunewise.reporters.dataset import render_dataset

    _choice(output_format, ["text", "json"], "--format")
    with progress_bar("Reading dataset") as progress:
        stats = measure(dataset, progress)
    _emit(render_dataset(stats, output_format))


@rules_app.command("lint")
@handles_errors
def rules_lint(
    file: RulesFileArg = None,
    param: ParamOpt = None,
) -> None:
    """Verify a rule set: coverage, reachability, cycles, unused items, and a completeness proof."""
    from tunewise.service import lint_rules

    text, ok = lint_rules(file, param or [])
    _emit(text)
    raise typer.Exit(0 if ok else 1)


@rules_app.command("test")
@handles_errors
def rules_test(
    cases: Annotated[list[Path], typer.Argument(help="Case files (YAML).", show_default=False)],
    min_coverage: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            "--min-coverage",
            metavar="PCT",
            min=0,
            max=100,
            help="Fail when fewer than PCT% of leaves and check outcomes are covered.",
        ),
    ] = None,
    rules: RulesOpt = None,
    param: ParamOpt = None,
) -> None:
    """Run rule-set test cases and report leaf and check coverage."""
    from tunewise.casetest import render_report, run_case_files
    from tunewise.rules import load_rules

    report = run_case_files(load_rules(rules, param or []), cases)
    text, ok = render_report(report, min_coverage)
    _emit(text)
    raise typer.Exit(0 if ok else 1)


@rules_app.command("show")
@handles_errors
def rules_show(
    file: RulesFileArg = None,
    output_format: Annotated[
        str, typer.Option("--format", "-f", help="tree, mermaid or dot.")
    ] = "tree",
) -> None:
    """Draw the decision tree."""
    from tunewise.rules import load_rules
    from tunewise.show import FORMATS, render

    _choice(output_format, FORMATS, "--format")
    _emit(render(load_rules(file).model, output_format, _color(), _width()))


@app.command()
@handles_errors
def explain(
    ident: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="A question, node, check, parameter, source or advice id.",
            show_default=False,
        ),
    ],
    rules: RulesOpt = None,
    param: ParamOpt = None,
) -> None:
    """Explain a question, node, leaf, check, parameter or source of the rule set."""
    from tunewise.explain import explain as describe
    from tunewise.rules import load_rules

    loaded = load_rules(rules, param or [])
    _emit(describe(loaded.model, ident, loaded.params))


@app.command()
@handles_errors
def schema(rules: RulesOpt = None) -> None:
    """Print the JSON Schema of the profile, for editors and other validators."""
    from tunewise.rules import load_rules
    from tunewise.schema import render as render_schema

    _emit(render_schema(load_rules(rules).model))


def main(argv: Sequence[str] | None = None) -> int:
    """Run tunewise with `argv` (default: sys.argv[1:]) and return the exit code."""
    command = typer.main.get_command(app)
    try:
        command.main(args=list(argv) if argv is not None else None, prog_name="tunewise")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        sys.stderr.write("\ntunewise: interrupted\n")
        return 130
    except Exception as exc:  # a bug: still one line, never a traceback
        sys.stderr.write(
            f"tunewise: internal error ({type(exc).__name__}: {exc}); please report it\n"
        )
        return 70
    return 0
