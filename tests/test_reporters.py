"""Every report format, parsed back: advise text/json/markdown, check's six formats, --output."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from tests.conftest import EXAMPLES, PASSING_PROJECT, profile_dict, run_cli

LAW = str(EXAMPLES / "law-firm.tunewise.yaml")
STYLE = {"id": "tone", "kind": "style", "prompting": "failed"}
WAIVER = {
    "reason": "Approved exception for the Q3 pilot by the AI review board.",
    "approved_by": "cto",
    "expires": (dt.date.today() + dt.timedelta(days=180)).isoformat(),  # within the horizon
}


@pytest.fixture
def tree(tmp_path: Path, write_profile: Any) -> Path:
    write_profile(profile_dict([STYLE], PASSING_PROJECT, proposal="fine-tune"), "ok/tunewise.yaml")
    write_profile(
        profile_dict([STYLE], {**PASSING_PROJECT, "examples": 50}, proposal="fine-tune"),
        "bad/tunewise.yaml",
    )
    write_profile(
        profile_dict(
            [{**STYLE, "prompting": "untried"}],
            PASSING_PROJECT,
            proposal="fine-tune",
            waiver=WAIVER,
        ),
        "waived/tunewise.yaml",
    )
    return tmp_path


def test_advise_json_contract() -> None:
    result = run_cli("advise", LAW, "--format", "json")
    data = json.loads(result.out)
    assert {"verdict", "rules", "needs", "warnings", "next_steps"} <= set(data)
    assert set(data["rules"]) >= {"name", "version", "sha256"}
    assert re.fullmatch(r"[0-9a-f]{64}", data["rules"]["sha256"])
    for need in data["needs"]:
        assert {"id", "approach", "decided", "missing", "reasons"} <= set(need)
        assert all(isinstance(s, str) and s for r in need["reasons"] for s in r["sources"])
    assert all(isinstance(w, str) for w in data["warnings"] + data["next_steps"])
    bluebook = data["needs"][1]
    assert bluebook["advice"]["technique"]["value"] == "lora"
    assert bluebook["what_would_change"][0]["changes"][0]["question"] == "prompting"


def test_advise_text_is_plain_without_a_terminal_and_fits_80_columns() -> None:
    out = run_cli("advise", LAW).out
    assert "\x1b[" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "Verdict: RAG + FINE-TUNING" in out
    assert "[1] When to Fine-Tune: Specializing Your Foundation Model" in out
    assert "What would change this" in out and "Next steps" in out


def test_advise_markdown() -> None:
    out = run_cli("advise", LAW, "--format", "markdown").out
    assert out.startswith("## tunewise: Law firm assistant → **RAG + fine-tuning**")
    assert "| `case-files` | **RAG** |" in out and "### Sources" in out


def test_advise_undecided_exit_4_lists_missing() -> None:
    result = run_cli("advise", str(EXAMPLES / "missing-answers.tunewise.yaml"))
    assert result.code == 4 and "Missing answers: data_quality, expected_gain_pct" in result.out


def test_check_junit(tree: Path) -> None:
    result = run_cli("check", str(tree), "--format", "junit")
    assert result.code == 1
    root = ET.fromstring(result.out)
    suite = root.find("testsuite")
    assert suite is not None
    assert (
        suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    )
    cases = {Path(c.get("name", "")).parent.name: c for c in suite.iter("testcase")}
    assert cases["bad"].find("failure") is not None
    assert cases["ok"].find("failure") is None and cases["ok"].find("skipped") is None
    skipped = cases["waived"].find("skipped")
    assert skipped is not None and "waived" in skipped.get("message", "")


def test_check_sarif(tree: Path) -> None:
    data = json.loads(run_cli("check", str(tree), "--format", "sarif").out)
    assert data["version"] == "2.1.0" and "sarif" in data["$schema"]
    run = data["runs"][0]
    assert run["tool"]["driver"]["name"] == "tunewise"
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    results = run["results"]
    assert results and {r["ruleId"] for r in results} <= rule_ids
    located = [r for r in results if r["ruleId"] == "check/enough-examples"]
    region = located[0]["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 1
    waived = [r for r in results if "suppressions" in r]
    assert waived and waived[0]["suppressions"][0]["kind"] == "external"


def test_check_github_annotations_by_default_in_actions(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    out = run_cli("check", str(tree)).out
    errors = [line for line in out.splitlines() if line.startswith("::error ")]
    assert errors and all(
        re.match(r"::error file=[^,]+,line=\d+,col=\d+,title=", e) for e in errors
    )
    assert any(line.startswith("::notice ") and "waived" in line for line in out.splitlines())


def test_check_markdown(tree: Path) -> None:
    out = run_cli("check", str(tree), "--format", "markdown").out
    assert out.startswith("## tunewise check FAILED")
    assert "❌ fail" in out and "⚠️ waived" in out and "✅ pass" in out


def test_check_text_summary(tree: Path) -> None:
    out = run_cli("check", str(tree)).out
    assert out.splitlines()[-1] == (
        "tunewise check FAILED: 3 profiles, 1 passed, 1 failed, 1 waived, 0 invalid"
    )


def test_output_writes_several_formats_in_one_run(tree: Path, tmp_path: Path) -> None:
    junit, sarif = tmp_path / "r.xml", tmp_path / "r.sarif"
    result = run_cli(
        "check", str(tree), "--output", f"junit:{junit}", "-o", f"sarif:{sarif}", "--format", "json"
    )
    assert result.code == 1
    assert json.loads(result.out)["passed"] is False
    assert ET.parse(junit).getroot().tag == "testsuites"
    assert json.loads(sarif.read_text(encoding="utf-8"))["version"] == "2.1.0"


@pytest.mark.parametrize("bad", ["junit", "xml:out.xml", ":x"])
def test_bad_output_option_is_a_usage_error(tree: Path, bad: str) -> None:
    assert run_cli("check", str(tree), "--output", bad).code == 2


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "markdown", "text", "github"])
def test_nothing_found_writes_no_partial_report(tmp_path: Path, fmt: str) -> None:
    result = run_cli("check", str(tmp_path), "--format", fmt)
    assert result.code == 3 and result.out == "" and "no tunewise profiles" in result.err


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_streamed_documents_parse_for_one_and_many(
    tree: Path, fmt: str, write_profile: Any
) -> None:
    one = write_profile(profile_dict([STYLE], PASSING_PROJECT), "single/tunewise.yaml")
    for target in (one, tree):
        json.loads(run_cli("check", str(target), "--format", fmt).out)


def test_check_reports_name_the_rule_set(tree: Path) -> None:
    data = json.loads(run_cli("check", str(tree), "--format", "json").out)
    assert data["rules"]["name"] == "default" and len(data["rules"]["sha256"]) == 64
    sarif = json.loads(run_cli("check", str(tree), "--format", "sarif").out)
    assert sarif["runs"][0]["properties"]["rules"]["name"] == "default"
    assert "rules: default 2.0.0 (sha256 " in run_cli("check", str(tree)).out
