"""The questionnaire's state machine without I/O: order, every check's questions, going back
with defaults, answers set aside and restored, skipped optional questions, needs added and
removed, the proposal and the name."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CHECK_ORDER, PASSING_PROJECT
from tunewise.ask.questionnaire import (
    DraftNeed,
    GoBack,
    State,
    Step,
    add_need,
    answers_of,
    apply,
    default_for,
    drop_irrelevant,
    fill,
    next_step,
    progress,
    remove_need,
    suggest_id,
    take_back,
    undo,
    used_answers,
)
from tunewise.engine.walk import walk_need
from tunewise.ruleset.load import LoadedRules

ENTER = object()  # take the default offered


class Exhausted(Exception):
    """The script has no more answers."""


class Scripted:
    """An answer source that replays answers; '<' goes back, ENTER takes the default."""

    def __init__(self, rules: LoadedRules, answers: list[Any], *, skip: bool = True) -> None:
        self.rules = rules
        self.answers = list(answers)
        self.asked: list[Step] = []
        self.defaults: list[Any] = []
        self.skip = skip  # leave optional questions unanswered without using a scripted answer

    def answer(self, step: Step, state: State) -> Any:
        self.asked.append(step)
        self.defaults.append(default_for(self.rules, state, step))
        if self.skip and step.kind == "question" and step.optional:
            return None
        if not self.answers:
            raise Exhausted
        value = self.answers.pop(0)
        if value == "<":
            raise GoBack
        return self.defaults[-1] if value is ENTER else value


def asked(source: Scripted) -> list[tuple[str, int | None, str | None]]:
    return [step.key for step in source.asked]


def change(rules: LoadedRules, state: State, step: Step, value: Any) -> None:
    """What the review screen does with a changed answer."""
    before = used_answers(rules, state)
    take_back(state, step)
    apply(state, step, value)
    drop_irrelevant(state, before, used_answers(rules, state))


FORMAT_NEED = {"kind": "format", "prompting": "failed", "structured_outputs": "not-applicable"}


def format_need_state(project: dict[str, Any]) -> State:
    return State(
        [DraftNeed("bluebook", "Bluebook", dict(FORMAT_NEED))],
        dict(project),
        needs_done=True,
        extra={"proposal": "fine-tune", "name": "Firm"},
    )


def test_order_need_questions_then_another_need_then_project_then_proposal(
    rules: LoadedRules,
) -> None:
    project = [PASSING_PROJECT[q] for q in CHECK_ORDER if q != "ml_expertise"]
    source = Scripted(rules, ["Bluebook citations", "bluebook", "vocabulary", "failed", False])
    source.answers += [*project, ENTER, "Law firm"]
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
    refinements = source.asked[13:-2]
    assert refinements and all(s.optional for s in refinements)
    assert kinds[-2:] == [("proposal", None), ("name", None)]
    assert source.defaults[-2] == "fine-tune"  # the proposal defaults to the verdict
    assert state.extra == {"proposal": "fine-tune", "name": "Law firm"}
    assert next_step(rules, state).kind == "done"


def test_every_check_question_is_asked_after_a_failing_check(rules: LoadedRules) -> None:
    # `can_maintain: false` fails a check early on; the other checks' questions still come.
    answers = {**PASSING_PROJECT, "can_maintain": False}
    source = Scripted(rules, [answers[q] for q in CHECK_ORDER if q != "ml_expertise"])
    source.answers += [ENTER, None]
    state = format_need_state({})
    state.extra.clear()
    fill(rules, state, source)
    assert [s.question for s in source.asked[:8]] == [q for q in CHECK_ORDER][:8]
    assert {k: v for k, v in state.project.items() if k in answers} == {
        k: v for k, v in answers.items() if k != "ml_expertise"
    }


def test_only_what_the_walk_needs(rules: LoadedRules) -> None:
    source = Scripted(rules, ["Case files", "case-files", "facts", True, False, "prompt", None])
    state = fill(rules, State(), source)
    required = [s.question for s in source.asked if s.question and not s.optional]
    assert required == ["kind", "fits_in_prompt"]
    assert all(k in ("prompts_may_leave",) for k in state.project) or state.project == {}


def test_going_back_across_needs_offers_every_answer_again(rules: LoadedRules) -> None:
    # "<" at need 2's id, at its description, then at "another need?" reach need 1's kind.
    source = Scripted(
        rules,
        ["First", "first", "general", True, "Second", "<", "<", "<", *[ENTER] * 4, "style"],
    )
    source.answers += ["works", False, ENTER, None]
    state = fill(rules, State(), source)
    assert asked(source)[5:12] == [
        ("need-id", 1, None),
        ("need-description", 1, None),
        ("another-need", None, None),
        ("question", 0, "kind"),
        ("another-need", None, None),
        ("need-description", 1, None),
        ("need-id", 1, None),
    ]
    assert source.defaults[7:11] == [True, "general", True, "Second"]
    assert [(n.id, n.description) for n in state.needs] == [
        ("first", "First"),
        ("second", "Second"),
    ]


def test_back_keeps_the_undone_answer_as_default(rules: LoadedRules) -> None:
    source = Scripted(
        rules, ["Docs", "docs", "domain", "rarely", "<", "<", "facts", False, ENTER, False]
    )
    source.answers += [ENTER, None]
    state = fill(rules, State(), source)
    assert state.needs[0].answers == {"kind": "facts", "fits_in_prompt": False, "changes": "rarely"}
    assert source.defaults[5:7] == ["rarely", "domain"]  # going back twice: changes, kind
    assert source.defaults[8] == "rarely"  # `changes` comes back with its old answer


def test_undo_on_empty_history() -> None:
    assert undo(State()) is False


def test_a_change_sets_answers_aside_and_a_change_back_restores_them(rules: LoadedRules) -> None:
    state = format_need_state(PASSING_PROJECT)
    change(rules, state, Step("question", 0, "kind"), "facts")
    assert state.needs[0].answers == {"kind": "facts"}
    assert state.project == {}
    assert next_step(rules, state) == Step("question", 0, "fits_in_prompt")
    change(rules, state, Step("question", 0, "kind"), "format")
    source = Scripted(rules, [])  # only optional refinements are left: skipped
    fill(rules, state, source)
    assert state.needs[0].answers == FORMAT_NEED
    assert state.project == PASSING_PROJECT
    assert source.asked and all(s.optional for s in source.asked)


def test_a_skipped_optional_question_is_asked_once_it_is_required(rules: LoadedRules) -> None:
    state = format_need_state(PASSING_PROJECT)
    fill(rules, state, Scripted(rules, [None, None]))  # skip the GPU and the model size
    assert "gpu_vram_gb" not in state.project and next_step(rules, state).kind == "done"
    change(rules, state, Step("question", None, "data_may_leave"), False)
    step = next_step(rules, state)
    assert step == Step("question", None, "gpu_vram_gb") and not step.optional


def test_review_can_add_and_remove_needs(rules: LoadedRules) -> None:
    state = format_need_state(PASSING_PROJECT)
    add_need(state)
    fill(rules, state, Scripted(rules, ["Trivia", ENTER, "general", None, None]))
    assert [n.id for n in state.needs] == ["bluebook", "trivia"]
    before = {key for key in used_answers(rules, state) if key[0] is None}
    remove_need(state, 0)
    drop_irrelevant(state, before, used_answers(rules, state))
    assert [n.id for n in state.needs] == ["trivia"] and state.project == {}
    assert all(step.need in (None, 0) for step in state.history)
    assert state.memory.aside == PASSING_PROJECT  # kept, should a need want them again


def test_a_source_without_the_answer_ends_the_fill(rules: LoadedRules) -> None:
    """A source with nothing to say (None) leaves the state as it was: a profile lacking an
    answer is not filled in by guessing."""
    state = State(
        [DraftNeed("n", "", {"kind": "style", "prompting": "failed"})], {}, needs_done=True
    )
    source = Scripted(rules, [None])
    fill(rules, state, source)
    assert (
        state.needs[0].answers == {"kind": "style", "prompting": "failed"} and state.project == {}
    )
    assert len(source.asked) == 1 and not source.answers  # asked once, then stopped


def test_progress_counts_up_and_estimates_what_is_left(rules: LoadedRules) -> None:
    state = State()
    assert progress(rules, state)[0] == 1
    with pytest.raises(Exhausted):
        fill(rules, state, Scripted(rules, ["Tone", "tone", "style", "failed", False]))
    number, about = progress(rules, state)
    assert number == 6 and about >= 6 + len(CHECK_ORDER)


def test_suggest_id() -> None:
    assert (
        suggest_id("Summaries must use exact Bluebook citation format", set())
        == "summaries-exact-bluebook"
    )
    assert suggest_id("!!!", set()) == "need"
    assert suggest_id("Case files", {"case-files"}) == "case-files-2"


class Random:
    """A person answering at random: any valid answer, going back now and then."""

    def __init__(self, rules: LoadedRules, data: st.DataObject) -> None:
        self.rules, self.data, self.asked = rules, data, 0

    def answer(self, step: Step, state: State) -> Any:
        self.asked += 1
        draw = self.data.draw
        if self.asked < 150 and draw(st.integers(0, 9)) == 0:
            raise GoBack
        if step.kind == "need-description":
            return draw(st.sampled_from(["Case files", "Tone", "Bluebook format", "x"]))
        if step.kind == "need-id":
            return default_for(self.rules, state, step)
        if step.kind == "another-need":
            return len(state.needs) < 3 and draw(st.booleans())
        if step.kind == "proposal":
            return draw(st.sampled_from(["prompt", "rag", "fine-tune", "hybrid"]))
        if step.kind == "name":
            return draw(st.sampled_from([None, "Project"]))
        assert step.question is not None
        question = self.rules.model.question(step.question)
        if step.optional and draw(st.booleans()):
            return None
        if question.type == "choice":
            return draw(st.sampled_from(question.values))
        if question.type == "bool":
            return draw(st.booleans())
        low = int(question.min or 0) + (1 if question.min_exclusive else 0)
        return draw(st.integers(low, low + 5000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_answers_and_changes_end_complete(rules: LoadedRules, data: st.DataObject) -> None:
    from tunewise.ask.interview import Session, profile_text

    source = Random(rules, data)
    state = fill(rules, State(), source)
    for _ in range(data.draw(st.integers(0, 3))):  # review: change, add or remove
        action = data.draw(st.sampled_from(["change", "add", "remove"]))
        if action == "add":
            add_need(state)
        elif action == "remove" and len(state.needs) > 1:
            before = {key for key in used_answers(rules, state) if key[0] is None}
            remove_need(state, data.draw(st.integers(0, len(state.needs) - 1)))
            drop_irrelevant(state, before, used_answers(rules, state))
        else:
            index = data.draw(st.integers(0, len(state.needs) - 1))
            qid = data.draw(st.sampled_from(sorted(state.needs[index].answers)))
            step = Step("question", index, qid)
            source.asked = 1000  # no more going back while changing
            value = source.answer(step, state)
            if value is not None:
                change(rules, state, step, value)
        fill(rules, state, source)
    assert next_step(rules, state).kind == "done"
    for index in range(len(state.needs)):
        assert walk_need(rules, answers_of(state, index)).approach is not None
    profile_text(Session(rules, state, source))  # type: ignore[arg-type]  # reads back, valid


def test_generic_over_the_rule_sets_questions(tmp_path: Any) -> None:
    """A rule set with a new required project number and an optional need-level number read
    by a check is asked the same way, with nothing hard-coded."""
    from tests.authoring.test_lint import DEFAULT
    from tunewise.ruleset.load import load_rules

    data = copy.deepcopy(DEFAULT)
    data["questions"] += [
        {
            "id": "team_size",
            "scope": "project",
            "type": "integer",
            "min": 1,
            "prompt": "How many people will maintain it?",
        },
        {
            "id": "monthly_spend",
            "scope": "need",
            "type": "number",
            "min": 0,
            "optional": True,
            "prompt": "Monthly spend on this need today?",
        },
    ]
    checks = next(n for n in data["tree"]["nodes"] if n["type"] == "checks")["checks"]
    checks.append(
        {
            "id": "team",
            "title": "A team",
            "require": {"answer": "team_size", "ge": 2},
            "fail": [
                {"text": "One person cannot maintain a fine-tune.", "sources": ["foundation"]}
            ],
        }
    )
    checks.append(
        {
            "id": "spend",
            "title": "Worth it",
            "require": {
                "any": [
                    {"answer": "examples", "ge": 100000},
                    {"answer": "monthly_spend", "ge": 1000},
                ]
            },
            "fail": [{"text": "Not worth it.", "sources": ["foundation"]}],
        }
    )
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    custom = load_rules(path)
    project = {**PASSING_PROJECT, "can_maintain": False, "expected_gain_pct": 5}
    source = Scripted(custom, [*(project[q] for q in CHECK_ORDER if q != "ml_expertise"), 1])
    state = format_need_state({})
    fill(custom, state, source)
    asked_now = [(s.question, s.optional) for s in source.asked]
    # read by a check: required; optional, another check failed already: Enter skips it
    assert asked_now.index(("team_size", False)) < asked_now.index(("monthly_spend", True))
    # With every other check passing, the optional question is all that blocks: required.
    state = format_need_state({**PASSING_PROJECT, "team_size": 3})
    assert next_step(custom, state) == Step("question", 0, "monthly_spend", level=3)
