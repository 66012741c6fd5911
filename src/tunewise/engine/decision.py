"""What a walk produces: per-need results and the profile's decision (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CheckStatus = Literal["pass", "fail", "unknown", "n/a"]


@dataclass(frozen=True)
class Cited:
    """A sentence and the ids of the sources it rests on."""

    text: str
    sources: tuple[str, ...]


@dataclass
class CheckOutcome:
    id: str
    title: str
    status: CheckStatus
    message: Cited | None = None
    missing: list[str] = field(default_factory=list)
    warnings: list[Cited] = field(default_factory=list)


@dataclass
class AdviceOutcome:
    id: str
    title: str
    value: str
    reason: Cited


@dataclass(frozen=True)
class Change:
    """One answer change: `question` from `old` to `new`.

    For a threshold, `relation` and `limit` say it the way a person would: "examples ≥ 500".
    """

    question: str
    old: Any
    new: Any
    relation: str = "="
    limit: Any = None
    work: str = field(default="", compare=False)  # the change said as the work that makes it true


@dataclass
class WhatIf:
    """A smallest set of answer changes and the approach it leads to."""

    changes: tuple[Change, ...]
    approach: str
    missing: tuple[str, ...] = ()  # approach "undecided": the answers the walk would then need


@dataclass
class NeedResult:
    id: str
    description: str
    approach: str | None
    leaf: str | None
    path: list[str]
    missing: list[str]
    reasons: list[Cited]
    checks: list[CheckOutcome] = field(default_factory=list)
    warnings: list[Cited] = field(default_factory=list)
    next_steps: list[Cited] = field(default_factory=list)
    advice: list[AdviceOutcome] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    optional_unanswered: list[str] = field(default_factory=list)
    what_if: list[WhatIf] = field(default_factory=list)
    what_if_target: str | None = None
    what_if_stopped: int | None = None  # the search's work bound, when it stopped at it
    estimate: dict[str, Any] | None = None  # a fine-tune's cost, from the rule set's formulas

    @property
    def decided(self) -> bool:
        return self.approach is not None

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if c.status == "fail"]


@dataclass(frozen=True)
class RulesInfo:
    name: str
    version: str
    sha256: str
    origin: str


@dataclass
class Decision:
    verdict: str
    needs: list[NeedResult]
    rules: RulesInfo
    notes: list[Cited] = field(default_factory=list)
    warnings: list[tuple[str, Cited]] = field(default_factory=list)
    next_steps: list[Cited] = field(default_factory=list)
    profile_name: str | None = None
    source_titles: dict[str, str] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        out: list[str] = []
        for need in self.needs:
            out.extend(q for q in need.missing if q not in out)
        return out
