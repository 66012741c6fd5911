"""A person at a terminal as an answer source: questions, help, going back, line editing.

Two kinds of terminal: a real one (stdin and stdout both terminals) gets line editing, history
and arrow-key menus from prompt_toolkit/questionary; anything else (a pipe, `TERM=dumb`, a
screen reader's plain mode) gets numbered prompts read line by line. Whatever arrives, only
printable UTF-8 text becomes an answer: escape sequences (an arrow key where no editor is
loaded) and undecodable bytes are refused and asked again, so they never reach a saved file.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from tunewise.ask.questionnaire import GoBack, State, Step, default_for, progress
from tunewise.engine.walk import Rules
from tunewise.errors import EndOfInput
from tunewise.escaping import visible
from tunewise.inputs.profile import NEED_ID_PATTERN, PROPOSALS
from tunewise.ruleset.answers import bound_problem, bound_texts
from tunewise.ruleset.records import Question

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

HINT = "? help, < back"
BACK, HELP = "<", "?"
NO_MORE_INPUT = (
    "no more input: `tunewise ask` needs someone at a terminal; for a non-interactive run "
    "write a profile and use `tunewise advise PROFILE`"
)


class Invalid(Exception):
    """An answer that cannot be accepted; the message says why, the question is asked again."""


# --- what may be typed ------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Typed text as an answer: printable UTF-8 only, spaces trimmed; else Invalid."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise Invalid("that is not valid UTF-8 text; type it again")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text if ch != "\t"):
        raise Invalid("that holds control characters (an arrow or function key?); type it again")
    return text.replace("\t", " ").strip()


GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_number(text: str, integer: bool) -> int | float:
    """A number as typed: `2400`, `2,400`, `15,000.5`, `1e3`; an integer stays an integer."""
    plain = text.replace("_", "") if "_" not in text.strip("_") else text
    if "," in plain:
        if not GROUPED.fullmatch(plain):
            raise Invalid("put commas only between groups of three digits, e.g. 2,400")
        plain = plain.replace(",", "")
    kind = "a whole number" if integer else "a number"
    try:
        value: int | float = int(plain)
    except ValueError:
        if integer:
            raise Invalid(f"type {kind}") from None
        try:
            value = float(plain)
        except ValueError:
            raise Invalid(f"type {kind}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid("type a finite number")
    return value


def did_you_mean(text: str, values: Sequence[str]) -> str:
    close = difflib.get_close_matches(text.lower(), values, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def parse_answer(question: Question, text: str) -> Any:
    """Turn what was typed into an answer for `question`, or raise Invalid."""
    if question.type == "choice":
        values = question.values
        if text.isdigit() and 1 <= int(text) <= len(values):
            return values[int(text) - 1]
        if text.lower() in values:
            return text.lower()
        starts = [v for v in values if v.startswith(text.lower())]
        if len(starts) == 1:
            return starts[0]
        raise Invalid(
            f"{did_you_mean(text, values)}type a number from 1 to {len(values)} "
            f"or one of: {', '.join(values)}"
        )
    if question.type == "bool":
        low = text.lower()
        if low in ("y", "yes"):
            return True
        if low in ("n", "no"):
            return False
        raise Invalid("answer y or n")
    value = parse_number(text, question.type == "integer")
    problem = bound_problem(question, value)
    if problem is not None:
        raise Invalid(problem)
    return value


def range_text(question: Question) -> str:
    kind = "a whole number" if question.type == "integer" else "a number"
    return " ".join([kind, ", ".join(bound_texts(question))]).strip()


def shown(value: Any) -> str:
    """An answer as a person reads it: thousands separated, yes/no."""
    if isinstance(value, bool):
        return "y" if value else "n"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,}" if not value.is_integer() or abs(value) < 1e16 else str(value)
    return visible(str(value))


# --- terminals --------------------------------------------------------------------------


def wrap(text: str, width: int, first: str = "", rest: str | None = None) -> str:
    """`text` wrapped at spaces to `width` columns (a word longer than a line is folded),
    the first line after `first`, the others indented like it or by `rest`."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.text import Text

    indent = " " * cell_len(first) if rest is None else rest
    room = max(20, width - cell_len(first))
    # Every text shown goes through here, rule-set prompts, meanings and help included: escaped
    # once here, so none can move the cursor, recolour the terminal or open a link.
    lines = Text(visible(text)).wrap(Console(width=width), room, overflow="fold")
    out = [(first if i == 0 else indent) + line.plain.rstrip() for i, line in enumerate(lines)]
    return "\n".join(out or [first.rstrip()])


