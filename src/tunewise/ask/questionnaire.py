"""The questionnaire loop shared by `ask` and `advise`: what to ask next, in the tree's order.

The next step is always recomputed from the answers so far, so going back is undoing the last
answered step, and a changed answer makes exactly the now-relevant questions reappear. No answer
is ever thrown away: one undone by going back is offered again as the default, and one that stops
mattering after a change is kept aside and restored, without asking, when it matters again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from tunewise.engine.walk import Rules, walk_need
from tunewise.inputs.profile import NeedAnswers, Profile

StepKind = Literal[
    "need-description", "need-id", "question", "another-need", "proposal", "name", "done"
]

# How strongly the walk wants an answer: a blocking question, a question a fine-tuning check
# reads (so that every failing check is found), or an optional refinement of the advice.
BLOCKING, CHECKED, REFINES = 3, 2, 1

# Keys in `Memory` for what is not a question's answer (question ids cannot hold `<`).
DESCRIPTION, NEED_ID, MORE = "<description>", "<id>", "<more>"
PROPOSAL, NAME = "proposal", "name"  # kept in `State.extra`, remembered as `<proposal>`, `<name>`


def _key(step_kind: str) -> str:
    return f"<{step_kind}>"


@dataclass(frozen=True)
class Step:
    kind: StepKind
    need: int | None = None  # index of the need, None for project questions
    question: str | None = None
    optional: bool = False  # may be left unanswered (Enter skips)
    level: int = BLOCKING

    @property
    def key(self) -> tuple[str, int | None, str | None]:
        return (self.kind, self.need, self.question)


@dataclass
class Memory:
    """What a need (or the project) remembers besides its current answers."""

    aside: dict[str, Any] = field(default_factory=dict)  # stopped mattering; restored later
    previous: dict[str, Any] = field(default_factory=dict)  # undone by going back: defaults
    skipped: dict[str, int] = field(default_factory=dict)  # optional, left out (at this level)


@dataclass
class DraftNeed:
    id: str | None = None
    description: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    memory: Memory = field(default_factory=Memory)


@dataclass
class State:
    needs: list[DraftNeed] = field(default_factory=list)
    project: dict[str, Any] = field(default_factory=dict)
    needs_done: bool = False
    wants_more: bool = False  # "another need?" was answered yes: ask for its description
    history: list[Step] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # name, proposal, evidence, waiver
    memory: Memory = field(default_factory=Memory)  # the project's, and name/proposal/more
    withdrawn: DraftNeed | None = None  # a new need undone by going back: it comes back whole


class GoBack(Exception):
    """The person asked to return to the previous question."""


class AnswerSource(Protocol):
    """Where answers come from: a person at a terminal (`ask.terminal`), or a test's script."""

    def answer(self, step: Step, state: State) -> Any:
        """The answer to `step`; None when there is none (the question stays unanswered)."""
        ...


def answers_of(state: State, index: int) -> dict[str, Any]:
    """What the walk of need `index` reads: the project's answers, the need's own on top."""
    return {**state.project, **state.needs[index].answers}


def wanted(rules: Rules, answers: Mapping[str, Any]) -> dict[str, int]:
    """Every unanswered question the walk wants, with how strongly: the question it stops at,
    then every question an undecided fine-tuning check reads — even once another check has
    failed, so that every failing check is found — then optional refinements of the advice."""
    result = walk_need(rules, answers)
    found = dict.fromkeys(result.missing, BLOCKING)
    for check in result.checks:
        if check.status == "unknown":
            for qid in check.missing:
                found.setdefault(qid, CHECKED)
    for qid in result.optional_unanswered:
        found.setdefault(qid, REFINES)
    return {qid: level for qid, level in found.items() if qid not in answers}


def _steps(rules: Rules, state: State, need: int, want: dict[str, int]) -> list[Step]:
    """The steps for the questions one need's walk wants: required ones (the walk cannot go
    on without them, or a check reads them) and optional ones not skipped at this level yet.
    An optional question that blocks the walk is required once nothing else blocks it."""
    model = rules.model
    blockers = [q for q, level in want.items() if level == BLOCKING]
    only_optional_block = all(model.question(q).optional for q in blockers)
    steps: list[Step] = []
    for qid, level in want.items():
        question = model.question(qid)
        where = need if question.scope == "need" else None
        required = not question.optional and level >= CHECKED
        if required or (level == BLOCKING and only_optional_block):
            steps.append(Step("question", where, qid, level=level))
        elif level != BLOCKING and _memory(state, where).skipped.get(qid, 0) < level:
            steps.append(Step("question", where, qid, optional=True, level=level))
    return steps


