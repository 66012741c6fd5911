"""Arithmetic on rule-set values (sum, product, min, max, quotient): one definition for every
evaluator, so that costs and memory computed by the rule set agree wherever they are read."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def combine(kind: str, operands: Sequence[Any]) -> float | int | None:
    """`kind` of the operands (all known), or None when one is not a number. Results are
    rounded to 6 decimals so that boundaries stay exact (8 × 0.6 + 1.5 is 6.3)."""
    if not all(is_number(v) for v in operands):
        return None
    if kind == "sum":
        result: float = math.fsum(operands)
    elif kind == "product":
        result = math.prod(operands)
    elif kind == "min":
        result = min(operands)
    elif kind == "max":
        result = max(operands)
    elif kind == "quotient":
        dividend, divisor = operands
        if divisor == 0:  # "what covers a cost with no spend": never, or free when nothing
            return math.inf if dividend > 0 else -math.inf if dividend < 0 else 0
        result = dividend / divisor
    else:
        raise ValueError(f"not an arithmetic kind: {kind!r}")
    if not math.isfinite(result):
        return None
    rounded = round(result, 6)
    return int(rounded) if isinstance(rounded, float) and rounded.is_integer() else rounded
