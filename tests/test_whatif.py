"""What would change this: found from the rule set's thresholds, smallest sets first."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSING_PROJECT

from tunewise.decision import WhatIf
from tunewise.engine import walk_need
from tunewise.rules import LoadedRules, load_rules
from tunewise.whatif import search

STYLE = {"kind": "style", "prompting": "failed"}


def options(rules: LoadedRules, answers: dict[str, Any], target: str | None) -> list[WhatIf]:
    return search(rules, answers, walk_need(rules, answers), target)


def texts(found: list[WhatIf]) -> list[set[tuple[str, Any]]]:
    return [{(c.question, c.new) for c in w.changes} for w in found]


def test_single_change_at_the_threshold(rules: LoadedRules) -> None:
    found = options(rules, {**PASSING_PROJECT, **STYLE, "examples": 120}, "fine-tune")
    assert texts(found)[0] == {("examples", 500)}
    change = found[0].changes[0]
    assert (change.relation, change.limit) == ("≥", 500)


def test_pairs_when_two_checks_fail(rules: LoadedRules) -> None:
    answers = {**PASSING_PROJECT, **STYLE, "examples": 300, "eval_plan": False}
    found = options(rules, answers, "fine-tune")
    assert texts(found)[0] == {("examples", 500), ("eval_plan", True)}


def test_one_fix_per_failing_check_beyond_pairs(rules: LoadedRules) -> None:
    answers = {
        **PASSING_PROJECT,
        **STYLE,
        "examples": 300,
        "eval_plan": False,
        "can_maintain": False,
        "stage": "prototype",
    }
    found = options(rules, answers, "fine-tune")
    assert len(found) == 1 and found[0].approach == "fine-tune"
    assert {c.question for c in found[0].changes} == {
        "examples",
        "eval_plan",
        "can_maintain",
        "stage",
    }


def test_derived_threshold_for_gpu_memory(rules: LoadedRules) -> None:
    answers = {
        **PASSING_PROJECT,
        **STYLE,
        "data_may_leave": False,
        "model_params_b": 13,
        "gpu_vram_gb": 8,
    }
    found = texts(options(rules, answers, "fine-tune"))
    # QLoRA of 13B: 13 × 0.6 + 2 = 9.8 GB; on 8 GB at most (8 - 2) / 0.6 = 10B fits
    assert {("gpu_vram_gb", 9.8)} in found and {("data_may_leave", True)} in found
    assert {("model_params_b", 10.0)} in found


def test_facts_cannot_become_fine_tune(rules: LoadedRules) -> None:
    answers = {"kind": "facts", "fits_in_prompt": False, "changes": "never"}
    assert options(rules, answers, "fine-tune") == []


def test_fine_tune_need_shows_what_would_take_it_away(rules: LoadedRules) -> None:
    found = options(rules, {**PASSING_PROJECT, **STYLE}, None)
    assert {("prompting", "untried")} in texts(found)
    assert {("data_quality", "unknown")} in texts(found)
    # never less data: a fine-tune is not taken away by throwing examples out
    assert all(c.question != "examples" for w in found for c in w.changes)
    assert all(len(w.changes) == 1 for w in found)


def test_thresholds_follow_parameters() -> None:
    strict = load_rules(None, ["min_examples=800"])
    found = options(strict, {**PASSING_PROJECT, **STYLE, "examples": 120}, "fine-tune")
    assert texts(found)[0] == {("examples", 800)}


def test_undecided_needs_get_no_suggestions(rules: LoadedRules) -> None:
    assert options(rules, dict(STYLE), "fine-tune") == []


def test_untried_prompting_points_at_the_checks(rules: LoadedRules) -> None:
    found = options(rules, {"kind": "style", "prompting": "untried"}, "fine-tune")
    assert len(found) == 1 and found[0].approach == "undecided"
    assert found[0].changes[0].new == "failed" and "examples" in found[0].missing
