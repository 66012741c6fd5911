"""`advise`: a profile file in, the decision for every need (with what would change it) out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tunewise.engine.decision import Cited, Decision
from tunewise.engine.walk import decide
from tunewise.inputs.profile import Profile, load_profile
from tunewise.ruleset.load import LoadedRules, Override, load_rules


def decide_profile(
    rules: LoadedRules,
    profile: Profile,
    notes: Sequence[Cited] = (),
    warnings: Sequence[tuple[str, Cited]] = (),
) -> Decision:
    """The decision for a loaded profile, with what-would-change answers for every need."""
    from tunewise.whatif.search import WhatIfFinder

    return decide(
        rules,
        profile.needs,
        profile.project,
        profile.name,
        explore=WhatIfFinder(rules),
        notes=notes,
        warnings=warnings,
    )


def advise(path: Path, rules_path: Path | None, params: Sequence[str | Override]) -> Decision:
    """The decision for a profile file. (It used to go through the questionnaire loop with a
    source that answers nothing: a round trip that changed nothing and cost a walk of every
    need per unanswered question, quadratic in the number of needs.)"""
    from tunewise.engine.evaluator import NoBranch

    rules = load_rules(rules_path, params)
    profile = load_profile(path, rules.model)
    profile, notes, warnings = _evidence_answers(rules, profile)
    try:
        return decide_profile(rules, profile, notes, warnings)
    except NoBranch as exc:  # a gap in the rule set, met by this profile's answers
        from tunewise.gate.judge import in_rule_set

        raise in_rule_set(exc, rules.info.origin, profile.path) from None


def _evidence_answers(
    rules: LoadedRules, profile: Profile
) -> tuple[Profile, list[Cited], list[tuple[str, Cited]]]:
    """The profile with what its evidence answers (the reading `check` makes); the reading's
    notes, and its contradictions as warnings (the gate fails on them, advise reports them)."""
    if not profile.evidence and not any(need.evidence for need in profile.needs):
        return profile, [], []
    from tunewise.gate.claims import answered, read_evidence

    reading = read_evidence(profile, {q.id for q in rules.model.questions})
    notes = [Cited(note, ()) for note in reading.notes]
    # A need's own finding is shown under its id (two needs' evidence told apart), the rest
    # under "evidence".
    subject = {f: profile.needs[i].id for f, i in reading.need_of.items()}
    warnings = [(subject.get(f, "evidence"), Cited(f.message, ())) for f in reading.findings]
    return answered(profile, reading), notes, warnings