def _memory(state: State, need: int | None) -> Memory:
    return state.memory if need is None else state.needs[need].memory


def _target(state: State, need: int | None) -> dict[str, Any]:
    return state.project if need is None else state.needs[need].answers


def next_step(rules: Rules, state: State) -> Step:
    """The first thing still to ask: needs in order (description, id, required questions),
    another need?, the required project questions some need's walk reaches, optional
    questions, then the proposal and the profile's name."""
    steps: list[Step] = []
    for index, need in enumerate(state.needs):
        if need.description is None:
            return Step("need-description", index)
        if need.id is None:
            return Step("need-id", index)
        found = _steps(rules, state, index, wanted(rules, answers_of(state, index)))
        for step in found:
            if step.need is not None and not step.optional:
                return step
        steps += found
    if not state.needs or state.wants_more:
        return Step("need-description", len(state.needs))
    if not state.needs_done:
        return Step("another-need")
    for step in steps:
        if not step.optional:
            return step
    if steps:
        return steps[0]
    if PROPOSAL not in state.extra:
        return Step("proposal")
    if NAME not in state.extra and _key(NAME) not in state.memory.skipped:
        return Step("name", optional=True)
    return Step("done")


def apply(state: State, step: Step, value: Any) -> None:
    """Record `value` as the answer to `step` (None: an optional step left unanswered)."""
    if value is None:
        if step.optional:  # a skip is a step too: going back returns to it
            _memory(state, step.need).skipped[step.question or _key(step.kind)] = step.level
            state.history.append(step)
        return
    if step.kind == "need-description":
        if step.need == len(state.needs):
            state.needs.append(state.withdrawn or DraftNeed())
            state.withdrawn, state.wants_more = None, False
        state.needs[step.need or 0].description = value
    elif step.kind == "need-id":
        state.needs[step.need or 0].id = value
    elif step.kind == "another-need":
        state.needs_done, state.wants_more = not value, bool(value)
    elif step.kind in ("proposal", "name"):
        state.extra[step.kind] = value
    elif step.kind == "question" and step.question is not None:
        _target(state, step.need)[step.question] = value
    state.history.append(step)


def undo(state: State) -> bool:
    """Take back the most recent answer so that it is asked again, with that answer as the
    default; False if there is none."""
    if not state.history:
        return False
    step = state.history.pop()
    if step.kind == "need-description" and step.need is not None:
        need = state.needs[step.need]
        need.memory.previous[DESCRIPTION] = need.description
        if step.need == len(state.needs) - 1 and need.id is None and not need.answers:
            state.withdrawn = state.needs.pop()
            state.withdrawn.description = None
            state.wants_more = bool(state.needs)  # ask this need's description again
        else:
            need.description = None
    elif step.kind == "need-id" and step.need is not None:
        need = state.needs[step.need]
        need.memory.previous[NEED_ID], need.id = need.id, None
    elif step.kind == "another-need":
        state.memory.previous[MORE] = not state.needs_done
        state.needs_done = state.wants_more = False
    elif step.kind in ("proposal", "name"):
        if step.kind in state.extra:
            state.memory.previous[_key(step.kind)] = state.extra.pop(step.kind)
        state.memory.skipped.pop(_key(step.kind), None)
    elif step.question is not None:
        target, memory = _target(state, step.need), _memory(state, step.need)
        if step.question in target:
            memory.previous[step.question] = target.pop(step.question)
        memory.skipped.pop(step.question, None)
    return True


def take_back(state: State, step: Step) -> Any:
    """Remove the current answer to `step` (to change it at the review screen); returns it."""
    if step.kind in ("proposal", "name"):
        return state.extra.pop(step.kind, None)
    if step.question is None:
        return None
    _memory(state, step.need).skipped.pop(step.question, None)
    return _target(state, step.need).pop(step.question, None)


