"""Every shipped example profile gets the outcome written in its `# expect:` line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli

PROFILES = sorted(EXAMPLES.glob("*.tunewise.yaml"))


def expectation(path: Path) -> dict[str, str]:
    match = re.search(r"^# expect: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path.name} has no '# expect:' line"
    return dict(item.split("=", 1) for item in match.group(1).split())


def test_there_are_enough_examples() -> None:
    assert len(PROFILES) >= 11
    assert any("law" in p.name for p in PROFILES)


@pytest.mark.parametrize("path", PROFILES, ids=[p.stem for p in PROFILES])
def test_example_outcome(path: Path) -> None:
    expected = expectation(path)
    result = run_cli("advise", str(path), "--format", "json")
    assert result.code == int(expected.pop("exit", "0")), result.err
    data = json.loads(result.out)
    assert data["verdict"] == expected.pop("verdict")
    approaches = {n["id"]: n["approach"] or "undecided" for n in data["needs"]}
    assert approaches == expected
    for need in data["needs"]:
        for reason in need["reasons"]:
            assert reason["sources"], f"reason without a source: {reason['text']}"


def test_examples_show_every_kind_and_every_failing_check() -> None:
    kinds: set[str] = set()
    failed: set[str] = set()
    for path in PROFILES:
        data = json.loads(run_cli("advise", str(path), "--format", "json").out)
        for need in data["needs"]:
            failed |= {c["id"] for c in need["checks"] if c["status"] == "fail"}
        kinds |= set(re.findall(r"kind: (\w+)", path.read_text(encoding="utf-8")))
    assert kinds == {
        "facts",
        "domain",
        "style",
        "format",
        "vocabulary",
        "behavior",
        "cost",
        "general",
    }
    assert failed == {
        "enough-examples",
        "data-quality",
        "past-prototype",
        "worth-the-gain",
        "can-maintain",
        "has-eval-plan",
        "within-budget",
        "safe-platform",
        "gpu-fits",
    }
