"""Generic JSON: `{"passed": n, "total": n}` or `{"metric": name, "value": x, "cases": n}`."""

from __future__ import annotations

from typing import Any

from tunewise.evidence.eval_tools import name_of
from tunewise.evidence.evals import Reading, count, number

NAME = name_of(__name__)


def detect(data: Any) -> bool:
    return isinstance(data, dict) and (
        ("passed" in data and "total" in data) or ("metric" in data and "value" in data)
    )


def read(data: Any, metric: str | None) -> Reading:
    if "passed" in data and "total" in data and metric in (None, "pass rate", "pass_rate"):
        passed, total = count(data["passed"], "passed"), count(data["total"], "total")
        if passed > total:
            raise ValueError("passed is larger than total")
        return Reading(NAME, "pass rate", passed / total if total else 0.0, total)
    name = data["metric"]
    if not isinstance(name, str):
        raise ValueError("metric is not text")
    if metric is not None and metric != name:
        raise ValueError(f"the file's metric is {name!r}, not {metric!r}")
    return Reading(NAME, name, number(data["value"], "value"), count(data["cases"], "cases"))
