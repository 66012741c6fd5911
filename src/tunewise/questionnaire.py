"""The questionnaire loop shared by `ask` and `advise`: what to ask next, in the tree's order.

The next step is always recomputed from the answers so far, so going back is simply undoing the
last answered step, and a changed answer makes exactly the now-relevant questions reappear.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from tunewise.engine import Rules, walk_need
from tunewise.profile import NeedAnswers, Profile

StepKind = Literal["need-description", "need-id", "question", "another-need", "done"]


@dataclass(frozen=True)
class Step:
    kind: StepKind
    need: int | None = None  # index of the need, None for project questions
    question: str | None = None
    optional: bool = False

    @property
    def key(self) -> tuple[str, int | None, str | None]:
        return (self.kind, self.need, self.question)


@dataclass
class DraftNeed:
    id: str | None = None
    description: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class State:
    needs: list[DraftNeed] = field(default_factory=list)
    project: dict[str, Any] = field(default_factory=dict)
    needs_done: bool = False
    wants_more: bool = False  # "another need?" was answered yes: ask for its description
    skipped: set[tuple[int | None, str]] = field(default_factory=set)
    history: list[Step] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # name, proposal, evidence, waiver


class GoBack(Exception):
    """The person asked to return to the previous question."""


class AnswerSource(Protocol):
    """Where answers come from: a person at a terminal, or a profile on disk."""

    def answer(self, step: Step, state: State) -> Any:
        """The answer to `step`; None when there is none (the question stays unanswered)."""
        ...


def _answers(state: State, index: int) -> dict[str, Any]:
    return {**state.project, **state.needs[index].answers}


def next_step(rules: Rules, state: State) -> Step:
    """The first thing still to ask: needs in order (description, id, questions), another
    need?, then the project questions some need's walk reaches, then optional refinements."""
    model = rules.model
    for index, need in enumerate(state.needs):
        if need.description is None:
            return Step("need-description", index)
        if need.id is None:
            return Step("need-id", index)
        result = walk_need(rules, _answers(state, index))
        for qid in result.missing:
            if model.question(qid).scope == "need" and (index, qid) not in state.skipped:
                return Step("question", index, qid)
    if not state.needs or state.wants_more:
        return Step("need-description", len(state.needs))
    if not state.needs_done:
        return Step("another-need")
    results = [walk_need(rules, _answers(state, i)) for i in range(len(state.needs))]
    for result in results:
        for qid in result.missing:
            if model.question(qid).scope == "project" and (None, qid) not in state.skipped:
                return Step("question", None, qid)
    for result in results:
        for qid in result.optional_unanswered:
            if qid not in state.project and (None, qid) not in state.skipped:
                return Step("question", None, qid, optional=True)
    return Step("done")


def apply(state: State, step: Step, value: Any) -> None:
    """Record `value` as the answer to `step` (None: leave it unanswered)."""
    if value is None:
        if step.question is not None:
            state.skipped.add((step.need, step.question))
        return
    if step.kind == "need-description":
        if step.need == len(state.needs):
            state.needs.append(DraftNeed())
            state.wants_more = False
        state.needs[step.need or 0].description = value
    elif step.kind == "need-id":
        state.needs[step.need or 0].id = value
    elif step.kind == "another-need":
        state.needs_done, state.wants_more = not value, bool(value)
    elif step.kind == "question" and step.question is not None:
        target = state.project if step.need is None else state.needs[step.need].answers
        target[step.question] = value
    state.history.append(step)


def undo(state: State) -> bool:
    """Forget the most recent answer so that it is asked again; False if there is none."""
    if not state.history:
        return False
    step = state.history.pop()
    if step.kind == "need-description" and step.need is not None:
        if step.need == len(state.needs) - 1 and not state.needs[step.need].answers:
            state.needs.pop()
            state.wants_more = bool(state.needs)  # ask this need's description again
        else:
            state.needs[step.need].description = None
    elif step.kind == "need-id" and step.need is not None:
        state.needs[step.need].id = None
    elif step.kind == "another-need":
        state.needs_done = state.wants_more = False
    elif step.question is not None:
        target = state.project if step.need is None else state.needs[step.need].answers
        target.pop(step.question, None)
    return True


