"""Three-valued evaluation of rule-set conditions and values, and reason templating (pure)."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tunewise.arithmetic import combine
from tunewise.compiled import (
    ARITHMETIC,
    AllOf,
    AnswerRef,
    AnyOf,
    Choose,
    Compare,
    First,
    FormulaRef,
    Lookup,
    NotOf,
    ParamRef,
    Range,
    Record,
    RuleSet,
    Scaled,
)


class Unknown:
    """An answer that is not given; carries which questions would settle it."""

    __slots__ = ("missing",)

    def __init__(self, missing: tuple[str, ...]) -> None:
        self.missing = missing


@dataclass
class Truth:
    value: bool | None  # None: cannot tell until `missing` are answered
    missing: list[str] = field(default_factory=list)


@dataclass
class Context:
    """Everything a condition may read: answers (need and project merged), parameters, tables."""

    rules: RuleSet
    params: Mapping[str, float | int]
    answers: Mapping[str, Any]
    used: set[str] = field(default_factory=set)
    explain: bool = True  # False: only the outcome matters (what-if searches); skip texts

    def answer(self, qid: str) -> Any:
        self.used.add(qid)
        value = self.answers.get(qid)
        return Unknown((qid,)) if value is None else value

    def value(self, expr: Any) -> Any:
        """Evaluate a value expression to a plain value, or Unknown."""
        if isinstance(expr, ParamRef):
            return self.params[expr.param]
        if isinstance(expr, AnswerRef):
            return self.answer(expr.answer)
        if isinstance(expr, Lookup):
            table = self.rules.table(expr.lookup)
            key = self.answer(table.key) if expr.at is None else self.value(expr.at)
            if isinstance(key, Unknown):
                return key
            return table_row(table.rows, key)[expr.field]
        if isinstance(expr, Record) and not isinstance(expr, Scaled):
            return self._computed(expr)
        if isinstance(expr, Scaled):
            base = self.answer(expr.scaled)
            if isinstance(base, Unknown):
                if expr.if_missing is not None:
                    return self.value(expr.if_missing)
                return base
            factor, plus = self.value(expr.factor), self.value(expr.plus)
            # Round so that 8 × 0.6 + 1.5 is 6.3, not 6.300000000000001: boundaries stay exact.
            return round(base * factor + plus, 6)
        return expr

    def _computed(self, expr: Any) -> Any:
        """Formulas, arithmetic, first-known and if/then/else: any unknown operand makes the
        result unknown (`first` skips unknowns; `if` reads only the branch it takes)."""
        if isinstance(expr, FormulaRef):
            return self.value(self.rules.formula(expr.formula).value)
        if isinstance(expr, First):
            missing: list[tuple[str, ...]] = []
            for part in expr.first:
                found = self.value(part)
                if not isinstance(found, Unknown):
                    return found
                missing.append(found.missing)
            return Unknown(tuple(_merge(missing)))
        if isinstance(expr, Choose):
            truth = self.test(expr.if_)
            if truth.value is None:
                return Unknown(tuple(truth.missing))
            chosen = expr.then if truth.value else expr.else_
            return Unknown(()) if chosen is None else self.value(chosen)
        kind = ARITHMETIC[type(expr)]
        operands = [self.value(part) for part in getattr(expr, kind)]
        unknown = [v.missing for v in operands if isinstance(v, Unknown)]
        if unknown:
            return Unknown(tuple(_merge(unknown)))
        result = combine(kind, operands)
        return Unknown(()) if result is None else result

    def test(self, cond: Any) -> Truth:
        if isinstance(cond, Compare):
            return self._compare(cond)
        if isinstance(cond, (AllOf, AnyOf)):
            parts = [self.test(c) for c in (cond.all if isinstance(cond, AllOf) else cond.any)]
            decisive = isinstance(cond, AnyOf)  # any: one True settles it; all: one False does
            if any(p.value is decisive for p in parts):
                return Truth(decisive)
            if any(p.value is None for p in parts):
                return Truth(None, _merge(p.missing for p in parts if p.value is None))
            return Truth(not decisive)
        if isinstance(cond, NotOf):
            inner = self.test(cond.not_)
            return inner if inner.value is None else Truth(not inner.value)
        raise TypeError(f"not a condition: {cond!r}")

    def _compare(self, cond: Compare) -> Truth:
        left = self.answer(cond.answer)
        op, operand = cond.operator, cond.operand
        right = operand if op in ("in", "not_in") else self.value(operand)
        unknown = [v for v in (left, right) if isinstance(v, Unknown)]
        if unknown:
            return Truth(None, _merge(u.missing for u in unknown))
        return Truth(compare(left, op, right))

    def in_range(self, value: Any, rng: Range) -> bool | None:
        for op in ("ge", "gt", "le", "lt"):
            bound = getattr(rng, op)
            if bound is None:
                continue
            limit = self.value(bound)
            if isinstance(limit, Unknown):
                return None
            if not compare(value, op, limit):
                return False
        return True


def compare(left: Any, op: str, right: Any) -> bool:
    if op == "eq":
        return bool(_same(left, right))
    if op == "ne":
        return not _same(left, right)
    if op == "in":
        return any(_same(left, r) for r in right)
    if op == "not_in":
        return not any(_same(left, r) for r in right)
    if not _is_number(left) or not _is_number(right):
        return False
    return bool(
        {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[op]
    )


def _same(left: Any, right: Any) -> bool:
    # true must not equal 1: keep booleans apart from numbers.
    return isinstance(left, bool) == isinstance(right, bool) and bool(left == right)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def table_row(rows: list[dict[str, Any]], key: Any) -> dict[str, Any]:
    """The last row whose `from` is not above the key; the first row below every `from`."""
    chosen = rows[0]
    for row in rows:
        if key >= row["from"]:
            chosen = row
    return chosen


def _merge(groups: Any) -> list[str]:
    out: list[str] = []
    for group in groups:
        for item in group:
            if item not in out:
                out.append(item)
    return out


_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?:\.([a-z][a-z0-9_]*))?\}")


def placeholders(text: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(text)]


@functools.lru_cache(maxsize=1024)
def _spaced(text: str) -> str:
    return " ".join(text.split())


def render(text: str, ctx: Context) -> str:
    """Fill {answer}, {param} and {table.column} placeholders; unknown ones show as '?'."""
    if "{" not in text:  # most texts: nothing to fill, and the same every time
        return _spaced(text)

    def fill(match: re.Match[str]) -> str:
        name, column = match.group(1), match.group(2)
        value: Any
        if column == "as_of" and ctx.rules.has("table", name):
            value = ctx.rules.table(name).as_of
        elif column is not None and ctx.rules.has("table", name):
            value = ctx.value(Lookup(lookup=name, field=column, at=None))
        elif ctx.rules.has("formula", name):
            value = ctx.value(FormulaRef(formula=name))
        elif name in ctx.params:
            value = ctx.params[name]
        elif ctx.rules.has("question", name):
            value = ctx.answers.get(name)
        else:
            return match.group(0)
        return "?" if value is None or isinstance(value, Unknown) else format_value(value)

    return " ".join(_PLACEHOLDER.sub(fill, text).split())


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)
