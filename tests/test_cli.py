"""The command line itself: version, help, `python -m`, usage errors, the last-resort handler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, run_cli
from tunewise import __version__
from tunewise.entry import HELP


def test_static_help_matches_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert run_cli("--help").out == HELP, "regenerate tunewise.entry.HELP from `tunewise --help`"


def test_entry_point_fast_paths() -> None:
    env = {**os.environ, "COLUMNS": "80"}

    def tunewise(option: str) -> tuple[int, str]:
        done = subprocess.run(
            [sys.executable, "-m", "tunewise", option], capture_output=True, text=True, env=env
        )
        return done.returncode, done.stdout

    assert tunewise("--version") == (0, f"tunewise {__version__}\n")
    assert tunewise("--help") == (0, HELP)
    # The fast path must not have imported the CLI framework.
    probe = (
        "import sys, runpy; sys.argv=['tunewise', '--version']\n"
        "try:\n runpy.run_module('tunewise', run_name='__main__')\n"
        "except SystemExit: pass\nprint('typer' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert loaded.stdout.strip().endswith("False")


def test_python_m_runs_commands() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tunewise",
            "advise",
            str(EXAMPLES / "law-firm.tunewise.yaml"),
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and '"verdict": "hybrid"' in result.stdout


@pytest.mark.parametrize(
    "args",
    [("advise",), ("advise", "x.yaml", "--bogus"), ("nonsense",), ("advise", "x", "-f", "xml")],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.code == 2 and "Traceback" not in result.err


def test_internal_error_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import tunewise.commands.advise

    def broken(*_: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(tunewise.commands.advise, "advise", broken)
    result = run_cli("advise", str(EXAMPLES / "law-firm.tunewise.yaml"))
    assert result.code == 70
    assert result.err.strip().splitlines() == [
        "tunewise: internal error (ZeroDivisionError: boom); please report it"
    ]


def test_param_errors() -> None:
    law = str(EXAMPLES / "law-firm.tunewise.yaml")
    assert run_cli("advise", law, "--param", "nope=1").code == 3
    assert run_cli("advise", law, "--param", "min_examples=lots").code == 3
    assert run_cli("advise", law, "--param", "min_examples=-5").code == 3
    assert run_cli("advise", law, "--param", "missing-equals").code == 2
    assert run_cli("advise", law, "--param", "min_gain_pct=nan").code == 3


def test_no_color_and_plain_output_without_a_terminal() -> None:
    out = run_cli("advise", str(EXAMPLES / "law-firm.tunewise.yaml")).out
    assert "\x1b[" not in out


def _all_commands() -> list[list[str]]:
    import typer

    from tunewise.cli import app

    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p) or "tunewise")
def test_dash_h_and_usage_lines_everywhere(path: list[str]) -> None:
    short, long = run_cli(*path, "-h"), run_cli(*path, "--help")
    assert short.code == 0 and short.out == long.out
    usage = short.out.splitlines()[0]
    assert usage.startswith("Usage: tunewise") and "{" not in usage and "<" not in usage
    assert "<str>" not in short.out and "<path>" not in short.out and "list[" not in short.out


def test_usage_shows_the_real_choices() -> None:
    text = run_cli("check", "-h").out
    assert "[text|json|junit|sarif|github|markdown" in text
    assert "[auto|always|never]" in text
    assert "[text|json|markdown]" in run_cli("advise", "-h").out
    assert "[profile|advice|check]" in run_cli("schema", "-h").out


SUMMARIES = {
    (): [
        "Answer the questions interactively; get the recommendation.",
        "Fail profiles that propose fine-tuning without justification.",
    ],
    ("rules",): ["Verify a rule set and prove it complete."],
}


@pytest.mark.parametrize("columns", ["50", "80", "120"])
def test_command_summaries_are_whole(monkeypatch: pytest.MonkeyPatch, columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    for path, summaries in SUMMARIES.items():
        listing = run_cli(*path, "--help").out.split("Commands:")[1]
        assert "..." not in listing, listing
        flat = " ".join(listing.split())
        assert all(summary in flat for summary in summaries), listing


def test_only_the_invoked_command_is_built() -> None:
    from tunewise.cli import _app_for, app

    def names(args: list[str]) -> set[str]:
        lean = _app_for(args)
        return {c.callback.__name__ for c in lean.registered_commands if c.callback} | {
            g.name or "" for g in lean.registered_groups
        }

    assert names(["--color", "never", "advise", "x.yaml"]) == {"advise"}
    assert names(["--config", "advise", "rules", "lint"]) == {"rules"}
    assert _app_for(["--help"]) is app and _app_for(["nonsense"]) is app


def test_colour_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from tunewise import cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    tty, pipe = Terminal(), io.StringIO()
    cli._Run.color = None
    assert cli._color(tty) and not cli._color(pipe)
    monkeypatch.setenv("NO_COLOR", "")  # empty: not set, per no-color.org
    assert cli._color(tty)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not cli._color(tty)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli._color(pipe), "FORCE_COLOR wins over NO_COLOR and a pipe"
    monkeypatch.setenv("FORCE_COLOR", "")
    assert not cli._color(tty)
    cli._Run.color = "always"
    assert cli._color(pipe)
    cli._Run.color = "never"
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not cli._color(tty), "--color wins over the environment"
    cli._Run.color = None


def test_color_flag_reaches_the_output() -> None:
    law = str(EXAMPLES / "law-firm.tunewise.yaml")
    assert "\x1b[" in run_cli("advise", law, "--color", "always").out
    assert "\x1b[" in run_cli("--color", "always", "advise", law).out
    assert "\x1b[" not in run_cli("advise", law, "--color", "never").out
    assert run_cli("advise", law, "--color", "sometimes").code == 2


def test_stdin_dash() -> None:
    law = EXAMPLES / "law-firm.tunewise.yaml"
    from_file = run_cli("advise", str(law), "-f", "json")
    from_stdin = run_cli("advise", "-", "-f", "json", stdin=law.read_text(encoding="utf-8"))
    assert from_stdin.code == 0 and from_stdin.out == from_file.out
    dataset = '{"prompt": "a", "completion": "b"}\n{"prompt": "c", "completion": "d"}\n'
    measured = run_cli("data", "-", "-f", "json", stdin=dataset)
    assert measured.code == 0 and json.loads(measured.out)["records"] == 2


def test_data_on_an_empty_training_set_is_an_invalid_input(tmp_path: Path) -> None:
    """Regression: `data` on an empty file exited 0, even with --strict, while `check` refuses
    the same file as evidence (evidence-dataset-invalid): nothing in it is usable."""
    empty = tmp_path / "train.jsonl"
    empty.write_text("\n  \n", encoding="utf-8")
    for extra in ((), ("--strict",), ("--format", "json")):
        result = run_cli("data", str(empty), *extra)
        assert result.code == 3, result.err
        assert result.err.strip() == f"tunewise: {empty}: holds no record: an empty training set"
    assert run_cli("data", "-", stdin="").code == 3


def test_a_stray_end_of_file_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: an EOFError escaping a command (a bug) reached click, which printed
    "Aborted!" and exited 1: for `check`, the code of a failed gate. It is exit 70, one line."""
    from tunewise.commands import advise

    def broken(*args: Any, **kwargs: Any) -> None:
        raise EOFError("read past the end")

    monkeypatch.setattr(advise, "advise", broken)
    result = run_cli("advise", str(EXAMPLES / "law-firm.tunewise.yaml"))
    assert result.code == 70
    expected = "tunewise: internal error (EOFError: read past the end); please report it\n"
    assert result.err == expected


