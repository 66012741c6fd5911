"""Single answer changes worth trying for a profile, found in the rule set itself.

Every choice, both booleans, and every numeric threshold a condition or range compares an
answer with (evaluated for this profile), so no rule needs a hand-written hint.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from tunewise.engine.compile import Unknown, ValueOf, compare, finite_number, is_fixed
from tunewise.engine.decision import Change
from tunewise.engine.evaluator import Outcomes
from tunewise.engine.walk import Rules
from tunewise.ruleset.records import AskNode, ChecksNode, Question

MAX_SHARED = 20_000  # change lists (and bound values) kept per rule set for reuse
# Curves kept per rule set (see `_Curve`): each holds the few dozen points searched on it.
MAX_CURVES = 2_000


class Bound(NamedTuple):
    """A value a question is compared with: the operator, the value as a function of the
    answers, and the answers it reads (none for a fixed one)."""

    op: str
    value_of: ValueOf
    reads: tuple[str, ...]
    along: ValueOf  # the same value without memos, for a curve's points (see `_Curve`)


class Bounds(NamedTuple):
    """What the candidates of one rule set with its parameters are made from, and what they
    share between needs and profiles (bounded, see MAX_SHARED and MAX_CURVES)."""

    by_question: dict[str, list[Bound]]
    # per question a bound reads: (compared question, the bound, what else the bound reads)
    inverse: dict[str, list[tuple[str, Bound, tuple[str, ...]]]]
    shared: set[str]  # questions whose changes depend on their own answer alone
    depends: dict[str, tuple[str, ...]]  # per question, every answer its changes may read
    made: dict[tuple[Any, ...], list[Change]]  # changes of the others, by what they read
    by_answer: dict[tuple[Any, ...], list[Change]]  # changes of the shared, by their answer
    values: dict[tuple[Any, ...], Any]  # bound values, by what they read
    curves: dict[tuple[Any, ...], _Curve]  # a bound along one question, by what else it reads
    solved: dict[tuple[Any, ...], list[tuple[float, str]]]  # inverses already searched

    def forget(self) -> None:
        """Drop everything shared (tests: a result must not depend on what came before)."""
        for kept in (self.made, self.by_answer, self.values, self.curves, self.solved):
            kept.clear()


_BOUNDS: weakref.WeakKeyDictionary[Outcomes, Bounds] = weakref.WeakKeyDictionary()
NUMERIC = ("integer", "number")
SEARCH_LIMIT = 1e7  # the largest value the search for a bound's inverse tries
STEPS = 30  # bisection steps: below a displayed decimal (0.1) at any scale searched


def numeric_bounds(fast: Outcomes) -> Bounds:
    """Per question, every (operator, value) it is compared with where an outcome is decided
    (checks and ask nodes; a message's condition decides nothing), the values as functions
    of the answers; and per numeric question a computed bound reads, the comparisons it moves
    (GPU memory against a bound computed from the model size). Once per rule set and
    parameters."""
    found = _BOUNDS.get(fast)
    if found is None:
        model = fast.model
        by_question: dict[str, list[Bound]] = {}
        inverse: dict[str, list[tuple[str, Bound, tuple[str, ...]]]] = {}
        by_answers: set[str] = set()  # questions whose changes depend on other answers
        depends: dict[str, dict[str, None]] = {}
        deciding: list[Any] = []
        for node in model.tree.nodes:
            if isinstance(node, ChecksNode):
                deciding += [p for c in node.checks for p in (c.applies, c.require) if p]
            elif isinstance(node, AskNode):
                deciding.append(node)
        for qid, op, expr in fast.thresholds(deciding):
            fixed = is_fixed(expr)
            reads = () if fixed else fast.reads_of(expr)
            bound = Bound(op, fast.value_of(expr), reads, fast.plain.value_of(expr))
            by_question.setdefault(qid, []).append(bound)
            if fixed:
                continue
            by_answers.add(qid)
            depends.setdefault(qid, {qid: None}).update(dict.fromkeys(reads))
            for read in reads:
                if read != qid and model.question(read).type in NUMERIC:
                    others = tuple(r for r in reads if r != read)
                    inverse.setdefault(read, []).append((qid, bound, others))
                    by_answers.add(read)
                    depends.setdefault(read, {read: None}).update(
                        {qid: None, **dict.fromkeys(reads)}
                    )
        shared = {q.id for q in model.questions if q.id not in by_answers}
        reading = {qid: tuple(names) for qid, names in depends.items()}
        found = _BOUNDS[fast] = Bounds(by_question, inverse, shared, reading, {}, {}, {}, {}, {})
    return found


def answers_key(answers: Mapping[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    """The answers to `names`, and their types (1, 1.0 and True are equal keys but not the
    same answer): what a value reading only `names` is shared by."""
    found = tuple(map(answers.get, names))
    return (*found, *map(type, found))


def _value(bounds: Bounds, bound: Bound, answers: Mapping[str, Any]) -> Any:
    """A bound's value for these answers, shared by every profile with the same answers to
    what it reads (the GPU memory a model size needs; measured, evaluating them was a quarter
    of `candidates`)."""
    if not bound.reads:
        return bound.value_of(answers)
    key = (id(bound.value_of), *answers_key(answers, bound.reads))
    found = bounds.values.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = bound.value_of(answers)
        if len(bounds.values) < MAX_SHARED:
            bounds.values[key] = found
    return found


_UNSEEN = object()


def _thresholds(
    fast: Outcomes, bounds: Bounds, answers: Mapping[str, Any], qid: str
) -> list[tuple[float, str]]:
    """(value, relation) pairs at which a comparison on `qid` changes outcome: its own bounds,
    and where a bound is computed from `qid`, the value of `qid` at which that comparison
    flips ("a model of at most 63.3B parameters fits QLoRA on 40 GB"). `bounds`: the rule
    set's (`numeric_bounds`)."""
    found: list[tuple[float, str]] = []
    for bound in bounds.by_question.get(qid, []):
        limit = finite_number(_value(bounds, bound, answers))
        if limit is not None:
            found += _around(limit, bound.op)
    question = fast.model.question(qid)
    for compared, bound, others in bounds.inverse.get(qid, []):
        left = answers.get(compared)
        if left is None:
            continue
        # the search depends only on the compared answer and what the bound reads besides
        along = (qid, id(bound.value_of), *answers_key(answers, others))
        key = (*along, compared, bound.op, left.__class__, left)
        solved = bounds.solved.get(key)
        if solved is None:
            curve = bounds.curves.get(along)
            if curve is None:
                curve = _Curve(question, bound.along, answers)
                if len(bounds.curves) >= MAX_CURVES:  # keep the memory bounded
                    bounds.curves.clear()
                bounds.curves[along] = curve
            solved = _solve(question, left, bound.op, curve)
            if len(bounds.solved) < MAX_SHARED:
                bounds.solved[key] = solved
        found += solved
    return found


class _Curve:
    """A bound as a function of one question's answer, every other answer it reads fixed.
    Its points are kept: the searches against different compared answers (budgets of 3,000
    and 15,000 against the same cost curve) evaluate each point once, and most of a search's
    points are the doubling ones every search on the curve tries (measured over 3,000
    generated profiles: 4,300 evaluations of bounds instead of 14,500)."""

    def __init__(self, question: Question, bound: ValueOf, answers: Mapping[str, Any]) -> None:
        # `bound`: its plain form (`Bound.along`), as every point varies the question
        self.question, self.bound = question, bound
        self._answers = dict(answers)  # only what the bound reads matters (see `_thresholds`)
        self._points: dict[tuple[type, float], Any] = {}
        low = float(question.min) if question.min is not None else 0.0
        self.low = low + 1e-6 if question.min_exclusive else low

    @functools.cached_property
    def start(self) -> tuple[Any, bool]:
        """The bound at the lowest answer, and whether it read the question there. Asked of
        the plain form: a formula's memo builds its key from every answer the formula may
        read, so through it every bound seemed to read the question (measured on 1,500
        bench profiles: no search skipped through memos, 186 of 1,019 without)."""
        seen = _Reads({**self._answers, self.question.id: self.low})
        return self.bound(seen), self.question.id in seen.read

    def __call__(self, value: float) -> Any:
        key = (value.__class__, value)
        found = self._points.get(key, _UNSEEN)
        if found is _UNSEEN:
            self._answers[self.question.id] = value
            found = self._points[key] = self.bound(self._answers)
        return found


def _solve(question: Question, left: Any, op: str, curve: _Curve) -> list[tuple[float, str]]:
    """Where `left <op> bound(answers with question = v)` flips as v grows, by bisection
    (the rule set's bounds grow with sizes: costs and memory)."""

    def holds(value: float) -> bool | None:
        limit = curve(value)
        return None if limit.__class__ is Unknown else compare(left, op, limit)

    low = curve.low
    # A bound that does not read the question here (another branch of a `choose`, a `first`
    # settled before it) is the same for every value of it: nothing flips, and the search
    # below would find nothing after ~26 calls (measured: 186 of 1,019 searches are such).
    limit, reads_it = curve.start
    if not reads_it:
        return []
    # Nothing is found from an unknown start (see below), where the doubling used to run to
    # the ceiling first (~24 evaluations; measured, half of `_solve`).
    if limit.__class__ is Unknown:
        return []
    at_low = compare(left, op, limit)
    if at_low and question.never_lower:  # the answer would be "at most": less data, never
        return []
    high = max(1.0, low * 2)
    ceiling = float(question.max) if question.max is not None else SEARCH_LIMIT
    at_high = holds(high)
    while at_high == at_low and high < ceiling:
        high = min(high * 2, ceiling)
        at_high = holds(high)
    if at_high is None or at_low == at_high:
        return []
    integer = question.type == "integer"
    scale = 1 if integer else 10  # the answer is rounded to 1 (integers) or 0.1 (numbers)
    rounding = math.floor if at_low else math.ceil
    for _ in range(STEPS):
        # Stop once every point left in [low, high] rounds to the same edge: further steps
        # could not change it (x * scale and floor/ceil are monotone), so the edge is exactly
        # the one all STEPS give, at a third of the calls (measured: 26 -> ~9 per search).
        if rounding(low * scale) == rounding(high * scale):
            break
        middle = (low + high) / 2
        if holds(middle) == at_low:
            low = middle
        else:
            high = middle
    if at_low:  # small values pass: the largest value that still does
        edge = math.floor(low) if integer else math.floor(low * 10) / 10
        return [(float(edge), "≤")] if edge > 0 and holds(edge) else []
    edge = math.ceil(high) if integer else math.ceil(high * 10) / 10
    return [(float(edge), "≥")] if holds(edge) else []


class _Reads(Mapping[str, Any]):
    """Answers that note which of them an evaluation reads (every read goes through
    `__getitem__`; iterating counts as reading them all)."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self._answers, self.read = answers, set[str]()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return self._answers[key]

    def __iter__(self) -> Iterator[str]:
        self.read.update(self._answers)
        return iter(self._answers)

    def __len__(self) -> int:
        return len(self._answers)


def _around(limit: float, op: str) -> list[tuple[float, str]]:
    if op in ("ge", "lt"):
        return [(limit, "≥"), (limit, "<")]
    return [(limit, "≤"), (limit, ">")]


def _value_for(question: Question, limit: float, relation: str) -> Any:
    step = 1 if question.type == "integer" else 0.01
    if relation == ">":
        value = limit + step
    elif relation == "<":
        value = limit - step
    else:
        assert relation in ("≥", "≤"), relation
        value = limit
    if question.type == "integer":
        value = int(value) if float(value).is_integer() else int(value) + (relation in "≥>")
    if question.min is not None and (
        value < question.min or (question.min_exclusive and value <= question.min)
    ):
        return None  # outside the question's domain (no "model_params_b ≤ 0")
    if question.max is not None and value > question.max:
        return None
    return value


def candidates(rules: Rules, answers: Mapping[str, Any]) -> list[Change]:
    """Every single answer change worth trying for this profile."""
    fast = rules.outcomes
    # A question's changes depend only on its current answer, unless it is compared with a
    # bound other answers decide (a scaled one): the others are made once, then shared.
    bounds = numeric_bounds(fast)
    made = bounds.by_answer
    shared = bounds.shared
    out: list[Change] = []
    for question in rules.model.questions:
        if not question.what_if:
            continue
        current = answers.get(question.id)
        if question.id not in shared:
            # The others are shared too, by every answer their bounds may read (static reads:
            # a superset of what is read): measured, _changes runs 4,900 times instead of
            # 13,200 over 3,000 generated profiles (~8% of `check`). The class is in the key:
            # 1, 1.0 and True are equal keys but not the same answer.
            reads = answers_key(answers, bounds.depends[question.id])
            found = bounds.made.get((question.id, reads))
            if found is None:
                found = _changes(fast, bounds, question, current, answers)
                if len(bounds.made) < MAX_SHARED:
                    bounds.made[(question.id, reads)] = found
            out += found
            continue
        key = (question.id, type(current), current)
        changes = made.get(key)
        if changes is None:
            changes = _changes(fast, bounds, question, current, answers)
            if len(made) < MAX_SHARED:  # numbers need not repeat: keep the memory bounded
                made[key] = changes
        out += changes
    return out


def _changes(
    fast: Outcomes, bounds: Bounds, question: Question, current: Any, answers: Mapping[str, Any]
) -> list[Change]:
    if question.type == "choice":
        return [Change(question.id, current, v) for v in question.values if v != current]
    if question.type == "bool":
        return [Change(question.id, current, v) for v in (True, False) if v is not current]
    out: list[Change] = []
    seen: set[Any] = set()
    for limit, relation in _thresholds(fast, bounds, answers, question.id):
        if question.never_lower and relation in ("≤", "<"):
            continue  # never advise less data
        value = _value_for(question, limit, relation)
        if value is None or value == current or value in seen:
            continue
        if question.never_lower and current is not None and value < current:
            continue
        if current is not None and _same_side(current, limit, relation):
            continue
        seen.add(value)
        out.append(Change(question.id, current, value, relation, limit))
    return out


def _same_side(current: Any, limit: float, relation: str) -> bool:
    if relation == "≥":
        return bool(current >= limit)
    if relation == "≤":
        return bool(current <= limit)
    if relation == ">":
        return bool(current > limit)
    assert relation == "<", relation
    return bool(current < limit)


def apply_changes(answers: Mapping[str, Any], changes: tuple[Change, ...]) -> dict[str, Any]:
    new = dict(answers)
    for change in changes:
        new[change.question] = change.new
    return new