def put_back(state: State, step: Step, value: Any) -> None:
    """Undo `take_back`: the change was abandoned."""
    if value is None:
        return
    if step.kind in ("proposal", "name"):
        state.extra[step.kind] = value
    elif step.question is not None:
        _target(state, step.need)[step.question] = value


def used_answers(rules: Rules, state: State) -> set[tuple[int | None, str]]:
    """Which answers the walks read: (need index, question) for need answers, (None, q) else."""
    used: set[tuple[int | None, str]] = set()
    for index, need in enumerate(state.needs):
        read = walk_need(rules, answers_of(state, index)).used
        used |= {(index, q) for q in read if q in need.answers}
        used |= {(None, q) for q in read if q in state.project}
    return used


def drop_irrelevant(
    state: State, before: set[tuple[int | None, str]], after: set[tuple[int | None, str]]
) -> None:
    """After a change, set aside the answers the walks read before but no longer read; they
    come back by themselves if a later change makes them matter again."""
    for need_index, qid in before - after:
        if need_index is not None and need_index >= len(state.needs):
            continue
        target = _target(state, need_index)
        if qid in target:
            _memory(state, need_index).aside[qid] = target.pop(qid)


def restore(state: State, step: Step) -> bool:
    """Answer `step` from what was set aside, if anything was; True if it was."""
    if step.kind != "question" or step.question is None:
        return False
    aside = _memory(state, step.need).aside
    if step.question not in aside:
        return False
    _target(state, step.need)[step.question] = aside.pop(step.question)
    return True


def bring_back(rules: Rules, state: State) -> None:
    """Answers set aside come back as soon as a walk reads them again — the ones a question
    asks for, and the ones only a check or an advice option reads."""
    scopes = [(state.project, state.memory)] + [(n.answers, n.memory) for n in state.needs]
    while any(memory.aside for _, memory in scopes):
        trial = {
            (id(target), qid): (target, memory)
            for target, memory in scopes
            for qid in memory.aside
            if qid not in target
        }
        for (_, qid), (target, memory) in trial.items():
            target[qid] = memory.aside[qid]
        read = {
            (id(t), q)
            for index in range(len(state.needs))
            for q in walk_need(rules, answers_of(state, index)).used
            for t in (state.project, state.needs[index].answers)
            if q in t
        }
        kept = False
        for key, (target, memory) in trial.items():
            qid = key[1]
            if key in read:
                memory.aside.pop(qid)
                kept = True
            else:
                target.pop(qid)
        if not kept:
            return


def add_need(state: State) -> None:
    """At the review screen: ask for one more need."""
    state.wants_more = True


def remove_need(state: State, index: int) -> None:
    """At the review screen: remove need `index` and every trace of it in the history."""
    state.needs.pop(index)
    kept: list[Step] = []
    for step in state.history:
        if step.need is None or step.need < index:
            kept.append(step)
        elif step.need > index:
            kept.append(replace(step, need=step.need - 1))
    state.history = kept


def fill(rules: Rules, state: State, source: AnswerSource) -> State:
    """Ask `source` for every step the walk needs, until there is nothing left to ask or the
    source cannot answer a step that needs an answer (a profile that lacks it)."""
    while True:
        bring_back(rules, state)
        step = next_step(rules, state)
        if step.kind == "done":
            return state
        if restore(state, step):
            continue
        try:
            value = source.answer(step, state)
        except GoBack:
            undo(state)
            continue
        if value is None and not step.optional:
            return state  # nothing more can be learnt (a profile lacks this answer)
        apply(state, step, value)


def default_for(rules: Rules, state: State, step: Step) -> Any:
    """What Enter gives at `step`: the answer taken back by going back, else the rule set's
    default (a suggested id for a need, the verdict for the proposal)."""
    if step.kind == "need-description":
        index = step.need or 0
        need = state.needs[index] if index < len(state.needs) else state.withdrawn
        return need.memory.previous.get(DESCRIPTION) if need is not None else None
    if step.kind == "need-id":
        index = step.need or 0
        need = state.needs[index]
        if NEED_ID in need.memory.previous:
            return need.memory.previous[NEED_ID]
        taken = {n.id for i, n in enumerate(state.needs) if n.id and i != index}
        return suggest_id(need.description or "", taken)
    if step.kind == "another-need":
        return state.memory.previous.get(MORE, False)
    if step.kind == "proposal":
        return state.memory.previous.get(_key(PROPOSAL)) or verdict(rules, state)
    if step.kind == "name":
        return state.memory.previous.get(_key(NAME))
    assert step.question is not None
    memory = _memory(state, step.need)
    if step.question in memory.previous:
        return memory.previous[step.question]
    return rules.model.question(step.question).default


