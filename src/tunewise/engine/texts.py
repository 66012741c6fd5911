"""Wording (pure): reason templates filled, values shown, approaches named, changes phrased."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tunewise.ruleset.records import RuleSet

if TYPE_CHECKING:
    from tunewise.engine.decision import Change, WhatIf

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


LABELS = {
    "prompt": "prompt engineering",
    "rag": "RAG",
    "fine-tune": "fine-tuning",
    "hybrid": "RAG + fine-tuning",
    "undecided": "undecided",
    None: "undecided",
}


def change_text(change: Change) -> str:
    """The change as the work that makes it true when the rule set says so, else as the
    answer it needs ("examples ≥ 500")."""
    if change.work:
        return change.work
    shown = change.new if change.limit is None else change.limit
    return f"{change.question} {change.relation} {format_value(shown)}"


def _joined(option: WhatIf) -> str:
    return " and ".join(c.work or f"with {change_text(c)}" for c in option.changes)


def what_if_text(option: WhatIf) -> str:
    parts = _joined(option)
    if option.approach == "undecided":
        return (
            f"{parts}, the fine-tuning checks would decide; they need {', '.join(option.missing)}"
        )
    return f"{LABELS[option.approach]} {parts}"