def used_answers(rules: Rules, state: State) -> set[tuple[int | None, str]]:
    """Which answers the walks read: (need index, question) for need answers, (None, q) else."""
    used: set[tuple[int | None, str]] = set()
    for index, need in enumerate(state.needs):
        read = walk_need(rules, _answers(state, index)).used
        used |= {(index, q) for q in read if q in need.answers}
        used |= {(None, q) for q in read if q in state.project}
    return used


def drop_irrelevant(state: State, before: set[tuple[int | None, str]], after: set[Any]) -> None:
    """After a change, drop answers the walk read before but no longer reads."""
    for need_index, qid in before - after:
        target = state.project if need_index is None else state.needs[need_index].answers
        target.pop(qid, None)
        state.skipped.discard((need_index, qid))


def fill(rules: Rules, state: State, source: AnswerSource) -> State:
    """Ask `source` for every step the walk needs, until there is nothing left to ask."""
    while True:
        step = next_step(rules, state)
        if step.kind == "done":
            return state
        try:
            value = source.answer(step, state)
        except GoBack:
            undo(state)
            continue
        if value is None and step.kind != "question":
            return state  # nothing more can be learnt (a profile has no more needs)
        apply(state, step, value)


def state_from_profile(profile: Profile) -> State:
    needs = [DraftNeed(n.id, n.description, dict(n.answers)) for n in profile.needs]
    extra = {
        k: v
        for k, v in (
            ("name", profile.name),
            ("proposal", profile.proposal),
            ("evidence", profile.evidence),
            ("waiver", profile.waiver),
        )
        if v
    }
    return State(needs, dict(profile.project), needs_done=True, extra=extra)


def to_profile(state: State) -> Profile:
    needs = [
        NeedAnswers(n.id or f"need-{i + 1}", n.description or "", dict(n.answers))
        for i, n in enumerate(state.needs)
    ]
    return Profile(
        needs,
        dict(state.project),
        name=state.extra.get("name"),
        proposal=state.extra.get("proposal"),
        evidence=state.extra.get("evidence"),
        waiver=state.extra.get("waiver"),
    )


def profile_data(rules: Rules, state: State) -> dict[str, Any]:
    """The state as a profile mapping (keys in a stable, readable order) for saving."""
    order = [q.id for q in rules.model.questions]
    data: dict[str, Any] = {"tunewise": 1}
    for key in ("name", "proposal"):
        if key in state.extra:
            data[key] = state.extra[key]
    data["needs"] = []
    for need in state.needs:
        item: dict[str, Any] = {"id": need.id}
        if need.description:
            item["description"] = need.description
        item.update({q: need.answers[q] for q in order if q in need.answers})
        data["needs"].append(item)
    project = {q: state.project[q] for q in order if q in state.project}
    if project:
        data["project"] = project
    for key in ("evidence", "waiver"):
        if key in state.extra:
            data[key] = state.extra[key]
    return data


class ProfileSource:
    """Answers from a profile already on disk: it knows what it knows and nothing more."""

    def answer(self, step: Step, state: State) -> Any:
        return None


def suggest_id(description: str, taken: Mapping[str, Any] | set[str]) -> str:
    """A need id from its description: lowercase words joined by hyphens, unique."""
    words = re.findall(r"[a-z0-9]+", description.lower())
    stop = {
        "the",
        "a",
        "an",
        "must",
        "should",
        "our",
        "to",
        "of",
        "in",
        "and",
        "with",
        "be",
        "assistant",
        "model",
        "bot",
        "know",
        "use",
        "uses",
        "all",
        "we",
        "it",
        "its",
        "is",
    }
    useful = [w for w in words if w not in stop][:3] or ["need"]
    base = "-".join(useful)[:40].strip("-") or "need"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
