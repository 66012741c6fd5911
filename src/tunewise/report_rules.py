"""What each rule id a `check` report prints means: a title and a description, shared by the
SARIF rules and anything else that explains a report (`tunewise explain ID`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportRule:
    id: str
    title: str  # short, a noun phrase
    description: str  # what it means and what to do about it, in full sentences


FIXED = {
    rule.id: rule
    for rule in (
        ReportRule(
            "invalid-profile",
            "Invalid profile",
            "The profile is not valid YAML or does not match the profile schema (unknown key, "
            "wrong type, missing answer format). Fix the file at the line shown; nothing else "
            "in it was judged.",
        ),
        ReportRule(
            "proposal-mismatch",
            "Proposal differs from the verdict",
            "The profile's `proposal` is not what the rule set recommends for its answers. It "
            "is a warning: `--strict` makes it fail. Change the proposal, or the answers if "
            "they are out of date.",
        ),
        ReportRule(
            "not-fine-tune",
            "Fine-tuning proposed, but no need reaches it",
            "The profile proposes fine-tuning (or hybrid), and this need's fine-tuning checks "
            "fail. The finding lists the smallest changes that would make it fine-tuning; the "
            "`check/...` findings beside it name each failing check.",
        ),
        ReportRule(
            "missing-answers",
            "Need undecided: answers missing",
            "The profile proposes fine-tuning, but this need lacks answers the rule set needs "
            "to decide. Add the answers listed.",
        ),
        ReportRule(
            "waiver-invalid",
            "Waiver cannot be honoured",
            "The waiver lacks a reason of at least 30 visible characters, a named approver or "
            "an ISO expiry date, so the failure it would cover stands.",
        ),
        ReportRule(
            "waiver-expiring",
            "Waiver about to expire",
            "The waiver expires within 14 days. Renew it (with a new approval) or fix the "
            "profile before it lapses and the gate fails.",
        ),
        ReportRule(
            "waiver-out-of-scope",
            "Failure outside the waiver's needs",
            "The waiver names the needs it covers (`waiver.needs`), and this failure is about "
            "another need (or the whole profile), so it stands.",
        ),
        ReportRule(
            "folder-unreadable",
            "Folder could not be searched",
            "A folder under the paths given could not be listed, so profiles in it may have "
            "gone unchecked. The gate fails closed: make it readable or exclude it.",
        ),
        ReportRule(
            "waiver-expired",
            "Waiver expired",
            "The waiver's expiry date has passed, so the failure it covered stands again. "
            "Renew it (with a new approval) or fix the profile.",
        ),
    )
}


def describe(rule_id: str) -> ReportRule:
    """The meaning of any id a report prints, including the families named by the rule set
    (`check/<check-id>`, `leaf/<leaf-id>`) and ids added later under a known prefix."""
    if rule_id in FIXED:
        return FIXED[rule_id]
    family, _, name = rule_id.partition("/")
    if family == "check" and name:
        return ReportRule(
            rule_id,
            f"Fine-tuning check failed: {name}",
            f"The rule set's fine-tuning check `{name}` fails for this need, so fine-tuning is "
            f"not justified. `tunewise explain {name}` shows what the check requires.",
        )
    if family == "leaf" and name:
        return ReportRule(
            rule_id,
            f"Decided before the fine-tuning checks: {name}",
            f"The rule set's decision tree ends this need at `{name}`, an approach other than "
            f"fine-tuning, before any fine-tuning check. `tunewise explain {name}` says why.",
        )
    words = rule_id.replace("/", ": ").replace("-", " ")
    if rule_id.startswith("evidence-"):
        from tunewise.claims import EVIDENCE_RULES  # the evidence module documents its own ids

        if rule_id in EVIDENCE_RULES:
            title = "Evidence: " + words.removeprefix("evidence ")
            return ReportRule(rule_id, title, EVIDENCE_RULES[rule_id])
    return ReportRule(rule_id, words[:1].upper() + words[1:], f"A tunewise check finding: {words}.")
