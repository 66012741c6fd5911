"""Exit codes under closed pipes, closed streams, SIGTERM and odd locales (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, PASSING_PROJECT, profile_dict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import generate  # type: ignore[import-not-found]

TUNEWISE = [sys.executable, "-m", "tunewise"]
LAW = str(EXAMPLES / "law-firm.tunewise.yaml")


def _failing_tree(tmp_path: Path, write_profile: Any, count: int) -> Path:
    for index in range(count):
        write_profile(
            profile_dict(
                [{"id": "tone", "kind": "style", "prompting": "failed"}],
                {**PASSING_PROJECT, "examples": 50},
                proposal="fine-tune",
            ),
            f"t/p{index:03d}.tunewise.yaml",
        )
    return tmp_path / "t"


def test_head_keeps_the_failing_status(tmp_path: Path, write_profile: Any) -> None:
    """`tunewise check | head -1` on a failing gate exited 0 (the broken-pipe handler)."""
    tree = _failing_tree(tmp_path, write_profile, 120)  # ~120 KB of text: more than a pipe holds
    child = subprocess.Popen(
        [*TUNEWISE, "check", str(tree)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline().startswith(b"FAIL")
    child.stdout.close()  # what `head -1` does
    err = child.stderr.read().decode()
    assert child.wait(timeout=60) == 1
    assert err == ""


def test_head_in_a_shell_pipeline(tmp_path: Path, write_profile: Any) -> None:
    tree = _failing_tree(tmp_path, write_profile, 120)
    script = f"set -o pipefail; {' '.join(TUNEWISE)} check {tree} | head -1"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout.startswith("FAIL") and done.stderr == ""


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_quick_answers_with_stdout_closed(option: str) -> None:
    done = subprocess.run(
        ["bash", "-c", f"{' '.join(TUNEWISE)} {option} >&-"], capture_output=True, text=True
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_help_into_a_pipe_closed_early() -> None:
    done = subprocess.run(
        ["bash", "-c", f"{' '.join(TUNEWISE)} check --help | true"], capture_output=True, text=True
    )
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_stderr_closed_keeps_the_exit_code(tmp_path: Path) -> None:
    """With stderr closed, an invalid input exited 1 instead of 3."""
    missing = tmp_path / "missing.yaml"
    done = subprocess.run(
        ["bash", "-c", f"{' '.join(TUNEWISE)} advise {missing} 2>&-"], capture_output=True
    )
    assert done.returncode == 3
    both = subprocess.run(
        ["bash", "-c", f"{' '.join(TUNEWISE)} advise {LAW} -f json >&- 2>&-"], capture_output=True
    )
    assert both.returncode == 0


def test_stdout_closed_writes_no_report_into_a_reused_descriptor(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    done = subprocess.run(
        ["bash", "-c", f"{' '.join(TUNEWISE)} check {EXAMPLES} -o junit:{report} >&-"],
        capture_output=True,
        text=True,
    )
    assert done.returncode in (1, 3) and "Traceback" not in done.stderr
    assert report.read_text(encoding="utf-8").startswith("<?xml")


def test_any_locale_prints_utf8(write_profile: Any) -> None:
    """`PYTHONIOENCODING=ascii` made every non-ASCII character an internal error (exit 70)."""
    path = write_profile(profile_dict([{"id": "a", "kind": "general", "description": "café ✅"}]))
    for encoding in ("ascii", "latin-1"):
        env = {**os.environ, "PYTHONIOENCODING": encoding, "LANG": "C", "LC_ALL": "C"}
        done = subprocess.run([*TUNEWISE, "advise", str(path)], capture_output=True, env=env)
        assert done.returncode == 0, done.stderr
        assert "café ✅" in done.stdout.decode("utf-8")


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [(signal.SIGTERM, 143, "tunewise: terminated"), (signal.SIGINT, 130, "tunewise: interrupted")],
)
def test_a_signal_removes_temporary_files_and_prints_no_traceback(
    tmp_path: Path, signum: int, code: int, message: str
) -> None:
    """SIGTERM left temporary report files behind and printed every worker's traceback."""
    generate(tmp_path / "many", 1200)  # enough for the parallel workers
    report = tmp_path / "out" / "report.xml"
    report.parent.mkdir()
    child = subprocess.Popen(
        [*TUNEWISE, "check", str(tmp_path / "many"), "-o", f"junit:{report}"],
        stdout=subprocess.PIPE,  # not read: the run blocks once the pipe is full, mid-way
        stderr=subprocess.PIPE,
        start_new_session=True,  # Ctrl-C reaches the whole process group, workers included
    )
    deadline = time.monotonic() + 60
    while not list(report.parent.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert child.poll() is None, "the run ended before it could be stopped"
    os.killpg(child.pid, signum) if signum == signal.SIGINT else child.send_signal(signum)
    _, err = child.communicate(timeout=60)
    assert child.returncode == code
    assert err.decode().strip() == message  # one line, from the parent only
    assert list(report.parent.iterdir()) == []


def test_invalid_utf8_file_name_through_a_real_stdout(tmp_path: Path) -> None:
    """Invalid UTF-8 in a file name was an internal error (exit 70) in json, junit, markdown."""
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"caf\xe9\x1b.tunewise.yaml"), "wb") as handle:
        handle.write(b"tunewise: 1\nproposal: fine-tune\nneeds: [{id: a, kind: general}]\n")
    for fmt in ("text", "json", "sarif", "gitlab", "junit", "markdown", "github"):
        done = subprocess.run([*TUNEWISE, "check", str(tmp_path), "-f", fmt], capture_output=True)
        assert done.returncode == 1, (fmt, done.stderr)
        assert b"\x1b" not in done.stdout and done.stderr == b""
        done.stdout.decode("utf-8")  # always valid UTF-8
