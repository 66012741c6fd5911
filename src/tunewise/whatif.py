"""What would change this: the smallest answer changes that flip a need's approach.

Candidates come from the rule set itself (every choice, both booleans, and every numeric
threshold a condition or range compares an answer with, evaluated for this profile), so no
rule needs a hand-written hint. Single changes are tried first, then pairs; when a target
approach needs more, one fix per failing check is combined and verified by re-running the walk.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from tunewise.compiled import AskNode, Check, ChecksNode, Compare, Question
from tunewise.conditions import Context, Unknown
from tunewise.decision import Change, Decision, NeedResult, WhatIf
from tunewise.engine import Rules, run_check, walk_need
from tunewise.profile import Profile
from tunewise.rules import walk_records

MAX_OPTIONS = 6


def _numeric_bounds(rules: Rules) -> dict[str, list[tuple[str, Any]]]:
    """Per question, every (operator, value expression) it is compared with; once per rule set."""
    cache = rules.model.__dict__  # cached on the rule set itself (see models.RuleSet)
    if "_numeric_bounds" not in cache:
        found: dict[str, list[tuple[str, Any]]] = {}
        for _, obj in walk_records(rules.model.tree):
            if isinstance(obj, Compare) and obj.operator in ("lt", "le", "gt", "ge"):
                found.setdefault(obj.answer, []).append((obj.operator, obj.operand))
            elif isinstance(obj, AskNode):
                for branch in obj.branches:
                    if branch.range is not None:
                        found.setdefault(obj.ask, []).extend(
                            (op, getattr(branch.range, op))
                            for op in ("ge", "gt", "le", "lt")
                            if getattr(branch.range, op) is not None
                        )
        cache["_numeric_bounds"] = found
    bounds: dict[str, list[tuple[str, Any]]] = cache["_numeric_bounds"]
    return bounds


def _thresholds(rules: Rules, answers: Mapping[str, Any], qid: str) -> list[tuple[float, str]]:
    """(value, relation) pairs at which a comparison on `qid` changes outcome."""
    ctx = Context(rules.model, rules.params, answers, explain=False)
    found: list[tuple[float, str]] = []
    for op, expr in _numeric_bounds(rules).get(qid, []):
        limit = ctx.value(expr)
        if not isinstance(limit, (Unknown, bool)):
            found += _around(float(limit), op)
    for table in rules.model.tables:
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
    out: list[Change] = []
    for question in rules.model.questions:
        if not question.what_if:
            continue
        current = answers.get(question.id)
        if question.type == "choice":
            out += [Change(question.id, current, v) for v in question.values if v != current]
        elif question.type == "bool":
            out += [Change(question.id, current, v) for v in (True, False) if v is not current]
        else:
            seen: set[Any] = set()
            for limit, relation in _thresholds(rules, answers, question.id):
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
    singles = candidates(rules, answers)
    pruner = _Pruner(rules, answers, current) if target is not None else None

    def outcome(changes: tuple[Change, ...]) -> str | None:
        return walk_need(rules, _apply(answers, changes), explain=False).approach

    def wanted(approach: str | None) -> bool:
        if approach is None or approach == current.approach:
            return False
        return target is None or approach == target

    found: list[WhatIf] = []
    reached: set[str] = set()
    for change in singles:
        if pruner and not pruner.may_change((change,)):
            continue
        approach = outcome((change,))
        if wanted(approach):
            found.append(WhatIf((change,), approach))  # type: ignore[arg-type]
            reached.add(approach)  # type: ignore[arg-type]
    if target is None or target not in reached:
        flipping = {c for w in found for c in w.changes}
        pool = [c for c in singles if c not in flipping]
        questions = sorted({c.question for c in pool})
        # Per pair of questions, once: can these two questions matter together at all?
        skip = {
            (a, b): a == b or bool(pruner and pruner.hopeless(a, b))
            for a in questions
            for b in questions
        }
        for first, second in itertools.combinations(pool, 2):
            if skip[first.question, second.question]:
                continue
            if pruner and not pruner.may_change((first, second)):
                continue
            approach = outcome((first, second))
            if wanted(approach) and approach not in reached:
                found.append(WhatIf((first, second), approach))  # type: ignore[arg-type]
            if len(found) >= 3 * MAX_OPTIONS:
                break
    if target is not None and target not in {w.approach for w in found}:
        combined = _fix_each_check(rules, answers, current, singles)
        if combined and outcome(combined) == target:
            found.append(WhatIf(combined, target))
    if target is not None and not found:
        on_path = _path_questions(rules, current)
        found += _opens_the_checks(rules, answers, [c for c in singles if c.question in on_path])
    found.sort(key=lambda w: (len(w.changes), w.approach))
    return _one_per_question_set(_closest_per_question(found))[:MAX_OPTIONS]


class _View:
    """A walk result seen by the pruner: its path's questions, and for each failing check the
    questions it reads (as bits, so that "do these questions touch every failing check?" is
    an integer test)."""

    def __init__(self, pruner: _Pruner, result: NeedResult, answers: Mapping[str, Any]) -> None:
        self.result, self.answers = result, answers
        self.path = _path_questions(pruner.rules, result)
        self.failing = [pruner.checks[c.id] for c in result.failed_checks]
        self.full = (1 << len(self.failing)) - 1
        self.masks: dict[str, int] = {}
        for bit, check in enumerate(self.failing):
            for question in pruner.reads[check.id]:
                self.masks[question] = self.masks.get(question, 0) | (1 << bit)
        self.single: dict[Change, int] = {}  # failing checks each single change fixes alone

    def touches_all(self, questions: Iterable[str]) -> bool:
        mask = 0
        for question in questions:
            mask |= self.masks.get(question, 0)
        return bool(self.full) and mask == self.full


class _Pruner:
    """A necessary condition for a change set to alter a need's outcome: it must change an
    answer its path asks, or make every failing check on the path pass — and a check can only
    be fixed by changing a question it reads. Integer tests come first, then exact check
    evaluations (joint only for checks that read both changed questions); walks then verify
    what survives, so pruning never invents an answer. A change that alters the path is walked
    once and its partner judged on the new path."""

    def __init__(self, rules: Rules, answers: Mapping[str, Any], current: NeedResult) -> None:
        self.rules = rules
        self.checks = _checks_by_id(rules)
        self.reads = _check_reads(rules)
        self.base = _View(self, current, answers)
        self.after: dict[Change, _View] = {}

    def hopeless(self, first: str, second: str) -> bool:
        """For the pair loop: changes to these two questions cannot matter together — neither
        is on the path, and together they do not touch every failing check."""
        base = self.base
        if first in base.path or second in base.path:
            return False
        return not base.touches_all((first, second))

    def _fixed_alone(self, view: _View, change: Change) -> int:
        if change not in view.single:
            ctx = Context(
                self.rules.model, self.rules.params, _apply(view.answers, (change,)), explain=False
            )
            view.single[change] = sum(
                1 << bit
                for bit, check in enumerate(view.failing)
                if change.question in self.reads[check.id]
                and run_check(ctx, check).status in ("pass", "n/a")
            )
        return view.single[change]

    def _fixes_all(self, view: _View, changes: tuple[Change, ...]) -> bool:
        if not view.touches_all(c.question for c in changes):
            return False
        if len(changes) == 1:
            return self._fixed_alone(view, changes[0]) == view.full
        questions = {c.question for c in changes}
        fixed = 0
        joint = None
        for bit, check in enumerate(view.failing):
            read = self.reads[check.id] & questions
            if len(read) > 1:  # this check reads both changed answers: evaluate them together
                if joint is None:
                    joint = Context(
                        self.rules.model,
                        self.rules.params,
                        _apply(view.answers, changes),
                        explain=False,
                    )
                if run_check(joint, check).status in ("pass", "n/a"):
                    fixed |= 1 << bit
            else:
                change = next(c for c in changes if c.question in read)
                fixed |= self._fixed_alone(view, change) & (1 << bit)
        return fixed == view.full

    def may_change(self, changes: tuple[Change, ...]) -> bool:
        moving = [c for c in changes if c.question in self.base.path]
        if not moving:
            return self._fixes_all(self.base, changes)
        if len(changes) == 1:
            return True
        first = moving[0]
        if first not in self.after:
            moved_answers = _apply(self.base.answers, (first,))
            moved = walk_need(self.rules, moved_answers, explain=False)
            self.after[first] = _View(self, moved, moved_answers)
        view = self.after[first]
        rest = tuple(c for c in changes if c is not first)
        if any(c.question in view.path for c in rest):
            return True
        return self._fixes_all(view, rest)


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
    checks: dict[str, Check] = {}
    for node in rules.model.tree.nodes:
        if isinstance(node, ChecksNode):
            checks.update({c.id: c for c in node.checks})
    return checks


def _opens_the_checks(
    rules: Rules, answers: Mapping[str, Any], singles: list[Change]
) -> list[WhatIf]:
    """Single changes after which the walk reaches the checks but needs more answers (e.g.
    prompting = failed on a profile without project answers)."""
    out = []
    for change in singles:
        result = walk_need(rules, _apply(answers, (change,)), explain=False)
        if result.approach is None and result.checks:
            out.append(WhatIf((change,), "undecided", tuple(result.missing)))
    return out[:1]


def _fix_each_check(
    rules: Rules, answers: Mapping[str, Any], current: NeedResult, singles: list[Change]
) -> tuple[Change, ...]:
    """One change per failing check that makes that check pass; empty if some cannot be fixed."""
    checks = _checks_by_id(rules)
    fixes: list[Change] = []
    for outcome in current.failed_checks:
        check = checks[outcome.id]
        fix = next(
            (
                c
                for c in singles
                if run_check(
                    Context(rules.model, rules.params, _apply(answers, (c,)), explain=False), check
                ).status
                in ("pass", "n/a")
            ),
            None,
        )
        if fix is None:
            return ()
        if fix not in fixes:
            fixes.append(fix)
    return tuple(fixes)


def annotate(rules: Rules, profile: Profile, decision: Decision, target: str | None = None) -> None:
    """Fill `what_if` on every decided need: by default, what would make it fine-tune, and for a
    fine-tune need, what would take it off fine-tune."""
    for need_input, result in zip(profile.needs, decision.needs, strict=True):
        answers = {**profile.project, **need_input.answers}
        aim = target or ("fine-tune" if result.approach != "fine-tune" else None)
        result.what_if = search(rules, answers, result, aim)
        result.what_if_target = aim
