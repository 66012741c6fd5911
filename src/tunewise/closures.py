"""Rule-set values and conditions compiled into closures over the answers.

The same three-valued semantics as `conditions.Context` (tests hold the two in step): a
condition is True, False or None (cannot tell yet); a missing answer is absent or None. Built
once per rule set and parameters, then called thousands of times by outcome-only walks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tunewise.arithmetic import combine
from tunewise.compiled import (
    ARITHMETIC,
    AllOf,
    AnswerRef,
    AnyOf,
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
from tunewise.conditions import compare, table_row

Answers = Mapping[str, Any]
Test = Callable[[Answers], "bool | None"]
ValueOf = Callable[[Answers], Any]


class _Missing:
    """A value that cannot be worked out until an answer is given."""

    __repr__ = object.__repr__


MISSING: Any = _Missing()


class Compiler:
    """Compiles the values and conditions of one rule set with its parameters."""

    def __init__(self, model: RuleSet, params: Mapping[str, float | int]) -> None:
        self.model, self.params = model, params

    def value_of(self, expr: Any) -> ValueOf:
        """A value expression as a function of the answers (MISSING while it cannot tell)."""
        if isinstance(expr, ParamRef):
            return _constant(self.params[expr.param])
        if isinstance(expr, AnswerRef):
            qid = expr.answer
            return lambda answers: _given(answers.get(qid))
        if isinstance(expr, Lookup):
            table = self.model.table(expr.lookup)
            rows, column = table.rows, expr.field
            key_of = self.value_of(expr.at if expr.at is not None else AnswerRef(answer=table.key))

            def lookup(answers: Answers) -> Any:
                found = key_of(answers)
                return MISSING if found is MISSING else table_row(rows, found)[column]

            return lookup
        if isinstance(expr, Scaled):
            return self._scaled(expr)
        if isinstance(expr, Record):
            return self._computed(expr)
        return _constant(expr)

    def _computed(self, expr: Any) -> ValueOf:
        """Formulas, arithmetic, first-known and if/then/else, as `Context._computed`."""
        if isinstance(expr, FormulaRef):
            cache: dict[str, ValueOf] = self.__dict__.setdefault("_formulas", {})
            if expr.formula not in cache:  # compiled once; references are acyclic (validated)
                cache[expr.formula] = self.value_of(self.model.formula(expr.formula).value)
            return cache[expr.formula]
        if isinstance(expr, First):
            options = [self.value_of(part) for part in expr.first]

            def first(answers: Answers) -> Any:
                for option in options:
                    found = option(answers)
                    if found is not MISSING:
                        return found
                return MISSING

            return first
        if isinstance(expr, Choose):
            holds, then = self.test_of(expr.if_), self.value_of(expr.then)
            otherwise = _constant(MISSING) if expr.else_ is None else self.value_of(expr.else_)

            def choose(answers: Answers) -> Any:
                truth = holds(answers)
                if truth is None:
                    return MISSING
                return then(answers) if truth else otherwise(answers)

            return choose
        kind = ARITHMETIC[type(expr)]
        parts = [self.value_of(part) for part in getattr(expr, kind)]

        def arithmetic(answers: Answers) -> Any:
            operands = [part(answers) for part in parts]
            if any(v is MISSING for v in operands):
                return MISSING
            result = combine(kind, operands)
            return MISSING if result is None else result

        return arithmetic

    def _scaled(self, expr: Scaled) -> ValueOf:
        base_id = expr.scaled
        factor, plus = self.value_of(expr.factor), self.value_of(expr.plus)
        fallback = self.value_of(expr.if_missing) if expr.if_missing is not None else None

        def scaled(answers: Answers) -> Any:
            base = answers.get(base_id)
            if base is None:
                return MISSING if fallback is None else fallback(answers)
            return round(base * factor(answers) + plus(answers), 6)  # as Context.value rounds

        return scaled

    def test_of(self, cond: Any) -> Test:
        """A condition as a function of the answers: True, False, or None (cannot tell yet)."""
        if isinstance(cond, Compare):
            return self._compare(cond)
        if isinstance(cond, (AllOf, AnyOf)):
            parts = [self.test_of(c) for c in (cond.all if isinstance(cond, AllOf) else cond.any)]
            return _junction(parts, decisive=isinstance(cond, AnyOf))
        if isinstance(cond, NotOf):
            inner = self.test_of(cond.not_)

            def negated(answers: Answers) -> bool | None:
                value = inner(answers)
                return None if value is None else not value

            return negated
        raise TypeError(f"not a condition: {cond!r}")

    def _compare(self, cond: Compare) -> Test:
        qid, op = cond.answer, cond.operator
        if op in ("in", "not_in"):
            return _membership(qid, cond.operand, negate=op == "not_in")
        right = self.value_of(cond.operand)
        if is_fixed(cond.operand):  # most conditions, and worth a closure of their own
            return _fixed_compare(qid, op, right({}))

        def test(answers: Answers) -> bool | None:
            left = answers.get(qid)
            if left is None:
                return None
            limit = right(answers)
            return None if limit is MISSING else compare(left, op, limit)

        return test

    def branch_test(self, branch: Branch) -> Callable[[Any, Answers], bool]:
        """Does an ask node's branch take this (given) answer? As `engine._takes`."""
        if branch.otherwise:
            return lambda value, answers: True
        if branch.when is not None:
            matches = _matcher(list(branch.when))
            return lambda value, answers: matches(value)
        assert branch.range is not None
        rng = branch.range
        bounds = [
            (op, self.value_of(getattr(rng, op)))
            for op in ("ge", "gt", "le", "lt")
            if getattr(rng, op) is not None
        ]

        def in_range(value: Any, answers: Answers) -> bool:
            for op, bound in bounds:
                limit = bound(answers)
                if limit is MISSING or not compare(value, op, limit):
                    return False
            return True

        return in_range


