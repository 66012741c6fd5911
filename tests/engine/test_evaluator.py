"""Outcome-only walks agree with the explaining walk over the same compiled steps, on any
answers; each parameter set compiles its own form."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.condition_forms import answer_sets, extended_rules
from tests.conftest import PASSING_PROJECT
from tunewise.engine.evaluator import PASS, AskStep, Unknown, outcomes_for
from tunewise.engine.walk import walk_need
from tunewise.errors import RuleSetError
from tunewise.ruleset.load import LoadedRules, load_rules
from tunewise.ruleset.records import AskNode, ChecksNode, FormulaRef


@pytest.fixture(scope="module")
def extended(tmp_path_factory: Any) -> LoadedRules:
    return extended_rules(Path(tmp_path_factory.mktemp("rules")))


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
    checks = {
        c.id: c for n in rules.model.tree.nodes if isinstance(n, ChecksNode) for c in n.checks
    }
    for outcome in slow.checks:  # the checks the explaining walk reported, as check_ok sees them
        expected = outcome.status in ("pass", "n/a")
        assert fast.check_ok(checks[outcome.id], answers) == expected, outcome.id


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_default_rules_agree(data: Any) -> None:
    rules = load_rules()
    assert_agree(rules, data.draw(answer_sets(rules)))


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_every_condition_form_agrees(extended: LoadedRules, data: Any) -> None:
    assert_agree(extended, data.draw(answer_sets(extended)))


def test_a_text_answer_takes_the_branch_its_tests_take(extended: LoadedRules) -> None:
    """An ask node's lookup of text answers (`Compiler.text_branches`) leads where its branch
    tests lead, for every text its branches list, other texts and answers of other kinds."""
    looked_up = 0
    for rules in (load_rules(), extended):
        for step in rules.outcomes.steps.values():
            if not isinstance(step, AskStep):
                continue
            looked_up += step.by_text is not None
            texts = {o for b in step.records for o in b.when or () if isinstance(o, str)}
            for value in (*sorted(texts), "other", "", True, 1, 2.5, ["x"]):
                answers = {step.qid: value}
                tested = (t for takes, t, _ in step.branches if takes(value, answers))
                expected = next(tested, None)
                try:
                    found = step.follow(answers, None)
                except RuleSetError:  # no branch takes it
                    found = None
                assert found is expected, (step.id, value)
    assert looked_up >= 10  # most of the default tree's ask nodes


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
    answers = {"kind": "style", "prompting": "failed", **PASSING_PROJECT}
    assert outcomes_for(low.model, low.params).approach(answers) == "fine-tune"
    assert outcomes_for(high.model, high.params).approach(answers) == "prompt"


def test_remembered_values_are_the_function_s_whatever_they_are() -> None:
    """A remembered function gives its own value on a first call and after: None and other
    falsy values are remembered like any, and an answer that cannot be a key (a list) is
    passed through unremembered."""
    from tunewise.engine.compile import remembered

    calls: list[Any] = []

    def value_of(answers: Any) -> Any:
        a = answers.get("a")
        calls.append(a)
        return None if a == 1 else 0 if a == 2 else False if a == 3 else a

    cached = remembered(value_of, ("a",))
    for a in (1, 2, 3, "x", 1, 2, 3, "x"):
        assert cached({"a": a}) == value_of({"a": a})
    assert calls == [1, 1, 2, 2, 3, 3, "x", "x", 1, 2, 3, "x"]  # each computed once
    assert cached({"a": ["x"]}) == ["x"]


def test_a_remembered_verdict_tells_true_from_1() -> None:
    """Checks comparing with a computed value are remembered by the answers they read, their
    types included: `examples: true` is no number of examples, whatever `examples: 1` gave."""
    rules = load_rules(None, ["min_effort_usd=1"])  # a compiled form of its own
    budget = rules.outcomes.compiled_checks["within-budget"]
    answers = {**PASSING_PROJECT, "budget_usd": 10**9, "examples": 1}
    assert budget.verdict(answers) == PASS
    assert isinstance(budget.verdict({**answers, "examples": True}), Unknown)
    assert budget.verdict(answers) == PASS


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_remembered_verdicts_are_the_verdicts(data: Any) -> None:
    """Whatever was remembered before (and however often the memo started afresh), a check
    gives the verdict its conditions give."""
    import tunewise.engine.compile as compiler
    import tunewise.engine.evaluator as module

    rules = load_rules()
    kept, compiler.MAX_REMEMBERED = compiler.MAX_REMEMBERED, 3
    try:
        for compiled in rules.outcomes.compiled_checks.values():
            fresh = module.CompiledCheck(compiled.check, rules.outcomes)._verdict()
            for _ in range(3):
                answers = data.draw(answer_sets(rules))
                found, expected = compiled.verdict(answers), fresh(answers)
                assert type(found) is type(expected), compiled.check.id
                if isinstance(expected, Unknown):
                    assert found.missing == expected.missing
                else:
                    assert found == expected
    finally:
        compiler.MAX_REMEMBERED = kept


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_remembered_formulas_are_the_formulas(data: Any) -> None:
    """A named formula is remembered by the answers it reads: whatever came before (and
    however often its memo started afresh), its value is the one its expression gives."""
    import tunewise.engine.compile as compiler

    rules = load_rules()
    fast = rules.outcomes
    kept, compiler.MAX_REMEMBERED = compiler.MAX_REMEMBERED, 3
    try:
        for formula in rules.model.formulas:
            fresh = compiler.Compiler(rules.model, rules.params)
            expected_of = fresh.value_of(formula.value)  # its references remembered afresh
            for _ in range(3):
                answers = data.draw(answer_sets(rules))
                found, expected = fast.formula(formula.id)(answers), expected_of(answers)
                assert type(found) is type(expected), formula.id
                if isinstance(expected, Unknown):
                    assert found.missing == expected.missing
                else:
                    assert found == expected or (found != found and expected != expected)
    finally:
        compiler.MAX_REMEMBERED = kept


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_plain_formulas_are_the_remembered_ones(data: Any) -> None:
    """`Outcomes.plain` (no memos, for a curve's points) gives every formula's value as the
    remembered form does, on any answers."""
    rules = load_rules()
    fast = rules.outcomes
    for formula in rules.model.formulas:
        ref = FormulaRef(formula=formula.id)
        remembered_of, plain_of = fast.value_of(ref), fast.plain.value_of(ref)
        assert plain_of is not remembered_of
        for _ in range(3):
            answers = data.draw(answer_sets(rules))
            found, expected = plain_of(answers), remembered_of(answers)
            assert type(found) is type(expected), formula.id
            if isinstance(expected, Unknown):
                assert found.missing == expected.missing
            else:
                assert found == expected or (found != found and expected != expected)


def test_plain_formulas_keep_no_memo() -> None:
    """A named formula of the plain form is its compiled expression, not a memo of it."""
    rules = load_rules()
    fast, plain = rules.outcomes, rules.outcomes.plain
    assert fast.remember and not plain.remember
    ref = FormulaRef(formula="total_cost_usd")
    assert fast.value_of(ref).__name__ == "remembered"
    assert plain.value_of(ref).__name__ != "remembered"
    answers = {"examples": 1000, "data_may_leave": True, "model_params_b": 8}
    assert plain.value_of(ref)(answers) == fast.value_of(ref)(answers)


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_arithmetic_of_any_arity_waits_for_every_unknown_operand(count: int) -> None:
    """Two operands have a closure of their own (see `Compiler._arithmetic`): whatever the
    arity, a result is the operation's, and unknown operands all name what they need."""
    from tunewise.engine.compile import Compiler
    from tunewise.ruleset.records import AnswerRef, Product, Sum

    rules = load_rules()
    names = [f"q{i}" for i in range(count)]
    parts = [AnswerRef(answer=name) for name in names]
    compiler = Compiler(rules.model, rules.params)
    product = compiler.value_of(Product(product=parts))
    total = compiler.value_of(Sum(sum=[*parts, 0.5]))
    given = {name: i + 2 for i, name in enumerate(names)}
    assert product(given) == math.prod(given.values())
    assert total(given) == sum(given.values()) + 0.5
    assert product({}).missing == tuple(names) == total({}).missing
    assert product({**given, names[0]: "text"}).missing == ()  # a wrong operand: no answer helps


_VALUES = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=2),
    st.none(),
)


