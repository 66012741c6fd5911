"""An `ask` session: fill the questionnaire, review and change answers, then decide."""

from __future__ import annotations

from tunewise.engine import Rules
from tunewise.questionnaire import (
    GoBack,
    State,
    Step,
    apply,
    drop_irrelevant,
    fill,
    undo,
    used_answers,
)
from tunewise.terminal import TerminalSource, review_lines


def interview(rules: Rules, state: State, source: TerminalSource) -> State:
    """Ask what the walk needs, then show the review screen until the person accepts."""
    fill(rules, state, source)
    while True:
        rows = review_lines(rules, state)
        source.write("\nReview your answers:\n")
        for number, (text, _) in enumerate(rows, 1):
            source.write(f"{number:>4}. {text}\n")
        choice = source.ask_line("Enter to accept, < to go back, or a number to change an answer: ")
        if not choice:
            return state
        if choice == "<":
            undo(state)
            fill(rules, state, source)
            continue
        if not choice.isdigit() or not 1 <= int(choice) <= len(rows):
            source.write(f"  type a number from 1 to {len(rows)}, or Enter to accept\n")
            continue
        kind, need, qid = rows[int(choice) - 1][1]
        before = used_answers(rules, state)
        try:
            if kind == "need-id" and need is not None:
                change_need(state, source, need)
            elif qid is not None:
                target = state.project if need is None else state.needs[need].answers
                source.defaults[(need, qid)] = target.get(qid)
                step = Step("question", need, qid)
                apply(state, step, source.answer(step, state))
        except GoBack:
            continue  # leave the answer as it was
        finally:
            source.defaults.clear()
        drop_irrelevant(state, before, used_answers(rules, state))
        fill(rules, state, source)  # questions that became relevant


def change_need(state: State, source: TerminalSource, index: int) -> None:
    need = state.needs[index]
    text = source.ask_line(f"Describe need {index + 1} [{need.description}]: ")
    if text == "<":
        raise GoBack
    need.description = text or need.description
    old_id, need.id = need.id, None
    try:
        need.id = source.answer(Step("need-id", index), state)
    finally:
        need.id = need.id or old_id