def test_stdin_dash_in_a_real_process() -> None:
    law = EXAMPLES / "law-firm.tunewise.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "tunewise", "advise", "-", "-f", "json"],
        input=law.read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and json.loads(done.stdout)["verdict"] == "hybrid"


def test_shell_completion() -> None:
    env = {**os.environ, "_TUNEWISE_COMPLETE": "complete_bash", "COMP_CWORD": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "tunewise"],
        env={**env, "COMP_WORDS": "tunewise adv"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.split() == ["advise"]
    values = subprocess.run(
        [sys.executable, "-m", "tunewise"],
        env={**env, "COMP_WORDS": "tunewise check --format j", "COMP_CWORD": "3"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert values.stdout.split() == ["json", "junit"], "an option's choices complete too"
    script = subprocess.run(
        [sys.executable, "-m", "tunewise"],
        env={**os.environ, "_TUNEWISE_COMPLETE": "source_bash"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "_tunewise_completion" in script.stdout


def test_internal_error_with_a_multiline_message_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tunewise.commands.advise

    def broken(*_: object) -> None:
        raise ValueError("first\nsecond\r\x1b[2Kthird")

    monkeypatch.setattr(tunewise.commands.advise, "advise", broken)
    result = run_cli("advise", str(EXAMPLES / "law-firm.tunewise.yaml"))
    assert result.code == 70
    assert result.err.splitlines() == [
        "tunewise: internal error (ValueError: first\\nsecond\\r\\x1b[2Kthird); please report it"
    ]
