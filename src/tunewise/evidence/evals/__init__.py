"""Prompt-evaluation results: one adapter per tool behind one interface, chosen from the content.

Each adapter module has `NAME`, `detect(data) -> bool` and `read(data, metric) -> Reading`;
`read_report` opens the file safely (regular file, bounded size), parses it (JSON, JSON lines,
or an Inspect `.eval` zip) and asks the adapters in the order of `eval_tools.ADAPTERS` (the one
table of them and their names), or the one named by `format:`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from tunewise.errors import InputError
from tunewise.problems import Problem

MAX_REPORT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Reading:
    """What an evaluation file says: a value (a pass rate 0-1, or the named metric) over cases."""

    format: str
    metric: str  # "pass rate" or the metric's name as the tool spells it
    value: float
    cases: int
    scope: str = ""  # which prompt, task or scorer the value belongs to

    def describe(self) -> str:
        where = f" ({self.scope})" if self.scope else ""
        return f"{self.metric} {self.value:.4g} over {self.cases} cases{where}"


class ReportError(InputError):
    """An evaluation file that no adapter can read, or that lacks what it needs."""


def _adapters() -> list[ModuleType]:
    """The adapters, in the order `eval_tools.ADAPTERS` gives (most specific first)."""
    import importlib

    from tunewise.evidence.eval_tools import ADAPTERS

    return [importlib.import_module(f"{__name__}.{module}") for module in ADAPTERS.values()]


def formats() -> list[str]:
    from tunewise.evidence.eval_tools import FORMAT_NAMES

    return list(FORMAT_NAMES)


def parse(raw: bytes, name: str) -> Any:
    """JSON, JSON lines (a list of the parsed lines), or an Inspect `.eval` zip's header."""
    if raw.startswith(b"PK\x03\x04"):
        from tunewise.evidence.evals.inspect_ai import eval_header

        return eval_header(raw, name)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ReportError(
            Problem(name, f"evaluation file is not UTF-8 (byte {exc.start})")
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ReportError(Problem(name, "evaluation file is nested too deeply")) from None
    except ValueError as exc:
        if "Extra data" not in str(exc):
            line = getattr(exc, "lineno", None)
            message = f"evaluation file is not JSON ({str(exc).split(':')[0]})"
            raise ReportError(Problem(name, message, line)) from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except (ValueError, RecursionError):
            raise ReportError(
                Problem(name, "evaluation file: a line is not JSON", number)
            ) from None
    return rows


def read_data(data: Any, name: str, fmt: str | None = None, metric: str | None = None) -> Reading:
    adapters = _adapters()
    if fmt is not None:
        chosen = [a for a in adapters if fmt == a.NAME]
        if not chosen:
            known = ", ".join(formats())
            raise ReportError(Problem(name, f"unknown evaluation format {fmt!r} (known: {known})"))
    else:
        chosen = [a for a in adapters if a.detect(data)][:1]
        if not chosen:
            raise ReportError(
                Problem(
                    name,
                    "not a recognised evaluation file (promptfoo -o results.json, Inspect log, "
                    "lm-eval results_*.json, DeepEval .latest_test_run.json, OpenAI Evals run "
                    'or JSONL, or generic {"passed": n, "total": n}); '
                    "name it with evidence.prompting.format",
                )
            )
    try:
        reading: Reading = chosen[0].read(data, metric)
    except (
        KeyError,
        TypeError,
        ValueError,
        IndexError,
        AttributeError,
        ZeroDivisionError,
        StopIteration,
    ) as exc:
        raise ReportError(
            Problem(name, f"{chosen[0].NAME} file lacks what tunewise reads: {_why(exc)}")
        ) from None
    if reading.cases <= 0:
        raise ReportError(Problem(name, f"{chosen[0].NAME} file holds no evaluated cases"))
    return reading


def _why(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


def read_report(path: Path, fmt: str | None = None, metric: str | None = None) -> Reading:
    """Read an evaluation file (a regular file of at most MAX_REPORT_BYTES)."""
    from tunewise.inputs.safeio import read_bytes

    raw = read_bytes(path, "evaluation", MAX_REPORT_BYTES)
    return read_data(parse(raw, str(path)), str(path), fmt, metric)


def number(value: Any, what: str) -> float:
    """A finite number from a results file (bools are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} is not a number")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{what} is not finite")
    return float(value)


def count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} is not a count")
    return value
