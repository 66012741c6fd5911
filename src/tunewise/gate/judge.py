"""The CI gate: find profiles, judge each (proposal, evidence, waiver), collect findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tunewise.engine.decision import NeedResult, RulesInfo, WhatIf
from tunewise.engine.evaluator import Budget, NoBranch
from tunewise.engine.walk import decide, filled, verdict_of, walk_need
from tunewise.errors import RuleSetError, TunewiseError
from tunewise.inputs.profile import Profile, load_profile
from tunewise.inputs.yamlio import Path_
from tunewise.problems import Level, Problem
from tunewise.ruleset.load import LoadedRules
from tunewise.ruleset.records import AskNode, RuleSet

if TYPE_CHECKING:
    from tunewise.gate.claims import EvidenceReading

Status = Literal["pass", "fail", "waived", "error"]
MIN_WAIVER_REASON = 30  # visible characters
MAX_SEARCHES = 100  # what-if searches per profile (distinct needs); see Gate._not_justified
WAIVER_HORIZON_DAYS = 365  # the furthest expiry a waiver may have, from the day of the check
WAIVER_WARNING_DAYS = 14  # a waiver this close to its expiry is a warning
# Letters and digits (any script) plus these; no spaces, no invisible characters.
APPROVER_PUNCTUATION = frozenset("._-@")
# Characters that print as nothing although Unicode calls them letters or symbols.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


# Each finding of a profile, with the need it is about (None: the whole profile): what a
# waiver's `needs` can cover. The need stays with the judging; the record is the problem.
_About = tuple[Problem, str | None]


@dataclass(frozen=True)
class FileResult:
    """One profile judged: built whole once its findings are known."""

    path: str
    status: Status
    verdict: str | None = None
    proposal: str | None = None
    findings: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    waiver: dict[str, Any] | None = None
    seconds: float | None = field(default=None, compare=False)  # judging time, for JUnit

    def failing(self, strict: bool) -> bool:
        if self.status in ("fail", "error"):
            return True
        return strict and self.status == "pass" and any(f.level == "warning" for f in self.findings)

    def outcome(self, strict: bool) -> str:
        """The status every report shows and counts: under --strict a pass with warnings
        fails."""
        return "fail" if self.status == "pass" and self.failing(strict) else self.status


@dataclass
class Summary:
    """Running totals of a check: kept instead of the results, so memory stays flat."""

    strict: bool = False
    counts: dict[str, int] = field(
        default_factory=lambda: {"pass": 0, "fail": 0, "waived": 0, "error": 0}
    )
    failing: int = 0
    rules: RulesInfo | None = None  # which rule set judged: named in every report
    # Folders the search did not enter, with why (VCS, virtual environment, link...): listed
    # in reports, since a pull request could otherwise hide profiles where no one looks.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    rule_set: RuleSet | None = None  # for reports that describe each rule id (SARIF)

    def add(self, item: FileResult) -> None:
        self.counts[item.outcome(self.strict)] += 1
        self.failing += item.failing(self.strict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def passed(self) -> bool:
        return self.total > 0 and self.failing == 0

    def count(self, status: str) -> int:
        return self.counts[status]


def in_rule_set(exc: RuleSetError, origin: str, profile: Path | None) -> RuleSetError:
    """A rule-set gap (no branch takes an answer) named with the rule set's file and the
    profile that met it: `rules lint` reports such a gap as "cannot prove"."""
    walked = f" (walking {profile})" if profile is not None else ""
    return RuleSetError(Problem(origin, f"{exc.message}{walked}; `tunewise rules lint` shows it"))


class Gate:
    """Judges profiles one at a time against one loaded rule set."""

    def __init__(
        self,
        rules: LoadedRules,
        today: dt.date | None = None,
        waiver_horizon_days: int = WAIVER_HORIZON_DAYS,
        require_evidence: Sequence[str] = (),
        required_by: str = "--require-evidence",
    ) -> None:
        self.rules = rules
        self.today = today or dt.date.today()
        self.waiver_horizon_days = waiver_horizon_days
        self.require_evidence = list(require_evidence)
        self.required_by = required_by  # the flag, or the configuration key, asking for it
        self.questions = {q.id for q in rules.model.questions}
        self.outcomes = rules.outcomes

    def judge(self, path: Path) -> FileResult:
        try:
            profile = load_profile(path, self.rules.model)
        except TunewiseError as exc:
            problems = exc.problems or [Problem(str(path), line) for line in exc.lines]
            findings = tuple(replace(p, rule="invalid-profile", level="error") for p in problems)
            return FileResult(str(path), "error", findings=findings)
        try:
            return self._judge(path, profile)
        except NoBranch as exc:  # a gap in the rule set, met by this profile's answers
            return self._gap(profile, exc)

    def _gap(self, profile: Profile, gap: NoBranch) -> FileResult:
        """A profile whose walk meets a gap in the rule set cannot be judged: an error result
        (like an invalid profile, the other profiles are still judged), its one finding at the
        answer no branch takes, naming the rule set's file and node."""
        origin, place = self.rules.info.origin, ""
        doc = self.rules.doc
        if doc is not None:
            index = next(
                (i for i, n in enumerate(self.rules.model.tree.nodes) if n.id == gap.node_id), None
            )
            where = doc.where(("tree", "nodes", index)) if index is not None else None
            origin = doc.file
            place = f":{where[0]}:{where[1]}" if where else ""
        loc: Path_ = ("project", gap.qid)
        about = ""
        for index, need in enumerate(profile.needs):
            try:
                self.outcomes.approach({**profile.project, **need.answers})
            except NoBranch:
                loc = ("needs", index, gap.qid) if gap.qid in need.answers else loc
                about = f"need {need.id!r}: "
                break
        message = (
            f"{about}the rule set has no branch for {gap.qid} = {gap.value!r} at node "
            f"{gap.node_id!r} ({origin}{place}), so this profile cannot be judged; "
            f"`tunewise rules lint {origin}` shows the gap"
        )
        finding = self._at(profile, loc, message, rule="rule-set-gap")
        return FileResult(
            str(profile.path), "error", proposal=profile.proposal, findings=(finding,)
        )

    def _judge(self, path: Path, profile: Profile) -> FileResult:
        notes: list[str] = []
        found: list[_About] = []
        profile, reading = self._evidence(profile, found, notes)
        # Outcome-only walks give the verdict; the explaining walk (texts, failing checks, what
        # would change) runs only for a proposal it has to argue with.
        approaches = [
            self.outcomes.approach({**profile.project, **need.answers}) for need in profile.needs
        ]
        verdict = verdict_of(approaches)
        if self.require_evidence and profile.proposal in ("fine-tune", "hybrid"):
            found += self._required(profile, reading, approaches)
        if profile.proposal in ("fine-tune", "hybrid") and "fine-tune" not in approaches:
            found += self._not_justified(profile, notes)
        elif profile.proposal is not None and profile.proposal != verdict:
            message = f"proposal is {profile.proposal} but the rule set's verdict is {verdict}"
            found.append(
                (
                    self._at(
                        profile, ("proposal",), message, rule="proposal-mismatch", level="warning"
                    ),
                    None,
                )
            )
        elif profile.proposal is None and verdict == "undecided":
            found += self._undecided(profile)
        status: Status = "fail" if any(f.level == "error" for f, _ in found) else "pass"
        status, more, waived = self._waiver(profile, status, found)
        return FileResult(
            str(path),
            status,
            verdict=verdict,
            proposal=profile.proposal,
            findings=tuple(f for f, _ in found) + tuple(more),
            notes=(*notes, *waived),
            waiver=profile.waiver,
        )

    def _at(
        self,
        profile: Profile,
        loc: Path_,
        message: str,
        *,
        rule: str,
        level: Level = "error",
    ) -> Problem:
        """A finding at the profile's key `loc`, or the nearest enclosing key it has."""
        found = profile.doc.where(loc) if profile.doc else None
        line, column = found or (None, None)
        return Problem(str(profile.path), message, line, column, rule=rule, level=level)

    def _undecided(self, profile: Profile) -> list[_About]:
        """With no proposal an undecided profile passes, but says so: one warning per
        undecided need, with the answers it lacks (SPEC §4)."""
        decision = decide(self.rules, profile.needs, profile.project, profile.name)
        return [
            (
                self._at(
                    profile,
                    ("needs", index),
                    f"need {need.id!r} is undecided: missing answers: {', '.join(need.missing)}",
                    rule="undecided",
                    level="warning",
                ),
                need.id,
            )
            for index, need in enumerate(decision.needs)
            if not need.decided
        ]

    def _evidence(
        self, profile: Profile, found: list[_About], notes: list[str]
    ) -> tuple[Profile, EvidenceReading | None]:
        """Read the evidence (the same reading `advise` makes): the profile with what it
        measured filled in, and the reading; add what it contradicts to `found` (at the answer
        or key concerned), what it measured to `notes`."""
        if not profile.evidence and not any(need.evidence for need in profile.needs):
            return profile, None
        from tunewise.gate.claims import answered, read_evidence

        reading = read_evidence(profile, self.questions)
        notes += reading.notes
        found += [(finding, None) for finding in reading.findings]
        return answered(profile, reading), reading

    def _required(
        self,
        profile: Profile,
        reading: EvidenceReading | None,
        approaches: list[str | None],
    ) -> list[_About]:
        """--require-evidence: each need the proposal relies on (a fine-tune) has each kind."""
        from tunewise.gate.claims import EvidenceReading, NeedEvidence, missing_evidence

        relied = [i for i, approach in enumerate(approaches) if approach == "fine-tune"]
        if reading is None:
            reading = EvidenceReading(needs=[NeedEvidence() for _ in profile.needs])
        missing = missing_evidence(
            reading, profile, relied, self.require_evidence, self.required_by
        )
        return [(finding, None) for finding in missing]

    def _not_justified(self, profile: Profile, notes: list[str]) -> list[_About]:
        """Fine-tuning is proposed and no need reaches it: say why, need by need."""
        from tunewise.whatif.search import search

        # The search costs milliseconds a need, and a 1 MiB profile holds tens of thousands of
        # needs: needs with the same answers share one search, and at most MAX_SEARCHES are
        # made per profile, so no profile can hold the gate for minutes.
        searched: dict[tuple[tuple[str, str, Any], ...], tuple[list[Any], int | None]] = {}
        skipped = 0
        found: list[_About] = []
        for index, need_in in enumerate(profile.needs):
            answers = {**profile.project, **need_in.answers}
            # The walk's texts are left unfilled: the gate shows only the first reason or the
            # failing checks' messages, filled by `_why_not` (callgrind, judging 1,500 bench
            # profiles: 1.1% fewer instructions than filling every text of the path).
            need = walk_need(
                self.rules, answers, need_in.id, need_in.description, explain=False, advice=False
            )
            key = tuple(sorted((k, type(v).__name__, v) for k, v in answers.items()))
            if key not in searched and len(searched) < MAX_SEARCHES:
                budget = Budget()
                result = search(self.rules, answers, need, "fine-tune", budget)
                searched[key] = (result, budget.limit if budget.stopped else None)
            # what the search found goes to the texts as it is, not copied into the need's
            # result (measured: 4 µs a need, ~1% of judging the 3,000 bench profiles)
            options, stopped = searched.get(key, (None, None))
            skipped += options is None
            found += [
                (f, need.id) for f in self._why_not(profile, index, answers, need, options, stopped)
            ]
        if skipped:
            notes.append(
                f"what would change was searched for {MAX_SEARCHES} distinct needs; "
                f"{skipped} more needs were not searched"
            )
        return found

    def _why_not(
        self,
        profile: Profile,
        index: int,
        answers: Mapping[str, Any],
        need: NeedResult,
        what_if: Sequence[WhatIf] | None,
        stopped: int | None,
    ) -> list[Problem]:
        """A summary of why the need is not fine-tune and what would change it (`what_if`,
        None when not searched; `stopped`: the search's bound, if it stopped at it), then one
        finding per failing check, located at the answer it is about."""
        from tunewise.engine.texts import LABELS, what_if_text

        need_loc: Path_ = ("needs", index)
        if not need.decided:
            return [
                self._at(
                    profile,
                    need_loc,
                    f"need {need.id!r} is undecided: missing answers: {', '.join(need.missing)}",
                    rule="missing-answers",
                )
            ]
        failed = need.failed_checks
        head = f"need {need.id!r} is {LABELS[need.approach]}, not fine-tuning"
        if failed:
            count = len(failed)
            why = f"{count} fine-tuning check{'s' * (count != 1)} fail{'s' * (count == 1)}"
            rule, loc = "not-fine-tune", need_loc
        else:
            why = filled(self.rules, answers, need.reasons[0].text) if need.reasons else ""
            rule, loc = f"leaf/{need.leaf}", self._last_answer(profile, index, need)
        if what_if:
            options = [
                what_if_text(w)
                if w.approach == "undecided"
                else "it would become " + what_if_text(w)
                for w in what_if[:3]
            ]
            change = "; or ".join(options)
            change = change[0].upper() + change[1:]
        elif what_if is not None and stopped is not None:
            change = (
                "No change of one or two answers making it fine-tuning was found before the "
                f"search stopped ({stopped:,} steps)"
            )
        elif what_if is not None:
            change = "No change of one or two answers makes it fine-tuning"
        else:
            change = "What would change it was not searched (too many needs in this profile)"
        summary = self._at(profile, loc, f"{head}: {why.rstrip('.')}. {change}.", rule=rule)
        details = []
        for check in failed:
            # the answer the check is about: the first it reads
            reads = self.outcomes.reads_of(self.outcomes.checks[check.id].require)
            question = reads[0] if reads else None
            scope = ("project", question) if question in profile.project else need_loc
            text = filled(self.rules, answers, check.message.text) if check.message else check.title
            details.append(
                self._at(profile, scope, f"need {need.id!r}: {text}", rule=f"check/{check.id}")
            )
        return [summary, *details]

    def _last_answer(self, profile: Profile, index: int, need: NeedResult) -> Path_:
        """The need's answer that settled its path (the last question asked on it)."""
        asked = [n.ask for n in map(self.rules.model.node, need.path) if isinstance(n, AskNode)]
        answered = [q for q in asked if q in profile.needs[index].answers]
        return ("needs", index, answered[-1]) if answered else ("needs", index)

    def _waiver(
        self, profile: Profile, status: Status, found: list[_About]
    ) -> tuple[Status, list[Problem], list[str]]:
        """The status once the waiver is weighed, with the findings and notes it adds."""
        waiver = profile.waiver
        if waiver is None:
            return status, [], []
        problems = waiver_problems(waiver, self.today, self.waiver_horizon_days)
        if status == "pass":
            return (
                status,
                [
                    self._waiver_problem(profile, p, rule="waiver-invalid", level="warning")
                    for p in problems
                ],
                [],
            )
        if problems:
            # each problem under its own id: an expired waiver, or one that is malformed
            return (
                status,
                [
                    self._waiver_problem(
                        profile, p, rule="waiver-expired" if "expired" in p else "waiver-invalid"
                    )
                    for p in problems
                ],
                [],
            )
        scope = waiver.get("needs")
        if scope:
            uncovered = sorted(
                {need or "(the whole profile)" for f, need in found if f.level == "error"}
                - set(scope)
            )
            if uncovered:
                message = (
                    f"waiver covers need{'s' * (len(scope) != 1)} {', '.join(scope)} only; "
                    f"not the failures of {', '.join(uncovered)}"
                )
                at = ("waiver", "needs")
                return (
                    status,
                    [self._at(profile, at, message, rule="waiver-out-of-scope", level="warning")],
                    [],
                )
        scoped = f" (needs {', '.join(scope)})" if scope else ""
        note = (
            f"waived{scoped} by {waiver['approved_by']} until {waiver['expires']}: "
            f"{waiver['reason']}"
        )
        left = days_left(waiver, self.today)
        if left is None or left > WAIVER_WARNING_DAYS:
            return "waived", [], [note]
        when = "today" if left == 0 else f"in {left} day{'s' * (left != 1)}"
        message = f"waiver expires {when} ({waiver['expires']}): fix the profile or renew it"
        expiring = self._at(
            profile, ("waiver", "expires"), message, rule="waiver-expiring", level="warning"
        )
        return "waived", [expiring], [note]

    def _waiver_problem(
        self, profile: Profile, problem: str, *, rule: str, level: Level = "error"
    ) -> Problem:
        return self._at(profile, ("waiver",), f"waiver: {problem}", rule=rule, level=level)