class Terminal(Protocol):
    """How questions reach a person and answers come back."""

    width: int

    def write(self, text: str) -> None: ...

    def line(self, prompt: str, prefill: str = "") -> str:
        """One line of typed text (not yet cleaned); EndOfInput at the end of input."""
        ...

    def choose(
        self, prompt: str, options: Sequence[tuple[str, str]], default: str | None, note: str = ""
    ) -> str | None:
        """A value picked from (value, meaning) options, `<` or `?`; None: use the line."""
        ...


class PlainTerminal:
    """Numbered prompts read line by line: pipes, `TERM=dumb`, screen readers, tests."""

    def __init__(
        self,
        read: Callable[[str], str] | None = None,
        write: Callable[[str], None] | None = None,
        width: int = 80,
    ) -> None:
        self._read = read or read_plain_line
        self._write = write or _stdout
        self.width = width

    def write(self, text: str) -> None:
        self._write(text)

    def line(self, prompt: str, prefill: str = "") -> str:
        try:
            return self._read(prompt)
        except EOFError:
            self.write("\n")
            raise EndOfInput(NO_MORE_INPUT) from None

    def choose(
        self, prompt: str, options: Sequence[tuple[str, str]], default: str | None, note: str = ""
    ) -> str | None:
        return None  # the numbered list is printed and a line is read


def _stdout(text: str) -> None:
    if sys.stdout is None:
        return
    sys.stdout.write(text)
    sys.stdout.flush()


def read_plain_line(prompt: str) -> str:
    """A line from stdin, strictly decoded: undecodable bytes are refused, never kept."""
    stdin = sys.stdin
    if stdin is None or stdin.closed:
        raise EOFError
    _stdout(prompt)
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:  # a text stream (in-process tests)
        line = stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")
    raw = buffer.readline()
    if not raw:
        raise EOFError
    try:
        return bytes(raw).decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return "\udcff"  # refused by clean_text as invalid UTF-8


class PromptTerminal:
    """A real terminal: line editing and history (prompt_toolkit), arrow-key menus
    (questionary) with the default highlighted and number and name keys working."""

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        self.session: PromptSession[str] = PromptSession(history=InMemoryHistory())
        self.width = max(40, os.get_terminal_size(sys.stdout.fileno()).columns)

    def write(self, text: str) -> None:
        _stdout(text)

    def line(self, prompt: str, prefill: str = "") -> str:
        self.width = max(40, os.get_terminal_size(sys.stdout.fileno()).columns)
        try:
            return self.session.prompt(prompt, default=prefill)
        except EOFError:
            self.write("\n")
            raise EndOfInput(NO_MORE_INPUT) from None

    def choose(
        self, prompt: str, options: Sequence[tuple[str, str]], default: str | None, note: str = ""
    ) -> str | None:
        import questionary
        from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings

        self.width = max(40, os.get_terminal_size(sys.stdout.fileno()).columns)
        values = [value for value, _ in options]
        label = len("  Description: ")  # questionary's label before a choice's meaning
        room = self.width - label - 1
        choices = [
            questionary.Choice(
                title=f"{number}) {value or '(skip)'}",
                value=value,
                description=wrap(meaning, room).replace("\n", "\n" + " " * label)
                if meaning
                else None,
            )
            for number, (value, meaning) in enumerate(options, 1)
        ]
        question = questionary.select(
            prompt,
            choices=choices,
            default=default if default in values else None,
            qmark="",
            use_jk_keys=False,
            use_emacs_keys=True,
            instruction=_instruction(prompt, note, len(values), self.width),
        )
        control = _inquirer_control(question)
        typed: list[str] = []
        keys = KeyBindings()

        @keys.add("<")
        def _back(event: Any) -> None:
            event.app.exit(result=BACK)

        @keys.add("?")
        def _help(event: Any) -> None:
            event.app.exit(result=HELP)

        def jump(event: Any) -> None:
            # Digits and letters move the highlight: a number, or the start of a value's name.
            typed.append(event.key_sequence[0].key)
            text = "".join(typed)
            found = _match(text, values)
            if found is None:
                typed[:] = [typed[-1]]
                found = _match(typed[0], values)
            if found is not None and control is not None:
                control.pointed_at = found

        for char in "0123456789abcdefghijklmnopqrstuvwxyz-_":
            keys.add(char)(jump)
        app = question.application
        app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), keys])
        try:
            result = question.unsafe_ask()
        except EOFError:
            raise EndOfInput(NO_MORE_INPUT) from None
        return str(result) if result is not None else None


