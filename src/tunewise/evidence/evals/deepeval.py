"""DeepEval `.deepeval/.latest_test_run.json` (`{"testRunData": TestRun, ...}`) or a TestRun.

Read from deepeval's test_run/test_run.py (TestRun saved by alias: `testPassed`, `testFailed`,
`testCases[].success`, `metricsScores[].{metric, scores, passes, fails, errors}`)."""

from __future__ import annotations

from typing import Any

from tunewise.evidence.eval_tools import name_of
from tunewise.evidence.evals import Reading, count, number

NAME = name_of(__name__)

# With Confident AI logged in, deepeval uploads the run and leaves only its link in
# .latest_test_run.json (TestRunManager.save_final_test_run_link): no result is left to read.
LINK_ONLY = "testRunLink"


def detect(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    run = data.get("testRunData", data)
    return isinstance(run, dict) and (
        "testPassed" in run or "metricsScores" in run or "testCases" in run or LINK_ONLY in run
    )


def read(data: Any, metric: str | None) -> Reading:
    if LINK_ONLY in data and "testRunData" not in data:
        raise ValueError(
            "it holds only the Confident AI link (testRunLink): deepeval uploaded the results "
            "instead of keeping them; set DEEPEVAL_RESULTS_FOLDER to keep a copy of the run "
            "and name that file"
        )
    run = data.get("testRunData", data)
    if metric not in (None, "pass rate", "pass_rate"):
        for entry in run.get("metricsScores") or []:
            if entry.get("metric") == metric:
                scores = [number(s, "score") for s in entry["scores"]]
                mean = sum(scores) / len(scores) if scores else 0.0
                return Reading(NAME, metric, mean, len(scores), "mean score")
        raise ValueError(f"no metric {metric!r} in metricsScores")
    cases = [c for c in (run.get("testCases") or []) + (run.get("conversationalTestCases") or [])]
    if run.get("testPassed") is not None and run.get("testFailed") is not None:
        passed = count(run["testPassed"], "testPassed")
        total = passed + count(run["testFailed"], "testFailed")
    else:
        passed = sum(1 for c in cases if isinstance(c, dict) and c.get("success") is True)
        total = len(cases)
    return Reading(NAME, "pass rate", passed / total if total else 0.0, total)
