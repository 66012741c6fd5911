"""The pruner only skips change sets that cannot matter: an exhaustive search agrees."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tunewise.whatif.search as whatif
from tunewise.engine.decision import NeedResult
from tunewise.engine.evaluator import outcomes_for
from tunewise.engine.walk import walk_need
from tunewise.inputs.profile import load_profile
from tunewise.ruleset.load import LoadedRules
from tunewise.whatif.candidates import candidates
from tunewise.whatif.pruner import Pruner
from tunewise.whatif.search import search


def test_pruning_never_changes_the_answer(
    rules: LoadedRules, tmp_path: Any, monkeypatch: Any
) -> None:
    """The pruner only skips change sets that cannot matter: the exhaustive search agrees."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from generate import generate  # type: ignore[import-not-found]

    class Exhaustive:
        """Tries everything, judging checks with the evaluator's verdict."""

        def __init__(self, rules: Any, fast: Any, answers: Any, current: Any, *_: Any) -> None:
            self.rules, self.answers, self.current = rules, answers, current

        def unalterable(self) -> bool:
            return False  # every search is made in full

        def pairs(self, pool: list[Any]) -> Any:
            return (p for p in itertools.combinations(pool, 2) if p[0].question != p[1].question)

        def may_change(self, *_: Any) -> bool:
            return True

        def view_after(self, changes: Any) -> None:
            return None

        def moves(self, change: Any) -> bool:
            return False  # every single change is walked

        def worth_walking(self, changes: list[Any]) -> list[tuple[Any, bool]]:
            return [(c, False) for c in changes]

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
            return outcomes_for(self.rules.model, self.rules.params).check_ok(check, answers)

    cases = []
    for path in generate(tmp_path, 150, seed=11):
        profile = load_profile(path, rules.model)
        for need in profile.needs:
            answers = {**profile.project, **need.answers}
            cases.append((answers, walk_need(rules, answers)))
    pruned = [search(rules, a, r, "fine-tune") for a, r in cases]
    monkeypatch.setattr(whatif, "Pruner", Exhaustive)
    exhaustive = [search(rules, a, r, "fine-tune") for a, r in cases]
    assert pruned == exhaustive
    assert sum(1 for found in pruned if found) > 50


def generated_needs(
    rules: LoadedRules, folder: Path, count: int, seed: int
) -> Iterator[tuple[dict[str, Any], NeedResult]]:
    """Each need of `count` generated bench profiles: its answers and its walk."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from generate import generate

    for path in generate(folder, count, seed=seed):
        profile = load_profile(path, rules.model)
        for need in profile.needs:
            answers = {**profile.project, **need.answers}
            yield answers, walk_need(rules, answers)


def test_the_singles_worth_walking_are_those_that_may_change(
    rules: LoadedRules, tmp_path: Any
) -> None:
    """`worth_walking` keeps, in order, the single changes `may_change` keeps, each with what
    `moves` says of it: the same tests, made inline."""
    kept = 0
    for answers, current in generated_needs(rules, tmp_path, 150, seed=13):
        pruner = Pruner(rules, rules.outcomes, answers, current)
        singles = candidates(rules, answers)
        expected = [(c, pruner.moves(c)) for c in singles if pruner.may_change(c)]
        assert pruner.worth_walking(singles) == expected
        kept += len(expected)
    assert kept > 100


def test_a_search_no_change_can_alter_ends_before_its_candidates(
    rules: LoadedRules, tmp_path: Any, monkeypatch: Any
) -> None:
    """No failing check and only `what_if: false` questions on the path: the search ends
    empty without making candidates (`test_pruning_never_changes_the_answer`: the full search
    agrees)."""
    made: list[Any] = []
    monkeypatch.setattr(whatif, "candidates", lambda *a: made.append(a) or candidates(*a))
    ended = 0
    for answers, current in generated_needs(rules, tmp_path, 80, seed=19):
        if not current.decided or current.approach == "fine-tune":
            continue
        if not Pruner(rules, rules.outcomes, answers, current).unalterable():
            continue
        made.clear()
        assert search(rules, answers, current, "fine-tune") == [] and not made
        ended += 1
    assert ended > 5


def test_a_change_that_fails_a_passing_check_is_searched(tmp_path: Any) -> None:
    """A check that passes on the path, whose `on_fail` leads to fine-tuning: the change that
    makes it fail is found (the pruner once counted only asked questions and failing checks,
    and said no change would do)."""
    from tests.small_rules import fine_tune_on_fail, write
    from tunewise.ruleset.load import load_rules

    rules = load_rules(write(tmp_path, fine_tune_on_fail()))
    answers = {"kind": True, "budget": 50}
    current = walk_need(rules, answers)
    assert current.approach == "prompt"
    assert rules.outcomes.turning(current.path) == {"budget"}
    found = search(rules, answers, current, "fine-tune")
    assert [(c.question, c.new) for w in found for c in w.changes] == [("budget", 101)]
    assert found == search(rules, answers, current)  # as the unpruned search finds
    assert not Pruner(rules, rules.outcomes, answers, current).unalterable()
