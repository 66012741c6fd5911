"""Candidate changes: from the rule set's own thresholds, shared where they can be."""

from __future__ import annotations

import random
from typing import Any

import tunewise.whatif.candidates as module
from tests.conftest import PASSING_PROJECT
from tunewise.engine.evaluator import outcomes_for
from tunewise.ruleset.load import LoadedRules, load_rules
from tunewise.ruleset.records import Question
from tunewise.whatif.candidates import candidates

STYLE = {"kind": "style", "prompting": "failed"}


def test_kind_is_never_suggested(rules: LoadedRules) -> None:
    assert all(c.question != "kind" for c in candidates(rules, {**PASSING_PROJECT, **STYLE}))


def test_numeric_changes_sit_at_the_thresholds(rules: LoadedRules) -> None:
    found = {
        (c.new, c.relation)
        for c in candidates(rules, {**PASSING_PROJECT, **STYLE, "examples": 120})
        if c.question == "examples"
    }
    # min_examples 500 only: messages (overfit_examples) and the typical-cost bands (a warning)
    # cannot change an outcome, and fewer examples are never suggested
    assert found == {(500, "≥")}


def test_lists_are_shared_by_answer_but_not_across_a_scaled_bound(rules: LoadedRules) -> None:
    """A question compared with a bound other answers decide (gpu memory against the model
    size) gets fresh changes; the others are made once per answer and shared."""
    small = {**PASSING_PROJECT, **STYLE, "model_params_b": 7, "gpu_vram_gb": 8}
    large = {**small, "model_params_b": 70}

    def of(answers: dict[str, Any], qid: str) -> list[Any]:
        return [c for c in candidates(rules, answers) if c.question == qid]

    assert {c.new for c in of(small, "gpu_vram_gb")} != {c.new for c in of(large, "gpu_vram_gb")}
    first, again = of(small, "examples"), of(large, "examples")
    assert first == again and all(a is b for a, b in zip(first, again, strict=True))


def test_sharing_is_bounded(monkeypatch: Any) -> None:
    rules = load_rules(None, ["min_examples=501"])  # its own compiled form and lists
    monkeypatch.setattr(module, "MAX_SHARED", 5)
    fresh = [candidates(rules, {**STYLE, "examples": n}) for n in range(40)]
    fast = outcomes_for(rules.model, rules.params)
    bounds = module.numeric_bounds(fast)
    assert len(bounds.by_answer) <= 5 and len(bounds.made) <= 5 and len(bounds.values) <= 5
    assert [candidates(rules, {**STYLE, "examples": n}) for n in range(40)] == fresh


def test_curves_are_bounded(monkeypatch: Any) -> None:
    """Cost and memory curves are kept up to MAX_CURVES; past it they start afresh, and the
    changes found are the same."""
    rules = load_rules(None, ["min_examples=502"])  # its own compiled form and curves
    answers = [
        {**PASSING_PROJECT, **STYLE, "data_may_leave": False, "model_params_b": size}
        | {"gpu_vram_gb": vram, "budget_usd": budget}
        for size in (7, 13, 70)
        for vram in (8, 24, 80)
        for budget in (300, 15_000)
    ]
    expected = [candidates(rules, a) for a in answers]
    bounds = module.numeric_bounds(outcomes_for(rules.model, rules.params))
    assert len(bounds.curves) > 2
    bounds.forget()
    monkeypatch.setattr(module, "MAX_CURVES", 2)
    assert [candidates(rules, a) for a in answers] == expected
    assert len(bounds.curves) <= 2


def _number(kind: str = "number") -> Question:
    return Question(
        id="size",
        scope="project",
        type=kind,
        prompt="Size?",
        help="",
        choices=None,
        min=0,
        max=None,
        min_exclusive=False,
        default=None,
        optional=False,
        what_if=True,
        sources=[],
        need_override=False,
        never_lower=False,
        work={},
        help_by={},
    )


def _counted(bound: Any) -> tuple[Any, list[Any]]:
    calls: list[Any] = []

    def counted(answers: Any) -> Any:
        calls.append(answers)
        return bound(answers)

    return counted, calls


def test_search_stops_at_the_resolution_of_its_answer() -> None:
    # 100 >= 3 * size up to 33.33...: the largest passing answer is 33.3 (33 as an integer),
    # found in far fewer calls than the full STEPS bisection.
    for kind, edge in (("number", 33.3), ("integer", 33.0)):
        bound, calls = _counted(lambda answers: answers.get("size") * 3)
        curve = module._Curve(_number(kind), bound, {"size": 7})
        assert module._solve(_number(kind), 100, "ge", curve) == [(edge, "≤")]
        assert len(calls) < module.STEPS


def test_search_skips_a_bound_that_does_not_read_the_question() -> None:
    def bound(answers: Any) -> Any:  # reads the size only when not hosted
        return 5 if answers.get("hosted") else answers.get("size") * 3

    counted, calls = _counted(bound)
    curve = module._Curve(_number(), counted, {"hosted": True, "size": 7})
    assert module._solve(_number(), 100, "ge", curve) == []
    assert len(calls) == 1
    counted, calls = _counted(bound)
    curve = module._Curve(_number(), counted, {"hosted": False, "size": 7})
    assert module._solve(_number(), 100, "ge", curve) == [(33.3, "≤")]


