"""Finite views of question domains: choices, booleans, and numeric ranges cut at thresholds."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tunewise.compiled import Question, Range, RuleSet
from tunewise.conditions import compare, format_value


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


def _bounds(rng: Range, params: Mapping[str, Any]) -> list[tuple[str, float]]:
    out = []
    for op in ("ge", "gt", "le", "lt"):
        bound = getattr(rng, op)
        if bound is None:
            continue
        value = params[bound.param] if hasattr(bound, "param") else bound
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((op, float(value)))
    return out


def in_range(value: Any, rng: Range, params: Mapping[str, Any]) -> bool:
    return all(compare(value, op, limit) for op, limit in _bounds(rng, params))


def range_points(ranges: Iterable[Range], params: Mapping[str, Any]) -> list[float]:
    return sorted({limit for rng in ranges for _, limit in _bounds(rng, params)})


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


def contains(cell: Cell, value: Any) -> bool:
    if cell.point:
        return isinstance(value, bool) == isinstance(cell.low, bool) and value == cell.low
    return bool(cell.low < value < cell.high)


def numeric_thresholds(rules: RuleSet, params: Mapping[str, Any]) -> dict[str, list[float]]:
    """Every constant a numeric answer is compared with anywhere (conditions, ranges, tables)."""
    from tunewise.compiled import AskNode, Compare, ParamRef
    from tunewise.rules import walk_records

    found: dict[str, set[float]] = {}
    for _, obj in walk_records(rules):
        if isinstance(obj, Compare) and obj.operator in ("lt", "le", "gt", "ge"):
            operand = obj.operand
            value = params[operand.param] if isinstance(operand, ParamRef) else operand
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                found.setdefault(obj.answer, set()).add(float(value))
        elif isinstance(obj, AskNode):
            ranges = [b.range for b in obj.branches if b.range is not None]
            found.setdefault(obj.ask, set()).update(range_points(ranges, params))
    for table in rules.tables:
        found.setdefault(table.key, set()).update(float(r["from"]) for r in table.rows)
    return {k: sorted(v) for k, v in found.items()}
