"""The pre-commit hook and the composite GitHub action are well-formed and call the real CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from tests.conftest import ROOT, run_cli


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_pre_commit_hook() -> None:
    hooks = load(".pre-commit-hooks.yaml")
    hook = next(h for h in hooks if h["id"] == "tunewise-check")
    assert hook["entry"] == "tunewise check" and hook["language"] == "python"
    pattern = re.compile(hook["files"])
    for name in ("tunewise.yaml", "a/tunewise.yml", "svc/team.tunewise.yaml"):
        assert pattern.search(name), name
    for name in ("tunewise.json", "mytunewise.yaml", "tunewise.yaml.bak"):
        assert not pattern.search(name), name


def test_github_action(tmp_path: Path) -> None:
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert all(step.get("shell") == "bash" for step in steps)
    script = steps[-1]["run"]
    assert "tunewise check" in script and "--format github" in script
    assert "GITHUB_STEP_SUMMARY" in script and "--output" in script
    assert set(action["inputs"]) == {"paths", "strict", "version"}


def test_action_command_line_is_accepted(tmp_path: Path) -> None:
    profile = tmp_path / "tunewise.yaml"
    profile.write_text("tunewise: 1\nneeds:\n  - id: a\n    kind: general\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    result = run_cli(
        "check", str(tmp_path), "--format", "github", "--output", f"markdown:{summary}"
    )
    assert result.code == 0
    assert summary.read_text(encoding="utf-8").startswith("## tunewise check passed")
