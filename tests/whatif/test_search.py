"""What would change this: found from the rule set's thresholds, smallest sets first."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSING_PROJECT
from tunewise.engine.decision import WhatIf
from tunewise.engine.evaluator import Budget
from tunewise.engine.walk import walk_need
from tunewise.ruleset.load import LoadedRules, load_rules
from tunewise.whatif.search import search

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


def test_the_search_is_bounded_and_says_when_it_stopped(rules: LoadedRules) -> None:
    """Hardening: a search walks within its budget of steps, and reports running out."""
    answers = {**PASSING_PROJECT, **STYLE, "data_quality": "low", "can_maintain": False}
    current = walk_need(rules, answers)
    full = Budget()
    assert search(rules, answers, current, "fine-tune", full)
    assert not full.stopped and full.limit - full.left < 3_000
    small = Budget(40)
    found = search(rules, answers, current, "fine-tune", small)
    assert small.stopped and small.left <= 0
    assert small.limit - small.left < 40 + len(rules.model.tree.nodes) + 1  # one walk over
    assert len(found) <= len(search(rules, answers, current, "fine-tune"))


def test_a_thousand_questions_deep_stops_at_the_bound(tmp_path: Any) -> None:
    """Hardening: 1,000 questions in front of the tree made millions of pairs, each walked
    1,000 nodes deep (minutes per profile); the search now spends at most its budget."""
    import sys
    from pathlib import Path

    import yaml

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from generate import chained_rules  # type: ignore[import-not-found]

    from tunewise.ruleset.load import default_rules_path

    data = chained_rules(yaml.safe_load(default_rules_path().read_text(encoding="utf-8")), 1000)
    path = tmp_path / "deep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    deep = load_rules(path)
    answers = {**PASSING_PROJECT, **STYLE, "can_maintain": False}
    answers.update({f"q{i}": True for i in range(1000)})
    budget = Budget()
    search(deep, answers, walk_need(deep, answers), None, budget)
    assert budget.stopped and budget.limit - budget.left <= budget.limit + 1002


def test_the_reports_say_when_the_search_stopped(
    monkeypatch: Any, tmp_path: Any, write_profile: Any
) -> None:
    from tests.conftest import EXAMPLES, run_cli
    from tunewise.engine import evaluator as outcomes

    monkeypatch.setattr(outcomes, "MAX_STEPS", 30)
    example = str(EXAMPLES / "instruction-following.tunewise.yaml")
    text = run_cli("advise", example).out
    assert "stopped after 30 steps" in " ".join(text.split())
    assert '"what_if_stopped_after": 30' in run_cli("advise", example, "--format", "json").out
    assert "stopped after 30 steps" in run_cli("advise", example, "--format", "markdown").out
    checked = run_cli("check", example)
    assert "search stopped (30 steps)" in checked.out


def test_needs_with_the_same_answers_share_one_search(rules: LoadedRules, monkeypatch: Any) -> None:
    """A profile of thousands of identical needs (a hostile pull request) costs one search."""
    from tunewise.engine.walk import decide
    from tunewise.inputs.profile import NeedAnswers, Profile
    from tunewise.whatif import search as whatif

    needs = [NeedAnswers(f"n{i}", "", {"kind": "style", "prompting": "failed"}) for i in range(500)]
    needs.append(NeedAnswers("other", "", {"kind": "general"}))
    profile = Profile(needs=needs, project={**PASSING_PROJECT, "examples": 200})
    calls = []
    real = whatif.search

    def counting(*args: Any) -> list[WhatIf]:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(whatif, "search", counting)
    decision = decide(rules, profile.needs, profile.project, None)
    whatif.annotate(rules, profile, decision)
    assert len(calls) == 2
    first = decision.needs[0].what_if
    assert first and all(need.what_if == first for need in decision.needs[:500])
    assert decision.needs[0].what_if is not decision.needs[1].what_if  # each need its own list


def test_a_change_to_what_a_branch_bound_reads_is_tried(tmp_path: Any) -> None:
    """`examples ≥ target` leads to fine-tuning: lowering the target moves the path as raising
    the examples does, although the path never asks for the target (the pruner keeps it)."""
    from tests.small_rules import leaf, question, rule_set, write

    branches = [
        {"range": {"ge": {"answer": "target"}}, "goto": "tuned"},
        {"otherwise": True, "goto": "prompted"},
    ]
    ask = {"type": "ask", "id": "n", "title": "Enough?", "ask": "examples", "branches": branches}
    data = rule_set(
        [question("examples", min=0), question("target", min=0)],
        [ask, leaf("tuned", "fine-tune"), leaf("prompted")],
    )
    rules = load_rules(write(tmp_path, data))
    found = texts(options(rules, {"examples": 100, "target": 500}, "fine-tune"))
    assert {("examples", 500)} in found and {("target", 100)} in found
