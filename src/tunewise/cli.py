"""Command line: parse arguments, call one core function, render, map errors to exit codes."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, Optional, TextIO, TypeVar, cast

import typer

from tunewise import __version__
from tunewise.clivalues import PlainCommand, PlainGroup
from tunewise.errors import Terminated, TunewiseError
from tunewise.reporters import ADVICE_FORMATS, CHECK_FORMATS, SHOW_FORMATS

if TYPE_CHECKING:
    from tunewise.inputs.config import Config
    from tunewise.ruleset.load import Override

CONTEXT = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    name="tunewise",
    help="Decide between prompt engineering, RAG and fine-tuning — with every reason cited.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
    cls=PlainGroup,
)
rules_app = typer.Typer(
    help="Verify, test and draw rule sets.",
    no_args_is_help=True,
    context_settings=CONTEXT,
    cls=PlainGroup,
)
app.add_typer(rules_app, name="rules")
command = functools.partial(app.command, cls=PlainCommand)
rules_command = functools.partial(rules_app.command, cls=PlainCommand)


def _choices(names: Sequence[str]) -> str:
    return "[" + "|".join(names) + "]"


def _choice_option(*flags: str, choices: Sequence[str], **options: Any) -> Any:
    """An option whose value is one of `choices`: they show in the usage line and complete
    in the shell."""
    return typer.Option(
        *flags, metavar=_choices(choices), autocompletion=_completes(choices), **options
    )


def _completes(names: Sequence[str]) -> Callable[[str], list[str]]:
    """Shell completion of an option's value from its choices."""

    def complete(incomplete: str) -> list[str]:
        return [name for name in names if name.startswith(incomplete)]

    return complete


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
    typer.Argument(
        metavar="[FILE]", help="Rule set (default: the built-in one).", show_default=False
    ),
]
AdviceFormat = Annotated[
    str,
    _choice_option(
        "--format",
        "-f",
        choices=list(ADVICE_FORMATS),
        help="Output format.",
    ),
]
COLOR_CHOICES = ("auto", "always", "never")
ColorOpt = Annotated[
    Optional[str],  # noqa: UP045
    _choice_option(
        "--color",
        choices=COLOR_CHOICES,
        help="Colour in text output (default: auto, which honours NO_COLOR and FORCE_COLOR).",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--config",
        metavar="FILE",
        help="Use this configuration file, not the nearest one.",
        show_default=False,
    ),
]
IsolatedOpt = Annotated[bool, typer.Option("--isolated", help="Ignore every configuration file.")]

F = TypeVar("F", bound=Callable[..., Any])


def _emit(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: the output is lost, the exit code is not
        from tunewise.streams import discard

        discard(sys.stdout)


def _fail(lines: Sequence[str]) -> None:
    from tunewise.escaping import visible

    for line in map(visible, lines):
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
        except BrokenPipeError:  # cut off before the end: the outcome is unknown, never success
            from tunewise.streams import discard

            discard(sys.stdout)
            raise typer.Exit(141) from None
        except EOFError as exc:  # a bug; click would print "Aborted!" and exit 1, a failed gate
            _fail([f"internal error (EOFError: {exc}); please report it"])
            raise typer.Exit(70) from None

    return wrapper  # type: ignore[return-value]


class _Run:
    """The global options of this run (given before or after the command name)."""

    color: str | None = None
    config: Path | None = None
    isolated: bool = False


def _settings(color: str | None, config: Path | None, isolated: bool) -> Config:
    """Apply the global options and load the configuration in force (flags win over it)."""
    from tunewise.inputs.config import load

    if color is not None:
        _Run.color = _choice(color, COLOR_CHOICES, "--color")
    return load(config or _Run.config, isolated or _Run.isolated)


def _color(stream: Any = None) -> bool:
    """--color, then FORCE_COLOR and NO_COLOR (each counts only when set and not empty, as
    force-color.org and no-color.org say), then whether the stream is a colour terminal."""
    choice = _Run.color or "auto"
    if choice != "auto":
        return choice == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return (stream or sys.stdout).isatty() and os.environ.get("TERM") != "dumb"


def _wrapped(text: str) -> str:
    """A closing message wrapped at spaces to the terminal's width, never inside a word."""
    import textwrap

    return textwrap.fill(text, _width(), break_long_words=False, break_on_hyphens=False) + "\n"


def _width() -> int:
    return (
        max(60, min(shutil.get_terminal_size((80, 24)).columns, 120)) if sys.stdout.isatty() else 80
    )


def _choice(value: str, allowed: Sequence[str], option: str) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)
    return value


