"""One reading of a profile's evidence for `advise` and `check`: answers it supplies, claims it
contradicts, what it lacks.

Evidence (SPEC §1): `evidence.dataset`, `evidence.eval_set`, `evidence.prompting: {report,
target, metric?, format?}`, project-wide or per need (a need's own key wins). Every path is
resolved inside the project root and read bounded (`evidence`, `evals`): anything unreadable is
one `evidence-unreadable` finding at the key that named it, never a hang or a crash."""

from __future__ import annotations

import contextlib
import dataclasses
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunewise.errors import TunewiseError
from tunewise.inputs.yamlio import Path_
from tunewise.problems import Level, Problem

if TYPE_CHECKING:
    from tunewise.evidence.dataset import DatasetStats
    from tunewise.evidence.evals import Reading
    from tunewise.inputs.profile import Profile

KINDS = ("dataset", "eval_set", "prompting")
# Every rule id a finding from here can carry, with what it means and what to do (the register
# `gate_rules` builds `explain` and SARIF texts from; its first clause is the title).
EVIDENCE_RULES = {
    "evidence-unreadable": "An evidence file cannot be read: it is missing, not a regular file "
    "(a folder, FIFO or device), outside the project root (symbolic links followed), too large, "
    "or a file no reader understands. Paths are relative to the profile's folder.",
    "evidence-overclaim": "More examples are claimed than the dataset holds: the `examples` "
    "answer is larger than the valid unique records `tunewise data` measures in "
    "evidence.dataset. Correct the answer, or add the missing records.",
    "evidence-quality-contradicted": "The dataset contradicts data_quality: high: more than 10 % "
    "of its valid records are duplicates or near-duplicates, or more than 5 % of its lines are "
    "invalid or have empty outputs. `tunewise data FILE` lists them; clean the file or answer "
    "`mixed`.",
    "evidence-dataset-invalid": "The dataset holds no valid training record in a format "
    "tunewise reads. `tunewise data FILE` shows the first problems with their line numbers.",
    "evidence-eval-set-invalid": "The held-out set holds no valid record in a format tunewise "
    "reads, so it shows nothing about an evaluation plan: an empty file is no held-out set. "
    "`tunewise data FILE` shows the first problems with their line numbers.",
    "evidence-longer-than-claimed": "An example is longer than max_seq_tokens, which the memory "
    "estimate relies on. Raise the answer, or shorten the long examples.",
    "evidence-eval-overlap": "Held-out records are also in the training set (exact after "
    "normalising case and whitespace, or near-duplicates), so the held-out comparison would "
    "measure memorisation. `tunewise data TRAIN --against EVAL` lists them.",
    "evidence-eval-set-unpaired": "A held-out set without a training set: its overlap with the "
    "training data cannot be checked. Add evidence.dataset.",
    "evidence-prompting-contradicted": "The evaluation shows prompting meeting its target, while "
    "the need claims `prompting: failed`. The finding quotes both numbers and the case count; "
    "use the prompt, or raise the target to what the product needs.",
    "evidence-prompting-below-target": "The evaluation shows prompting below its target, while "
    "the need claims `prompting: works`. Improve the prompt, or answer `failed`.",
    "evidence-target-not-fraction": "A prompting target above 1 for a pass rate: a pass rate is "
    "a fraction between 0 and 1, so a percent-style target (90) would never be met and would "
    "silently disable the check. Write the target as a fraction (0.9).",
    "evidence-required": "Required evidence is missing: --require-evidence (or `require_evidence` "
    "in the configuration file) asks for each listed kind for every need a fine-tune relies on, "
    "and this need lacks one, has it unreadable, or has a held-out set not shown disjoint from "
    "its dataset. The finding says which of the two asked for it.",
}
# The ids whose findings are warnings (the rest are errors).
EVIDENCE_WARNINGS = frozenset(
    {
        "evidence-longer-than-claimed",
        "evidence-eval-set-unpaired",
        "evidence-prompting-below-target",
    }
)
PREFERENCE_ANSWER = "preference_data"  # the rule set's yes/no question: chosen/rejected pairs
_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CACHE_SIZE = 16


@dataclass
class NeedEvidence:
    """What one need's evidence showed (after project keys and the need's own are merged)."""

    kinds: set[str] = field(default_factory=set)  # usable evidence: read without a problem
    answers: dict[str, Any] = field(default_factory=dict)  # to fill where unanswered


