"""The one record for a located problem: its shape, its text, and every report that renders it."""

from __future__ import annotations

import dataclasses
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tunewise.engine.decision import RulesInfo
from tunewise.errors import InputError
from tunewise.gate.judge import FileResult, Summary
from tunewise.problems import Problem, dotted
from tunewise.reporters import CHECK_FORMATS, check_reporter

PLACED = Problem("p.yaml", "claims 900 examples", 7, 3, rule="evidence-overclaim")
# An input error judged by `check`: its field comes before its message in every report.
FIELDED = Problem(
    "p.yaml", "expected a whole number", 4, 12, field=("needs", 0, "examples"), rule="r"
)


def test_the_record_is_small_and_frozen() -> None:
    names = [f.name for f in dataclasses.fields(Problem)]
    assert names == ["file", "message", "line", "column", "field", "rule", "level"]
    bare = Problem("a.yaml", "broken")
    assert (bare.line, bare.column, bare.field, bare.rule, bare.level) == (
        None,
        None,
        None,
        None,
        "error",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        bare.line = 3  # type: ignore[misc]
    assert not hasattr(bare, "__dict__")  # slots: many are made by a large check
    assert Problem("a", "m", 1, 2) == Problem("a", "m", 1, 2)
    assert hash(Problem("a", "m", 1, 2)) == hash(Problem("a", "m", 1, 2))


@pytest.mark.parametrize(
    ("problem", "shown"),
    [
        (Problem("a.yaml", "broken"), "a.yaml: broken"),
        (Problem("a.yaml", "broken", 3), "a.yaml:3: broken"),
        (Problem("a.yaml", "broken", 3, 5), "a.yaml:3:5: broken"),
        (Problem("a.yaml", "broken", None, 5), "a.yaml: broken"),  # a column needs a line
        (FIELDED, "p.yaml:4:12: needs[0].examples: expected a whole number"),
        (Problem("a.yaml", "dup", 2, 1, field=("x",)), "a.yaml:2:1: x: dup"),
        (Problem("a.yaml", "top", 1, 1, field=()), "a.yaml:1:1: (top level): top"),
        (Problem("a\x1b.yaml", "bad\nline"), "a\\x1b.yaml: bad\\nline"),
    ],
)
def test_its_one_line_form(problem: Problem, shown: str) -> None:
    assert str(problem) == shown


def test_text_is_the_message_after_its_field() -> None:
    assert PLACED.text == PLACED.message
    assert FIELDED.text == "needs[0].examples: expected a whole number"
    assert dotted(("needs", 0, "ev\x00il")) == "needs[0].'ev\\x00il'"


def test_an_error_keeps_its_records_and_their_lines() -> None:
    exc = InputError(PLACED, lines=[PLACED, FIELDED])
    assert exc.problems == [PLACED, FIELDED]
    assert exc.lines == [str(PLACED), str(FIELDED)]
    assert InputError("plain").problems == []


def _check_report(name: str, *findings: Problem, status: str = "fail") -> str:
    stream = io.StringIO()
    reporter = check_reporter(name, stream, strict=False)
    result = FileResult("p.yaml", status, verdict="rag", proposal="fine-tune", findings=findings)  # type: ignore[arg-type]
    summary = Summary(rules=RulesInfo("default", "2.0", "0" * 64, "built-in"))
    summary.add(result)
    reporter.add(result)
    reporter.finish(summary)
    return stream.getvalue()


def _text(out: str) -> None:
    assert "p.yaml:7:3: error: claims 900 examples [evidence-overclaim]" in out
    assert "p.yaml:4:12: error: needs[0].examples: expected a whole number [r]" in out


def _json(out: str) -> None:
    first, second = json.loads(out)["files"][0]["findings"]
    assert first == {
        "level": "error",
        "message": "claims 900 examples",
        "rule": "evidence-overclaim",
        "line": 7,
        "column": 3,
    }
    assert second["message"] == "needs[0].examples: expected a whole number"
    assert (second["line"], second["column"]) == (4, 12)


def _junit(out: str) -> None:
    failure = ET.fromstring(out).find("./testsuite/testcase/failure")
    assert failure is not None and failure.text is not None
    assert "p.yaml:7:3: error: claims 900 examples [evidence-overclaim]" in failure.text
    assert "p.yaml:4:12: error: needs[0].examples: expected a whole number [r]" in failure.text


def _sarif(out: str) -> None:
    first, second = json.loads(out)["runs"][0]["results"]
    where = first["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == "p.yaml"
    assert (where["region"]["startLine"], where["region"]["startColumn"]) == (7, 3)
    assert first["ruleId"] == "evidence-overclaim" and first["level"] == "error"
    assert first["message"]["text"] == "claims 900 examples"
    assert second["message"]["text"] == "needs[0].examples: expected a whole number"
    region = second["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (4, 12)


def _github(out: str) -> None:
    assert (
        "::error file=p.yaml,line=7,col=3,title=tunewise evidence-overclaim::claims 900 examples"
    ) in out
    assert "::error file=p.yaml,line=4,col=12,title=tunewise r::needs[0].examples: " in out


def _markdown(out: str) -> None:
    assert "- **error** (line 7): claims 900 examples (`evidence-overclaim`)" in out
    # in file order; markdown's escaping keeps the brackets from making a link
    assert "- **error** (line 4): needs\\[0\\].examples: expected a whole number (`r`)\n- " in out


def _gitlab(out: str) -> None:
    first, second = json.loads(out)
    assert first["location"] == {"path": "p.yaml", "lines": {"begin": 7}}
    assert first["check_name"] == "evidence-overclaim" and first["severity"] == "major"
    assert first["description"] == "claims 900 examples"
    assert second["description"] == "needs[0].examples: expected a whole number"
    assert second["location"]["lines"] == {"begin": 4}


RENDERED: dict[str, Callable[[str], None]] = {
    "text": _text,
    "json": _json,
    "junit": _junit,
    "sarif": _sarif,
    "github": _github,
    "markdown": _markdown,
    "gitlab": _gitlab,
}


def test_every_check_format_is_covered_here() -> None:
    assert set(RENDERED) == set(CHECK_FORMATS)


@pytest.mark.parametrize("name", sorted(CHECK_FORMATS))
def test_every_check_format_renders_the_record_where_it_is(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # SARIF and GitLab paths are relative to the current folder
    RENDERED[name](_check_report(name, PLACED, FIELDED))


def test_reports_place_a_finding_at_its_own_file() -> None:
    """A finding names its file; reports place it there (a folder's error, a refused link)."""
    elsewhere = dataclasses.replace(PLACED, file="other.yaml")
    assert "other.yaml:7:3: error: claims 900 examples" in _check_report("text", elsewhere)
    assert "file=other.yaml,line=7,col=3" in _check_report("github", elsewhere)


def test_the_lint_report_renders_the_record() -> None:
    from tunewise.authoring.lint import LintReport
    from tunewise.reporters.lint_text import render_lint

    gap = Problem(
        "r.yaml", "node 'kind': no branch for kind = 'x'", 4, 9, ("tree", "nodes", 2), "gap"
    )
    info = RulesInfo("mine", "1.0", "0" * 64, "r.yaml")
    text = render_lint(LintReport(info, (gap,), 12))
    assert text.splitlines() == [
        "r.yaml:4:9: tree.nodes[2]: [gap] node 'kind': no branch for kind = 'x'",
        "rules mine 1.0: 1 defect",
    ]
    proven = render_lint(LintReport(info, (), 12, paths=3, proven=True))
    assert proven.endswith("(3 paths through the tree)\nrules mine 1.0: no defects\n")


def test_lint_defects_are_located_in_the_rule_file(tmp_path: Path) -> None:
    import yaml

    from tunewise.authoring.lint import lint
    from tunewise.ruleset.load import default_rules_path, load_rules

    data = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    data["sources"].append({**data["sources"][0], "id": "never-cited"})
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    report = lint(load_rules(path, keep_doc=True))
    (unused,) = [d for d in report.defects if d.rule == "unused-source"]
    assert unused.file == str(path) and unused.line and unused.column
    assert unused.field == ("sources", len(data["sources"]) - 1, "id")
    assert unused.message == "source 'never-cited' is never used"
