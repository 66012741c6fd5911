"""What would change this: found from the rule set's thresholds, smallest sets first."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSING_PROJECT

from tunewise.conditions import Context
from tunewise.decision import WhatIf
from tunewise.engine import run_check, walk_need
from tunewise.rules import LoadedRules, load_rules
from tunewise.whatif import candidates, search

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
    assert {("gpu_vram_gb", 9.3)} in found and {("data_may_leave", True)} in found


def test_facts_cannot_become_fine_tune(rules: LoadedRules) -> None:
    answers = {"kind": "facts", "fits_in_prompt": False, "changes": "never"}
    assert options(rules, answers, "fine-tune") == []


def test_fine_tune_need_shows_what_would_take_it_away(rules: LoadedRules) -> None:
    found = options(rules, {**PASSING_PROJECT, **STYLE}, None)
    assert {("prompting", "untried")} in texts(found)
    assert {("examples", 499)} in texts(found)
    assert all(len(w.changes) == 1 for w in found)


def test_kind_is_never_suggested(rules: LoadedRules) -> None:
    assert all(c.question != "kind" for c in candidates(rules, {**PASSING_PROJECT, **STYLE}))


def test_thresholds_follow_parameters() -> None:
    strict = load_rules(None, ["min_examples=800"])
    found = options(strict, {**PASSING_PROJECT, **STYLE, "examples": 120}, "fine-tune")
    assert texts(found)[0] == {("examples", 800)}


def test_undecided_needs_get_no_suggestions(rules: LoadedRules) -> None:
    assert options(rules, dict(STYLE), "fine-tune") == []


def test_untried_prompting_points_at_the_checks(rules: LoadedRules) -> None:
    found = options(rules, {"kind": "format", "prompting": "untried"}, "fine-tune")
    assert len(found) == 1 and found[0].approach == "undecided"
    assert found[0].changes[0].new == "failed" and "examples" in found[0].missing


def test_pruning_never_changes_the_answer(
    rules: LoadedRules, tmp_path: Any, monkeypatch: Any
) -> None:
    """The pruner only skips change sets that cannot matter: the exhaustive search agrees."""
    import itertools
    import sys
    from pathlib import Path

    import tunewise.whatif as whatif
    from tunewise.profile import load_profile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from generate import generate  # type: ignore[import-not-found]

    class Exhaustive:
        """Tries everything, judging checks with the engine's own walk."""

        def __init__(self, rules: Any, fast: Any, answers: Any, current: Any) -> None:
            self.rules, self.answers, self.current = rules, answers, current

        def pairs(self, pool: list[Any]) -> Any:
            return (p for p in itertools.combinations(pool, 2) if p[0].question != p[1].question)

        def may_change(self, *_: Any) -> bool:
            return True

        def fix_each_check(self, singles: list[Any]) -> tuple[Any, ...]:
            checks = {
                c.id: c
                for n in self.rules.model.tree.nodes
                if hasattr(n, "checks")
                for c in n.checks
            }
            fixes: list[Any] = []
            for failed in self.current.failed_checks:
                fix = next((c for c in singles if self.fixes(checks[failed.id], c)), None)
                if fix is None:
                    return ()
                fixes += [fix] if fix not in fixes else []
            return tuple(fixes)

        def fixes(self, check: Any, change: Any) -> bool:
            answers = {**self.answers, change.question: change.new}
            ctx = Context(self.rules.model, self.rules.params, answers, explain=False)
            return run_check(ctx, check).status in ("pass", "n/a")

    cases = []
    for path in generate(tmp_path, 150, seed=11):
        profile = load_profile(path, rules.model)
        for need in profile.needs:
            answers = {**profile.project, **need.answers}
            cases.append((answers, walk_need(rules, answers)))
    pruned = [search(rules, a, r, "fine-tune") for a, r in cases]
    monkeypatch.setattr(whatif, "_Pruner", Exhaustive)
    exhaustive = [search(rules, a, r, "fine-tune") for a, r in cases]
    assert pruned == exhaustive
    assert sum(1 for found in pruned if found) > 50
