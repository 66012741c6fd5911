"""Finite views of question domains: choices, booleans, and numeric ranges cut at thresholds."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tunewise.engine.compile import (
    RANGE_OPERATORS,
    Compiler,
    finite_number,
    is_fixed,
    range_bounds,
)
from tunewise.engine.texts import format_value
from tunewise.ruleset.records import AskNode, Branch, Question, Range


@dataclass(frozen=True)
class Cell:
    """One piece of a domain: a choice, a boolean, a single number, or an open interval."""

    low: Any  # for choices/booleans, the value itself
    high: Any = None
    point: bool = True

    def sample(self, integer: bool = False) -> Any:
        """A value inside the cell (whole when the question is an integer)."""
        if self.point:
            return int(self.low) if integer and not isinstance(self.low, bool) else self.low
        low, high = self.low, self.high
        if math.isinf(low) and math.isinf(high):  # the whole line: any number is inside
            return 0
        if integer:
            start = math.floor(low) + 1 if low != -math.inf else math.floor(high) - 1
            return start
        if low == -math.inf:
            return high - 1
        if high == math.inf:
            return low + 1
        return (low + high) / 2

    def label(self, qid: str) -> str:
        if self.point:
            return f"{qid} = {format_value(self.low)}"
        low = "" if self.low == -math.inf else f"{format_value(self.low)} < "
        high = "" if self.high == math.inf else f" < {format_value(self.high)}"
        return f"{low}{qid}{high}"


def fixed_points(fast: Compiler, bounds: Iterable[tuple[str, str, Any]]) -> dict[str, set[float]]:
    """Per question, the numbers among `bounds` (question, operator, value) known before any
    answer; a bound other answers decide is no point here (see `unprovable_bounds`)."""
    found: dict[str, set[float]] = {}
    for qid, _, expr in bounds:
        if is_fixed(expr):
            limit = finite_number(fast.fixed_value(expr))
            if limit is not None:
                found.setdefault(qid, set()).add(limit)
    return found


def range_points(fast: Compiler, node: AskNode) -> list[float]:
    """Where an ask node's ranges cut its question's domain."""
    return sorted(fixed_points(fast, fast.thresholds(node)).get(node.ask, ()))


def unprovable_bounds(node: AskNode) -> list[tuple[int, str, Any]]:
    """(branch index, operator, value) of each range bound of `node` that other answers decide:
    no finite partition of the question covers it."""
    return [
        (index, op, expr)
        for index, branch in enumerate(node.branches)
        for op, expr in range_bounds(branch)
        if not is_fixed(expr)
    ]


class BranchOptions:
    """Which branches of an ask node may take a given answer, by the engine's own branch tests.

    A branch whose bounds are all fixed takes a value or not, whatever the other answers. A
    branch with a bound other answers decide (`range: {ge: {answer: target}}`) is tested on its
    fixed bounds only (the engine's `branch_test` of the same range without the others): a fixed
    bound the value fails settles it (the engine tests every bound), otherwise the branch *may*
    take the value, and the walk may also go on to the branches after it (or wait for the
    answers the bound needs: no gap). A value is `covered` when some branch surely takes it
    after every "may" (a catch-all `otherwise`, or fixed bounds it passes)."""

    def __init__(self, fast: Compiler, node: AskNode) -> None:
        self.dependent = tuple(
            any(not is_fixed(expr) for _, expr in range_bounds(b)) for b in node.branches
        )
        self.tests = [
            fast.branch_test(_fixed_part(branch) if dependent else branch)
            for branch, dependent in zip(node.branches, self.dependent, strict=True)
        ]

    def __call__(self, value: Any) -> tuple[tuple[int, ...], bool]:
        """(the branches that may take `value`, in order; whether the last surely does)."""
        found: list[int] = []
        for index, test in enumerate(self.tests):
            if test(value, {}) is True:
                found.append(index)
                if not self.dependent[index]:
                    return tuple(found), True
        return tuple(found), False


def _fixed_part(branch: Branch) -> Branch:
    """The same branch with only its fixed bounds (a range without bounds takes any value)."""
    assert branch.range is not None
    kept = {}
    for op in RANGE_OPERATORS:
        expr = getattr(branch.range, op)
        kept[op] = expr if expr is not None and is_fixed(expr) else None
    return Branch(
        when=None, range=Range(**kept), otherwise=False, goto=branch.goto, reasons=branch.reasons
    )


def cells(question: Question, points: Iterable[float] = ()) -> list[Cell]:
    """The domain of `question`, split at `points` for a numeric question."""
    if question.type == "choice":
        return [Cell(v) for v in question.values]
    if question.type == "bool":
        return [Cell(True), Cell(False)]
    low = -math.inf if question.min is None else float(question.min)
    high = math.inf if question.max is None else float(question.max)
    cuts = sorted({p for p in points if low < p < high})
    out: list[Cell] = []
    if question.min is not None and not question.min_exclusive:
        out.append(Cell(low))
    edges = [low, *cuts, high]
    for index, start in enumerate(edges[:-1]):
        end = edges[index + 1]
        if index > 0:
            out.append(Cell(start))
        interval = Cell(start, end, point=False)
        if question.type == "integer" and not _has_integer(start, end):
            continue
        out.append(interval)
    if question.max is not None:
        out.append(Cell(high))
    return out


def _has_integer(low: float, high: float) -> bool:
    if math.isinf(low) or math.isinf(high):
        return True
    return math.floor(low) + 1 < high


def numeric_thresholds(fast: Compiler) -> dict[str, list[float]]:
    """Every constant a numeric answer is compared with anywhere (conditions, ranges, tables)."""
    found = fixed_points(fast, fast.thresholds(fast.model))
    for table in fast.model.tables:
        starts = (finite_number(r["from"]) for r in table.rows)
        found.setdefault(table.key, set()).update(p for p in starts if p is not None)
    return {k: sorted(v) for k, v in found.items()}
