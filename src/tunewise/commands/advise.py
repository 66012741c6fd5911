"""`advise`: a profile file in, the decision for every need (with what would change it) out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tunewise.engine.decision import Cited, Decision
from tunewise.engine.walk import decide
from tunewise.inputs.profile import Profile, load_profile
from tunewise.ruleset.load import LoadedRules, Override, load_rules


def decide_profile(rules: LoadedRules, profile: Profile) -> Decision:
    """The decision for a loaded profile, with what-would-change answers for every need."""
    from tunewise.whatif.search import annotate

    decision = decide(rules, profile.needs, profile.project, profile.name)
    annotate(rules, profile, decision)
    return decision


def advise(path: Path, rules_path: Path | None, params: Sequence[str | Override]) -> Decision:
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