def test_a_curve_is_searched_once_per_point_whatever_it_is_compared_with() -> None:
    """Budgets of 3,000 and 15,000 against the same cost curve: the second search evaluates
    only the points the first did not, and finds its own edge."""
    bound, calls = _counted(lambda answers: answers.get("size") * 3)
    curve = module._Curve(_number(), bound, {"size": 7})
    assert module._solve(_number(), 100, "ge", curve) == [(33.3, "≤")]
    first = len(calls)
    assert module._solve(_number(), 100, "ge", curve) == [(33.3, "≤")] and len(calls) == first
    assert module._solve(_number(), 1000, "ge", curve) == [(333.3, "≤")]
    fresh, fresh_calls = _counted(lambda answers: answers.get("size") * 3)
    module._solve(_number(), 1000, "ge", module._Curve(_number(), fresh, {"size": 7}))
    assert len(calls) - first < len(fresh_calls)  # the doubling points were shared


def _random_answers(rules: LoadedRules, rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in rules.model.questions:
        if rng.random() < 0.2:
            continue  # unanswered
        if question.type == "choice":
            answers[question.id] = rng.choice(question.values)
        elif question.type == "bool":
            answers[question.id] = rng.random() < 0.5
        else:
            low = question.min or 0
            answers[question.id] = rng.choice([low + 1, 7, 13, 48, 70, 500, 3000, 60000])
    return answers


def test_changes_read_no_answer_outside_what_they_are_shared_by(rules: LoadedRules) -> None:
    """Changes of a question compared with computed bounds are shared by the answers those
    bounds may read (`Bounds.depends`): any other answer must not change them."""
    fast = outcomes_for(rules.model, rules.params)
    bounds = module.numeric_bounds(fast)
    rng = random.Random(5)
    for _ in range(150):
        mine, theirs = _random_answers(rules, rng), _random_answers(rules, rng)
        for qid, reads in bounds.depends.items():
            question = rules.model.question(qid)
            crossed = {k: v for k, v in theirs.items() if k not in reads}
            crossed.update({k: mine[k] for k in reads if k in mine})
            bounds.forget()
            expected = module._changes(fast, bounds, question, mine.get(qid), mine)
            bounds.forget()
            assert module._changes(fast, bounds, question, crossed.get(qid), crossed) == expected


def test_a_cost_curve_off_its_route_is_not_searched() -> None:
    """Data that may leave is trained hosted: the cost reads no GPU memory, so the budget
    curve along it is recognised as flat from its first point (through the formulas' memos
    every bound seemed to read every answer it may read, and was searched to the ceiling)."""
    rules = load_rules()
    bounds = module.numeric_bounds(rules.outcomes)
    (budget,) = bounds.by_question["budget_usd"]
    question = rules.model.question("gpu_vram_gb")
    answers = {"data_may_leave": True, "examples": 1200, "model_params_b": 8, "gpu_vram_gb": 24}
    counted, calls = _counted(budget.along)
    curve = module._Curve(question, counted, answers)
    assert module._solve(question, 300, "ge", curve) == []
    assert len(calls) == 1
    answers["data_may_leave"] = False  # trained on our own GPU: its memory is read
    counted, calls = _counted(budget.along)
    curve = module._Curve(question, counted, answers)
    module._solve(question, 300, "ge", curve)
    assert curve.start[1] and len(calls) > 1


def test_the_search_for_candidates_skips_a_flat_curve() -> None:
    """Through `_thresholds`, as the search asks: off its route, the budget curve along GPU
    memory is never evaluated past its first point."""
    rules = load_rules()
    fast = rules.outcomes
    bounds = module.numeric_bounds(fast)
    bounds.forget()
    answers = {"data_may_leave": True, "examples": 1200, "model_params_b": 8, "gpu_vram_gb": 24}
    answers["budget_usd"] = 300
    module._thresholds(fast, bounds, answers, "gpu_vram_gb")
    flat = [c for key, c in bounds.curves.items() if key[0] == "gpu_vram_gb"]
    assert flat and all(not curve._points for curve in flat)
    bounds.forget()


def test_bounds_carry_a_plain_form_of_their_value() -> None:
    rules = load_rules()
    bounds = module.numeric_bounds(rules.outcomes)
    computed = [b for found in bounds.by_question.values() for b in found if b.reads]
    assert computed
    for bound in computed:
        answers = {"examples": 1200, "model_params_b": 8, "gpu_vram_gb": 24}
        answers.update(data_may_leave=False, monthly_spend_usd=2000, max_seq_tokens=4096)
        assert bound.along is not bound.value_of
        value = bound.value_of(answers)
        assert isinstance(value, (int, float)) and bound.along(answers) == value