def _instruction(prompt: str, note: str, count: int, width: int) -> str:
    """The menu's key hints, with the progress note when the line has room for it."""
    keys = f"↑↓, 1–{count} or a name, Enter; ? help, < back)"
    full = f"({note}{keys}"
    return full if len(prompt) + len(full) + 3 < width else f"({keys}"


def _inquirer_control(question: Any) -> Any:
    """The menu's control inside questionary's layout (to move its highlight)."""
    from questionary.prompts.common import InquirerControl

    for window in question.application.layout.find_all_windows():
        if isinstance(window.content, InquirerControl):
            return window.content
    return None


def _match(text: str, values: Sequence[str]) -> int | None:
    if text.isdigit():
        number = int(text)
        return number - 1 if 1 <= number <= len(values) else None
    for index, value in enumerate(values):
        if value.startswith(text):
            return index
    return None


def open_terminal(width: int = 80) -> Terminal:
    """The richest terminal the streams allow: prompt_toolkit when stdin and stdout are both
    terminals (and TERM is not dumb), numbered lines otherwise."""
    stdin, stdout = sys.stdin, sys.stdout
    if stdin is None or stdin.closed:
        raise EndOfInput(NO_MORE_INPUT)
    real = (
        stdout is not None
        and _isatty(stdin)
        and _isatty(stdout)
        and os.environ.get("TERM", "") not in ("dumb", "")
    )
    if real:
        return PromptTerminal()
    # Plain lines are read as bytes and decoded strictly (readline would drop an undecodable
    # byte without a word); the terminal's own line discipline still gives backspace.
    return PlainTerminal(width=width)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# --- the answer source ------------------------------------------------------------------


