"""Inspect AI logs: the JSON log (`--log-format=json`) and the zipped `.eval` log's header.json.

Read from inspect_ai's log/_log.py (EvalLog: `status`, `eval`, `results.{total_samples,
completed_samples, scores[].{name, scored_samples, metrics{name: {value}}}}`) and
log/_recorders/eval.py (the `.eval` zip holds `header.json`, the log without samples)."""

from __future__ import annotations

import io
from typing import Any

from tunewise.evidence.eval_tools import name_of
from tunewise.evidence.evals import MAX_REPORT_BYTES, Reading, count, number
from tunewise.problems import Problem

NAME = name_of(__name__)
MAX_HEADER_BYTES = 16 * 1024 * 1024


def detect(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("eval"), dict)
        and ("results" in data or "status" in data)
    )


def read(data: Any, metric: str | None) -> Reading:
    status = data.get("status", "success")
    if status != "success":
        raise ValueError(f"the log's status is {status!r}, not 'success'")
    results = data["results"]
    if not isinstance(results, dict):
        raise ValueError("the log has no results")
    for score in results["scores"]:
        metrics = score["metrics"]
        name = metric if metric is not None else _default(metrics)
        if name is not None and name in metrics:
            value = number(metrics[name]["value"], f"metrics.{name}.value")
            cases = score.get("scored_samples") or results.get("completed_samples") or 0
            scorer = score.get("name") or score.get("scorer") or ""
            return Reading(NAME, name, value, count(cases, "samples"), f"scorer {scorer}")
    if metric is None:
        raise ValueError("no scorer reports a metric (the log's results hold no scores)")
    raise ValueError(f"no scorer reports the metric {metric!r}")


def _default(metrics: dict[str, Any]) -> str | None:
    for preferred in ("accuracy", "mean"):
        if preferred in metrics:
            return preferred
    return next(iter(metrics), None)


def eval_header(raw: bytes, name: str) -> Any:
    """The `header.json` of an `.eval` zip, read with a size bound (a zip bomb stops there)."""
    import json
    import zipfile

    from tunewise.evidence.evals import ReportError

    try:
        with (
            zipfile.ZipFile(io.BytesIO(raw[:MAX_REPORT_BYTES])) as archive,
            archive.open("header.json") as member,
        ):
            text = member.read(MAX_HEADER_BYTES + 1)
    except KeyError:
        raise ReportError(
            Problem(name, "zip file without header.json: not an Inspect .eval log")
        ) from None
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
        raise ReportError(Problem(name, f"cannot read the .eval zip: {exc}")) from None
    if len(text) > MAX_HEADER_BYTES:
        raise ReportError(Problem(name, "header.json in the .eval log is over 16 MiB"))
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ReportError(Problem(name, "header.json in the .eval log is not JSON")) from None
