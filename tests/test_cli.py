"""The command line itself: version, help, `python -m`, usage errors, the last-resort handler."""

from __future__ import annotations

import os
import subprocess
import sys

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
    import tunewise.service

    def broken(*_: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(tunewise.service, "advise_profile", broken)
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


def test_internal_error_with_a_multiline_message_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tunewise.service

    def broken(*_: object) -> None:
        raise ValueError("first\nsecond\r\x1b[2Kthird")

    monkeypatch.setattr(tunewise.service, "advise_profile", broken)
    result = run_cli("advise", str(EXAMPLES / "law-firm.tunewise.yaml"))
    assert result.code == 70
    assert result.err.splitlines() == [
        "tunewise: internal error (ValueError: first\\nsecond\\r\\x1b[2Kthird); please report it"
    ]
