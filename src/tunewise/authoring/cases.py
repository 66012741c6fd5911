"""Rule-set test cases: profiles with expected outcomes, and leaf/check coverage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from tunewise.engine.walk import decide
from tunewise.errors import InputError, TunewiseError
from tunewise.inputs.profile import profile_from_data
from tunewise.inputs.safeio import project_root, resolve_inside
from tunewise.inputs.validation import format_errors
from tunewise.inputs.yamlio import Document, Path_, load_yaml_file
from tunewise.ruleset.load import LoadedRules, Override, resolve_params
from tunewise.ruleset.records import ChecksNode, Leaf

Outcome = Literal["prompt", "rag", "fine-tune", "undecided"]


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["prompt", "rag", "fine-tune", "hybrid", "undecided"] | None = None
    needs: dict[StrictStr, Outcome] = {}
    failed_checks: dict[StrictStr, list[StrictStr]] = {}


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(min_length=1)
    params: dict[StrictStr, int | float] = {}
    profile: dict[str, Any] | None = None
    profile_file: StrictStr | None = None
    expect: Expect


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tunewise_cases: Literal[1]
    cases: list[Case] = Field(min_length=1)


@dataclass
class CaseResult:
    file: str
    name: str
    problems: list[str]


@dataclass
class TestReport:
    results: list[CaseResult] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    items: list[str] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return (
            100.0 * len(self.covered & set(self.items)) / len(self.items) if self.items else 100.0
        )

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if r.problems]

    def below(self, min_coverage: float | None) -> bool:
        """Coverage under the required percentage (none required: never below)."""
        return min_coverage is not None and self.coverage + 1e-9 < min_coverage

    def passes(self, min_coverage: float | None) -> bool:
        return not self.failed and not self.below(min_coverage)


def coverage_items(rules: LoadedRules) -> list[str]:
    """What a suite should exercise: every leaf, and every check both passing and failing."""
    items: list[str] = []
    for node in rules.model.tree.nodes:
        if isinstance(node, Leaf):
            items.append(f"leaf {node.id}")
        elif isinstance(node, ChecksNode):
            for check in node.checks:
                items += [f"check {check.id} fails", f"check {check.id} passes"]
    return items


def _sub_document(doc: Document, prefix: Path_, data: Any, label: str) -> Document:
    """The part of `doc` under `prefix`, as a document of its own (positions kept)."""
    size = len(prefix)
    positions = {loc[size:]: at for loc, at in doc.positions.items() if loc[:size] == prefix}
    keys = {loc[size:]: at for loc, at in doc.key_positions.items() if loc[:size] == prefix}
    return Document(data, label, positions, keys)


def _override(doc: Document, loc: Path_, text: str) -> Override:
    """A case's parameter, placed at its key: one the rule set refuses is reported there."""
    line, column = doc.where(loc, key=True) or (None, None)
    return Override(text, doc.file, line, column, field=loc)


def run_case_files(rules: LoadedRules, paths: Sequence[Path]) -> TestReport:
    report = TestReport(items=coverage_items(rules))
    for path in paths:
        doc = load_yaml_file(path, "case file")
        try:
            suite = CaseFile.model_validate(doc.data)
        except ValidationError as exc:
            lines = format_errors(exc, doc)
            raise InputError(lines[0], lines=lines) from None
        for index, case in enumerate(suite.cases):
            report.results.append(_run_case(rules, path, doc, index, case, report.covered))
    return report


def _run_case(
    rules: LoadedRules, path: Path, doc: Document, index: int, case: Case, covered: set[str]
) -> CaseResult:
    loc: Path_ = ("cases", index)
    if (case.profile is None) == (case.profile_file is None):
        return CaseResult(str(path), case.name, ["give exactly one of 'profile' or 'profile_file'"])
    try:
        if case.profile is not None:
            profile_doc = _sub_document(doc, (*loc, "profile"), case.profile, str(path))
        else:
            # A case file may come from a pull request: its profile stays inside the project.
            wanted = str(path.resolve().parent / str(case.profile_file))
            target = resolve_inside(project_root(path), wanted, "profile_file", origin=str(path))
            profile_doc = load_yaml_file(target, "profile")
        profile = profile_from_data(rules.model, profile_doc)
        overrides = [
            _override(doc, (*loc, "params", k), f"{k}={v}") for k, v in case.params.items()
        ]
        params = resolve_params(rules.model, overrides) if overrides else rules.params
    except TunewiseError as exc:
        return CaseResult(str(path), case.name, exc.lines)
    scoped = LoadedRules(rules.model, params, rules.info, rules.doc)
    decision = decide(scoped, profile.needs, profile.project, profile.name)
    for need in decision.needs:
        if need.leaf:
            covered.add(f"leaf {need.leaf}")
        for check in need.checks:
            if check.status in ("pass", "fail"):
                covered.add(f"check {check.id} {'passes' if check.status == 'pass' else 'fails'}")
    problems = []
    expect = case.expect
    if expect.verdict is not None and decision.verdict != expect.verdict:
        problems.append(f"verdict: expected {expect.verdict}, got {decision.verdict}")
    got = {n.id: n.approach or "undecided" for n in decision.needs}
    for need_id, wanted in expect.needs.items():
        if got.get(need_id) != wanted:
            problems.append(
                f"need {need_id}: expected {wanted}, got {got.get(need_id, 'no such need')}"
            )
    failed = {n.id: sorted(c.id for c in n.failed_checks) for n in decision.needs}
    for need_id, checks in expect.failed_checks.items():
        if failed.get(need_id) != sorted(checks):
            problems.append(
                f"need {need_id}: expected failing checks {sorted(checks)}, "
                f"got {failed.get(need_id, [])}"
            )
    return CaseResult(str(path), case.name, problems)
