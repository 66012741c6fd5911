"""What a valid answer to a question is, said once: its bounds feed the profile validator
(`profile`), the JSON Schema (`schema`), the terminal parser (`terminal`) and `explain`."""

from __future__ import annotations

from typing import Any

from tunewise.engine.texts import format_value
from tunewise.ruleset.records import Question

SIGNS = {"gt": ">", "ge": "≥", "le": "≤"}
_TOO_FAR = {"gt": "must be greater than", "ge": "must be at least", "le": "must be at most"}


def bounds(question: Question) -> dict[str, int | float]:
    """The bounds of a numeric answer by operator: `gt` or `ge` for the minimum, `le` for the
    maximum (empty for other questions or unbounded ones)."""
    found: dict[str, int | float] = {}
    if question.min is not None:
        found["gt" if question.min_exclusive else "ge"] = question.min
    if question.max is not None:
        found["le"] = question.max
    return found


def bound_problem(question: Question, value: int | float) -> str | None:
    """Why a number is outside the question's bounds, or None when it is inside."""
    for op, limit in bounds(question).items():
        inside = value > limit if op == "gt" else value >= limit if op == "ge" else value <= limit
        if not inside:
            return f"{_TOO_FAR[op]} {format_value(limit)}"
    return None


def bound_texts(question: Question) -> list[str]:
    """Each bound as a person reads it: "≥ 0", "≤ 100"."""
    return [f"{SIGNS[op]} {format_value(limit)}" for op, limit in bounds(question).items()]


def json_schema_bounds(question: Question) -> dict[str, Any]:
    """The bounds as JSON Schema keywords."""
    names = {"gt": "exclusiveMinimum", "ge": "minimum", "le": "maximum"}
    return {names[op]: limit for op, limit in bounds(question).items()}