def _rules_and_params(
    cfg: Config, rules: Path | None, param: list[str] | None
) -> tuple[Path | None, list[str | Override]]:
    """The rule set and parameter overrides: the configuration's, then the command line's
    (a later NAME=VALUE wins)."""
    return rules or cfg.rules, [*cfg.param_args(), *(param or [])]


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
    color: ColorOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """tunewise: which of prompt engineering, RAG or fine-tuning fits each need, and why."""
    if color is not None:
        _Run.color = _choice(color, COLOR_CHOICES, "--color")
    _Run.config, _Run.isolated = config, isolated


@command()
@handles_errors
def advise(
    profile: Annotated[
        Path,
        typer.Argument(
            metavar="PROFILE",
            help="Project profile (YAML); - reads it from stdin.",
            show_default=False,
        ),
    ],
    output_format: AdviceFormat = "text",
    rules: RulesOpt = None,
    param: ParamOpt = None,
    color: ColorOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Recommend an approach for every need in a profile.

    Exit 4 when a need is undecided; the output lists the answers it is missing.
    """
    from tunewise.commands.advise import advise as advise_profile
    from tunewise.reporters import render

    cfg = _settings(color, config, isolated)
    _choice(output_format, list(ADVICE_FORMATS), "--format")
    decision = advise_profile(profile, *_rules_and_params(cfg, rules, param))
    _emit(render(ADVICE_FORMATS, output_format, decision, color=_color(), width=_width()))
    raise typer.Exit(0 if decision.verdict != "undecided" else 4)


@command()
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
    color: ColorOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Answer the questions interactively; get the recommendation.

    Only the questions that matter are asked; the answers can be reviewed and saved.
    """
    from tunewise.ask import interview
    from tunewise.ask.terminal import TerminalSource, open_terminal
    from tunewise.reporters import render
    from tunewise.ruleset.load import load_rules

    cfg = _settings(color, config, isolated)
    if save is not None:  # say so now, not after every question
        interview.check_save_target(save)
    terminal = open_terminal(_width())
    loaded = load_rules(*_rules_and_params(cfg, rules, param))
    source = TerminalSource(loaded, terminal)
    source.say("tunewise — answer the questions; ? shows help, < goes back.", "")
    from tunewise.engine.evaluator import NoBranch

    try:
        session = interview.run(loaded, profile, source)
        decision = interview.decision_of(session)
    except NoBranch as exc:  # a gap in the rule set, met by the answers given
        from tunewise.gate.judge import in_rule_set

        raise in_rule_set(exc, loaded.info.origin, profile) from None
    _emit("\n" + render(ADVICE_FORMATS, "text", decision, color=_color(), width=_width()))
    if save is not None:
        saved = interview.save(session, save, force)
        if saved is None:
            _emit(_wrapped(f"Not saved: {save} was left as it was."))
        else:
            _emit(_wrapped(f"Saved to {saved}; `tunewise advise {saved}` gives this result again."))
    raise typer.Exit(interview.exit_code(decision))


def _evidence_kinds(values: Sequence[str]) -> list[str]:
    """KINDS of --require-evidence: comma-separated, repeatable, each a known kind."""
    from tunewise.inputs.config import EVIDENCE_KINDS

    kinds = [kind.strip() for value in values for kind in value.split(",") if kind.strip()]
    for kind in kinds:
        _choice(kind, EVIDENCE_KINDS, "--require-evidence")
    return list(dict.fromkeys(kinds))


def _anchored(patterns: Sequence[str], base: Path) -> list[str]:
    """Globs as discovery matches them: a pattern with a slash is a path from `base` (the
    configuration's folder, or the current one for --exclude), one without matches a name
    at any depth."""
    folder = os.path.abspath(base)
    return [
        os.path.normpath(os.path.join(folder, p)) if "/" in p.rstrip("/") else p.rstrip("/")
        for p in patterns
    ]


@command()
@handles_errors
def check(
    paths: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Argument(
            metavar="[PATHS]...",
            help="Profiles or folders to search (default: the current folder).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        Optional[str],  # noqa: UP045
        _choice_option(
            "--format",
            "-f",
            choices=list(CHECK_FORMATS),
            help="Report format (default: github when GITHUB_ACTIONS=true, else text).",
            show_default=False,
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
    strict: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--strict/--no-strict", help="Warnings fail too.", show_default=False),
    ] = None,
    quiet: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--quiet/--no-quiet",
            "-q",
            help="Print only failures and the summary (text).",
            show_default=False,
        ),
    ] = None,
    exclude: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--exclude",
            metavar="GLOB",
            help="Skip files and folders matching GLOB when searching folders (repeatable; "
            "replaces the configuration's list).",
        ),
    ] = None,
    require_evidence: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--require-evidence",
            metavar="KINDS",
            help="A fine-tune or hybrid proposal fails when a need it relies on lacks this "
            "evidence: dataset, prompting, eval_set (comma-separated).",
        ),
    ] = None,
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
    color: ColorOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Fail profiles that propose fine-tuning without justification.

    Exit 1 when a profile fails, 3 when one is invalid or none is found.
    """
    from tunewise.commands.check import check as check_paths
    from tunewise.outfiles import report_files
    from tunewise.reporters import check_reporter
    from tunewise.reporters.progress import progress_bar
    from tunewise.streams import PipeGuard

    cfg = _settings(color, config, isolated)
    chosen = (
        output_format
        or cfg.format
        or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    )
    _choice(chosen, list(CHECK_FORMATS), "--format")
    strict = strict if strict is not None else bool(cfg.strict)
    quiet = quiet if quiet is not None else bool(cfg.quiet)
    if exclude is not None:
        globs = _anchored(exclude, Path("."))
    else:
        globs = _anchored(cfg.exclude or [], cfg.folder)
    kinds = (
        _evidence_kinds(require_evidence)
        if require_evidence is not None
        else list(cfg.require_evidence or [])
    )
    # where the requirement comes from, for the findings it makes: the flag, or the file's key
    required_by = (
        cfg.where("require_evidence", cfg.require_evidence_at)
        if require_evidence is None and kinds
        else "--require-evidence"
    )
    targets = [_parse_output(item, list(CHECK_FORMATS)) for item in output or []]
    rules_path, params = _rules_and_params(cfg, rules, param)
    with report_files([file for _, file in targets]) as streams:
        # A reader that goes away (`| head -1`) costs the output, never the verdict.
        stdout = PipeGuard(sys.stdout)
        reporters = [check_reporter(chosen, cast(TextIO, stdout), strict, quiet)]
        reporters += [
            check_reporter(fmt, stream, strict)
            for (fmt, _), stream in zip(targets, streams, strict=True)
        ]
        with progress_bar("Checking profiles", stdout, _color(sys.stderr)) as progress:
            summary = check_paths(
                paths or [Path(".")],
                rules_path,
                params,
                strict,
                reporters,
                progress,
                waiver_horizon_days=waiver_horizon,
                exclude=globs,
                require_evidence=kinds,
                required_by=required_by,
            )
    stdout.flush()
    if summary.count("error"):
        raise typer.Exit(3)
    raise typer.Exit(0 if summary.passed else 1)


def _parse_output(item: str, formats: list[str]) -> tuple[str, Path]:
    fmt, sep, file = item.partition(":")
    if not sep or not file:
        raise typer.BadParameter(f"{item!r}: expected FORMAT:FILE", param_hint="--output")
    return _choice(fmt, formats, "--output"), Path(file)


@command()
@handles_errors
def data(
    dataset: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="Training set (JSONL); - reads it from stdin.", show_default=False
        ),
    ],
    against: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--against", metavar="EVAL", help="Held-out set: report the overlap."),
    ] = None,
    output_format: Annotated[
        str,
        _choice_option(
            "--format",
            "-f",
            choices=["text", "json"],
            help="Output format.",
        ),
    ] = "text",
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when any problem is found.")
    ] = False,
    rules: RulesOpt = None,
    param: ParamOpt = None,
    color: ColorOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Inspect a JSONL training set.

    Records, formats, duplicates, problems, tokens and the 80/20 split.
    """
    from tunewise.evidence.dataset import measure
    from tunewise.reporters.dataset import render_dataset
    from tunewise.reporters.progress import progress_bar
    from tunewise.ruleset.load import load_rules

    cfg = _settings(color, config, isolated)
    _choice(output_format, ["text", "json"], "--format")
    epochs = load_rules(*_rules_and_params(cfg, rules, param)).params.get("epochs", 3)
    if dataset == "-" and against is not None and str(against) == "-":
        raise typer.BadParameter("stdin is the training set already", param_hint="--against")
    source: Path | BinaryIO = Path(dataset)
    if dataset == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a text stream without bytes underneath (tests, embedding)
            import io

            buffer = io.BytesIO(sys.stdin.read().encode("utf-8", "surrogateescape"))
        source = buffer
    with progress_bar("Reading dataset", color=_color(sys.stderr)) as progress:
        stats = measure(source, progress, against=against)
    _emit(render_dataset(stats, output_format, int(epochs)))
    if not stats.records:  # an empty file: `check` refuses it as evidence too
        from tunewise.errors import InputError
        from tunewise.problems import Problem

        raise InputError(Problem(dataset, "holds no record: an empty training set"))
    if not stats.valid:
        raise typer.Exit(3)  # nothing in it is usable: an invalid input, not a finding
    raise typer.Exit(1 if strict and stats.problem_count else 0)


