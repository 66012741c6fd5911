"""Every report format, parsed back: advise text/json/markdown, check's six formats, --output."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

from tests.conftest import EXAMPLES, PASSING_PROJECT, profile_dict, run_cli
from tests.poisoned_rules import assert_harmless, write_poisoned_rules

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
    waived = [r for r in results if r.get("properties", {}).get("waived")]
    assert waived and all(r["level"] == "note" for r in waived)
    assert not any("suppressions" in r for r in results)  # GitHub ignores them: open alerts


def _sarif_validator() -> Any:
    from jsonschema import Draft4Validator

    schema = json.loads(
        (Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text()
    )
    return Draft4Validator(schema)


def test_check_sarif_validates_and_has_what_github_requires(tree: Path, hostile: Path) -> None:
    """GitHub code scanning's required properties ("SARIF support for code scanning"), on top
    of the SARIF 2.1.0 schema itself (the OASIS errata version, shipped in tests/data)."""
    validator = _sarif_validator()
    for target in (tree, hostile):
        data = json.loads(run_cli("check", str(target), "--format", "sarif").out)
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == []
        assert data["$schema"] and data["version"] == "2.1.0" and data["runs"]
        run = data["runs"][0]
        driver = run["tool"]["driver"]
        assert driver["name"] == "tunewise" and driver["rules"]
        assert "pypi.org" not in json.dumps(driver)  # no made-up package page
        for rule in driver["rules"]:
            for key in ("shortDescription", "fullDescription"):
                assert 0 < len(rule[key]["text"]) <= 1024
            assert rule["id"] and rule["help"]["text"] and rule["help"]["markdown"]
        ids = [rule["id"] for rule in driver["rules"]]
        fingerprints = set()
        for result in run["results"]:
            assert result["message"]["text"] and result["level"] in ("error", "warning", "note")
            assert ids[result["ruleIndex"]] == result["ruleId"]
            location = result["locations"][0]["physicalLocation"]
            assert location["artifactLocation"]["uri"]
            assert set(location["region"]) == {"startLine", "startColumn", "endLine", "endColumn"}
            fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
            assert fingerprint not in fingerprints
            fingerprints.add(fingerprint)


def test_sarif_fingerprints_are_stable_across_runs_and_line_moves(write_profile: Any) -> None:
    def fingerprints(examples: int, padding: str) -> list[str]:
        path = write_profile(
            padding
            + yaml.safe_dump(
                profile_dict(
                    [STYLE], {**PASSING_PROJECT, "examples": examples}, proposal="fine-tune"
                )
            ),
            "fp/tunewise.yaml",
        )
        data = json.loads(run_cli("check", str(path), "--format", "sarif").out)
        return [
            r["partialFingerprints"]["primaryLocationLineHash"] for r in data["runs"][0]["results"]
        ]

    first = fingerprints(50, "")
    assert first == fingerprints(60, "# moved\n# down\n")


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


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "markdown", "text", "github", "gitlab"])
def test_nothing_found_writes_no_partial_report(tmp_path: Path, fmt: str) -> None:
    result = run_cli("check", str(tmp_path), "--format", fmt)
    assert result.code == 3 and result.out == "" and "no tunewise profiles" in result.err


@pytest.mark.parametrize("fmt", ["json", "sarif", "gitlab"])
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


# --- hostile input: nothing from a profile reaches column 0 or a terminal -------------------

INJECTED = (
    "\n##vso[task.setvariable variable=GATE]passed\n##vso[task.prependpath]/tmp/evil"
    "\n##teamcity[buildStatus status='SUCCESS']\n::add-mask::secret\n::stop-commands::tok"
    "\nPASS    forged.tunewise.yaml\r\x1b]0;owned\x07\x1b[2K\u2028\u202e\x85\x00\x0c\ufffe"
)
HOSTILE_WAIVER = {**WAIVER, "reason": WAIVER["reason"] + INJECTED, "approved_by": "cto" + INJECTED}
FORGED = ("##vso[", "##teamcity[", "::add-mask::", "::stop-commands::", "PASS    forged")


@pytest.fixture
def hostile(tmp_path: Path, write_profile: Any) -> Path:
    failing = {**PASSING_PROJECT, "examples": 50}
    write_profile(
        profile_dict(
            [{**STYLE, "description": "tone" + INJECTED}],
            failing,
            proposal="fine-tune",
            waiver=HOSTILE_WAIVER,
            name="team" + INJECTED,
        ),
        "waived/tunewise.yaml",
    )
    name = "x\n##vso[task.complete result=Succeeded]\n::add-mask::y\x1b[31m.tunewise.yaml"
    write_profile(profile_dict([STYLE], failing, proposal="fine-tune"), name)
    return tmp_path


def _assert_no_injection(out: str, allowed_commands: tuple[str, ...] = ()) -> None:
    assert not any(c in out for c in "\x1b\x00\x0c\x85\u2028\u202e\ufffe"), repr(out)
    assert "\r" not in out
    for line in out.splitlines():
        assert not line.startswith(FORGED), line
        if line.startswith("::"):
            assert line.startswith(allowed_commands), line


@pytest.mark.parametrize("fmt", ["text", "github", "markdown", "junit"])
def test_hostile_text_cannot_forge_lines_in_any_format(hostile: Path, fmt: str) -> None:
    result = run_cli("check", str(hostile), "--format", fmt)
    assert result.code == 1
    assert "waived" in result.out.lower() and "vso[" in result.out.replace("\\", "")  # shown
    _assert_no_injection(result.out, ("::error ", "::warning ", "::notice "))


def test_hostile_junit_is_well_formed_xml(hostile: Path) -> None:
    out = run_cli("check", str(hostile), "--format", "junit").out
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None and suite.get("tests") == "2"


def test_hostile_markdown_renders_as_text(hostile: Path, write_profile: Any) -> None:
    from markdown_it import MarkdownIt

    write_profile(
        profile_dict(
            [STYLE],
            {**PASSING_PROJECT, "examples": 50},
            proposal="fine-tune",
            waiver={
                **WAIVER,
                "reason": "</details> ## ✅ passed ![t](https://t.example/p.png) "
                "<details><summary>ok</summary> [x](https://e.example)",
            },
        ),
        "md/tunewise.yaml",
    )
    out = run_cli("check", str(hostile), "--format", "markdown").out
    html = MarkdownIt("commonmark").enable("table").render(out)
    assert "<img" not in html and "<a " not in html and "<details" not in html
    assert html.count("<h2>") == 1  # only the summary heading


def test_hostile_advise_text_and_markdown(write_profile: Any) -> None:
    path = write_profile(
        profile_dict(
            [{**STYLE, "description": "tone" + INJECTED}], PASSING_PROJECT, name="n" + INJECTED
        )
    )
    for fmt in ("text", "markdown"):
        result = run_cli("advise", str(path), "--format", fmt)
        assert result.code == 0 and "vso[" in result.out.replace("\\", "")
        _assert_no_injection(result.out)


def test_invalid_utf8_file_name_in_every_format(tmp_path: Path) -> None:
    import os

    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"caf\xe9.tunewise.yaml"), "wb") as handle:
        handle.write(b"tunewise: 1\nproposal: fine-tune\nneeds: [{id: a, kind: general}]\n")
    outputs = [f"{fmt}:{tmp_path / ('report.' + fmt)}" for fmt in ("junit", "markdown", "sarif")]
    for fmt in ("text", "json", "junit", "sarif", "github", "markdown"):
        args = ["check", str(tmp_path), "--format", fmt]
        result = run_cli(*args, *(a for o in outputs for a in ("--output", o)))
        assert result.code == 1, result.err
        if fmt in ("text", "github", "junit"):
            assert "caf\\xe9.tunewise.yaml" in result.out


# --- issue 15: reports terminals, editors and CI services read ------------------------------


def test_text_findings_are_path_line_col_sorted_by_line(tree: Path) -> None:
    out = run_cli("check", str(tree)).out
    bad = str(tree / "bad" / "tunewise.yaml")
    located = [line for line in out.splitlines() if line.startswith(bad + ":")]
    assert located and all(
        re.match(re.escape(bad) + r":\d+:\d+: (error|warning): .+ \[[a-z0-9/-]+\]$", line)
        for line in located
    )
    lines = [int(line[len(bad) + 1 :].split(":")[0]) for line in located]
    assert lines == sorted(lines)


def test_quiet_prints_only_failures_and_the_summary(tree: Path) -> None:
    out = run_cli("check", str(tree), "--quiet").out.splitlines()
    assert out[0].startswith("FAIL") and "bad" in out[0]
    assert not any(line.startswith(("PASS", "WAIVED")) for line in out)
    assert out[-1].startswith("tunewise check FAILED")


def test_strict_summary_counts_a_failing_pass_as_failed(write_profile: Any) -> None:
    """`--strict` said "1 passed, 0 failed" while failing."""
    path = write_profile(profile_dict([STYLE], PASSING_PROJECT, proposal="rag"))
    result = run_cli("check", str(path), "--strict")
    assert result.code == 1
    assert result.out.splitlines()[-1] == (
        "tunewise check FAILED (strict): 1 profile, 0 passed, 1 failed, 0 waived, 0 invalid"
    )
    assert (
        run_cli("check", str(path))
        .out.splitlines()[-1]
        .endswith("1 passed, 0 failed, 0 waived, 0 invalid")
    )


def test_junit_testcases_carry_file_and_time(tree: Path) -> None:
    root = ET.fromstring(run_cli("check", str(tree), "--format", "junit").out)
    cases = list(root.iter("testcase"))
    assert cases and all(c.get("file") == c.get("name") for c in cases)
    assert all(float(c.get("time", "x")) >= 0 for c in cases)
    assert float(root.get("time", "x")) >= 0


def test_check_json_v2_keys(tree: Path) -> None:
    data = json.loads(run_cli("check", str(tree), "--format", "json").out)
    assert data["format_version"] == 2
    findings = [f for file in data["files"] for f in file["findings"]]
    assert findings and all(
        {"level", "message", "rule", "line", "column"} <= set(f) for f in findings
    )


def test_gitlab_code_quality(tree: Path) -> None:
    """GitLab's Code Quality report: description, check_name, fingerprint, severity,
    location.path and location.lines.begin on every issue; unique fingerprints."""
    issues = json.loads(run_cli("check", str(tree), "--format", "gitlab").out)
    assert issues
    for issue in issues:
        assert issue["description"] and issue["check_name"]
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert {i["severity"] for i in issues if i["description"].startswith("Waived")} == {"info"}
    one = tree / "ok" / "tunewise.yaml"
    assert json.loads(run_cli("check", str(one), "--format", "gitlab").out) == []


def test_rich_markup_in_input_is_shown_as_typed(write_profile: Any) -> None:
    """Text reaches rich as Text, never as markup: no style, no terminal hyperlink."""
    name = "[link=https://evil.example]click[/link] [bold red]x[/]"
    path = write_profile(profile_dict([{**STYLE, "description": name}], PASSING_PROJECT, name=name))
    out = run_cli("advise", str(path)).out
    assert out.count("[link=https://evil.example]click[/link]") == 2


def test_dataset_report_escapes_its_file_name(tmp_path: Path) -> None:
    data = tmp_path / "x\n##vso[task.complete result=Succeeded]\x1b[2J.jsonl"
    data.write_text('{"prompt": "q", "completion": "a"}\nnot json\x1b]0;t\x07\n', encoding="utf-8")
    result = run_cli("data", str(data))
    _assert_no_injection(result.out)
    assert "##vso[task.complete" in result.out


def test_sarif_rules_say_what_explain_says(tree: Path, rules: Any) -> None:
    from tunewise.gate.rule_ids import gate_rule

    data = json.loads(run_cli("check", str(tree), "--format", "sarif").out)
    described = data["runs"][0]["tool"]["driver"]["rules"]
    assert described
    for rule in described:
        known = gate_rule(rule["id"], rules.model)
        assert known is not None, rule["id"]
        assert rule["shortDescription"]["text"] == known.title
        assert rule["fullDescription"]["text"] == known.help[:1024]
        assert run_cli("explain", rule["id"]).code == 0


@pytest.mark.parametrize("fmt", ["text", "github", "markdown"])
def test_skipped_folders_are_named_and_escaped(tree: Path, fmt: str) -> None:
    """A folder the search does not enter (here a VCS folder with a hostile name) is named
    in every human report, on one line."""
    (tree / "x\n##vso[task.complete result=Succeeded]" / ".git").mkdir(parents=True)
    out = run_cli("check", str(tree), "--format", fmt).out
    _assert_no_injection(out, ("::error ", "::warning ", "::notice "))
    line = next(line for line in out.splitlines() if "not searched" in line)
    assert "vso[task.complete" in line.replace("\\", "")


HOSTILE = [
    "x " * 30 + "##vso[task.setvariable variable=secret]pwned",
    "a\n##vso[task.setvariable variable=x]1\n::error::x\x1b[2J\u202e",
    "y " * 35 + "::add-mask::secret " + "z " * 30 + "PASS all checks",
]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_advise_text_never_lets_user_text_reach_column_0(write_profile: Any, width: int) -> None:
    # Issue 11: a wrapped line of a need's id or description stays indented, escaped text too.
    from tunewise.commands.advise import advise as advise_profile
    from tunewise.reporters.advice_text import render

    # ... and one that, unindented, would wrap exactly before the log command at this width
    hostile = [*HOSTILE, "x " * (width // 2 - 3) + "##vso[task.setvariable variable=secret]pwned"]
    needs = [
        {"id": f"n{i}", "description": text, "kind": "style", "prompting": "failed"}
        for i, text in enumerate(hostile)
    ]
    path = write_profile(profile_dict(needs, PASSING_PROJECT, name=HOSTILE[0]))
    decision = advise_profile(path, None, [])
    # Profiles only take slug ids; the reporter must not rely on that (ids reach it from
    # elsewhere too, e.g. the questionnaire), so hostile ones are set after the decision.
    for need, text in zip(decision.needs, hostile, strict=True):
        need.id = text
    out = render(decision, width=width)
    assert "##vso[task.setvariable variable=secret]pwned" in out.replace("\n", "")
    assert_harmless(out)


def test_advise_text_escapes_a_poisoned_rule_set(tmp_path: Path) -> None:
    # Reasons, advice, warnings, next steps and source titles come from the rule set.
    rules = str(write_poisoned_rules(tmp_path))
    for example in (LAW, str(EXAMPLES / "cost-with-spend.tunewise.yaml")):
        result = run_cli("advise", example, "--rules", rules, "--format", "text")
        assert result.code in (0, 4), result.err
        assert "\\x1b" in result.out
        assert_harmless(result.out)
