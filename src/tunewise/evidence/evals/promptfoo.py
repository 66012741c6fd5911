"""promptfoo `promptfoo eval -o results.json` (OutputFile with results version 3, and 2).

Read from promptfoo's src/types/index.ts: `results.stats.{successes, failures, errors}` and per
prompt `results.prompts[].metrics.{testPassCount, testFailCount, testErrorCount, namedScores,
namedScoresCount}`. With several prompts, the best prompt's pass rate is the reading: a claim
that prompting failed is about the best prompting effort."""

from __future__ import annotations

from typing import Any

from tunewise.evidence.eval_tools import name_of
from tunewise.evidence.evals import Reading, count, number

NAME = name_of(__name__)


def detect(data: Any) -> bool:
    results = data.get("results") if isinstance(data, dict) else None
    return (
        isinstance(results, dict)
        and "stats" in results
        and ("version" in results or "prompts" in results)
    )


def read(data: Any, metric: str | None) -> Reading:
    results = data["results"]
    prompts = [p for p in results.get("prompts") or [] if isinstance(p, dict) and p.get("metrics")]
    if metric not in (None, "pass rate", "pass_rate"):
        best: Reading | None = None
        for prompt in prompts:
            metrics = prompt["metrics"]
            total = number(metrics["namedScores"][metric], f"namedScores.{metric}")
            cases = count(metrics.get("namedScoresCount", {}).get(metric, 0), "namedScoresCount")
            value = total / cases if cases else total
            reading = Reading(NAME, metric, value, cases, _label(prompt))
            if best is None or reading.value > best.value:
                best = reading
        if best is None:
            raise ValueError(f"no prompt reports the named score {metric!r}")
        return best
    readings = []
    for prompt in prompts:
        metrics = prompt["metrics"]
        passed = count(metrics["testPassCount"], "testPassCount")
        cases = passed + count(metrics["testFailCount"], "testFailCount")
        cases += count(metrics.get("testErrorCount", 0), "testErrorCount")
        if cases:
            readings.append(Reading(NAME, "pass rate", passed / cases, cases, _label(prompt)))
    if readings:
        return max(readings, key=lambda r: (r.value, r.cases))
    stats = results["stats"]
    passed = count(stats["successes"], "stats.successes")
    cases = passed + count(stats["failures"], "stats.failures")
    cases += count(stats.get("errors", 0), "stats.errors")
    return Reading(NAME, "pass rate", passed / cases if cases else 0.0, cases)


def _label(prompt: dict[str, Any]) -> str:
    label = prompt.get("label") or prompt.get("raw") or ""
    provider = prompt.get("provider")
    text = str(label)[:60]
    return f"prompt {text!r}" + (f" on {provider}" if isinstance(provider, str) else "")
