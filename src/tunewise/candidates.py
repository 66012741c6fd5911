"""Single answer changes worth trying for a profile, found in the rule set itself.

Every choice, both booleans, and every numeric threshold a condition or range compares an
answer with (evaluated for this profile), so no rule needs a hand-written hint.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any, NamedTuple

from tunewise.closures import ValueOf, finite_number, is_fixed
from tunewise.compiled import Question
from tunewise.decision import Change
from tunewise.engine import Rules
from tunewise.outcomes import Outcomes, outcomes_for

MAX_SHARED = 20_000  # change lists kept per rule set for reuse (see `candidates`)


class Bounds(NamedTuple):
    by_question: dict[str, list[tuple[str, ValueOf]]]  # (operator, value as a function)
    shared: set[str]  # questions whose changes depend on their own answer alone


_BOUNDS: weakref.WeakKeyDictionary[Outcomes, Bounds] = weakref.WeakKeyDictionary()


def numeric_bounds(fast: Outcomes) -> Bounds:
    """Per question, every (operator, value) the tree compares it with, the values as
    functions of the answers; once per rule set and parameters."""
    found = _BOUNDS.get(fast)
    if found is None:
        by_question: dict[str, list[tuple[str, ValueOf]]] = {}
        by_answers: set[str] = set()  # questions compared with a bound other answers decide
        for qid, op, expr in fast.thresholds(fast.model.tree):
            by_question.setdefault(qid, []).append((op, fast.value_of(expr)))
            if not is_fixed(expr):
                by_answers.add(qid)
        shared = {q.id for q in fast.model.questions if q.id not in by_answers}
        found = _BOUNDS[fast] = Bounds(by_question, shared)
    return found


def _thresholds(fast: Outcomes, answers: Mapping[str, Any], qid: str) -> list[tuple[float, str]]:
    """(value, relation) pairs at which a comparison on `qid` changes outcome."""
    found: list[tuple[float, str]] = []
    for op, value_of in numeric_bounds(fast).by_question.get(qid, []):
        limit = finite_number(value_of(answers))
        if limit is not None:
            found += _around(limit, op)
    for table in fast.model.tables:
        if table.key == qid:
            for row in table.rows[1:]:
                start = finite_number(row["from"])
                if start is not None:
                    found += [(start, "≥"), (start, "<")]
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
    made = fast.shared_changes
    shared = numeric_bounds(fast).shared
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


def apply_changes(answers: Mapping[str, Any], changes: tuple[Change, ...]) -> dict[str, Any]:
    new = dict(answers)
    new.update({c.question: c.new for c in changes})
    return new
