"""`check`: judge every profile under the given paths, streaming each result to the reporters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tunewise.errors import InputError
from tunewise.problems import Problem
from tunewise.ruleset.load import Override, load_rules

if TYPE_CHECKING:  # the gate and its reporters load only when a check runs
    from tunewise.gate.judge import Summary
    from tunewise.reporters import CheckReporter


def check(
    paths: Sequence[Path],
    rules_path: Path | None,
    params: Sequence[str | Override],
    strict: bool,
    reporters: Sequence[CheckReporter],
    progress: Callable[[int, int], None] | None = None,
    *,
    waiver_horizon_days: int = 365,
    exclude: Sequence[str] = (),
    require_evidence: Sequence[str] = (),
    required_by: str = "--require-evidence",
) -> Summary:
    """Judge every profile under `paths`, handing each result to every reporter as it comes;
    only the totals are kept. An empty search is an input error. `exclude`: globs skipped
    while searching folders; `require_evidence`: the evidence kinds a fine-tune must have
    (`required_by`: the flag, or the configuration key, that asks for them)."""
    from tunewise.gate.batch import run_check
    from tunewise.gate.judge import Summary

    rules = load_rules(rules_path, params)
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise InputError(Problem(str(missing[0]), "no such file or folder"))
    summary = Summary(strict, rules=rules.info, rule_set=rules.model)
    found = run_check(
        rules,
        paths,
        progress=progress,
        waiver_horizon_days=waiver_horizon_days,
        skipped=summary.skipped,
        exclude=exclude,
        require_evidence=require_evidence,
        required_by=required_by,
    )
    for result in found:
        summary.add(result)
        for reporter in reporters:
            reporter.add(result)
    if not summary.total:
        where = ", ".join(str(p) for p in paths)
        raise InputError(
            f"no tunewise profiles found in {where} (looking for tunewise.yaml, *.tunewise.yaml)"
        )
    for reporter in reporters:
        reporter.finish(summary)
    return summary