@settings(max_examples=500, deadline=None)
@given(_VALUES, st.sampled_from(["lt", "le", "gt", "ge", "eq", "ne"]), _VALUES)
def test_compare_orders_numbers_only_and_keeps_true_apart_from_1(
    left: Any, op: str, right: Any
) -> None:
    """`compare`, the one place saying how two values compare, against its definition:
    an order holds only between numbers (a boolean is not one); equality keeps true and 1
    apart."""
    from tunewise.engine.compile import compare

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def same(a: Any, b: Any) -> bool:
        return isinstance(a, bool) == isinstance(b, bool) and a == b

    import operator

    orders = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
    if op in orders:
        expected = number(left) and number(right) and bool(orders[op](left, right))
    else:
        expected = same(left, right) if op == "eq" else not same(left, right)
    assert compare(left, op, right) is expected
    with pytest.raises(ValueError):
        compare(left, "about", right)


def test_the_questions_that_may_turn_a_path_are_the_same_however_many_are_kept(
    monkeypatch: Any,
) -> None:
    """`Outcomes.turning` is kept per path, and starts afresh when too many are kept: the
    answer is the same either way; only checks a walk passed count (its last failing checks
    are weighed apart)."""
    import tunewise.engine.evaluator as module

    rules = load_rules()
    fast = rules.outcomes
    checks_node = next(n for n in rules.model.tree.nodes if isinstance(n, ChecksNode))
    passed = [rules.model.tree.start, checks_node.id, checks_node.on_pass]
    failed = [rules.model.tree.start, checks_node.id, checks_node.on_fail]
    expected = frozenset(q for c in checks_node.checks for q in fast.check_reads[c.id])
    monkeypatch.setattr(module, "MAX_PATHS_KEPT", 1)
    for _ in range(3):
        assert fast.turning(passed) == expected
        assert fast.turning(failed) == frozenset()
