"""Reason templating and value formatting: fill a text's placeholders, show a value (pure)."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from tunewise.ruleset.records import RuleSet

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?:\.([a-z][a-z0-9_]*))?\}")


def placeholders(text: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in _PLACEHOLDER.finditer(text)]


@functools.lru_cache(maxsize=1024)
def _spaced(text: str) -> str:
    return " ".join(text.split())


def render(
    text: str,
    rules: RuleSet,
    params: Mapping[str, Any],
    answers: Mapping[str, Any],
    lookup: Callable[[str, str | None], Any],
) -> str:
    """Fill {answer}, {param}, {formula}, {table.column} and {table.as_of} placeholders;
    `lookup(table, column)` gives a cell for these answers and `lookup(formula, None)` a
    formula's value. What cannot be known yet shows as '?'."""
    if "{" not in text:  # most texts: nothing to fill, and the same every time
        return _spaced(text)

    def fill(match: re.Match[str]) -> str:
        name, column = match.group(1), match.group(2)
        value: Any
        if column == "as_of" and rules.has("table", name):
            value = rules.table(name).as_of
        elif column is not None and rules.has("table", name):
            value = lookup(name, column)
        elif column is None and rules.has("formula", name):
            value = lookup(name, None)
        elif name in params:
            value = params[name]
        elif rules.has("question", name):
            value = answers.get(name)
        else:
            return match.group(0)
        known = value is not None and isinstance(value, (bool, int, float, str))
        return format_value(value) if known else "?"

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
