"""lm-evaluation-harness `results_<date>.json` (written by `lm_eval --output_path`).

Read from lm_eval's result_schema.py and loggers/evaluation_tracker.py: `results{task:
{"<metric>,<filter>": value}}`, sample counts in `n-samples{task: {original, effective}}`. A
group (`mmlu`) is in `results` too, with no samples of its own: its subtasks' (`group_subtasks`,
down to the leaves) are its cases.
`metric:` may be `acc`, `acc,none`, or `task:acc,none` when several tasks are reported."""

from __future__ import annotations

from typing import Any

from tunewise.evidence.eval_tools import name_of
from tunewise.evidence.evals import Reading, count, number

NAME = name_of(__name__)


def detect(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        return False
    marks = ("n-samples", "versions", "lm_eval_version", "n-shot", "higher_is_better")
    return any(key in data for key in marks)


def read(data: Any, metric: str | None) -> Reading:
    results = data["results"]
    task, _, wanted = (metric or "").rpartition(":")
    tasks = [task] if task else list(results)
    for name in tasks:
        values = results[name]
        key = _key(values, wanted)
        if key is None:
            continue
        cases = _cases(data, name)
        return Reading(NAME, key, number(values[key], key), cases, f"task {name}")
    raise ValueError(f"no task reports the metric {metric!r}")


def _cases(data: dict[str, Any], task: str) -> int:
    """A task's samples from `n-samples`; a group's (`mmlu`), which has none of its own, are
    its subtasks', in `group_subtasks`, counted down to the leaves (each once, without
    recursion: the file says how deep the groups go)."""
    samples_of = data.get("n-samples") or {}
    groups = data.get("group_subtasks") or {}
    total, seen, todo = 0, {task}, [task]
    while todo:
        name = todo.pop()
        samples = samples_of.get(name) if isinstance(samples_of, dict) else None
        if isinstance(samples, dict):
            total += count(samples.get("effective", samples.get("original", 0)), "n-samples")
            continue
        subtasks = groups.get(name) if isinstance(groups, dict) else None
        for sub in subtasks if isinstance(subtasks, list) else ():
            if isinstance(sub, str) and sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return total


def _key(values: dict[str, Any], wanted: str) -> str | None:
    keys = [
        k
        for k, v in values.items()
        if "," in k
        and "_stderr" not in k
        and isinstance(v, (int, float))
        and not isinstance(v, bool)
    ]
    if not wanted:
        return keys[0] if keys else None
    for key in keys:
        if key == wanted or key.split(",")[0] == wanted:
            return key
    return None
