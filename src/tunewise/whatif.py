"""What would change this: the smallest answer changes that flip a need's approach.

Candidates come from the rule set itself (every choice, both booleans, and every numeric
threshold a condition or range compares an answer with, evaluated for this profile), so no
rule needs a hand-written hint. Single changes are tried first, then pairs; when a target
approach needs more, one fix per failing check is combined and verified by re-running the walk.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tunewise.compiled import AskNode, Check, ChecksNode, Compare, ParamRef, Question, Record
from tunewise.decision import Change, Decision, NeedResult, WhatIf
from tunewise.engine import Rules, walk_need
from tunewise.outcomes import MISSING, Outcomes, outcomes_for
from tunewise.profile import Profile
from tunewise.rules import walk_records

MAX_OPTIONS = 6
MAX_SHARED = 20_000  # change lists kept per rule set for reuse (see `candidates`)


def _numeric_bounds(fast: Outcomes) -> dict[str, list[tuple[str, Any]]]:
    """Per question, every (operator, value) it is compared with, the values as functions of
    the answers; once per rule set and parameters."""
    cache = fast.__dict__
    if "_numeric_bounds" not in cache:
        found: dict[str, list[tuple[str, Any]]] = {}
        by_answers: set[str] = set()  # questions compared with a bound other answers decide

        def add(qid: str, op: str, expr: Any) -> None:
            found.setdefault(qid, []).append((op, fast.value_of(expr)))
            if isinstance(expr, Record) and not isinstance(expr, ParamRef):
                by_answers.add(qid)

        for _, obj in walk_records(fast.model.tree):
            if isinstance(obj, Compare) and obj.operator in ("lt", "le", "gt", "ge"):
                add(obj.answer, obj.operator, obj.operand)
            elif isinstance(obj, AskNode):
                for branch in obj.branches:
                    for op in ("ge", "gt", "le", "lt"):
                        if branch.range is not None and getattr(branch.range, op) is not None:
                            add(obj.ask, op, getattr(branch.range, op))
        cache["_numeric_bounds"], cache["_answer_bounded"] = found, by_answers
    bounds: dict[str, list[tuple[str, Any]]] = cache["_numeric_bounds"]
    return bounds


def _thresholds(fast: Outcomes, answers: Mapping[str, Any], qid: str) -> list[tuple[float, str]]:
    """(value, relation) pairs at which a comparison on `qid` changes outcome."""
    found: list[tuple[float, str]] = []
    for op, value_of in _numeric_bounds(fast).get(qid, []):
        limit = value_of(answers)
        if limit is not MISSING and not isinstance(limit, bool):
            found += _around(float(limit), op)
    for table in fast.model.tables:
        if table.key == qid:
            for row in table.rows[1:]:
                found += [(float(row["from"]), "≥"), (float(row["from"]), "<")]
    return found


def _around(limit: float, op: str) -> list[tuple[float, str]]:
    if op in ("ge", "lt"):
        return [(limit, "≥"), (limit, "<")]
    return [(limit, "≤"), (limit, ">")]


def _value_for(question: Question, limit: float, relation: str) -> Any:
    step = 1 if question.type == "integer" else 0.01
    value = {"≥": limit, "≤": limit, ">": limit + step, "<": limit - step}[relation]
    if question.type == "integer":
        value = int(value) if float(value).is_integer() else int(value) + (relation in "≥>")
    if question.min is not None and value < question.min:
        return None
    if question.max is not None and value > question.max:
        return None
    return value


def candidates(rules: Rules, answers: Mapping[str, Any]) -> list[Change]:
    """Every single answer change worth trying for this profile."""
    fast = outcomes_for(rules.model, rules.params)
    # A question's changes depend only on its current answer, unless it is compared with a
    # bound other answers decide (a scaled one): the others are made once, then shared.
    made: dict[tuple[str, type, Any], list[Change]] = fast.__dict__.setdefault("_changes", {})
    shared = _shared_changes(fast)
    out: list[Change] = []
    for question in rules.model.questions:
        if not question.what_if:
            continue
        current = answers.get(question.id)
        if question.id not in shared:
            out += _changes(fast, question, current, answers)
            continue
        key = (question.id, type(current), current)
        changes = made.get(key)
        if changes is None:
            changes = _changes(fast, question, current, answers)
            if len(made) < MAX_SHARED:  # numbers need not repeat: keep the memory bounded
                made[key] = changes
        out += changes
    return out


def _shared_changes(fast: Outcomes) -> set[str]:
    """Questions whose changes depend on their own answer alone."""
    cache = fast.__dict__
    if "_shared" not in cache:
        _numeric_bounds(fast)
        bounded = cache["_answer_bounded"]
        cache["_shared"] = {q.id for q in fast.model.questions if q.id not in bounded}
    shared: set[str] = cache["_shared"]
    return shared


def _changes(
    fast: Outcomes, question: Question, current: Any, answers: Mapping[str, Any]
) -> list[Change]:
    if question.type == "choice":
        return [Change(question.id, current, v) for v in question.values if v != current]
    if question.type == "bool":
        return [Change(question.id, current, v) for v in (True, False) if v is not current]
    out: list[Change] = []
    seen: set[Any] = set()
    for limit, relation in _thresholds(fast, answers, question.id):
        value = _value_for(question, limit, relation)
        if value is None or value == current or value in seen:
            continue
        if current is not None and _same_side(current, limit, relation):
            continue
        seen.add(value)
        out.append(Change(question.id, current, value, relation, limit))
    return out


def _same_side(current: Any, limit: float, relation: str) -> bool:
    return bool(
        {"≥": current >= limit, "≤": current <= limit, ">": current > limit, "<": current < limit}[
            relation
        ]
    )


def _apply(answers: Mapping[str, Any], changes: tuple[Change, ...]) -> dict[str, Any]:
    new = dict(answers)
    new.update({c.question: c.new for c in changes})
    return new


def search(
    rules: Rules, answers: Mapping[str, Any], current: NeedResult, target: str | None = None
) -> list[WhatIf]:
    """Smallest change sets leading to `target` (or to any other approach when None)."""
    if not current.decided:
        return []
    fast = outcomes_for(rules.model, rules.params)
    singles = candidates(rules, answers)
    pruner = _Pruner(rules, fast, answers, current) if target is not None else None

    def outcome(changes: tuple[Change, ...]) -> str | None:
        return fast.approach(_apply(answers, changes))

    def wanted(approach: str | None) -> bool:
        if approach is None or approach == current.approach:
            return False
        return target is None or approach == target

    found: list[WhatIf] = []
    reached: set[str] = set()
    for change in singles:
        if pruner and not pruner.may_change(change):
            continue
        approach = outcome((change,))
        if wanted(approach):
            found.append(WhatIf((change,), approach))  # type: ignore[arg-type]
            reached.add(approach)  # type: ignore[arg-type]
    if target is None or target not in reached:
        flipping = {c for w in found for c in w.changes}
        pool = [c for c in singles if c not in flipping]
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
            found.append(WhatIf(combined, target))
    if target is not None and not found:
        on_path = _path_questions(rules, current)
        on_path_singles = [c for c in singles if c.question in on_path]
        found += _opens_the_checks(rules, fast, answers, on_path_singles)
    found.sort(key=lambda w: (len(w.changes), w.approach))
    return _one_per_question_set(_closest_per_question(found))[:MAX_OPTIONS]


class _View:
    """A walk result seen by the pruner: its path's questions, and for each failing check the
    questions it reads (as bits, so that "do these questions touch every failing check?" is
    an integer test)."""

    def __init__(
        self,
        pruner: _Pruner,
        path: Iterable[str],
        failing: Iterable[Check],
        answers: Mapping[str, Any],
    ) -> None:
        self.answers = answers
        self.path = frozenset(path)
        self.failing = list(failing)
        self.full = (1 << len(self.failing)) - 1
        self.masks: dict[str, int] = {}
        for bit, check in enumerate(self.failing):
            for question in pruner.reads[check.id]:
                self.masks[question] = self.masks.get(question, 0) | (1 << bit)
        self.single: dict[Change, int] = {}  # failing checks each single change fixes alone


class _Pruner:
    """A necessary condition for a change set to alter a need's outcome: it must change an
    answer its path asks, or make every failing check on the path pass — and a check can only
    be fixed by changing a question it reads. Integer tests come first, then exact check
    evaluations (joint only for checks that read both changed questions); walks then verify
    what survives, so pruning never invents an answer. A change that alters the path is walked
    once and its partner judged on the new path."""

    def __init__(
        self, rules: Rules, fast: Outcomes, answers: Mapping[str, Any], current: NeedResult
    ) -> None:
        self.rules, self.fast = rules, fast
        self.checks = _checks_by_id(rules)
        self.reads = _check_reads(rules)
        failing = [self.checks[c.id] for c in current.failed_checks]
        self.base = _View(self, _path_questions(rules, current), failing, answers)
        self.after: dict[Change, _View] = {}

    def pairs(self, pool: list[Change]) -> Iterator[tuple[Change, Change]]:
        """The pairs of `pool` (in `itertools.combinations` order) that may change the outcome:
        `may_change` for every pair of different questions, its integer tests done once per
        kind of partner rather than per pair (the pair loop runs hundreds of times per need)."""
        base = self.base
        where: dict[str, list[int]] = {}  # each question's positions in the pool
        for at, change in enumerate(pool):
            where.setdefault(change.question, []).append(at)
        partners: dict[int, list[int]] = {}  # by the failing checks a question reads
        for index, first in enumerate(pool):
            asked = first.question
            if asked in base.path:  # it moves the path: judge the partner on the new one
                view = self._moved(first)
                positions = self._candidates(view, where, 0)
                for at in positions[bisect.bisect_right(positions, index) :]:
                    second = pool[at]
                    if second.question != asked and self._moves_or_fixes(view, second):
                        yield first, second
                continue
            mask = base.masks.get(asked, 0)
            if mask not in partners:
                partners[mask] = self._candidates(base, where, mask)
            positions = partners[mask]
            for at in positions[bisect.bisect_right(positions, index) :]:
                second = pool[at]
                if second.question == asked:
                    continue
                if second.question in base.path:
                    if self._moves_or_fixes(self._moved(second), first):
                        yield first, second
                elif self._fixes_all(base, (first, second)):
                    yield first, second

    @staticmethod
    def _candidates(view: _View, where: dict[str, list[int]], mask: int) -> list[int]:
        """Pool positions of the changes that may matter together with a change reading the
        failing checks in `mask`: those on the path, and those that, with it, read every
        failing check."""
        full, masks = view.full, view.masks
        found: list[int] = []
        for question, positions in where.items():
            if question in view.path or (full and mask | masks.get(question, 0) == full):
                found += positions
        found.sort()
        return found

    def _moved(self, change: Change) -> _View:
        """The view after a change that alters the path, walked once."""
        if change not in self.after:
            moved_answers = _apply(self.base.answers, (change,))
            moved = self.fast.trace(moved_answers)
            self.after[change] = _View(self, moved.asked, moved.failing, moved_answers)
        return self.after[change]

    def _moves_or_fixes(self, view: _View, change: Change) -> bool:
        if change.question in view.path:
            return True
        full = view.full
        return (
            bool(full)
            and view.masks.get(change.question, 0) == full
            and (self._fixed_alone(view, change) == full)
        )

    def _fixed_alone(self, view: _View, change: Change) -> int:
        if change not in view.single:
            changed = _apply(view.answers, (change,))
            view.single[change] = sum(
                1 << bit
                for bit, check in enumerate(view.failing)
                if change.question in self.reads[check.id] and self.fast.check_ok(check, changed)
            )
        return view.single[change]

    def _fixes_all(self, view: _View, changes: tuple[Change, Change]) -> bool:
        """Two changes off the path that together read every failing check: do they fix all?"""
        questions = {c.question for c in changes}
        fixed = 0
        joint = None
        for bit, check in enumerate(view.failing):
            read = self.reads[check.id] & questions
            if len(read) > 1:  # this check reads both changed answers: evaluate them together
                if joint is None:
                    joint = _apply(view.answers, changes)
                if self.fast.check_ok(check, joint):
                    fixed |= 1 << bit
            else:
                change = next(c for c in changes if c.question in read)
                fixed |= self._fixed_alone(view, change) & (1 << bit)
        return fixed == view.full

    def fix_each_check(self, singles: list[Change]) -> tuple[Change, ...]:
        """One change per failing check that makes that check pass (the first in `singles`
        that does); empty if some check cannot be fixed."""
        base = self.base
        fixes: list[Change] = []
        for bit, check in enumerate(base.failing):
            reads = self.reads[check.id]  # only a change to what a check reads can fix it
            fix = next(
                (
                    c
                    for c in singles
                    if c.question in reads and self._fixed_alone(base, c) >> bit & 1
                ),
                None,
            )
            if fix is None:
                return ()
            if fix not in fixes:
                fixes.append(fix)
        return tuple(fixes)

    def may_change(self, change: Change) -> bool:
        """For one change alone: it changes an answer on the path, or fixes every failing
        check."""
        return self._moves_or_fixes(self.base, change)


def _check_reads(rules: Rules) -> dict[str, set[str]]:
    """The questions each check reads (in `applies`, `require` and value expressions)."""
    cache = rules.model.__dict__
    if "_check_reads" not in cache:
        reads: dict[str, set[str]] = {}
        for check_id, check in _checks_by_id(rules).items():
            found: set[str] = set()
            for part in (check.applies, check.require):
                for _, obj in walk_records(part):
                    if isinstance(obj, Compare):
                        found.add(obj.answer)
                    for name in ("scaled", "answer"):
                        value = getattr(obj, name, None)
                        if isinstance(value, str) and rules.model.has("question", value):
                            found.add(value)
                    if hasattr(obj, "lookup"):
                        found.add(rules.model.table(obj.lookup).key)
            reads[check_id] = found
        cache["_check_reads"] = reads
    result: dict[str, set[str]] = cache["_check_reads"]
    return result


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


def _path_questions(rules: Rules, current: NeedResult) -> set[str]:
    return {n.ask for n in map(rules.model.node, current.path) if isinstance(n, AskNode)}


def _checks_by_id(rules: Rules) -> dict[str, Check]:
    cache = rules.model.__dict__
    if "_checks_by_id" not in cache:
        checks: dict[str, Check] = {}
        for node in rules.model.tree.nodes:
            if isinstance(node, ChecksNode):
                checks.update({c.id: c for c in node.checks})
        cache["_checks_by_id"] = checks
    found: dict[str, Check] = cache["_checks_by_id"]
    return found


def _opens_the_checks(
    rules: Rules, fast: Outcomes, answers: Mapping[str, Any], singles: list[Change]
) -> list[WhatIf]:
    """The first single change after which the walk reaches the checks but needs more answers
    (e.g. prompting = failed on a profile without project answers)."""
    for change in singles:
        changed = _apply(answers, (change,))
        trace = fast.trace(changed)
        if trace.approach is None and trace.checked:  # only then: which answers it needs
            result = walk_need(rules, changed, explain=False)
            if result.approach is None and result.checks:
                return [WhatIf((change,), "undecided", tuple(result.missing))]
    return []


def annotate(rules: Rules, profile: Profile, decision: Decision, target: str | None = None) -> None:
    """Fill `what_if` on every decided need: by default, what would make it fine-tune, and for a
    fine-tune need, what would take it off fine-tune."""
    for need_input, result in zip(profile.needs, decision.needs, strict=True):
        answers = {**profile.project, **need_input.answers}
        aim = target or ("fine-tune" if result.approach != "fine-tune" else None)
        result.what_if = search(rules, answers, result, aim)
        result.what_if_target = aim