def is_fixed(expr: Any) -> bool:
    """A value known before any answer: a literal or a parameter."""
    return isinstance(expr, ParamRef) or not isinstance(expr, Record)


def _constant(value: Any) -> ValueOf:
    return lambda answers: value


def _given(value: Any) -> Any:
    return MISSING if value is None else value


def _matcher(options: list[Any]) -> Callable[[Any], bool]:
    """Is a given value among `options`, as `engine._in` says (true must not match 1)."""
    if all(isinstance(o, str) for o in options):
        texts = frozenset(options)  # a value that is not text equals no text: set lookup
        return lambda value: isinstance(value, str) and value in texts
    if all(isinstance(o, bool) for o in options):
        flags = frozenset(options)
        return lambda value: isinstance(value, bool) and value in flags
    return lambda value: any(
        isinstance(value, bool) == isinstance(o, bool) and value == o for o in options
    )


def _membership(qid: str, options: list[Any], negate: bool) -> Test:
    matches = _matcher(list(options))

    def member(answers: Answers) -> bool | None:
        value = answers.get(qid)
        return None if value is None else matches(value) is not negate

    return member


def _fixed_compare(qid: str, op: str, right: Any) -> Test:
    """`answer <op> right` for a right-hand side known before any answer (as `compare`)."""
    if op in ("eq", "ne"):
        matches, negate = _matcher([right]), op == "ne"

        def equal(answers: Answers) -> bool | None:
            value = answers.get(qid)
            return None if value is None else matches(value) is not negate

        return equal

    def ordered(answers: Answers) -> bool | None:
        value = answers.get(qid)
        return None if value is None else compare(value, op, right)

    return ordered


def _junction(parts: list[Test], decisive: bool) -> Test:
    """all (decisive False: one False settles it) or any (decisive True), as `Context.test`."""

    def junction(answers: Answers) -> bool | None:
        unsure = False
        for part in parts:
            value = part(answers)
            if value is decisive:
                return decisive
            unsure = unsure or value is None
        return None if unsure else not decisive

    return junction
