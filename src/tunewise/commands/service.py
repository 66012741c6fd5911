"""Use cases behind the commands: load what is needed once, run the engine, return results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tunewise.engine.decision import Cited, Decision
from tunewise.engine.walk import decide
from tunewise.errors import InputError
from tunewise.inputs.profile import Profile, load_profile
from tunewise.problems import Problem
from tunewise.ruleset.load import LoadedRules, Override, load_rules

if TYPE_CHECKING:  # `check` and its reporters load only when a check runs
    from tunewise.authoring.lint import LintReport
    from tunewise.gate.judge import Summary
    from tunewise.reporters import CheckReporter


def decide_profile(rules: LoadedRules, profile: Profile) -> Decision:
    """The decision for a loaded profile, with what-would-change answers for every need."""
    from tunewise.whatif.search import annotate

    decision = decide(rules, profile.needs, profile.project, profile.name)
    annotate(rules, profile, decision)
    return decision


def advise_profile(
    path: Path, rules_path: Path | None, params: Sequence[str | Override]
) -> Decision:
    """The decision for a profile file. (It used to go through the questionnaire loop with a
    source that answers nothing: a round trip that changed nothing and cost a walk of every
    need per unanswered question, quadratic in the number of needs.)"""
    rules = load_rules(rules_path, params)
    profile = load_profile(path, rules.model)
    notes, warnings = _evidence_answers(rules, profile)
    decision = decide_profile(rules, profile)
    decision.notes.extend(notes)
    decision.warnings.extend(warnings)
    return decision


def _evidence_answers(
    rules: LoadedRules, profile: Profile
) -> tuple[list[Cited], list[tuple[str, Cited]]]:
    """What the profile's evidence answers (the reading `check` makes), filled in place; its
    notes, and its contradictions as warnings (the gate fails on them, advise reports them)."""
    if not profile.evidence and not any(need.evidence for need in profile.needs):
        return [], []
    from tunewise.gate.claims import apply_answers, read_evidence

    reading = read_evidence(profile, {q.id for q in rules.model.questions})
    apply_answers(profile, reading)
    notes = [Cited(note, ()) for note in reading.notes]
    warnings = [("evidence", Cited(f.message, ())) for f in reading.findings]
    return notes, warnings


def check_paths(
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
) -> Summary:
    """Judge every profile under `paths`, handing each result to every reporter as it comes;
    only the totals are kept. An empty search is an input error. `exclude`: globs skipped
    while searching folders; `require_evidence`: the evidence kinds a fine-tune must have."""
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


def lint_rules(path: Path | None, params: Sequence[str | Override]) -> LintReport:
    """Lint a rule set, located in its file (its defects carry line and column)."""
    from tunewise.authoring.lint import lint

    return lint(load_rules(path, params, keep_doc=True))