class TerminalSource:
    """Asks a person through a Terminal; every answer is checked before it is kept."""

    def __init__(self, rules: Rules, terminal: Terminal) -> None:
        self.rules = rules
        self.terminal = terminal
        self.current: Any = None  # the answer being changed at the review screen, if any

    def write(self, text: str) -> None:
        self.terminal.write(text)

    def say(self, text: str, first: str = "  ", rest: str | None = None) -> None:
        """A message wrapped to the terminal's width."""
        self.write(wrap(text, self.terminal.width, first, rest) + "\n")

    def ask_line(self, prompt: str, prefill: str = "") -> str:
        """A line of checked text; `<`, `?` and empty lines are returned as they are. A long
        prompt is wrapped at spaces, and only its last line stays beside the cursor."""
        lines = wrap(prompt.rstrip(), self.terminal.width - 1).split("\n")
        if len(lines) > 1:
            self.write("\n".join(lines[:-1]) + "\n")
        last = lines[-1] + " "
        while True:
            try:
                return clean_text(self.terminal.line(last, prefill))
            except Invalid as exc:
                self.say(str(exc))

    def answer(self, step: Step, state: State) -> Any:
        default = self.current if self.current is not None else default_for(self.rules, state, step)
        if step.kind == "need-description":
            return self._description(step, default)
        if step.kind == "need-id":
            return self._need_id(step, state, default)
        if step.kind == "another-need":
            return self._yes_no("Another need?", bool(default))
        if step.kind == "proposal":
            return self._proposal(state, default)
        if step.kind == "name":
            return self._name(default)
        assert step.question is not None
        return self._question(step, state, default)

    def _progress(self, state: State) -> str:
        if self.current is not None:
            return ""
        number, about = progress(self.rules, state)
        return f"question {number} of about {about}; "

    def _yes_no(self, text: str, default: bool) -> bool:
        while True:
            reply = self.ask_line(f"{text} (y/n) [{'y' if default else 'n'}]: ").lower()
            if reply == BACK:
                raise GoBack
            if not reply:
                return default
            if reply in ("y", "yes", "n", "no"):
                return reply.startswith("y")
            self.say("answer y or n")

    def _description(self, step: Step, default: str | None) -> str:
        number = (step.need or 0) + 1
        self.write(f"\nNeed {number}\n")
        shown_default = f" [{visible(default)}]" if default else ""
        self.write(f"Describe need {number} in a sentence ({HINT}){shown_default}:\n")
        while True:
            text = self.ask_line("> ")
            if text == BACK:
                raise GoBack
            if text == HELP:
                self.say("What must the model do? e.g. 'Summaries must use Bluebook citations'")
                continue
            if text or default:
                return text or str(default)
            self.say("a description is needed")

    def _need_id(self, step: Step, state: State, default: str) -> str:
        index = step.need or 0
        taken = {n.id for i, n in enumerate(state.needs) if n.id and i != index}
        while True:
            text = self.ask_line(f"Short id for this need [{default}]: ").lower() or default
            if text == BACK:
                raise GoBack
            if text == HELP:
                self.say("lowercase letters, digits and hyphens, unique in the profile")
                continue
            if not re.fullmatch(NEED_ID_PATTERN, text) or len(text) > 64:
                self.say("use lowercase letters, digits and hyphens (e.g. case-files)")
            elif text in taken:
                self.say(f"{text!r} is already used by another need")
            else:
                return text

    def _proposal(self, state: State, default: str | None) -> str:
        self.write("\n")
        self.say(
            "What does the team propose to build? `tunewise check` fails a fine-tune or "
            "hybrid proposal these answers do not justify."
            + (f" The answers point to: {default}." if default else ""),
            first="",
        )
        options = [
            ("prompt", "prompt engineering"),
            ("rag", "retrieval-augmented generation"),
            ("fine-tune", "fine-tuning"),
            ("hybrid", "RAG + fine-tuning"),
        ]
        assert [value for value, _ in options] == list(PROPOSALS)
        while True:
            text = self._pick("proposal", options, default, optional=False)
            if text == BACK:
                raise GoBack
            if text == HELP:
                self.say("what the team intends to build; the CI gate compares it with the advice")
                continue
            if not text and default:
                return default
            try:
                return _pick_value(text, [value for value, _ in options])
            except Invalid as exc:
                self.say(str(exc))

    def _name(self, default: str | None) -> str | None:
        shown_default = f" [{visible(default)}]" if default else ""
        while True:
            text = self.ask_line(f"A name for this profile (Enter to skip){shown_default}: ")
            if text == BACK:
                raise GoBack
            if text == HELP:
                self.say("shown at the top of every report, e.g. 'Law firm assistant'")
                continue
            return text or default or None

    def _pick(
        self,
        tag: str,
        options: Sequence[tuple[str, str]],
        default: Any,
        *,
        optional: bool,
        state: State | None = None,
    ) -> str:
        """A choice: an arrow-key menu on a real terminal, else a numbered list and a line."""
        hint = self._progress(state) if state is not None else ""
        menu = [*options, ("", "leave it unanswered")] if optional else list(options)
        picked = self.terminal.choose(
            tag, menu, default if isinstance(default, str) else None, hint
        )
        if picked is not None:
            return picked
        width = max(len(value) for value, _ in options)
        for number, (value, meaning) in enumerate(options, 1):
            self.say(meaning, first=f"  {number}) {value:<{width}}  ")
        kind = "number or name" + (", Enter skips" if optional else "")
        shown_default = f" [{shown(default)}]" if default is not None else ""
        return self.ask_line(f"({hint}{kind}; {HINT}){shown_default}: ")

    def _question(self, step: Step, state: State, default: Any) -> Any:
        assert step.question is not None
        question = self.rules.model.question(step.question)
        where = "project" if step.need is None else state.needs[step.need].id or ""
        self.write("\n" + wrap(question.prompt, self.terminal.width, f"[{visible(where)}] ") + "\n")
        while True:
            if question.type == "choice":
                options = [(c.value, c.meaning) for c in question.choices or []]
                text = self._pick(
                    question.id, options, default, optional=step.optional, state=state
                )
            else:
                kind = "y/n" if question.type == "bool" else range_text(question)
                if step.optional:
                    kind += ", Enter skips"
                shown_default = f" [{shown(default)}]" if default is not None else ""
                text = self.ask_line(f"({self._progress(state)}{kind}; {HINT}){shown_default}: ")
            if text == BACK:
                raise GoBack
            if text == HELP:
                self._help(question, step, state)
                continue
            if not text:
                if default is not None:
                    return default
                if step.optional:
                    return None
                self.say("an answer is needed")
                continue
            try:
                return parse_answer(question, text)
            except Invalid as exc:
                self.say(str(exc))

    def _help(self, question: Question, step: Step, state: State) -> None:
        """The question's help, the variant for this need's answers where the rule set has one."""
        texts = [question.help] if question.help else []
        answers = {
            **state.project,
            **(state.needs[step.need].answers if step.need is not None else {}),
        }
        for other, by_value in question.help_by.items():
            special = by_value.get(str(answers.get(other)))
            if special:
                texts = [special]
        for text in texts:
            self.say(text)
        for sid in question.sources:
            self.say(self.rules.model.source(sid).title, first="  source: ")
        if not texts and not question.sources:
            self.say("(no help for this question)")


def _pick_value(text: str, values: Sequence[str]) -> str:
    if text.isdigit() and 1 <= int(text) <= len(values):
        return values[int(text) - 1]
    if text.lower() in values:
        return text.lower()
    raise Invalid(
        f"{did_you_mean(text, values)}type a number from 1 to {len(values)} "
        f"or one of: {', '.join(values)}"
    )
