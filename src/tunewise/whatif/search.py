"""What would change this: the smallest answer changes that flip a need's approach.

Candidates come from the rule set itself (see `candidates`). Single changes are tried first,
then pairs; when a target approach needs more, one fix per failing check is combined and
verified by re-running the walk. Walks are outcome-only (see `engine.evaluator`); the pruner (see
`pruner`) keeps them to the change sets that can matter.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Mapping
from typing import Any

from tunewise.engine.decision import Change, NeedResult, WhatIf
from tunewise.engine.evaluator import Budget, NoBranch, Outcomes, OutOfSteps
from tunewise.engine.walk import Rules, walk_need
from tunewise.whatif.candidates import apply_changes, candidates
from tunewise.whatif.pruner import Pruner, path_questions

__all__ = ["Budget", "WhatIfFinder", "candidates", "search"]

MAX_OPTIONS = 6


def search(
    rules: Rules,
    answers: Mapping[str, Any],
    current: NeedResult,
    target: str | None = None,
    budget: Budget | None = None,
) -> list[WhatIf]:
    """Smallest change sets leading to `target` (or to any other approach when None), found
    within `budget` (see `Budget.stopped` for whether the search was cut short)."""
    if not current.decided:
        return []
    budget = budget or Budget()
    found: list[WhatIf] = []
    with contextlib.suppress(OutOfSteps):  # out of budget: what was found so far stands
        _search(rules, answers, current, target, budget, found)
    found.sort(key=lambda w: (len(w.changes), w.approach))
    return [
        WhatIf(tuple(phrase(rules, c) for c in option.changes), option.approach, option.missing)
        for option in _minimal(_one_per_question_set(_closest_per_question(found)))[:MAX_OPTIONS]
    ]


def _search(
    rules: Rules,
    answers: Mapping[str, Any],
    current: NeedResult,
    target: str | None,
    budget: Budget,
    found: list[WhatIf],
) -> None:
    fast = rules.outcomes
    pruner = Pruner(rules, fast, answers, current, budget) if target is not None else None
    if pruner is not None and pruner.unalterable():
        return  # before making the candidates: a third of the bench searches end here
    singles = candidates(rules, answers)

    def outcome(changes: tuple[Change, ...]) -> str | None:
        try:
            return fast.approach_within(apply_changes(answers, changes), budget)
        except NoBranch:  # a made-up answer in a gap of the tree (lint: "cannot prove")
            return None

    def wanted(approach: str | None) -> bool:
        if approach is None or approach == current.approach:
            return False
        return target is None or approach == target

    reached: set[str] = set()
    decided: set[Change] = set()  # single changes whose walk ends at a leaf
    walked = pruner.worth_walking(singles) if pruner else [(c, False) for c in singles]
    for change, moves in walked:
        if moves and pruner is not None:
            approach = pruner.outcome_moving(change)
        else:
            approach = outcome((change,))
        if approach is not None:
            decided.add(change)
        if wanted(approach):
            found.append(WhatIf((change,), approach))  # type: ignore[arg-type]
            reached.add(approach)  # type: ignore[arg-type]
    if target is None or target not in reached:
        flipping = {c for w in found for c in w.changes}
        # most searches flip nothing alone: then no change is hashed to be kept (measured:
        # 57,000 hashes fewer over the 3,000 bench profiles, ~1% of `check`)
        pool = [c for c in singles if c not in flipping] if flipping else singles
        if pruner is not None:
            pairs = pruner.pairs(pool)
        else:
            pairs = (p for p in itertools.combinations(pool, 2) if p[0].question != p[1].question)
        for first, second in pairs:
            approach = outcome((first, second))
            if wanted(approach) and approach not in reached:
                found.append(WhatIf((first, second), approach))  # type: ignore[arg-type]
            if len(found) >= 3 * MAX_OPTIONS:
                break
    if target is not None and pruner is not None and target not in {w.approach for w in found}:
        combined = pruner.fix_each_check(singles)
        if combined and outcome(combined) == target:
            found.append(WhatIf(_minimise(combined, outcome, target), target))
            found += _alternatives(combined, singles, outcome, pruner, target)
    if target is not None and not found:
        on_path = path_questions(rules, current)
        # A change whose walk ends at a leaf cannot leave the need waiting on the checks.
        on_path_singles = [c for c in singles if c.question in on_path and c not in decided]
        found += _opens_the_checks(rules, fast, answers, on_path_singles, budget)


def _alternatives(
    combined: tuple[Change, ...],
    singles: list[Change],
    outcome: Any,
    pruner: Pruner,
    target: str,
) -> list[WhatIf]:
    """Other ways to the same target: each change of a combined fix swapped for another single
    change that also gets there (a smaller model instead of sending the data out)."""
    out: list[WhatIf] = []
    for index, replaced in enumerate(combined):
        rest = combined[:index] + combined[index + 1 :]
        taken = {c.question for c in rest}
        # Where the rest leads without it decides which changes are walked: anywhere but
        # the target, only those that may change that outcome (see `Pruner`); measured over
        # 3,000 generated profiles, 3,700 walks instead of 17,300.
        alone = outcome(rest)
        after = pruner.view_after(rest) if alone is not None and alone != target else None
        for other in singles:
            if other.question in taken or other.question == replaced.question:
                continue
            if after is not None and not pruner.may_change(other, after):
                continue
            changes = (*rest, other)
            if outcome(changes) == target:
                out.append(WhatIf(_minimise(changes, outcome, target), target))
                if len(out) >= MAX_OPTIONS:
                    return out
    return out


def _minimise(changes: tuple[Change, ...], outcome: Any, target: str) -> tuple[Change, ...]:
    """Drop every change the others do not need (one change may fix two checks)."""
    kept = list(changes)
    for change in changes:
        rest = tuple(c for c in kept if c is not change)
        if rest and outcome(rest) == target:
            kept = list(rest)
    return tuple(kept)


def _minimal(found: list[WhatIf]) -> list[WhatIf]:
    """No listed set of changes is a superset of another listed set."""

    def key(option: WhatIf) -> frozenset[tuple[str, Any]]:
        return frozenset((c.question, c.new) for c in option.changes)

    keys = [key(option) for option in found]
    return [
        option
        for option, mine in zip(found, keys, strict=True)
        if not any(other < mine for other in keys)
    ]


def phrase(rules: Rules, change: Change) -> Change:
    """The change said as the work that makes it true, where the rule set says how ("once a
    pilot validates the use case"), never as an edit to the profile."""
    question = rules.model.question(change.question)
    if not question.work:
        return change
    if question.type == "choice":
        template = question.work.get(str(change.new))
    elif question.type == "bool":
        template = question.work.get("true" if change.new else "false")
    else:
        template = question.work.get("up" if change.relation in ("≥", ">") else "down")
    if template is None:
        return change
    from tunewise.engine.texts import format_value

    shown = change.new if change.limit is None else change.limit
    return dataclasses.replace(change, work=template.replace("{limit}", format_value(shown)))


def _one_per_question_set(found: list[WhatIf]) -> list[WhatIf]:
    """Pairs that differ only in the value of the same questions say the same thing: keep one."""
    seen: set[tuple[frozenset[str], str]] = set()
    out = []
    for option in found:
        key = (frozenset(c.question for c in option.changes), option.approach)
        if len(option.changes) > 1 and key in seen:
            continue
        seen.add(key)
        out.append(option)
    return out


def _closest_per_question(found: list[WhatIf]) -> list[WhatIf]:
    """Among single numeric changes of one question to one approach, keep the nearest."""
    best: dict[tuple[str, str], WhatIf] = {}
    out: list[WhatIf] = []
    for option in found:
        change = option.changes[0]
        numeric = isinstance(change.new, (int, float)) and not isinstance(change.new, bool)
        if len(option.changes) != 1 or not numeric or change.old is None:
            out.append(option)
            continue
        key = (change.question, option.approach)
        if key in best:
            if abs(change.new - change.old) < abs(best[key].changes[0].new - change.old):
                out[out.index(best[key])] = option
                best[key] = option
            continue
        best[key] = option
        out.append(option)
    return out


def _opens_the_checks(
    rules: Rules,
    fast: Outcomes,
    answers: Mapping[str, Any],
    singles: list[Change],
    budget: Budget,
) -> list[WhatIf]:
    """The first single change after which the walk reaches the checks but needs more answers
    (e.g. prompting = failed on a profile without project answers)."""
    for change in singles:
        budget.spend(fast.limit)
        changed = apply_changes(answers, (change,))
        try:
            trace = fast.trace(changed)
        except NoBranch:  # a made-up answer in a gap of the tree leads nowhere
            continue
        if trace.approach is None and trace.checked:  # only then: which answers it needs
            result = walk_need(rules, changed, explain=False)
            if result.approach is None and result.checks:
                return [WhatIf((change,), "undecided", tuple(result.missing))]
    return []


class WhatIfFinder:
    """What would change each need, for `decide`: by default what would make it fine-tune, and
    for a fine-tune need what would take it off fine-tune. Needs with the same answers share
    one search (its options, and its budget if it ran out)."""

    def __init__(self, rules: Rules, target: str | None = None) -> None:
        self.rules = rules
        self.target = target
        self.searched: dict[tuple[Any, ...], tuple[list[WhatIf], int | None]] = {}

    def __call__(self, answers: Mapping[str, Any], result: NeedResult) -> NeedResult:
        aim = self.target or ("fine-tune" if result.approach != "fine-tune" else None)
        key = (aim, *sorted((k, type(v).__name__, v) for k, v in answers.items()))
        if key not in self.searched:
            budget = Budget()
            found = search(self.rules, answers, result, aim, budget)
            self.searched[key] = (found, budget.limit if budget.stopped else None)
        options, stopped = self.searched[key]
        return dataclasses.replace(
            result, what_if=list(options), what_if_target=aim, what_if_stopped=stopped
        )
