"""OpenAI Evals: the API's run object (`object: "eval.run"`, `result_counts`) and the open-source
runner's JSON lines (`oaieval`: a `spec` line, event lines, a `final_report` line).

Read from the Evals API reference (run object: `result_counts{total, errored, failed, passed}`,
`per_testing_criteria_results[]{testing_criteria, passed, failed}`) and openai/evals'
evals/record.py (LocalRecorder writes `{"final_report": ...}` last; `match` events carry
`data.correct`)."""

from __future__ import annotations

from typing import Any

from tunewise.evidence.eval_tools import name_of
from tunewise.evidence.evals import Reading, count, number

NAME = name_of(__name__)


def detect(data: Any) -> bool:
    if isinstance(data, dict):
        return "result_counts" in data or data.get("object") == "eval.run"
    return isinstance(data, list) and any(
        isinstance(row, dict) and "final_report" in row for row in data
    )


def read(data: Any, metric: str | None) -> Reading:
    if isinstance(data, dict):
        return _run_object(data, metric)
    report = next(
        (row["final_report"] for row in data if isinstance(row, dict) and "final_report" in row),
        None,
    )
    if not isinstance(report, dict):
        raise ValueError("no final_report line with a mapping of metrics")
    events = [row for row in data if isinstance(row, dict) and "type" in row]
    matches = [e for e in events if e["type"] == "match" and isinstance(e.get("data"), dict)]
    samples = {e.get("sample_id") for e in events if e.get("sample_id") is not None}
    if metric is None and matches:
        correct = sum(1 for e in matches if e["data"].get("correct") is True)
        return Reading(NAME, "accuracy", correct / len(matches), len(matches))
    name = metric or ("accuracy" if "accuracy" in report else next(iter(report)))
    return Reading(NAME, name, number(report[name], name), len(samples) or len(matches))


def _run_object(data: dict[str, Any], metric: str | None) -> Reading:
    status = data.get("status", "completed")
    if status != "completed":
        raise ValueError(f"the run's status is {status!r}, not 'completed'")
    if metric not in (None, "pass rate", "pass_rate"):
        for entry in data.get("per_testing_criteria_results") or []:
            if entry.get("testing_criteria") == metric:
                passed = count(entry["passed"], "passed")
                total = passed + count(entry["failed"], "failed")
                return Reading(NAME, metric, passed / total if total else 0.0, total)
        raise ValueError(f"no testing criterion {metric!r}")
    counts = data["result_counts"]
    passed, total = count(counts["passed"], "passed"), count(counts["total"], "total")
    return Reading(
        NAME, "pass rate", passed / total if total else 0.0, total, data.get("eval_id", "")
    )
