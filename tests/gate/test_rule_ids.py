"""Every rule id a report prints is registered once, explained by `tunewise explain`."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, PASSING_PROJECT, ROOT, profile_dict, run_cli
from tunewise.gate.claims import EVIDENCE_RULES
from tunewise.gate.rule_ids import FIXED, all_gate_rules, gate_rule
from tunewise.ruleset.load import LoadedRules

SOON = (dt.date.today() + dt.timedelta(days=60)).isoformat()  # inside the waiver horizon
STYLE = {"id": "tone", "kind": "style", "prompting": "failed"}
WAIVER = {
    "reason": "Approved in the architecture review for a client contract.",
    "approved_by": "jane.doe",
}


def _profiles(folder: Path) -> None:
    """Profiles that between them raise every kind of finding the gate has."""
    cases: dict[str, Any] = {
        "mismatch": profile_dict([{"id": "a", "kind": "general"}], proposal="rag"),
        "checks": profile_dict([STYLE], {**PASSING_PROJECT, "examples": 10}, proposal="fine-tune"),
        "leaf": profile_dict([{**STYLE, "prompting": "untried"}], proposal="fine-tune"),
        "missing": profile_dict([STYLE], proposal="fine-tune"),
        "expired": profile_dict(
            [{**STYLE, "prompting": "untried"}],
            proposal="fine-tune",
            waiver={**WAIVER, "expires": "2020-01-01"},
        ),
        "expiring": profile_dict(
            [{**STYLE, "prompting": "untried"}],
            proposal="fine-tune",
            waiver={**WAIVER, "expires": (dt.date.today() + dt.timedelta(days=5)).isoformat()},
        ),
        "out-of-scope": profile_dict(
            [{**STYLE, "prompting": "untried"}, {"id": "other", "kind": "general"}],
            proposal="fine-tune",
            waiver={**WAIVER, "expires": SOON, "needs": ["other"]},
        ),
        "incomplete": profile_dict(
            [{**STYLE, "prompting": "untried"}],
            proposal="fine-tune",
            waiver={**WAIVER, "approved_by": "", "expires": SOON},
        ),
        "unreadable": profile_dict(
            [STYLE], PASSING_PROJECT, proposal="fine-tune", evidence={"dataset": "nope.jsonl"}
        ),
        "undecided": profile_dict([{"id": "law", "kind": "domain", "changes": "rarely"}]),
        "overclaim": profile_dict(
            [STYLE], PASSING_PROJECT, proposal="fine-tune", evidence={"dataset": "small.jsonl"}
        ),
        **_evidence_cases(),
    }
    for name, data in cases.items():
        (folder / f"{name}.tunewise.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (folder / "small.jsonl").write_text('{"prompt": "a", "completion": "b"}\n', encoding="utf-8")
    (folder / "dupes.jsonl").write_text('{"text": "same"}\n' * 4, encoding="utf-8")
    (folder / "bad.jsonl").write_text("nope\n", encoding="utf-8")
    (folder / "evals.json").write_text('{"passed": 9, "total": 10}', encoding="utf-8")
    (folder / "invalid.tunewise.yaml").write_text("tunewise: 2\n", encoding="utf-8")


def _evidence_cases() -> dict[str, Any]:
    """Profiles whose evidence contradicts, lacks or cannot support their claims."""

    def with_evidence(need: dict[str, Any], **evidence: Any) -> dict[str, Any]:
        project = {**PASSING_PROJECT, "examples": 1, "max_seq_tokens": 1}
        return profile_dict([need], project, proposal="fine-tune", evidence=evidence)

    report = {"report": "evals.json", "target": 0.5}
    return {
        "dupes": with_evidence(STYLE, dataset="dupes.jsonl"),
        "no-valid": with_evidence(STYLE, dataset="bad.jsonl"),
        "leak": with_evidence(STYLE, dataset="small.jsonl", eval_set="small.jsonl"),
        "unpaired": with_evidence(STYLE, eval_set="small.jsonl"),
        "contradicted": with_evidence(STYLE, prompting=report),
        "below": with_evidence({**STYLE, "prompting": "works"}, prompting={**report, "target": 1}),
        "required": profile_dict([STYLE], PASSING_PROJECT, proposal="fine-tune"),
    }


def test_explain_accepts_every_id_a_report_prints(tmp_path: Path) -> None:
    _profiles(tmp_path)
    printed: set[str] = set()
    for where, extra in ((tmp_path, ["--require-evidence", "prompting"]), (EXAMPLES, [])):
        report = json.loads(run_cli("check", str(where), "--format", "json", *extra).out)
        printed |= {f["rule"] for file in report["files"] for f in file["findings"]}
    # Every fixed id but one these profiles raise (root reads every folder; the evidence ids
    # have their own profiles in test_evidence*, a rule-set gap its own rule set in
    # test_judge); all of them are explained below anyway.
    skipped = {"folder-unreadable", "evidence-measured", "rule-set-gap"}
    expected = set(FIXED) - skipped - set(EVIDENCE_RULES)
    assert expected <= printed, expected - printed
    assert any(r.startswith("check/") for r in printed)
    assert any(r.startswith("leaf/") for r in printed)
    for rule in sorted(printed):
        result = run_cli("explain", rule)
        assert result.code == 0, (rule, result.err)
        assert result.out.startswith(f"report rule {rule} ")


def test_every_rule_of_the_rule_set_is_listed_and_explained(rules: LoadedRules) -> None:
    listed = all_gate_rules(rules.model)
    ids = [r.id for r in listed]
    assert len(ids) == len(set(ids)) and set(FIXED) <= set(ids)
    for rule in listed:
        assert rule.title and rule.help.endswith("."), rule
        assert gate_rule(rule.id, rules.model) == rule
        assert run_cli("explain", rule.id).code == 0, rule.id
    assert gate_rule("check/no-such-check", rules.model) is None
    assert gate_rule("leaf/fine-tune-justified", rules.model) is not None


def _literal_rule_ids() -> set[str]:
    """Rule ids written as literals where findings are made: in the `rule=` of any call (the
    record `Problem(...)` and the helpers that make one) and in assignments to a variable
    called `rule`."""
    found: set[str] = set()
    for module in (ROOT / "src" / "tunewise").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call):
                values += [k.value for k in node.keywords if k.arg == "rule"]
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == "rule":
                        values.append(node.value)
                    if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                        values += [
                            v
                            for t, v in zip(target.elts, node.value.elts, strict=False)
                            if isinstance(t, ast.Name) and t.id == "rule"
                        ]
            for value in values:
                found |= _texts(value)
    return found


def _texts(value: ast.expr) -> set[str]:
    """The ids an expression can give: a literal, either side of a conditional, or the fixed
    start of an f-string (`check/` of f"check/{check.id}")."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.IfExp):
        return _texts(value.body) | _texts(value.orelse)
    if isinstance(value, ast.JoinedStr) and value.values:
        return _texts(value.values[0])
    return set()


def test_every_literal_rule_id_in_the_code_is_registered() -> None:
    literals = _literal_rule_ids()
    assert {"invalid-profile", "not-fine-tune", "evidence-overclaim", "waiver-expired"} <= literals
    families = {"check/", "leaf/"}
    unregistered = {r for r in literals if r not in FIXED and r not in families}
    assert not unregistered, f"add these to tunewise.gate.rule_ids.FIXED: {sorted(unregistered)}"


@pytest.mark.parametrize("rule", sorted(FIXED))
def test_fixed_ids_follow_the_naming(rule: str) -> None:
    assert rule == rule.lower() and " " not in rule and "_" not in rule
