"""Arithmetic on rule-set values (sum, product, min, max, quotient): one definition for every
evaluator, so that costs and memory computed by the rule set agree wherever they are read."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

Number = float | int


def _quotient(operands: Sequence[Number]) -> float:
    dividend, divisor = operands
    if divisor == 0:  # "what covers a cost with no spend": never; nothing over nothing: free
        return math.inf if dividend > 0 else -math.inf if dividend < 0 else 0
    return dividend / divisor


_OPERATIONS: dict[str, Callable[[Sequence[Number]], Number]] = {
    "sum": math.fsum,
    "product": math.prod,
    "min": min,
    "max": max,
    "quotient": _quotient,
}


def operation(kind: str) -> Callable[[Sequence[Any]], Number | None]:
    """`kind` as a function of its operands (all known): None when one is not a number (a
    boolean is not one) or no finite number comes out. Results are rounded to 6 decimals so
    that boundaries stay exact (8 × 0.6 + 1.5 is 6.3); a quotient by 0 stays infinite."""
    if kind not in _OPERATIONS:
        raise ValueError(f"not an arithmetic kind: {kind!r}")
    apply = _OPERATIONS[kind]
    infinite_ok = kind == "quotient"

    def computed(operands: Sequence[Any]) -> Number | None:
        for value in operands:
            if value.__class__ is not int and value.__class__ is not float:
                return None
        try:
            result = apply(operands)
        except OverflowError:
            return None
        if result.__class__ is int:  # exact already (round would return it unchanged): cheaper
            return result
        if result != result:
            return None
        if result == math.inf or result == -math.inf:
            return result if infinite_ok else None
        rounded = round(result, 6)  # a float here: finite, so is_integer is rounded == int()
        return int(rounded) if rounded.is_integer() else rounded

    return computed