@rules_command("lint")
@handles_errors
def rules_lint(
    file: RulesFileArg = None,
    param: ParamOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Verify a rule set and prove it complete.

    Coverage, reachability, cycles, unused items, and a proof that every combination of
    answers reaches a decision.
    """
    from tunewise.commands.lint import lint as lint_rules
    from tunewise.reporters.lint_text import render_lint

    cfg = _settings(None, config, isolated)
    report = lint_rules(*_rules_and_params(cfg, file, param))
    _emit(render_lint(report))
    raise typer.Exit(1 if report.defects else 0)


@rules_command("test")
@handles_errors
def rules_test(
    cases: Annotated[
        list[Path],
        typer.Argument(metavar="CASES...", help="Case files (YAML).", show_default=False),
    ],
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
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Run rule-set test cases and report coverage."""
    from tunewise.authoring.cases import run_case_files
    from tunewise.reporters.cases_text import render
    from tunewise.ruleset.load import load_rules

    cfg = _settings(None, config, isolated)
    report = run_case_files(load_rules(*_rules_and_params(cfg, rules, param)), cases)
    _emit(render(report, min_coverage=min_coverage))
    ok = report.passes(min_coverage)
    raise typer.Exit(0 if ok else 1)


@rules_command("show")
@handles_errors
def rules_show(
    file: RulesFileArg = None,
    output_format: Annotated[
        str,
        _choice_option(
            "--format",
            "-f",
            choices=list(SHOW_FORMATS),
            help="Drawing format.",
        ),
    ] = "tree",
    color: ColorOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Draw the decision tree."""
    from tunewise.reporters import render
    from tunewise.ruleset.load import load_rules

    cfg = _settings(color, config, isolated)
    _choice(output_format, list(SHOW_FORMATS), "--format")
    rules = load_rules(file or cfg.rules).model
    _emit(render(SHOW_FORMATS, output_format, rules, color=_color(), width=_width()))


@command()
@handles_errors
def explain(
    ident: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="A question, value, node, check, parameter, source or advice id, or a rule id "
            "from a report (check/ID, leaf/ID, not-fine-tune, evidence-..., waiver-...).",
            show_default=False,
        ),
    ],
    rules: RulesOpt = None,
    param: ParamOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Explain a rule-set item or a rule id from a report."""
    from tunewise.authoring.explain import explain as describe
    from tunewise.ruleset.load import load_rules

    cfg = _settings(None, config, isolated)
    loaded = load_rules(*_rules_and_params(cfg, rules, param))
    _emit(describe(loaded.model, ident, loaded.params))


SCHEMA_OUTPUTS = ("profile", "advice", "check")


@command()
@handles_errors
def schema(
    output: Annotated[
        str,
        _choice_option(
            "--output",
            choices=SCHEMA_OUTPUTS,
            help="Which document: a profile, or the JSON of advise or check.",
        ),
    ] = "profile",
    rules: RulesOpt = None,
    config: ConfigOpt = None,
    isolated: IsolatedOpt = False,
) -> None:
    """Print a JSON Schema: the profile, or advise or check JSON."""
    from tunewise.authoring.schemas import render as render_schema
    from tunewise.authoring.schemas import render_output
    from tunewise.ruleset.load import load_rules

    cfg = _settings(None, config, isolated)
    _choice(output, SCHEMA_OUTPUTS, "--output")
    if output == "profile":
        _emit(render_schema(load_rules(rules or cfg.rules).model))
    else:
        _emit(render_output(output))


GLOBAL_VALUE_OPTIONS = ("--color", "--config")


def _app_for(args: Sequence[str]) -> typer.Typer:
    """The app with only the invoked command registered (click's lazy-loading pattern: building
    every command's parameters costs a start-up what running one needs). Without a known
    command name, for help, or for shell completion, the whole app."""
    import copy

    name, skip = None, False
    for arg in args:
        if skip:
            skip = False
        elif arg in GLOBAL_VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            name = arg
            break
    if name is None or any(key.endswith("_COMPLETE") for key in os.environ):
        return app
    commands = [c for c in app.registered_commands if _command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app  # an unknown name: the full app says so, with the list of commands
    lean = copy.copy(app)
    lean.registered_commands, lean.registered_groups = commands, groups
    return lean


def _command_name(info: Any) -> str:
    return str(info.name or info.callback.__name__.replace("_", "-"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run tunewise with `argv` (default: sys.argv[1:]) and return the exit code."""
    _Run.color, _Run.config, _Run.isolated = None, None, False
    args = list(argv) if argv is not None else sys.argv[1:]
    command = typer.main.get_command(_app_for(args))
    try:
        command.main(args=args, prog_name="tunewise")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except KeyboardInterrupt:
        sys.stderr.write("\ntunewise: interrupted\n")
        return 130
    except Terminated:
        sys.stderr.write("\ntunewise: terminated\n")
        return Terminated.exit_code
    except BrokenPipeError:  # cut off before the end: the outcome is unknown, never success
        from tunewise.streams import discard

        discard(sys.stdout)
        return 141
    except Exception as exc:  # a bug: still one line, never a traceback
        from tunewise.escaping import visible

        sys.stderr.write(
            f"tunewise: internal error ({visible(f'{type(exc).__name__}: {exc}')}); "
            "please report it\n"
        )
        return 70
    return 0
