"""Every condition, value and branch of a rule set, compiled, says what `Context` says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.condition_forms import answer_sets, extended_rules

from tunewise.closures import MISSING, Compiler
from tunewise.compiled import (
    AllOf,
    AnswerRef,
    AnyOf,
    Branch,
    Compare,
    Lookup,
    NotOf,
    ParamRef,
    Scaled,
)
from tunewise.conditions import Context, Unknown
from tunewise.engine import _takes
from tunewise.rules import LoadedRules, load_rules, walk_records

CONDITIONS = (Compare, AllOf, AnyOf, NotOf)
VALUES = (ParamRef, AnswerRef, Lookup, Scaled)


@pytest.fixture(scope="module")
def extended(tmp_path_factory: Any) -> LoadedRules:
    return extended_rules(Path(tmp_path_factory.mktemp("rules")))


def parts(rules: LoadedRules) -> dict[str, list[Any]]:
    """Every condition (nested ones too), value expression and branch in the rule set."""
    found: dict[str, list[Any]] = {"conditions": [], "values": [], "branches": []}
    for _, obj in walk_records(rules.model):
        if isinstance(obj, CONDITIONS):
            found["conditions"].append(obj)
        elif isinstance(obj, VALUES):
            found["values"].append(obj)
        elif isinstance(obj, Branch):
            found["branches"].append(obj)
    return found


def assert_same(rules: LoadedRules, answers: dict[str, Any]) -> None:
    compiler = Compiler(rules.model, rules.params)
    ctx = Context(rules.model, rules.params, answers, explain=False)
    found = parts(rules)
    for cond in found["conditions"]:
        assert compiler.test_of(cond)(answers) is ctx.test(cond).value, cond
    for expr in found["values"]:
        expected, got = ctx.value(expr), compiler.value_of(expr)(answers)
        assert (got is MISSING) == isinstance(expected, Unknown), expr
        if got is not MISSING:
            assert got == expected and type(got) is type(expected), expr
    for branch in found["branches"]:
        for value in {answers.get(q.id) for q in rules.model.questions} - {None}:
            assert compiler.branch_test(branch)(value, answers) is _takes(ctx, branch, value)


def test_the_rule_sets_have_every_form(rules: LoadedRules, extended: LoadedRules) -> None:
    kinds = {type(p) for group in parts(extended).values() for p in group}
    assert set(CONDITIONS) | set(VALUES) <= kinds
    assert any(b.range is not None for b in parts(extended)["branches"])
    assert parts(rules)["conditions"]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_default_rules(data: Any) -> None:
    rules = load_rules()
    assert_same(rules, data.draw(answer_sets(rules)))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_form(extended: LoadedRules, data: Any) -> None:
    assert_same(extended, data.draw(answer_sets(extended)))
