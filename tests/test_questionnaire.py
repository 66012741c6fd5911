"""The questionnaire loop without I/O: order, going back, relevance after a change."""

from __future__ import annotations

from typing import Any

from tests.conftest import CHECK_ORDER, PASSING_PROJECT

from tunewise.questionnaire import (
    DraftNeed,
    GoBack,
    ProfileSource,
    State,
    Step,
    apply,
    drop_irrelevant,
    fill,
    next_step,
    suggest_id,
    undo,
    used_answers,
)
from tunewise.rules import LoadedRules


class Scripted:
    """An answer source that replays answers; '<' means go back."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = list(answers)
        self.asked: list[Step] = []

    def answer(self, step: Step, state: State) -> Any:
        self.asked.append(step)
        value = self.answers.pop(0)
        if value == "<":
            raise GoBack
        return value


def test_order_need_questions_then_another_need_then_project(rules: LoadedRules) -> None:
    source = Scripted(
        [
            "Bluebook citations",
            "bluebook",
            "vocabulary",
            "failed",
            False,
            *[PASSING_PROJECT[q] for q in CHECK_ORDER if q != "ml_expertise"],
            *[None] * 6,
        ]
    )
    state = fill(rules, State(), source)
    kinds = [(s.kind, s.question) for s in source.asked]
    assert kinds[:5] == [
        ("need-description", None),
        ("need-id", None),
        ("question", "kind"),
        ("question", "prompting"),
        ("another-need", None),
    ]
    # ml_expertise is not needed: the data may leave, so the safe-platform check passes
    assert [q for _, q in kinds[5:13]] == [q for q in CHECK_ORDER if q != "ml_expertise"]
    refinements = source.asked[13:]
    assert refinements and all(s.optional for s in refinements)
    asked = {s.question for s in refinements}
    assert {"prompts_may_leave", "preference_data"} <= asked  # hosted: the GPU does not matter
    assert next_step(rules, state).kind == "done"


def test_only_what_the_walk_needs(rules: LoadedRules) -> None:
    source = Scripted(["Case files", "case-files", "facts", True, False, None])
    state = fill(rules, State(), source)
    asked = [s.question for s in source.asked if s.question]
    assert asked == ["kind", "fits_in_prompt", "prompts_may_leave"]  # the last one optional
    assert state.project == {}


def test_going_back_across_needs(rules: LoadedRules) -> None:
    # "<" at need 2's id, at its description, then at "another need?" reach need 1's kind.
    source = Scripted(
        ["First", "first", "general", True, "Second", "<", "<", "<", "style", "works", False, None]
    )
    state = fill(rules, State(), source)
    assert [(n.id, n.answers) for n in state.needs] == [
        ("first", {"kind": "style", "prompting": "works"})
    ]
    asked = [(s.kind, s.need, s.question) for s in source.asked]
    assert asked[5:9] == [
        ("need-id", 1, None),
        ("need-description", 1, None),
        ("another-need", None, None),
        ("question", 0, "kind"),
    ]


def test_back_then_different_answer(rules: LoadedRules) -> None:
    source = Scripted(["Docs", "docs", "domain", "<", "facts", False, "often", False, None])
    state = fill(rules, State(), source)
    assert state.needs[0].answers == {"kind": "facts", "fits_in_prompt": False, "changes": "often"}


def test_undo_on_empty_history() -> None:
    assert undo(State()) is False


def test_change_drops_answers_that_became_irrelevant(rules: LoadedRules) -> None:
    state = State(
        [DraftNeed("n", "d", {"kind": "style", "prompting": "failed"})],
        dict(PASSING_PROJECT),
        needs_done=True,
    )
    before = used_answers(rules, state)
    apply(state, Step("question", 0, "kind"), "facts")
    drop_irrelevant(state, before, used_answers(rules, state))
    assert state.needs[0].answers == {"kind": "facts"}
    assert state.project == {}
    assert next_step(rules, state) == Step("question", 0, "fits_in_prompt")


def test_profile_source_asks_nothing_new(rules: LoadedRules) -> None:
    state = State(
        [DraftNeed("n", "", {"kind": "style", "prompting": "failed"})], {}, needs_done=True
    )
    fill(rules, state, ProfileSource())
    assert (
        state.needs[0].answers == {"kind": "style", "prompting": "failed"} and state.project == {}
    )


def test_suggest_id() -> None:
    assert (
        suggest_id("Summaries must use exact Bluebook citation format", set())
        == "summaries-exact-bluebook"
    )
    assert suggest_id("!!!", set()) == "need"
    assert suggest_id("Case files", {"case-files"}) == "case-files-2"