@dataclass
class EvidenceReading:
    findings: list[Problem] = field(default_factory=list)  # what the evidence contradicts
    notes: list[str] = field(default_factory=list)  # what it measured and answered
    project: dict[str, Any] = field(default_factory=dict)  # answers for the project
    needs: list[NeedEvidence] = field(default_factory=list)
    # The need each need-level finding is about (its key is in `needs[i]`), by finding
    need_of: dict[Problem, int] = field(default_factory=dict)

    def errors(self) -> list[Problem]:
        return [f for f in self.findings if f.level == "error"]


def _where(scope: int | None, *rest: str | int) -> Path_:
    return ("evidence", *rest) if scope is None else ("needs", scope, "evidence", *rest)


class _Reader:
    def __init__(self, profile: Profile, questions: set[str]) -> None:
        from tunewise.inputs.safeio import project_root

        self.profile = profile
        self.questions = questions
        self.base = profile.path.parent if profile.path else Path(".")
        self.root = project_root(profile.path) if profile.path else Path(".").resolve()
        self.origin = str(profile.path) if profile.path else "-"
        self.out = EvidenceReading()
        self.failed: set[Path_] = set()  # keys already reported unreadable

    def resolve(self, relative: str, what: str) -> Path:
        from tunewise.inputs.safeio import resolve_inside

        # Relative to the profile's folder (SPEC §1), and it must stay under the project root
        # (which may lie above that folder: `../data/train.jsonl` from `teams/a/` is inside).
        return resolve_inside(self.root, relative, what, origin=self.origin, base=self.base)

    def unreadable(self, loc: Path_, what: str, exc: TunewiseError) -> None:
        if loc in self.failed:
            return
        self.failed.add(loc)
        text = exc.problems[0].text if exc.problems else exc.message
        named = exc.problems[0].file if exc.problems else ""
        with contextlib.suppress(ValueError):
            named = str(Path(named).relative_to(self.root.resolve()))
        if not named.strip() or named != named.strip():  # a path of spaces: shown as one
            named = repr(named)
        message = text if text.startswith(what) else f"{what} {named}: {text}"
        self.out.findings.append(self.finding(loc, message, rule="evidence-unreadable"))

    def note(self, need: int | None, text: str) -> None:
        """A note on what the evidence answered, under the id of the need it is about (none
        for the project's evidence), once."""
        said = text if need is None else f"{self.profile.needs[need].id}: {text}"
        if said not in self.out.notes:
            self.out.notes.append(said)

    def finding(
        self,
        loc: Path_,
        message: str,
        *,
        rule: str,
        level: Level = "error",
        need: int | None = None,
    ) -> Problem:
        """A finding at the profile's key `loc` (or the nearest enclosing key it has), about
        `need` (by default the need whose key `loc` is, if any)."""
        found = finding_at(self.profile, loc, message, rule=rule, level=level)
        if need is None and len(loc) > 1 and loc[0] == "needs" and isinstance(loc[1], int):
            need = loc[1]
        if need is not None:
            self.out.need_of[found] = need
        return found

    def dataset(
        self, scope: int | None, relative: str, eval_scope: int | None, eval_rel: str | None
    ) -> DatasetStats | None:
        from tunewise.evidence.dataset import measure

        where = _where(scope, "dataset")
        try:
            path = self.resolve(relative, "evidence.dataset")
        except TunewiseError as exc:
            self.unreadable(where, "evidence.dataset", exc)
            return None
        against = None
        if eval_rel is not None:
            try:
                against = self.resolve(eval_rel, "evidence.eval_set")
            except TunewiseError as exc:
                self.unreadable(_where(eval_scope, "eval_set"), "evidence.eval_set", exc)
        key = ("dataset", *_stamp(path), *(_stamp(against) if against else ()))
        try:
            stats: DatasetStats = _cached(
                key, lambda: measure(path, against=against, label=relative)
            )
        except TunewiseError as exc:
            bad = exc.problems[0].file if exc.problems else ""
            if against is not None and bad == str(against):
                self.unreadable(_where(eval_scope, "eval_set"), "evidence.eval_set", exc)
                try:
                    stats = _cached(key[:3], lambda: measure(path, label=relative))
                except TunewiseError as inner:
                    self.unreadable(where, "evidence.dataset", inner)
                    return None
            else:
                self.unreadable(where, "evidence.dataset", exc)
                return None
        if not stats.valid:
            self.out.findings.append(
                self.finding(
                    where,
                    f"evidence.dataset {relative}: no valid training record in "
                    f"{stats.records} lines" + _first_problem(stats),
                    rule="evidence-dataset-invalid",
                )
            )
            return None
        return stats

    def eval_only(self, scope: int | None, relative: str) -> DatasetStats | None:
        from tunewise.evidence.dataset import measure

        where = _where(scope, "eval_set")
        try:
            path = self.resolve(relative, "evidence.eval_set")
            result: DatasetStats = _cached(
                ("eval", *_stamp(path)), lambda: measure(path, label=relative)
            )
            return result
        except TunewiseError as exc:
            self.unreadable(where, "evidence.eval_set", exc)
            return None

    def prompting(self, scope: int | None, spec: dict[str, Any]) -> Reading | None:
        from tunewise.evidence.evals import read_report

        where = _where(scope, "prompting")
        try:
            path = self.resolve(spec["report"], "evidence.prompting.report")
            key = ("report", *_stamp(path), spec.get("format"), spec.get("metric"))
            reading: Reading = _cached(
                key, lambda: read_report(path, spec.get("format"), spec.get("metric"))
            )
        except TunewiseError as exc:
            self.unreadable((*where, "report"), "evidence.prompting", exc)
            return None
        return reading


