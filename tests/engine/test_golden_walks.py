"""The evaluator against recorded walks: every condition, value, branch and walk of the default
and an extended rule set, for seeded answer sets (see `tests/walk_cases.py`), plus properties of
its three-valued logic on any answers."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.condition_forms import answer_sets as drawn_answer_sets
from tests.condition_forms import extended_rules
from tests.walk_cases import answer_sets, parts
from tunewise.engine.compile import Unknown
from tunewise.engine.evaluator import outcomes_for
from tunewise.engine.walk import walk_need
from tunewise.errors import RuleSetError
from tunewise.ruleset.load import LoadedRules, load_rules
from tunewise.ruleset.records import ChecksNode

WALKS = Path(__file__).resolve().parents[1] / "golden" / "walks"
REGOLD = os.environ.get("TUNEWISE_REGOLD") == "1"
SETS = {"default": (100, 1), "extended": (200, 2)}


@pytest.fixture(scope="module")
def extended(tmp_path_factory: Any) -> LoadedRules:
    return extended_rules(Path(tmp_path_factory.mktemp("rules")))


def _plain(value: Any) -> Any:
    return {"missing": list(value.missing)} if isinstance(value, Unknown) else value


def walk_summary(rules: LoadedRules, answers: dict[str, Any]) -> dict[str, Any]:
    try:
        r = walk_need(rules, answers, "n", "d")
    except RuleSetError as exc:
        return {"error": exc.message}
    return {
        "approach": r.approach,
        "leaf": r.leaf,
        "path": r.path,
        "missing": r.missing,
        "checks": [
            [
                c.id,
                c.status,
                c.missing,
                c.message.text if c.message else None,
                [w.text for w in c.warnings],
            ]
            for c in r.checks
        ],
        "reasons": [c.text for c in r.reasons],
        "warnings": [c.text for c in r.warnings],
        "next_steps": [c.text for c in r.next_steps],
        "advice": [[a.id, a.value, a.reason.text] for a in r.advice],
        "optional_unanswered": r.optional_unanswered,
        "used": sorted(r.used),
    }


def record(rules: LoadedRules, answers: dict[str, Any]) -> dict[str, Any]:
    """What the evaluator says about every part of the rule set for these answers."""
    fast = outcomes_for(rules.model, rules.params)
    found = parts(rules)
    conditions = {where: _plain(fast.test(c, answers)) for where, c in found["conditions"]}
    values = {where: _plain(fast.value_of(e)(answers)) for where, e in found["values"]}
    branches = {}
    for where, branch in found["branches"]:
        node = rules.model.tree.nodes[int(where.split(".")[2])]
        if answers.get(node.ask) is not None:
            branches[where] = _plain(fast.branch_test(branch)(answers[node.ask], answers))
    return {
        "answers": answers,
        "conditions": conditions,
        "values": values,
        "branches": branches,
        "walk": walk_summary(rules, answers),
    }


def _rules(name: str, extended: LoadedRules) -> LoadedRules:
    return extended if name == "extended" else load_rules()


@pytest.mark.parametrize("name", sorted(SETS))
def test_recorded_walks(name: str, extended: LoadedRules) -> None:
    rules = _rules(name, extended)
    count, seed = SETS[name]
    path = WALKS / f"{name}.jsonl"
    actual = [record(rules, answers) for answers in answer_sets(rules, count, seed)]
    if REGOLD:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in actual]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    expected = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got["answers"] == want["answers"]
        # json makes 5.0 and 5 differ: compare as json does
        assert json.loads(json.dumps(got)) == want, got["answers"]


def test_the_recorded_answers_reach_every_form(extended: LoadedRules) -> None:
    """The recorded walks mean something only if their answers reach the extended parts."""
    rules = extended
    visited: set[str] = set()
    for answers in answer_sets(rules, *SETS["extended"]):
        try:
            visited |= set(walk_need(rules, answers).path)
        except RuleSetError:
            continue
    assert {"z0", "z1", "z2", rules.model.node("z1").on_pass} <= visited


def _assert_properties(rules: LoadedRules, answers: dict[str, Any]) -> None:
    fast = outcomes_for(rules.model, rules.params)
    for _, cond in parts(rules)["conditions"]:
        truth = fast.test(cond, answers)
        reads = set(fast.reads_of(cond))
        if isinstance(truth, Unknown):
            # what would settle it: unanswered questions the condition reads
            assert set(truth.missing) <= reads, cond
            assert all(answers.get(q) is None for q in truth.missing), cond
        else:
            assert truth in (True, False), cond
            # answers it does not read cannot change it
            others = {q.id: None for q in rules.model.questions if q.id not in reads}
            assert fast.test(cond, {**answers, **others}) is truth, cond
    try:
        slow = walk_need(rules, answers, explain=False)
    except RuleSetError as exc:
        for walk in (fast.approach, fast.trace):
            with pytest.raises(RuleSetError, match=re.escape(exc.message)):
                walk(answers)
        return
    assert fast.approach(answers) == slow.approach
    trace = fast.trace(answers)
    assert trace.approach == slow.approach
    assert trace.asked == frozenset(fast.path_questions(slow.path))
    assert [c.id for c in trace.failing] == [c.id for c in slow.failed_checks]
    assert trace.checked == any(isinstance(rules.model.node(n), ChecksNode) for n in slow.path)
    if slow.approach is None:  # an undecided walk names what it misses, all unanswered
        assert slow.missing and all(answers.get(q) is None for q in slow.missing)
    assert set(fast.path_questions(slow.path)) <= slow.used


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_properties_on_the_default_rules(data: Any) -> None:
    rules = load_rules()
    _assert_properties(rules, data.draw(drawn_answer_sets(rules)))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_properties_on_every_form(extended: LoadedRules, data: Any) -> None:
    _assert_properties(extended, data.draw(drawn_answer_sets(extended)))
