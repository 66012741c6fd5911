"""The progress bar: drawn on a terminal's stderr, never into pipes or CI logs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect

from tests.conftest import run_cli


def _dataset(tmp_path: Path, lines: int) -> Path:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(lines):
            handle.write(
                json.dumps({"prompt": f"question {i}", "completion": "answer " * 20}) + "\n"
            )
    return path


def test_bar_on_a_terminal(tmp_path: Path) -> None:
    path = _dataset(tmp_path, 300_000)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tunewise", "data", str(path)],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 100),
    )
    child.expect("Reading dataset")
    child.expect("unique         300000")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_no_bar_in_pipes(tmp_path: Path) -> None:
    result = run_cli("data", str(_dataset(tmp_path, 10_000)))
    assert result.code == 0 and result.err == ""
    assert "Reading dataset" not in result.out


def test_check_results_start_at_column_0_and_the_last_frame_is_cleared(tmp_path: Path) -> None:
    """The bar's last frame stayed glued to the first result line."""

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from generate import generate  # type: ignore[import-not-found]

    generate(tmp_path, 600)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tunewise", "check", str(tmp_path), "--quiet"],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 100),
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    shown = _screen(child.before)
    assert "Checking profiles" in child.before  # the bar was drawn
    results = [line for line in shown if line.startswith(("FAIL", "tunewise check"))]
    assert results and results[-1].startswith("tunewise check FAILED")
    assert not any("Checking profiles" in line for line in shown)
    assert all(line.startswith(("FAIL", "/", "tunewise check")) for line in shown if line)


def _screen(raw: str) -> list[str]:
    """The lines a terminal shows after `raw`: text, CR, LF, cursor up and erase line."""
    import re

    rows, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+", raw):
        if token == "\r":
            col = 0
        elif token == "\n":
            row, col = row + 1, 0
            rows += [""] * (row + 1 - len(rows))
        elif token.startswith("\x1b"):
            if token.endswith("A"):
                row = max(0, row - int(token[2:-1] or 1))
            elif token == "\x1b[2K":
                rows[row] = ""
        else:
            line = rows[row].ljust(col)
            rows[row] = line[:col] + token + line[col + len(token) :]
            col += len(token)
    return [line.rstrip() for line in rows]
