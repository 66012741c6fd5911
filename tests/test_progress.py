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
