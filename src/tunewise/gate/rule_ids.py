"""The rule ids that `check` findings carry: one registry, with a title and help text for each.

`tunewise explain ID` accepts every id here, and report formats that describe their rules
(SARIF's `rules`, code-quality descriptions) take their texts from here. Ids are stable: users
filter, suppress and search on them. Fixed ids are lowercase-with-dashes (evidence ones start
with `evidence-`, waiver ones with `waiver-`); two families are made from the rule set:
`check/<check-id>` (a failing fine-tuning check) and `leaf/<leaf-id>` (a need that reaches a
leaf other than fine-tuning before any check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tunewise.gate.claims import EVIDENCE_RULES, EVIDENCE_WARNINGS
from tunewise.ruleset.records import ChecksNode, Leaf, RuleSet

Level = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class GateRule:
    """One kind of finding: its id, a one-line title, and help saying what to do about it."""

    id: str
    title: str
    help: str
    level: Level = "error"  # the level its findings usually have
    subject: str | None = None  # the rule-set item it is about (a check or leaf id), if any


def _evidence_rule(rule_id: str, text: str) -> GateRule:
    """An evidence finding's rule, from the evidence module's own register of its ids."""
    title = re.split(r"[(,.:]", text, maxsplit=1)[0].strip()  # its first clause
    return GateRule(rule_id, title, text, "warning" if rule_id in EVIDENCE_WARNINGS else "error")


FIXED: dict[str, GateRule] = {
    rule.id: rule
    for rule in (
        GateRule(
            "invalid-profile",
            "The profile is not valid",
            "The file is not a valid tunewise profile: unreadable, not UTF-8 YAML, or a key, "
            "type or value the format does not allow. The finding names the line, column and "
            "field. `tunewise schema` gives the profile's JSON Schema for an editor. An "
            "invalid profile makes `tunewise check` exit 3; the other profiles are still checked.",
        ),
        GateRule(
            "proposal-mismatch",
            "The proposal differs from the rule set's verdict",
            "The profile's `proposal` (prompt or rag) is not what the rule set recommends. It "
            "is a warning, and fails the gate only with --strict. Change the proposal, or the "
            "answers that lead to the verdict: `tunewise advise PROFILE` shows the reasons.",
            "warning",
        ),
        GateRule(
            "not-fine-tune",
            "Fine-tuning is proposed but not justified",
            "The profile proposes fine-tune or hybrid, but no need reaches fine-tuning: this "
            "need fails one or more fine-tuning checks, each reported as its own check/<id> "
            "finding. The finding says which answer changes would make it fine-tuning. Do the "
            "work those changes stand for, change the proposal, or record an approved waiver.",
        ),
        GateRule(
            "missing-answers",
            "Fine-tuning is proposed but answers are missing",
            "The profile proposes fine-tune or hybrid, but a need is undecided: answers that "
            "the fine-tuning checks read are missing. The finding lists them; add them to the "
            "profile (`tunewise ask --profile PROFILE` asks only for those).",
        ),
        GateRule(
            "undecided",
            "The verdict is undecided",
            "The profile proposes nothing, and a need is undecided because answers its walk "
            "reads are missing. With no proposal the gate passes, but the profile decides "
            "nothing yet: add the missing answers (`tunewise ask --profile PROFILE` asks only "
            "for those), or a proposal. A warning; it fails the gate only with --strict.",
            "warning",
        ),
        GateRule(
            "rule-set-gap",
            "The rule set has no branch for an answer",
            "The rule set (--rules) has a gap: one of its ask nodes has no branch for an "
            "answer this profile gives, so the profile cannot be judged. The finding names "
            "the answer, the node and the rule set's file. `tunewise rules lint RULES` reports "
            "such gaps (or says it cannot prove a node complete): add a branch, or an "
            "`otherwise: true` catch-all. Like an invalid profile, it makes `tunewise check` "
            "exit 3; the other profiles are still checked.",
        ),
        GateRule(
            "folder-unreadable",
            "A folder could not be searched",
            "A folder under the paths given to `tunewise check` cannot be listed (permissions, "
            "a broken mount), so profiles in it would go unchecked. The gate fails closed: "
            "make the folder readable, or leave it out of the paths or with --exclude.",
        ),
        GateRule(
            "waiver-invalid",
            "The waiver is incomplete or reaches too far",
            "A waiver needs a `reason` of at least 30 visible characters, an `approved_by` "
            "name and an ISO `expires` date no further ahead than the waiver horizon (365 days "
            "unless --waiver-horizon says otherwise). On a failing profile such a waiver waives "
            "nothing (an error); on a passing one it is a warning.",
        ),
        GateRule(
            "waiver-expiring",
            "The waiver expires soon",
            "The waiver still holds but expires within 14 days; after that the profile fails "
            "again. Fix the findings it waives, or renew it with a new approval and date.",
            "warning",
        ),
        GateRule(
            "waiver-out-of-scope",
            "The waiver does not cover every failing need",
            "The waiver's `needs` list leaves out needs that fail, so the profile is not "
            "waived. Fix those needs, or have the waiver's approver extend its `needs`.",
            "warning",
        ),
        GateRule(
            "evidence-measured",
            "An answer measured from the evidence",
            "A note, not a problem: the dataset named under `evidence` was measured, and its "
            "count of valid unique records stands in for `examples` or supports the number "
            "claimed. `tunewise data FILE` shows the same measurement in full.",
            "note",
        ),
        GateRule(
            "waiver-expired",
            "The waiver has expired",
            "The waiver's `expires` date has passed, so the profile's findings fail the gate "
            "again. Fix the findings, or renew the waiver with a new approval and date.",
        ),
    )
}
FIXED.update((rule_id, _evidence_rule(rule_id, text)) for rule_id, text in EVIDENCE_RULES.items())


def gate_rule(rule_id: str, rules: RuleSet) -> GateRule | None:
    """The rule a finding's id names, for the rule set that judged it; None if it names none."""
    if rule_id in FIXED:
        return FIXED[rule_id]
    family, _, item = rule_id.partition("/")
    if family == "check":
        for node in rules.tree.nodes:
            if isinstance(node, ChecksNode):
                for check in node.checks:
                    if check.id == item:
                        fails = " ".join(m.text for m in check.fail)
                        return GateRule(
                            rule_id,
                            f"Fine-tuning check failed: {check.title}",
                            "The profile proposes fine-tuning, and this fine-tuning check "
                            f"fails for a need. {fails}".strip(),
                            subject=check.id,
                        )
    if family == "leaf":
        for node in rules.tree.nodes:
            if isinstance(node, Leaf) and node.id == item:
                reasons = " ".join(r.text for r in node.reasons)
                return GateRule(
                    rule_id,
                    f"Fine-tuning is proposed; the rule set says {node.approach}: {node.title}",
                    "The profile proposes fine-tuning, but this need's answers lead to "
                    f"{node.approach} before any fine-tuning check. {reasons}".strip(),
                    subject=node.id,
                )
    return None


def all_gate_rules(rules: RuleSet) -> list[GateRule]:
    """Every rule a check with this rule set can report (for a report's list of rules)."""
    found = list(FIXED.values())
    for node in rules.tree.nodes:
        if isinstance(node, ChecksNode):
            found += [r for c in node.checks if (r := gate_rule(f"check/{c.id}", rules))]
        elif isinstance(node, Leaf) and node.approach != "fine-tune":
            found += [r for r in [gate_rule(f"leaf/{node.id}", rules)] if r]
    return found