def _first_problem(stats: DatasetStats) -> str:
    if not stats.problems:
        return ""
    first = stats.problems[0]
    return f" (line {first.line}: {first.message})"


def _stamp(path: Path | None) -> tuple[Any, ...]:
    if path is None:
        return ()
    try:
        info = path.stat()
    except OSError:
        return (str(path),)
    return (str(path), info.st_size, info.st_mtime_ns, info.st_ino)


def _cached(key: tuple[Any, ...], make: Any) -> Any:
    """Measured files are reused across needs and profiles of one run (same file, same stamp)."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = make()
    _CACHE[key] = value
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def read_evidence(profile: Profile, questions: set[str]) -> EvidenceReading:
    """Read every evidence file the profile names, once, and judge its claims against them."""
    reader = _Reader(profile, questions)
    out = reader.out
    project_evidence = profile.evidence or {}
    out.needs = [NeedEvidence() for _ in profile.needs]
    if not project_evidence and not any(n.evidence for n in profile.needs):
        return out
    project_stats = _dataset_scope(reader, None, project_evidence, {}, profile.project, out.project)
    for index, need in enumerate(profile.needs):
        own = need.evidence or {}
        result = out.needs[index]
        if "dataset" in own or "eval_set" in own:
            merged = {**project_evidence, **own}
            scope_answers = result.answers
            claims = {**profile.project, **need.answers}
            stats = _dataset_scope(reader, index, merged, own, claims, scope_answers)
        else:
            stats = project_stats
        if stats is not None:
            result.kinds.add("dataset")
            overlap = stats.overlap
            if overlap is not None and overlap.count == 0 and overlap.held_out:
                result.kinds.add("eval_set")  # an empty held-out set is none
        spec = own.get("prompting", project_evidence.get("prompting"))
        if spec is not None:
            scope = index if "prompting" in own else None
            reading = reader.prompting(scope, spec)
            if reading is not None:
                result.kinds.add("prompting")
                claimed = need.answers.get("prompting")
                _judge_prompting(reader, index, scope, claimed, spec, reading, result)
    return out


def _dataset_scope(
    reader: _Reader,
    scope: int | None,
    evidence: dict[str, Any],
    own: dict[str, Any],
    claims: dict[str, Any],
    answers: dict[str, Any],
) -> DatasetStats | None:
    """Measure the dataset (and held-out set) of one scope; judge its claims; fill answers."""
    out = reader.out
    dataset, eval_set = evidence.get("dataset"), evidence.get("eval_set")
    data_scope = scope if "dataset" in own else None
    eval_scope = scope if "eval_set" in own else None
    if dataset is None:
        if eval_set is not None and reader.eval_only(eval_scope, eval_set) is not None:
            out.findings.append(
                reader.finding(
                    _where(eval_scope, "eval_set"),
                    f"evidence.eval_set {eval_set}: no evidence.dataset to compare it with, "
                    "so its overlap with the training set is unknown",
                    rule="evidence-eval-set-unpaired",
                    level="warning",
                )
            )
        return None
    if scope is not None and "dataset" not in own and "eval_set" in own:
        data_scope = None
    stats = reader.dataset(data_scope, dataset, eval_scope, eval_set)
    if stats is None:
        return None
    _judge_dataset(reader, scope, dataset, stats, claims, answers)
    if stats.overlap is not None and eval_set is not None:
        _judge_overlap(reader, eval_scope, eval_set, stats, claims, answers)
    return stats


def _judge_dataset(
    reader: _Reader,
    scope: int | None,
    relative: str,
    stats: DatasetStats,
    claims: dict[str, Any],
    answers: dict[str, Any],
) -> None:
    from tunewise.evidence.dataset import DUPLICATE_RATE_HIGH, INVALID_RATE_HIGH

    out = reader.out
    claim_loc: Path_ = ("project", "examples") if scope is None else ("needs", scope, "examples")
    claimed = claims.get("examples")
    own_claim = scope is None or "examples" in reader.profile.needs[scope].answers
    if claimed is None or not own_claim:
        answers["examples"] = stats.unique
        reader.note(
            scope,
            f"examples = {stats.unique}, measured in {relative} "
            f"({stats.valid} valid, {stats.duplicates} duplicates, "
            f"{stats.near_duplicates} near-duplicates)",
        )
    elif claimed > stats.unique:
        out.findings.append(
            reader.finding(
                claim_loc,
                f"claims {claimed} examples; the dataset has {stats.unique} valid unique records "
                f"({relative}: {stats.records} records, {stats.duplicates} duplicates, "
                f"{stats.near_duplicates} near-duplicates, "
                f"{stats.invalid + stats.empty_outputs} unusable)",
                rule="evidence-overclaim",
                need=scope,
            )
        )
    else:
        reader.note(
            scope,
            f"{relative}: {stats.unique} valid unique records support the {claimed} "
            "examples claimed",
        )
    questions = reader.questions
    if "tokens_per_example" in questions and "tokens_per_example" not in claims:
        answers["tokens_per_example"] = max(1, round(stats.mean_tokens))
    if "max_seq_tokens" in questions and "max_seq_tokens" not in claims and stats.max_tokens:
        answers["max_seq_tokens"] = stats.max_tokens
    if PREFERENCE_ANSWER in questions and PREFERENCE_ANSWER not in claims:
        answers[PREFERENCE_ANSWER] = stats.preference
    claimed_len = claims.get("max_seq_tokens")
    if isinstance(claimed_len, int) and stats.max_tokens > claimed_len:
        out.findings.append(
            reader.finding(
                ("project", "max_seq_tokens")
                if scope is None
                else ("needs", scope, "max_seq_tokens"),
                f"max_seq_tokens is {claimed_len}, but the longest example in {relative} "
                f"(line {stats.longest_line}) is about {stats.max_tokens} tokens",
                rule="evidence-longer-than-claimed",
                need=scope,
                level="warning",
            )
        )
    if claims.get("data_quality") == "high":
        reasons = []
        if stats.duplicate_rate > DUPLICATE_RATE_HIGH:
            reasons.append(
                f"{stats.duplicates + stats.near_duplicates} of {stats.valid} valid records "
                f"({stats.duplicate_rate:.0%}) are duplicates or near-duplicates "
                f"(over {DUPLICATE_RATE_HIGH:.0%})"
            )
        if stats.invalid_rate > INVALID_RATE_HIGH:
            reasons.append(
                f"{stats.invalid + stats.empty_outputs} of {stats.records} lines "
                f"({stats.invalid_rate:.0%}) are invalid or have empty outputs "
                f"(over {INVALID_RATE_HIGH:.0%})"
            )
        if reasons:
            loc: Path_ = (
                ("project", "data_quality")
                if scope is None or "data_quality" not in reader.profile.needs[scope].answers
                else ("needs", scope, "data_quality")
            )
            out.findings.append(
                reader.finding(
                    loc,
                    f"data_quality is high, but in {relative} " + "; ".join(reasons),
                    rule="evidence-quality-contradicted",
                    need=scope,
                )
            )


def _judge_overlap(
    reader: _Reader,
    eval_scope: int | None,
    relative: str,
    stats: DatasetStats,
    claims: dict[str, Any],
    answers: dict[str, Any],
) -> None:
    overlap = stats.overlap
    assert overlap is not None
    where = _where(eval_scope, "eval_set")
    if not overlap.held_out:
        reader.out.findings.append(
            reader.finding(
                where,
                f"evidence.eval_set {relative}: no valid held-out record in it",
                rule="evidence-eval-set-invalid",
            )
        )
        return
    if overlap.count:
        shown = "; ".join(
            f"held-out line {h} = training line {t}"
            + (" (near-duplicate)" if kind != "exact" else "")
            for h, t, kind in overlap.pairs
        )
        reader.out.findings.append(
            reader.finding(
                where,
                f"{overlap.counted} of {overlap.held_out} held-out records are also in the "
                f"training set ({overlap.exact} exact, {overlap.near} near-duplicates) in "
                f"{relative}: {shown}",
                rule="evidence-eval-overlap",
            )
        )
        return
    if "eval_plan" in reader.questions and "eval_plan" not in claims and overlap.held_out:
        answers["eval_plan"] = True
    reader.note(
        eval_scope, f"{relative}: {overlap.held_out} held-out records, none in the training set"
    )


def _judge_prompting(
    reader: _Reader,
    index: int,
    scope: int | None,
    claimed: str | None,
    spec: dict[str, Any],
    reading: Reading,
    result: NeedEvidence,
) -> None:
    out = reader.out
    target = spec["target"]
    if reading.metric == "pass rate" and target > 1:
        # A percent-style target would never be met: refuse it rather than pass unchecked.
        refused = reader.finding(
            _where(scope, "prompting", "target"),
            f"target {target:g} is above 1: a pass rate is a fraction, write {target / 100:g}",
            rule="evidence-target-not-fraction",
        )
        if refused not in out.findings:  # a project-wide target: said once, not per need
            out.findings.append(refused)
        return
    meets = reading.value >= target
    said = f"{spec['report']} ({reading.format}) shows {reading.describe()}"
    if claimed is None:
        result.answers["prompting"] = "works" if meets else "failed"
        reader.note(
            index,
            f"prompting = {result.answers['prompting']}: {said}, "
            f"{'meeting' if meets else 'below'} the target {target:g}",
        )
    elif claimed == "failed" and meets:
        out.findings.append(
            reader.finding(
                ("needs", index, "prompting"),
                f"claims prompting failed, but {said}, meeting the target {target:g}",
                rule="evidence-prompting-contradicted",
            )
        )
    elif claimed == "works" and not meets:
        out.findings.append(
            reader.finding(
                ("needs", index, "prompting"),
                f"claims prompting works, but {said}, below the target {target:g}",
                rule="evidence-prompting-below-target",
                level="warning",
            )
        )


def missing_evidence(
    reading: EvidenceReading,
    profile: Profile,
    needs: list[int],
    required: list[str],
    required_by: str = "--require-evidence",
) -> list[Problem]:
    """Under `--require-evidence` (or the configuration's `require_evidence`, as `required_by`
    says): what each relied-on need lacks."""
    found = []
    for index in needs:
        have = reading.needs[index].kinds if index < len(reading.needs) else set()
        for kind in required:
            if kind in have:
                continue
            named = _names(profile, index, kind)
            why = (
                "is empty, unreadable, not disjoint from the training set, or has no "
                "evidence.dataset to compare with"
                if named and kind == "eval_set"
                else "could not be read"
                if named
                else "is missing"
            )
            found.append(
                finding_at(
                    profile,
                    ("needs", index),
                    f"need {profile.needs[index].id!r} relies on fine-tuning, but its "
                    f"evidence.{kind} {why} (required by {required_by})",
                    rule="evidence-required",
                )
            )
    return found


def finding_at(
    profile: Profile, loc: Path_, message: str, *, rule: str, level: Level = "error"
) -> Problem:
    """A finding about the profile's key `loc`, placed at it or at the nearest enclosing key
    the profile has (a missing answer is reported at its need)."""
    line, column = None, None
    for end in range(len(loc), 0, -1):
        found = profile.doc.where(loc[:end]) if profile.doc else None
        if found:
            line, column = found
            break
    file = str(profile.path) if profile.path else "-"
    return Problem(file, message, line, column, rule=rule, level=level)


def _names(profile: Profile, index: int, kind: str) -> bool:
    own = profile.needs[index].evidence or {}
    return kind in own or kind in (profile.evidence or {})


def answered(profile: Profile, reading: EvidenceReading) -> Profile:
    """The profile with its unanswered questions filled with what the evidence measured."""
    needs = list(profile.needs)
    for index, found in enumerate(reading.needs[: len(needs)]):
        if found.answers:
            need = needs[index]
            needs[index] = dataclasses.replace(need, answers={**found.answers, **need.answers})
    project = {**reading.project, **profile.project}
    return dataclasses.replace(profile, needs=needs, project=project)