def verdict(rules: Rules, state: State) -> str | None:
    """The verdict the answers give so far (None while a need is undecided)."""
    from tunewise.engine.walk import verdict_of

    approaches = [walk_need(rules, answers_of(state, i)).approach for i in range(len(state.needs))]
    found = verdict_of(approaches)
    return None if found == "undecided" else found


PROGRESS_WALKS = 400  # walks one progress estimate may take (a few ms on the default rules)


def progress(rules: Rules, state: State) -> tuple[int, int]:
    """(this question's number, about how many there will be): the steps answered so far plus
    the expected number still to come if each answer were equally likely."""
    done = len(state.history)
    expected, reach = 0.0, 0.0
    budget = [PROGRESS_WALKS]
    project: set[str] = set()
    for index, need in enumerate(state.needs):
        if need.description is None or need.id is None:
            expected += 2 if need.description is None else 1
        more, chance, seen = _expected(rules, dict(answers_of(state, index)), budget)
        expected += more
        reach, project = max(reach, chance), project | seen
    if not state.needs or state.wants_more:
        expected += 2 + _expected(rules, dict(state.project), budget)[0]
    if not state.needs_done:
        expected += 1
    if reach >= 0.5:
        expected += len({q for q in project if q not in state.project})
    expected += (PROPOSAL not in state.extra) + (NAME not in state.extra)
    return done + 1, max(done + 1, done + round(expected))


def _expected(
    rules: Rules, answers: dict[str, Any], budget: list[int]
) -> tuple[float, float, set[str]]:
    """Need questions still to come (on average over their answers), the chance of reaching
    project questions, and which project questions those are. At most `budget[0]` walks in
    all (a rule set with many questions gets a rougher estimate, never a slow prompt)."""
    budget[0] -= 1
    want = wanted(rules, answers)
    model = rules.model
    own = [q for q in want if model.question(q).scope == "need"]
    project = {q for q in want if model.question(q).scope == "project"}
    if not own or budget[0] <= 0:
        return 0.0, 1.0 if project else 0.0, project
    question = model.question(own[0])
    values: list[Any] = (
        question.values
        if question.type == "choice"
        else [True, False]
        if question.type == "bool"
        else [question.default if question.default is not None else (question.min or 0) + 1]
    )
    total, reach, seen = 0.0, 0.0, set(project)
    for value in values:
        more, chance, found = _expected(rules, {**answers, question.id: value}, budget)
        total, reach, seen = total + more, reach + chance, seen | found
    return 1 + total / len(values), reach / len(values), seen


def state_from_profile(profile: Profile) -> State:
    """The answers of a loaded profile; numbers as the file wrote them (30 stays 30)."""
    raw = profile.doc.data if profile.doc is not None and isinstance(profile.doc.data, dict) else {}
    raw_needs: list[Any] = raw["needs"] if isinstance(raw.get("needs"), list) else []
    needs = []
    for index, need in enumerate(profile.needs):
        written = raw_needs[index] if index < len(raw_needs) else {}
        needs.append(DraftNeed(need.id, need.description, _as_written(need.answers, written)))
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
    project = _as_written(profile.project, raw.get("project"))
    return State(needs, project, needs_done=True, extra=extra)


def _as_written(answers: Mapping[str, Any], written: Any) -> dict[str, Any]:
    """`answers` with a whole number the file wrote as an integer given back as one."""
    if not isinstance(written, dict):
        return dict(answers)
    return {
        key: written[key]
        if isinstance(value, float) and type(written.get(key)) is int and written[key] == value
        else value
        for key, value in answers.items()
    }


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
    useful = [w for w in words if w not in stop and not w.isdigit()][:3] or ["need"]
    base = "-".join(useful)[:40].strip("-") or "need"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate
