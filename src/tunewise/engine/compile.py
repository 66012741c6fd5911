"""The evaluator's compiler: rule-set values and conditions as closures over the answers.

This is the only run-time semantics of a rule set. A condition is True, False or Unknown
(cannot tell until the answers `Unknown.missing` names are given); a missing answer is absent
or None. Values are compiled by kind in one place (`Compiler.value_of`), and so are the
questions an expression reads (`reads_of`) and the numeric thresholds a question is compared
with (`thresholds`). Built once per rule set and parameters (see `engine.evaluator.outcomes_for`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from tunewise.ruleset.arithmetic import operation
from tunewise.ruleset.records import (
    ARITHMETIC,
    AllOf,
    AnswerRef,
    AnyOf,
    AskNode,
    Branch,
    Choose,
    Compare,
    First,
    FormulaRef,
    Lookup,
    NotOf,
    ParamRef,
    Record,
    RuleSet,
    Scaled,
)

Answers = Mapping[str, Any]
RANGE_OPERATORS = ("ge", "gt", "le", "lt")
ORDERED = frozenset(RANGE_OPERATORS)


class Unknown:
    """A value or condition that cannot be worked out yet: `missing` are the answers that would
    settle it (empty when no answer can: a value of the wrong kind)."""

    __slots__ = ("missing",)

    def __init__(self, missing: tuple[str, ...]) -> None:
        self.missing = missing

    def __repr__(self) -> str:
        return f"Unknown({self.missing!r})"

    def merged(self, other: Unknown) -> Unknown:
        extra = tuple(q for q in other.missing if q not in self.missing)
        return Unknown(self.missing + extra) if extra else self


Test = Callable[[Answers], Any]  # True, False or an Unknown
ValueOf = Callable[[Answers], Any]  # a plain value or an Unknown


# --- comparisons: the one place that says how two values compare --------------------------


def same(left: Any, right: Any) -> bool:
    """Equal, with booleans kept apart from numbers (true is not 1)."""
    return isinstance(left, bool) == isinstance(right, bool) and bool(left == right)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def compare(left: Any, op: str, right: Any) -> bool:
    """`left <op> right`; an order between anything but numbers is false."""
    if op in ORDERED:
        # `is_number` of both, inline, and the orders asked first: the what-if search
        # compares a bound thousands of times a profile (bool has no subclasses)
        if (
            not isinstance(left, (int, float))
            or not isinstance(right, (int, float))
            or left.__class__ is bool
            or right.__class__ is bool
        ):
            return False
        if op == "lt":
            return bool(left < right)
        if op == "le":
            return bool(left <= right)
        if op == "gt":
            return bool(left > right)
        return bool(left >= right)
    if op == "eq":
        return same(left, right)
    if op == "ne":
        return not same(left, right)
    if op == "in":
        return any(same(left, r) for r in right)
    if op == "not_in":
        return not any(same(left, r) for r in right)
    raise ValueError(f"not a comparison: {op!r}")


def table_row(rows: list[dict[str, Any]], key: Any) -> dict[str, Any]:
    """The last row whose `from` is not above the key; the first row below every `from`."""
    chosen = rows[0]
    for row in rows:
        if key >= row["from"]:
            chosen = row
    return chosen


def is_fixed(expr: Any) -> bool:
    """A value known before any answer: a literal or a parameter."""
    return isinstance(expr, ParamRef) or not isinstance(expr, Record)


def conditions_in(record: Any) -> Iterator[Any]:
    """Every condition and value record inside `record` (itself included), iteratively."""
    stack = [record]
    while stack:
        obj = stack.pop()
        if isinstance(obj, Record):
            yield obj
            stack.extend(reversed([getattr(obj, name) for name in obj.FIELDS]))
        elif isinstance(obj, (list, tuple)):
            stack.extend(reversed(obj))
        elif isinstance(obj, dict):
            stack.extend(reversed(list(obj.values())))


MAX_REMEMBERED = 4096  # values kept per remembered function; its memo starts afresh when full


def remembered(function: ValueOf, reads: tuple[str, ...]) -> ValueOf:
    """`function` of the answers, remembered by the answers it reads (`reads`: a superset of
    them) and their types (1, 1.0 and True are equal keys but not the same answer).

    For values worked out from answers that most evaluations leave unchanged: a check
    comparing with a computed value (the budget against the cost formulas) is evaluated in
    most walks of the what-if search, which mostly change other answers (measured, a sixth of
    `search` over 3,000 generated profiles); a named formula is evaluated as part of others
    (the cost's training tokens while the search varies the model size)."""
    memo: dict[tuple[Any, ...], Any] = {}

    def remembered(answers: Answers) -> Any:
        found = tuple(map(answers.get, reads))
        key = (*found, *map(type, found))
        try:
            # a miss is no exception: most of a bisection's points are new (callgrind,
            # judging 1,000 bench profiles: 1.2% fewer instructions than with a KeyError)
            value = memo.get(key, _UNSEEN)
        except TypeError:  # an answer that cannot be a key (a list): not remembered
            return function(answers)
        if value is _UNSEEN:
            if len(memo) >= MAX_REMEMBERED:
                memo.clear()
            value = memo[key] = function(answers)
        return value

    return remembered


_UNSEEN = object()


class Compiler:
    """Compiles the values and conditions of one rule set with its parameters."""

    def __init__(
        self, model: RuleSet, params: Mapping[str, float | int], *, remember: bool = True
    ) -> None:
        self.model, self.params = model, params
        self.remember = remember  # named formulas `remembered` (see there); else plain
        self._reads: dict[int, tuple[str, ...]] = {}
        self._formulas: dict[str, ValueOf] = {}  # named formulas, each compiled once

    # --- values: one function per kind ------------------------------------------------

    def value_of(self, expr: Any) -> ValueOf:
        """A value expression as a function of the answers (an Unknown while it cannot tell).
        A new kind of value is one more entry in `_VALUE_KINDS`."""
        kind = _VALUE_KINDS.get(type(expr))
        if kind is None:
            return _constant(expr)
        return kind(self, expr)

    def _param(self, expr: ParamRef) -> ValueOf:
        return _constant(self.params[expr.param])

    def _answer(self, expr: AnswerRef) -> ValueOf:
        qid = expr.answer
        missing = Unknown((qid,))

        def answer(answers: Answers) -> Any:
            found = answers.get(qid)
            return missing if found is None else found

        return answer

    def _lookup(self, expr: Lookup) -> ValueOf:
        table = self.model.table(expr.lookup)
        rows, column = table.rows, expr.field
        key_of = self.value_of(expr.at if expr.at is not None else AnswerRef(answer=table.key))
        wrong = Unknown(())

        def lookup(answers: Answers) -> Any:
            found = key_of(answers)
            if found.__class__ is Unknown:
                return found
            if not isinstance(found, (int, float)) or found != found:  # not a number, or NaN
                return wrong
            return table_row(rows, found)[column]

        return lookup

    def _formula(self, expr: FormulaRef) -> ValueOf:
        """A named formula, compiled once (references are acyclic: validated)."""
        cache = self._formulas
        if expr.formula not in cache:
            compiled = self.value_of(self.model.formula(expr.formula).value)
            reads = tuple(_formula_reads(self.model, expr.formula))
            cache[expr.formula] = remembered(compiled, reads) if self.remember else compiled
        return cache[expr.formula]

    def _first(self, expr: First) -> ValueOf:
        """The first known value: "measured, else answered, else a default"."""
        options = [self.value_of(part) for part in expr.first]

        def first(answers: Answers) -> Any:
            unsure = None
            for option in options:
                found = option(answers)
                if found.__class__ is not Unknown:
                    return found
                unsure = found if unsure is None else unsure.merged(found)
            return unsure

        return first

    def _choose(self, expr: Choose) -> ValueOf:
        """`then` or `else` as the condition holds; no `else`: no value when it does not."""
        holds, then = self.test_of(expr.if_), self.value_of(expr.then)
        otherwise = _constant(Unknown(())) if expr.else_ is None else self.value_of(expr.else_)

        def choose(answers: Answers) -> Any:
            truth = holds(answers)
            if truth.__class__ is Unknown:
                return truth
            return then(answers) if truth else otherwise(answers)

        return choose

    def _arithmetic(self, expr: Any) -> ValueOf:
        """sum, product, min, max, quotient (see `arithmetic.operation`): any unknown operand
        makes the result unknown, needing what every unknown operand needs."""
        kind = ARITHMETIC[type(expr)]
        parts = [self.value_of(part) for part in getattr(expr, kind)]
        compute, wrong = operation(kind), Unknown(())

        def unsure(operands: list[Any]) -> Any:
            # no number came out: an unknown operand (the answers it needs), else a wrong one
            found = wrong
            for value in operands:
                if value.__class__ is Unknown:
                    found = value if found is wrong else found.merged(value)
            return found

        # Two operands (most: a quotient, a product of two) without a loop over the parts:
        # a cost bound is five such in a row, evaluated thousands of times by the what-if
        # search (measured: the default budget bound 7.7 -> 6.8 µs an evaluation).
        if len(parts) == 2:
            left, right = parts

            def arithmetic(answers: Answers) -> Any:
                operands = [left(answers), right(answers)]
                result = compute(operands)
                return unsure(operands) if result is None else result

            return arithmetic

        def arithmetic_n(answers: Answers) -> Any:
            operands = [part(answers) for part in parts]
            result = compute(operands)
            return unsure(operands) if result is None else result

        return arithmetic_n

    def _scaled(self, expr: Scaled) -> ValueOf:
        base_id = expr.scaled
        factor, plus = self.value_of(expr.factor), self.value_of(expr.plus)
        fallback = self.value_of(expr.if_missing) if expr.if_missing is not None else None
        missing, wrong = Unknown((base_id,)), Unknown(())

        def scaled(answers: Answers) -> Any:
            base = answers.get(base_id)
            if base is None:
                if fallback is not None:
                    return fallback(answers)
                waiting = missing  # and what the factor and offset wait for: all at once
                for part in (factor(answers), plus(answers)):
                    if part.__class__ is Unknown:
                        waiting = waiting.merged(part)
                return waiting
            times, offset = factor(answers), plus(answers)
            if times.__class__ is Unknown:  # an unanswered factor: the value waits for it
                return times.merged(offset) if offset.__class__ is Unknown else times
            if offset.__class__ is Unknown:
                return offset
            try:
                # Round so that 8 × 0.6 + 1.5 is 6.3, not 6.300000000000001: bounds stay exact.
                return round(base * times + offset, 6)
            except (TypeError, OverflowError, ValueError):  # no number comes out of these
                return wrong

        return scaled

    # --- conditions ---------------------------------------------------------------------

    def test_of(self, cond: Any) -> Test:
        """A condition as a function of the answers: True, False, or an Unknown."""
        if isinstance(cond, Compare):
            return self._compare(cond)
        if isinstance(cond, (AllOf, AnyOf)):
            parts = [self.test_of(c) for c in (cond.all if isinstance(cond, AllOf) else cond.any)]
            return _junction(parts, decisive=isinstance(cond, AnyOf))
        if isinstance(cond, NotOf):
            inner = self.test_of(cond.not_)

            def negated(answers: Answers) -> Any:
                value = inner(answers)
                return value if value.__class__ is Unknown else not value

            return negated
        raise TypeError(f"not a condition: {cond!r}")

    def _compare(self, cond: Compare) -> Test:
        qid, op = cond.answer, cond.operator
        if op in ("in", "not_in"):
            return _membership(qid, cond.operand, negate=op == "not_in")
        right = self.value_of(cond.operand)
        if is_fixed(cond.operand):  # most conditions, and worth a closure of their own
            return _fixed_compare(qid, op, right({}))
        missing = Unknown((qid,))

        def test(answers: Answers) -> Any:
            left, limit = answers.get(qid), right(answers)
            if left is None:
                return missing.merged(limit) if limit.__class__ is Unknown else missing
            return limit if limit.__class__ is Unknown else compare(left, op, limit)

        return test

    def branch_test(self, branch: Branch) -> Callable[[Any, Answers], Any]:
        """Does an ask node's branch take this (given) answer? True, False, or an Unknown
        naming the answers its bounds still need (`range: {ge: {answer: target}}` without a
        target): the walk cannot tell then, so it stops there, undecided. A bound that no
        answer can settle (a value of the wrong kind) does not take it."""
        if branch.otherwise:
            return lambda value, answers: True
        if branch.when is not None:
            # the matcher itself, not a function calling it: every walk asks a dozen branches
            # (measured: 170,000 calls fewer over the 3,000 bench profiles, ~2% of `check`)
            return _matcher(list(branch.when))
        assert branch.range is not None
        bounds = [(op, self.value_of(expr)) for op, expr in range_bounds(branch)]

        def in_range(value: Any, answers: Answers) -> Any:
            unknown: Unknown | None = None
            for op, bound in bounds:
                limit = bound(answers)
                if limit.__class__ is Unknown:
                    if not limit.missing:
                        return False
                    unknown = limit if unknown is None else unknown.merged(limit)
                elif not compare(value, op, limit):
                    return False  # a known bound it fails settles it, whatever the others
            return True if unknown is None else unknown

        return in_range

    def text_branches(self, node: AskNode) -> tuple[dict[str, int], int | None] | None:
        """The branch of an ask node a text answer takes, as one lookup, for a node whose
        branches are lists of texts (each tested by `_matcher`: a text is taken by the first
        list holding it), possibly ended by an `otherwise`: the branch index by text, and
        the `otherwise` index for any other text (None: no branch takes it). None for a node
        with any other kind of branch. Every walk passes two or three such nodes, each
        asking up to six branches in turn (measured with callgrind, judging 1,000 bench
        profiles: 1.7% fewer instructions)."""
        table: dict[str, int] = {}
        for index, branch in enumerate(node.branches):
            if branch.otherwise:  # as in `branch_test`, otherwise comes first
                return table, index
            texts = [o for o in branch.when or () if isinstance(o, str)]
            if branch.when is None or len(texts) != len(branch.when):
                return None
            for text in texts:
                table.setdefault(text, index)
        return table, None

    # --- what an expression reads, and what numbers questions are compared with -------------

    def reads_of(self, record: Any) -> tuple[str, ...]:
        """The questions a condition, value, check or branch reads, in the order it names them
        (a table lookup reads the table's key). Static: every question it may read."""
        if record is None or not isinstance(record, Record):
            return ()
        key = id(record)
        found = self._reads.get(key)
        if found is None:
            names: dict[str, None] = {}
            for obj in conditions_in(record):
                reader = _READS.get(type(obj))
                if reader is not None:
                    names.update(dict.fromkeys(reader(self.model, obj)))
            found = self._reads[key] = tuple(names)
        return found

    def thresholds(self, scope: Any) -> Iterator[tuple[str, str, Any]]:
        """(question, operator, value expression) of every ordered comparison in `scope`:
        `lt/le/gt/ge` conditions and the bounds of ask nodes' ranges."""
        for obj in conditions_in(scope):
            if isinstance(obj, Compare) and obj.operator in ORDERED:
                yield obj.answer, obj.operator, obj.operand
            elif isinstance(obj, AskNode):
                for branch in obj.branches:
                    for op, expr in range_bounds(branch):
                        yield obj.ask, op, expr

    def fixed_value(self, expr: Any) -> Any:
        """The value of an expression known before any answer (see `is_fixed`)."""
        return self.value_of(expr)({})


def range_bounds(branch: Branch) -> list[tuple[str, Any]]:
    """(operator, value expression) of each bound of a branch's range."""
    rng = branch.range
    if rng is None:
        return []
    return [(op, getattr(rng, op)) for op in RANGE_OPERATORS if getattr(rng, op) is not None]


def finite_number(value: Any) -> float | None:
    """A bound as a float, or None when it is no number or too large for one."""
    if not is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


_VALUE_KINDS: dict[type, Callable[[Compiler, Any], ValueOf]] = {
    ParamRef: Compiler._param,
    AnswerRef: Compiler._answer,
    Lookup: Compiler._lookup,
    Scaled: Compiler._scaled,
    FormulaRef: Compiler._formula,
    First: Compiler._first,
    Choose: Compiler._choose,
    **{kind: Compiler._arithmetic for kind in ARITHMETIC},
}


def _formula_reads(model: RuleSet, fid: str) -> Iterable[str]:
    """What a formula reads, through the formulas it refers to (acyclic: validated)."""
    if not model.has("formula", fid):
        return ()
    names: dict[str, None] = {}
    for obj in conditions_in(model.formula(fid).value):
        reader = _READS.get(type(obj))
        if reader is not None:
            names.update(dict.fromkeys(reader(model, obj)))
    return names


_READS: dict[type, Callable[[RuleSet, Any], Iterable[str]]] = {
    Compare: lambda model, obj: (obj.answer,),
    AnswerRef: lambda model, obj: (obj.answer,),
    Scaled: lambda model, obj: (obj.scaled,),
    # with `at`, the lookup reads what `at` reads (its records are walked too)
    Lookup: lambda model, obj: (model.table(obj.lookup).key,) if obj.at is None else (),
    AskNode: lambda model, obj: (obj.ask,),
    FormulaRef: lambda model, obj: _formula_reads(model, obj.formula),
}


def _constant(value: Any) -> ValueOf:
    return lambda answers: value


class Matches(Protocol):
    """Is a given value among some options? The answers are not needed, and may be given: a
    matcher is also a branch's test (see `Compiler.branch_test`)."""

    def __call__(self, value: Any, answers: Answers | None = None, /) -> bool: ...


def _matcher(options: list[Any]) -> Matches:
    """Is a given value among `options` (true must not match 1)?"""
    if all(isinstance(o, str) for o in options):
        texts = frozenset(options)  # a value that is not text equals no text: set lookup

        def text_in(value: Any, answers: Answers | None = None, /) -> bool:
            return isinstance(value, str) and value in texts

        return text_in
    if all(isinstance(o, bool) for o in options):
        flags = frozenset(options)

        def flag_in(value: Any, answers: Answers | None = None, /) -> bool:
            return isinstance(value, bool) and value in flags

        return flag_in

    def value_in(value: Any, answers: Answers | None = None, /) -> bool:
        return any(same(value, o) for o in options)

    return value_in


def _membership(qid: str, options: list[Any], negate: bool) -> Test:
    matches = _matcher(list(options))
    missing = Unknown((qid,))

    def member(answers: Answers) -> Any:
        value = answers.get(qid)
        return missing if value is None else matches(value) is not negate

    return member


def _fixed_compare(qid: str, op: str, right: Any) -> Test:
    """`answer <op> right` for a right-hand side known before any answer (as `compare`)."""
    missing = Unknown((qid,))
    if op in ("eq", "ne"):
        matches, negate = _matcher([right]), op == "ne"

        def equal(answers: Answers) -> Any:
            value = answers.get(qid)
            return missing if value is None else matches(value) is not negate

        return equal

    def ordered(answers: Answers) -> Any:
        value = answers.get(qid)
        return missing if value is None else compare(value, op, right)

    return ordered


def _junction(parts: list[Test], decisive: bool) -> Test:
    """all (decisive False: one False settles it) or any (decisive True); unknown otherwise
    when a part is, needing what every unknown part needs."""

    def junction(answers: Answers) -> Any:
        unsure = None
        for part in parts:
            value = part(answers)
            if value is decisive:
                return decisive
            if value.__class__ is Unknown:
                unsure = value if unsure is None else unsure.merged(value)
        return not decisive if unsure is None else unsure

    return junction
