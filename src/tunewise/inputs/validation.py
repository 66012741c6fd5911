"""Turn pydantic validation errors into one line each: file:line:col: field: problem."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from pydantic_core import ValidationError

from tunewise.inputs.yamlio import Document, Path_, yaml11_number
from tunewise.problems import Problem

MAX_LINES = 20


def _shown(value: Any) -> str:
    """The value as the YAML file spells it where that differs from Python's (`true`, `null`)."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def problem_text(error: Any, allowed_keys: Iterable[str] | None = None, loc: Path_ = ()) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        allowed = sorted(allowed_keys or [])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listing = f"; allowed: {', '.join(allowed)}" if allowed and len(allowed) <= 16 else ""
        return f"unknown key {key!r}{hint}{listing}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = re.findall(r"'([^']*)'", expected)
        close = (
            difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
            if isinstance(value, str)
            else []
        )
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{_shown(value)} is not allowed{hint}; expected one of {expected}"
    if kind in ("bool_type", "bool_parsing"):
        hint = (
            " (write true or false; yes/no/on/off are not booleans)"
            if isinstance(value, str)
            else ""
        )
        return f"expected true or false, got {_shown(value)}{hint}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"expected a whole number, got {_shown(value)}{_number_hint(value)}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {_shown(value)}{_number_hint(value)}"
    if kind == "finite_number":
        return f"expected a finite number, got {_shown(value)}"
    if kind in ("string_type",):
        return f"expected text, got {_shown(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {_shown(value)}"
    if kind == "list_type":
        return f"expected a list, got {_shown(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤"}.get(
            kind, "<"
        )
        limit = next(iter(ctx.values()), "?")
        return f"{_shown(value)} is out of range; must be {sign} {limit}"
    if kind == "string_pattern_mismatch":
        return f"{_shown(value)} does not match the pattern {ctx.get('pattern')}"
    if kind == "too_short" and loc and loc[-1] == "sources":
        return "a reason must cite at least one source"
    if kind in ("too_short", "string_too_short"):
        return f"{error['msg'].lower()}"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"expected a date like 2027-03-01, got {_shown(value)}"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    return message


def _number_hint(value: Any) -> str:
    """Why a number-looking text was refused (`0700`, `1:30:00`, `1e3`)."""
    if not isinstance(value, str):
        return ""
    surprise = yaml11_number(value)
    if surprise:
        return f" ({surprise}; tunewise refuses it: write the plain decimal number)"
    import re

    if re.fullmatch(r"[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+", value):
        return " (YAML 1.1 reads an exponent only in the form 1.0e+3: write that, or 1000)"
    return ""


def format_errors(
    exc: ValidationError,
    doc: Document,
    allowed_keys: Any = None,
    prefix: Path_ = (),
) -> list[Problem]:
    """One problem per error, in line order, at most MAX_LINES (plus a count of the rest)."""
    located: list[Problem] = []
    errors = exc.errors(include_url=False)
    for error in errors[:MAX_LINES]:
        loc = prefix + _clean(error["loc"], doc.data)
        keys = allowed_keys(loc[:-1]) if callable(allowed_keys) else None
        is_key = error["type"] == "extra_forbidden"
        located.append(locate(doc, loc, problem_text(error, keys, loc), key=is_key))
    located.sort(key=lambda problem: (problem.line or 0, problem.column or 0))
    if len(errors) > MAX_LINES:
        located.append(Problem(doc.file, f"... and {len(errors) - MAX_LINES} more problems"))
    return located


def locate(doc: Document, loc: Path_, message: str, *, key: bool = False) -> Problem:
    """The problem `message` about the field at `loc`, at that field's line and column."""
    line, column = doc.where(loc, key=key) or (None, None)
    return Problem(doc.file, message, line, column, field=loc or None)


def _clean(loc: Iterable[Any], data: Any) -> Path_:
    """Keep only the parts of pydantic's location that are real keys or indexes in the data.

    Union tags ("leaf", "answer", "function-after[...]") are not in the document; following
    the data tells a tag from a key of the same name.
    """
    out: list[str | int] = []
    parts = list(loc)
    for index, part in enumerate(parts):
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        ):
            data = data[part]
        elif index == len(parts) - 1 and isinstance(data, dict) and isinstance(part, str):
            out.append(part)  # a missing key: name it even though the data lacks it
            break
        else:
            continue
        out.append(part)
    return tuple(out)