def visible_text(text: str) -> str:
    """`text` as a reader sees it: control, format (zero-width, bidi), private-use and
    unassigned characters and blank letters removed; whitespace collapsed to single spaces."""
    import unicodedata

    kept = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            kept.append(" ")
        elif char not in _BLANK_LETTERS and unicodedata.category(char)[0] != "C":
            kept.append(char)
    return " ".join("".join(kept).split())


def visible_length(text: str) -> int:
    """Characters of `text` a reader can see; a combining mark adds nothing on its own."""
    import unicodedata

    return sum(unicodedata.category(char)[0] != "M" for char in visible_text(text))


def approver_problem(approver: str) -> str | None:
    """Why `approver` is not a name someone can be found by, or None."""
    import unicodedata

    if not approver.strip():
        return "approved_by is missing; a waiver needs a named approver"
    visible = visible_text(approver)
    ok = (
        visible == unicodedata.normalize("NFC", approver)
        and visible_length(visible) >= 2
        and all(ch.isalnum() or ch in APPROVER_PUNCTUATION for ch in visible)
        and any(ch.isalnum() for ch in visible)
    )
    if not ok:
        return (
            f"approved_by {approver[:40]!r} is not a name: use at least 2 letters, digits, "
            "'.', '_', '-' or '@' (e.g. jane.doe or jane@example.com)"
        )
    return None


