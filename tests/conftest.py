"""Shared fixtures: the built-in rules loaded once, profile builders, an in-process CLI runner."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tunewise.cli import main
from tunewise.ruleset.load import LoadedRules, load_rules

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# The project questions in the order the fine-tuning checks first read them.
CHECK_ORDER = (
    "examples",
    "data_quality",
    "stage",
    "expected_gain_pct",
    "can_maintain",
    "eval_plan",
    "budget_usd",
    "data_may_leave",
    "ml_expertise",
)

# A project whose every fine-tuning check passes; tests change one answer at a time.
PASSING_PROJECT: dict[str, Any] = {
    "stage": "production",
    "examples": 2400,
    "data_quality": "high",
    "expected_gain_pct": 30,
    "budget_usd": 15000,
    "ml_expertise": "some",
    "can_maintain": True,
    "eval_plan": True,
    "data_may_leave": True,
}


def children() -> set[int]:
    """This process's children, ended ones not yet reaped (zombies) too: a worker left behind
    either way is one too many. Linux's /proc: a process's parent is the 4th field of its stat
    (after the name in parentheses, which may hold anything)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rpartition(b")")[2].split()
            except OSError:  # ended meanwhile
                continue
            if int(fields[1]) == os.getpid():
                found.add(int(entry))
    return found


@pytest.fixture(scope="session")
def rules() -> LoadedRules:
    return load_rules()


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str, stdin: str = "") -> Result:
    """Run `tunewise ARGS` in-process and capture its exit code and output."""
    old = sys.stdout, sys.stderr, sys.stdin
    out, err = io.StringIO(), io.StringIO()
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO(stdin)
    try:
        code = main(list(args))
    finally:
        sys.stdout, sys.stderr, sys.stdin = old
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli() -> Any:
    return run_cli


def profile_dict(
    needs: list[dict[str, Any]], project: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"tunewise": 1, "needs": needs, **extra}
    if project is not None:
        data["project"] = project
    return data


@pytest.fixture
def write_profile(tmp_path: Path) -> Iterator[Any]:
    counter = iter(range(10_000))

    def write(data: dict[str, Any] | str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"p{next(counter)}.tunewise.yaml")
        path.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    yield write
