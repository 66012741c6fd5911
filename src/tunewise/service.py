"""Use cases behind the commands: load what is needed once, run the engine, return results."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tunewise.decision import Decision
from tunewise.engine import decide
from tunewise.profile import Profile, load_profile
from tunewise.rules import LoadedRules, load_rules


def decide_profile(rules: LoadedRules, profile: Profile, *, what_if: bool = True) -> Decision:
    """The decision for a loaded profile, with what-would-change answers for every need."""
    decision = decide(rules, profile.needs, profile.project, profile.name)
    if what_if:
        from tunewise.whatif import annotate

        annotate(rules, profile, decision)
    return decision


def advise_profile(path: Path, rules_path: Path | None, params: Sequence[str]) -> Decision:
    rules = load_rules(rules_path, params)
    return decide_profile(rules, load_profile(path, rules.model))
