"""A person at a terminal as an answer source: questions, help, going back, the review screen."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from tunewise.answers import bound_problem
from tunewise.compiled import Question
from tunewise.conditions import format_value
from tunewise.engine import Rules
from tunewise.errors import EndOfInput
from tunewise.profile import NEED_ID_PATTERN
from tunewise.questionnaire import GoBack, State, Step, suggest_id

HINT = "? help, < back"


class Invalid(Exception):
    """An answer that cannot be accepted; the message says why, the question is asked again."""


def parse_answer(question: Question, text: str) -> Any:
    """Turn what was typed into an answer for `question`, or raise Invalid."""
    if question.type == "choice":
        values = question.values
        if text.isdigit() and 1 <= int(text) <= len(values):
            return values[int(text) - 1]
        if text.lower() in values:
            return text.lower()
        raise Invalid(f"type a number from 1 to {len(values)} or one of: {', '.join(values)}")
    if question.type == "bool":
        low = text.lower()
        if low in ("y", "yes"):
            return True
        if low in ("n", "no"):
            return False
        raise Invalid("answer y or n")
    try:
        value: float | int = (
            int(text) if question.type == "integer" else float(text.replace(",", ""))
        )
    except ValueError:
        kind = "a whole number" if question.type == "integer" else "a number"
        raise Invalid(f"type {kind}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid("type a finite number")
    problem = bound_problem(question, value)
    if problem is not None:
        raise Invalid(problem)
    if isinstance(value, float) and value.is_integer() and question.type == "number":
        value = int(value)
    return value


def _range_text(question: Question) -> str:
    kind = "a whole number" if question.type == "integer" else "a number"
    if question.min is not None:
        sign = ">" if question.min_exclusive else "≥"
        kind += f" {sign} {format_value(question.min)}"
    if question.max is not None:
        kind += f", ≤ {format_value(question.max)}"
    return kind


class TerminalSource:
    """Asks a person; `read` is input() (raises EOFError at end of input), `write` prints."""

    def __init__(
        self, rules: Rules, read: Callable[[str], str], write: Callable[[str], None]
    ) -> None:
        self.rules = rules
        self.read = read
        self.write = write
        self.defaults: dict[tuple[int | None, str], Any] = {}  # current answers when changing one

    def ask_line(self, prompt: str) -> str:
        try:
            return self.read(prompt).strip()
        except EOFError:
            self.write("\n")
            raise EndOfInput(
                "no more input: `tunewise ask` needs someone at a terminal; for a "
                "non-interactive run write a profile and use `tunewise advise PROFILE`"
            ) from None

    def answer(self, step: Step, state: State) -> Any:
        if step.kind == "need-description":
            return self._description(step, state)
        if step.kind == "need-id":
            return self._need_id(step, state)
        if step.kind == "another-need":
            while True:
                text = self.ask_line("Another need? (y/n) [n]: ").lower()
                if text == "<":
                    raise GoBack
                if text in ("", "n", "no"):
                    return False
                if text in ("y", "yes"):
                    return True
                self.write("  answer y or n\n")
        assert step.question is not None
        return self._question(step, state)

    def _description(self, step: Step, state: State) -> str:
        number = (step.need or 0) + 1
        self.write(f"\nNeed {number}\n")
        while True:
            text = self.ask_line(f"Describe need {number} in a sentence ({HINT}): ")
            if text == "<":
                raise GoBack
            if text == "?":
                self.write(
                    "  What must the model do? e.g. 'Summaries must use Bluebook citations'\n"
                )
                continue
            if text:
                return text
            self.write("  a description is needed\n")

    def _need_id(self, step: Step, state: State) -> str:
        index = step.need or 0
        taken = {n.id for i, n in enumerate(state.needs) if n.id and i != index}
        suggested = suggest_id(state.needs[index].description or "", taken)
        while True:
            text = self.ask_line(f"Short id for this need [{suggested}]: ").lower() or suggested
            if text == "<":
                raise GoBack
            if text == "?":
                self.write("  lowercase letters, digits and hyphens, unique in the profile\n")
                continue
            if not re.fullmatch(NEED_ID_PATTERN, text) or len(text) > 64:
                self.write("  use lowercase letters, digits and hyphens (e.g. case-files)\n")
            elif text in taken:
                self.write(f"  {text!r} is already used by another need\n")
            else:
                return text

    def _question(self, step: Step, state: State) -> Any:
        assert step.question is not None
        question = self.rules.model.question(step.question)
        where = "project" if step.need is None else state.needs[step.need].id
        default = self.defaults.get((step.need, question.id), question.default)
        self.write(f"\n[{where}] {question.prompt}\n")
        if question.choices:
            for number, choice in enumerate(question.choices, 1):
                self.write(f"  {number}) {choice.value:<11} {choice.meaning}\n")
        if question.type == "choice":
            kind = "number or name"
        elif question.type == "bool":
            kind = "y/n"
        else:
            kind = _range_text(question)
        if step.optional:
            kind += "; Enter to skip"
        shown = f" [{format_value(default)}]" if default is not None else ""
        while True:
            text = self.ask_line(f"({kind}; {HINT}){shown}: ")
            if text == "<":
                raise GoBack
            if text == "?":
                self._help(question)
                continue
            if not text:
                if default is not None:
                    return default
                if step.optional:
                    return None
                self.write("  an answer is needed\n")
                continue
            try:
                return parse_answer(question, text)
            except Invalid as exc:
                self.write(f"  {exc}\n")

    def _help(self, question: Question) -> None:
        if question.help:
            self.write(f"  {question.help}\n")
        for sid in question.sources:
            self.write(f"  source: {self.rules.model.source(sid).title}\n")
        if not question.help and not question.sources:
            self.write("  (no help for this question)\n")


def review_lines(
    rules: Rules, state: State
) -> list[tuple[str, tuple[str, int | None, str | None]]]:
    """Every answer as (text, what to re-ask), numbered by the caller."""
    order = [q.id for q in rules.model.questions]
    rows: list[tuple[str, tuple[str, int | None, str | None]]] = []
    for index, need in enumerate(state.needs):
        rows.append((f"need {index + 1}: {need.id} — {need.description}", ("need-id", index, None)))
        for qid in order:
            if qid in need.answers:
                rows.append(
                    (
                        f"  {need.id} · {qid}: {format_value(need.answers[qid])}",
                        ("question", index, qid),
                    )
                )
    for qid in order:
        if qid in state.project:
            rows.append(
                (f"  project · {qid}: {format_value(state.project[qid])}", ("question", None, qid))
            )
    return rows
