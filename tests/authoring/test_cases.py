"""`rules test`: the repository's cases pass with full coverage; failures and gaps are reported."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT, run_cli

CASES = ROOT / "rules" / "cases" / "default.cases.yaml"


def test_repository_cases_cover_every_leaf_and_check() -> None:
    result = run_cli("rules", "test", str(CASES), "--min-coverage", "100")
    assert result.code == 0, result.out
    assert "coverage: 37/37 leaves and check outcomes (100.0%)" in result.out
    assert result.out.strip().endswith("29 passed, 0 failed")


def _cases(folder: Path, text: str) -> Path:
    """A case file in `folder` with `text`."""
    path = folder / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_wrong_expectation_fails(tmp_path: Path) -> None:
    case = _cases(
        tmp_path,
        "tunewise_cases: 1\ncases:\n  - name: wrong\n"
        "    profile: {tunewise: 1, needs: [{id: a, kind: general}]}\n"
        "    expect: {verdict: rag, needs: {a: rag}}\n",
    )
    result = run_cli("rules", "test", str(case))
    assert result.code == 1
    assert "verdict: expected rag, got prompt" in result.out
    assert "need a: expected rag, got prompt" in result.out


def test_low_coverage_fails_only_with_a_minimum(tmp_path: Path) -> None:
    case = _cases(
        tmp_path,
        "tunewise_cases: 1\ncases:\n  - name: one\n"
        "    profile: {tunewise: 1, needs: [{id: a, kind: general}]}\n"
        "    expect: {verdict: prompt}\n",
    )
    assert run_cli("rules", "test", str(case)).code == 0
    result = run_cli("rules", "test", str(case), "--min-coverage", "50")
    assert result.code == 1 and "below the required 50%" in result.out
    assert "not covered: leaf facts-in-prompt" in result.out


def test_invalid_case_file(tmp_path: Path) -> None:
    case = _cases(tmp_path, "tunewise_cases: 1\ncases:\n  - nme: x\n")
    result = run_cli("rules", "test", str(case))
    assert result.code == 3 and f"{case}:3:" in result.err


def test_invalid_inline_profile_is_a_failed_case(tmp_path: Path) -> None:
    case = _cases(
        tmp_path,
        "tunewise_cases: 1\ncases:\n  - name: bad\n"
        "    profile: {tunewise: 1, needs: [{id: a, kind: nope}]}\n"
        "    expect: {verdict: prompt}\n",
    )
    result = run_cli("rules", "test", str(case))
    assert result.code == 1 and "needs[0].kind" in result.out and ":4:" in result.out


def test_a_parameter_the_rule_set_refuses_is_located_in_the_case_file(tmp_path: Path) -> None:
    case = _cases(
        tmp_path,
        "tunewise_cases: 1\ncases:\n  - name: bad param\n"
        "    params: {min_exampels: 10}\n"
        "    profile: {tunewise: 1, needs: [{id: a, kind: general}]}\n"
        "    expect: {verdict: prompt}\n",
    )
    result = run_cli("rules", "test", str(case))
    assert result.code == 1, result.out
    assert f"{case}:4:14: cases[0].params.min_exampels: unknown parameter" in result.out
    assert "--param" not in result.out


def test_a_profile_file_outside_the_project_is_refused(tmp_path: Path) -> None:
    """A case file from a pull request cannot read files elsewhere on the runner (their first
    line would be echoed in the error): `profile_file` must resolve inside the project."""
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    secret = tmp_path / "secret.yaml"
    secret.write_text("token-abc123: x\n", encoding="utf-8")
    (project / "link.yaml").symlink_to(secret)
    for target in ("../secret.yaml", str(secret), "link.yaml"):
        case = _cases(
            project,
            "tunewise_cases: 1\ncases:\n  - name: outside\n"
            f"    profile_file: {target}\n    expect: {{verdict: prompt}}\n",
        )
        result = run_cli("rules", "test", str(case))
        assert result.code == 1, result.out
        assert "resolves outside the project root" in result.out
        assert "token-abc123" not in result.out + result.err


def test_a_profile_file_inside_the_project_is_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "p.yaml").write_text(
        "tunewise: 1\nneeds: [{id: a, kind: general}]\n", encoding="utf-8"
    )
    case = _cases(
        tmp_path,
        "tunewise_cases: 1\ncases:\n  - name: inside\n"
        "    profile_file: profiles/p.yaml\n    expect: {verdict: prompt}\n",
    )
    assert run_cli("rules", "test", str(case)).code == 0


def test_case_names_cannot_forge_lines(tmp_path: Path) -> None:
    case = _cases(
        tmp_path,
        'tunewise_cases: 1\ncases:\n  - name: "x\\n##vso[task.complete result=Succeeded]\\e[2J"\n'
        "    profile: {tunewise: 1, needs: [{id: a, kind: general}]}\n"
        "    expect: {verdict: rag}\n",
    )
    result = run_cli("rules", "test", str(case))
    assert result.code == 1 and "\x1b" not in result.out
    assert not any(line.startswith("##vso") for line in result.out.splitlines())
    assert "x\\n##vso[task.complete result=Succeeded]\\x1b[2J" in result.out
