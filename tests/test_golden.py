"""Golden files: what users see from every command on the examples and the default rules.

Each case runs the CLI in-process and compares its exit code, stdout and stderr byte for byte
with a file under tests/golden/. When a change of output is intended, regenerate them with
`TUNEWISE_REGOLD=1 python -m pytest tests/test_golden.py` and review the diff before committing.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, run_cli
from tunewise.ruleset.load import load_rules

GOLDEN = Path(__file__).resolve().parent / "golden"
REGOLD = os.environ.get("TUNEWISE_REGOLD") == "1"
# Waiver expiry is judged against today; the golden runs live on a fixed day.
TODAY = dt.date(2026, 11, 23)

ADVICE_FORMATS = ("text", "json", "markdown")
CHECK_FORMATS = ("text", "json", "junit", "sarif", "github", "markdown", "gitlab")
SHOW_FORMATS = ("tree", "mermaid", "dot")


def _explain_ids() -> list[str]:
    """Every id of the default rule set that `explain` documents, plus one it does not know."""
    model = load_rules().model
    ids = [q.id for q in model.questions] + [n.id for n in model.tree.nodes]
    ids += [c.id for n in model.tree.nodes for c in getattr(n, "checks", None) or []]
    ids += [p.id for p in model.parameters] + [s.id for s in model.sources]
    ids += [a.id for a in model.advice]
    ids += [c.value for q in model.questions for c in q.choices or []]
    return [*dict.fromkeys(ids), "no-such-id", "within-budgt"]


def _cases() -> list[tuple[str, list[list[str]]]]:
    """(golden file name, command lines run into it)."""
    cases: list[tuple[str, list[list[str]]]] = []
    for example in sorted(EXAMPLES.glob("*.tunewise.yaml")):
        stem = example.name.removesuffix(".tunewise.yaml")
        path = f"examples/{example.name}"
        cases += [
            (f"advise/{stem}.{fmt}", [["advise", path, "--format", fmt]]) for fmt in ADVICE_FORMATS
        ]
    cases += [
        (f"check/examples.{fmt}", [["check", "examples/", "--format", fmt]])
        for fmt in CHECK_FORMATS
    ]
    cases += [
        ("check/examples.strict.text", [["check", "examples/", "--strict"]]),
        ("rules/lint", [["rules", "lint"]]),
        ("rules/test", [["rules", "test", "rules/cases/default.cases.yaml"]]),
    ]
    cases += [(f"rules/show.{fmt}", [["rules", "show", "--format", fmt]]) for fmt in SHOW_FORMATS]
    cases.append(("explain", [["explain", ident] for ident in _explain_ids()]))
    return cases


def _transcript(commands: list[list[str]]) -> str:
    parts = []
    for args in commands:
        result = run_cli(*args)
        parts.append(
            f"$ tunewise {' '.join(args)}\n[exit {result.code}]\n"
            f"--- stdout\n{result.out}--- stderr\n{result.err}"
        )
    return "\n".join(parts)


@pytest.fixture
def golden_world(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths from the project root, a fixed day and clock, no colour, 80 columns."""

    class FixedDate(dt.date):
        @classmethod
        def today(cls) -> FixedDate:
            return cls(TODAY.year, TODAY.month, TODAY.day)

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(dt, "date", FixedDate)
    monkeypatch.setattr(time, "perf_counter", lambda: 0.0)  # JUnit's times: all 0.000
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")


@pytest.mark.parametrize(("name", "commands"), _cases(), ids=[name for name, _ in _cases()])
def test_golden(golden_world: None, name: str, commands: list[list[str]]) -> None:
    actual = _transcript(commands)
    path = GOLDEN / f"{name}.out"
    if REGOLD:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    assert path.exists(), f"{path} is missing: regenerate with TUNEWISE_REGOLD=1"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs from {path} (TUNEWISE_REGOLD=1 regenerates it)"


def test_every_golden_file_is_a_case() -> None:
    """A golden file no case writes any more is stale: it would pass while pinning nothing."""
    names = {name for name, _ in _cases()}
    stale = sorted(
        str(p.relative_to(GOLDEN).with_suffix(""))
        for p in GOLDEN.rglob("*.out")
        if str(p.relative_to(GOLDEN).with_suffix("")) not in names
    )
    if REGOLD:
        for name in stale:
            (GOLDEN / f"{name}.out").unlink()
        return
    assert not stale, f"stale golden files (TUNEWISE_REGOLD=1 removes them): {stale}"
