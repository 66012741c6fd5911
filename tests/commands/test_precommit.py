"""The pre-commit hooks are well-formed, match what discovery matches, and run the real CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tunewise.commands.precommit import is_case_file, main
from tunewise.gate.discovery import is_profile_name

HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}


def _beside(name: str) -> str | None:
    """A command installed beside this interpreter (the test extra's), else on PATH."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


@pytest.mark.skipif(not _beside("pre-commit"), reason="pre-commit is not installed")
def test_pre_commit_accepts_the_manifest() -> None:
    import subprocess

    done = subprocess.run(
        [_beside("pre-commit") or "pre-commit", "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_both_hooks_with_a_minimum_pre_commit_version() -> None:
    assert set(HOOKS) == {"tunewise-check", "tunewise-rules"}
    for hook in HOOKS.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is True
        assert re.fullmatch(r"\d+\.\d+\.\d+", hook["minimum_pre_commit_version"])
    assert HOOKS["tunewise-check"]["entry"] == "tunewise check"
    assert HOOKS["tunewise-rules"]["entry"] == "python -m tunewise.commands.precommit"


@pytest.mark.parametrize(
    "name",
    [
        "tunewise.yaml",
        "a/tunewise.yml",
        "svc/team.tunewise.yaml",
        "Team.TUNEWISE.YAML",
        "x/Tunewise.Yml",
        "tunewise.json",
        "mytunewise.yaml",
        "tunewise.yaml.bak",
        "a/tunewise.yaml/b.txt",
    ],
)
def test_check_hook_matches_what_discovery_finds(name: str) -> None:
    pattern = re.compile(HOOKS["tunewise-check"]["files"])
    assert bool(pattern.search(name)) == is_profile_name(Path(name).name), name


@pytest.mark.parametrize(
    ("name", "matched"),
    [
        ("rules/default.yaml", True),
        ("rules/cases/default.cases.yaml", True),
        ("policy/strict.rules.yml", True),
        ("Rules/Team.YAML", True),
        ("rules/profile.schema.json", False),
        ("docs/notes.yaml", False),
        ("tunewise.yaml", False),
    ],
)
def test_rules_hook_pattern(name: str, matched: bool) -> None:
    assert bool(re.compile(HOOKS["tunewise-rules"]["files"]).search(name)) == matched


def test_rules_hook_lints_rule_sets_and_runs_case_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default, cases = (
        ROOT / "rules" / "default.yaml",
        ROOT / "rules" / "cases" / "default.cases.yaml",
    )
    assert is_case_file(str(cases)) and not is_case_file(str(default))
    assert main([str(default), str(cases)]) == 0
    out = capsys.readouterr().out
    assert "rules default " in out and ": no defects" in out and " 0 failed" in out
    broken = tmp_path / "broken.rules.yaml"
    broken.write_text("name: x\n", encoding="utf-8")
    failing: dict[str, Any] = yaml.safe_load(cases.read_text(encoding="utf-8"))
    failing["cases"] = [{**failing["cases"][0], "expect": {"verdict": "fine-tune"}}]
    for case in failing["cases"]:
        case.pop("profile_file", None)
    case_file = tmp_path / "mine.yaml"  # a case file by its content, not its name
    case_file.write_text(yaml.safe_dump(failing), encoding="utf-8")
    assert is_case_file(str(case_file))
    assert main([str(case_file)]) == 1
    assert main([str(broken), str(case_file)]) == 3, "the worst exit code wins"