def days_left(waiver: dict[str, Any], today: dt.date) -> int | None:
    """Days from `today` to the waiver's expiry (negative once expired), None without one."""
    try:
        return (dt.date.fromisoformat((waiver.get("expires") or "").strip()) - today).days
    except ValueError:
        return None


def waiver_problems(
    waiver: dict[str, Any], today: dt.date, horizon_days: int = WAIVER_HORIZON_DAYS
) -> list[str]:
    """Why a waiver cannot be honoured (empty when it can)."""
    problems = []
    reason = visible_length(waiver.get("reason") or "")
    if reason < MIN_WAIVER_REASON:
        problems.append(
            f"reason is {reason} visible characters; at least {MIN_WAIVER_REASON} are "
            "needed to explain the exception"
        )
    approver = approver_problem(waiver.get("approved_by") or "")
    if approver:
        problems.append(approver)
    raw = (waiver.get("expires") or "").strip()
    if not raw:
        problems.append("expires is missing; a waiver needs an expiry date (YYYY-MM-DD)")
    else:
        try:
            expires = dt.date.fromisoformat(raw)
        except ValueError:
            problems.append(f"expires {raw!r} is not an ISO 8601 date (YYYY-MM-DD)")
        else:
            if expires < today:
                problems.append(f"waiver expired on {expires.isoformat()}")
            elif (expires - today).days > horizon_days:
                latest = (today + dt.timedelta(days=horizon_days)).isoformat()
                problems.append(
                    f"expires {expires.isoformat()} is more than {horizon_days} days ahead; "
                    f"a waiver must be reviewed again by {latest} at the latest"
                )
    return problems
