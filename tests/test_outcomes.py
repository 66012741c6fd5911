"""Compiled outcome-only walks agree with the engine's explaining walk, on any answers."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tunewise.compiled import AskNode, ChecksNode
from tunewise.conditions import Context
from tunewise.engine import run_check, walk_need
from tunewise.errors import RuleSetError
from tunewise.outcomes import outcomes_for
from tunewise.rules import LoadedRules, default_rules_path, load_rules

# A front part for the default tree using what the default rules do not: numeric ranges with
# parameter, answer and scaled bounds, any/all/not, in/not_in over numbers and booleans,
# table lookups as bounds, `applies`, and a cycle-free fall-through to the usual tree.
EXTRA_QUESTIONS = [
    {"id": "z_num", "scope": "need", "type": "number", "prompt": "Z number?"},
    {"id": "z_int", "scope": "need", "type": "integer", "prompt": "Z integer?"},
    {"id": "z_flag", "scope": "need", "type": "bool", "prompt": "Z flag?"},
    {
        "id": "z_pick",
        "scope": "need",
        "type": "choice",
        "prompt": "Z pick?",
        "choices": [{"value": v, "meaning": v} for v in ("a", "b", "c")],
    },
]


def extra_nodes(start: str) -> list[dict[str, Any]]:
    reason = [{"text": "Because.", "sources": ["foundation"]}]
    no = [{"text": "No.", "sources": ["foundation"]}]
    return [
        {
            "type": "ask",
            "id": "z0",
            "ask": "z_num",
            "title": "Z0",
            "branches": [
                {"range": {"lt": {"param": "min_gain_pct"}}, "goto": "z1"},
                {
                    "range": {
                        "ge": {"param": "min_gain_pct"},
                        "lt": {"scaled": "z_int", "factor": 2, "plus": {"param": "no_gain_pct"}},
                    },
                    "goto": "z2",
                },
                {"range": {"gt": {"answer": "z_int"}, "le": 1000}, "goto": "z2"},
                {"otherwise": True, "goto": start, "reasons": reason},
            ],
        },
        {
            "type": "checks",
            "id": "z1",
            "title": "Z1",
            "pass": start,
            "fail": "z2",
            "checks": [
                {
                    "id": "z-any",
                    "title": "Z any",
                    "applies": {
                        "any": [
                            {"answer": "z_flag", "eq": True},
                            {"answer": "z_int", "in": [1, 3, 7]},
                        ]
                    },
                    "require": {
                        "not": {
                            "all": [
                                {"answer": "z_pick", "not_in": ["a"]},
                                {
                                    "answer": "z_int",
                                    "lt": {"lookup": "cost_band", "field": "low_usd"},
                                },
                            ]
                        }
                    },
                    "fail": no,
                },
                {
                    "id": "z-gt",
                    "title": "Z gt",
                    "require": {
                        "answer": "z_num",
                        "gt": {"scaled": "z_int", "factor": 0.5, "if_missing": 3},
                    },
                    "fail": no,
                },
                {
                    "id": "z-ne",
                    "title": "Z ne",
                    "require": {"answer": "z_flag", "ne": False},
                    "fail": no,
                },
            ],
        },
        {
            "type": "ask",
            "id": "z2",
            "ask": "z_pick",
            "title": "Z2",
            "branches": [
                {"when": ["a"], "goto": "general-prompt"},
                {"when": ["b", "c"], "goto": start},
            ],
        },
    ]


@pytest.fixture(scope="module")
def extended(tmp_path_factory: Any) -> LoadedRules:
    data = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["questions"] += EXTRA_QUESTIONS
    data["tree"]["nodes"] += extra_nodes(data["tree"]["start"])
    data["tree"]["start"] = "z0"
    path = Path(tmp_path_factory.mktemp("rules")) / "extended.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_rules(path)


def answer_values(question: Any) -> st.SearchStrategy[Any]:
    """Mostly valid answers; some booleans for numbers and numbers for booleans, since the
    engine keeps true apart from 1 and the compiled walk must too."""
    if question.type == "choice":
        return st.sampled_from(question.values)
    if question.type == "bool":
        return st.one_of(st.booleans(), st.sampled_from([0, 1]))
    if question.type == "integer":
        # near every threshold of the default rules, and small numbers for the extra tree
        return st.one_of(
            st.integers(-2, 12), st.sampled_from([99, 100, 500, 999, 1000, 5000]), st.booleans()
        )
    return st.one_of(
        st.booleans(),
        st.sampled_from([0, 0.5, 4, 5, 5.0, 9.99, 10, 15, 20, 25, 1000, 1000.5]),
        st.floats(-10, 2000, allow_nan=False),
    )


@st.composite
def answer_sets(draw: Any, rules: LoadedRules) -> dict[str, Any]:
    """Each question answered, missing, or explicitly None."""
    answers: dict[str, Any] = {}
    for question in rules.model.questions:
        pick = draw(st.integers(0, 5))
        if pick == 0:
            continue
        answers[question.id] = None if pick == 1 else draw(answer_values(question))
    return answers


def asked_on(rules: LoadedRules, result: Any) -> frozenset[str]:
    return frozenset(n.ask for n in map(rules.model.node, result.path) if isinstance(n, AskNode))


def assert_agree(rules: LoadedRules, answers: dict[str, Any]) -> None:
    fast = outcomes_for(rules.model, rules.params)
    try:
        slow = walk_need(rules, answers, explain=False)
    except RuleSetError as exc:  # e.g. a number where a yes/no belongs: no branch takes it
        for walk in (fast.approach, fast.trace):
            with pytest.raises(RuleSetError, match=re.escape(exc.message)):
                walk(answers)
        return
    assert fast.approach(answers) == slow.approach
    trace = fast.trace(answers)
    assert trace.approach == slow.approach
    assert trace.asked == asked_on(rules, slow)
    assert [c.id for c in trace.failing] == [c.id for c in slow.failed_checks]
    assert trace.checked == any(isinstance(rules.model.node(n), ChecksNode) for n in slow.path)
    ctx = Context(rules.model, rules.params, answers, explain=False)
    for node in rules.model.tree.nodes:
        if isinstance(node, ChecksNode):
            for check in node.checks:
                expected = run_check(ctx, check).status in ("pass", "n/a")
                assert fast.check_ok(check, answers) == expected, check.id


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_default_rules_agree(data: Any) -> None:
    rules = load_rules()
    assert_agree(rules, data.draw(answer_sets(rules)))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_every_condition_form_agrees(extended: LoadedRules, data: Any) -> None:
    assert_agree(extended, data.draw(answer_sets(extended)))


def test_the_extended_tree_reaches_every_node(extended: LoadedRules) -> None:
    """The differential test above means something only if answers reach the new parts."""
    visited: set[str] = set()
    for num in (0, 4, 6, 12, 30, 2000):
        for z_int in (None, 1, 3, 9):
            answers = {"z_num": num, "z_int": z_int, "z_pick": "b", "z_flag": True}
            visited |= set(walk_need(extended, answers, explain=False).path)
    assert {"z0", "z1", "z2", extended.model.node("z1").on_pass} <= visited


def test_parameters_are_compiled_in() -> None:
    """Each parameter set gets its own compiled form."""
    low, high = load_rules(None, ["min_examples=10"]), load_rules(None, ["min_examples=9000"])
    assert outcomes_for(low.model, low.params) is not outcomes_for(high.model, high.params)
    answers = {
        "kind": "style",
        "prompting": "failed",
        "stage": "production",
        "examples": 2400,
        "data_quality": "high",
        "expected_gain_pct": 30,
        "budget_usd": 15000,
        "ml_expertise": "some",
        "can_maintain": True,
        "eval_plan": True,
        "data_may_leave": True,
    }
    assert outcomes_for(low.model, low.params).approach(answers) == "fine-tune"
    assert outcomes_for(high.model, high.params).approach(answers) == "prompt"
