"""An `ask` session: check where to save, fill the questionnaire, review and change, save."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tunewise.ask.questionnaire import (
    GoBack,
    State,
    Step,
    add_need,
    answers_of,
    apply,
    drop_irrelevant,
    fill,
    profile_data,
    put_back,
    remove_need,
    state_from_profile,
    take_back,
    to_profile,
    undo,
    used_answers,
    verdict,
    wanted,
)
from tunewise.ask.terminal import TerminalSource, shown
from tunewise.engine.decision import Decision
from tunewise.engine.walk import Rules
from tunewise.errors import EndOfInput, InputError, UsageProblem
from tunewise.escaping import visible
from tunewise.inputs.profile import Profile, load_profile, profile_from_data
from tunewise.outfiles import new_file_mode, write_text_file

REVIEW_PROMPT = "Enter accepts, a number changes it, + adds a need, -N removes need N, < back: "


@dataclass
class Session:
    """What an `ask` run produced: the answers, and the profile they started from."""

    rules: Rules
    state: State
    source: TerminalSource
    prefill: Profile | None = None
    prefill_text: str | None = None


# --- the questionnaire ------------------------------------------------------------------


def run(rules: Rules, prefill: Path | None, source: TerminalSource) -> Session:
    """Ask what the walk needs (after what `prefill` answers), then the review screen."""
    from tunewise.inputs.yamlio import read_text

    session = Session(rules, State(), source)
    if prefill is not None:
        session.prefill = load_profile(prefill, rules.model)
        session.prefill_text = read_text(prefill, "profile")
        session.state = state_from_profile(session.prefill)
        source.say(
            f"Answers from {visible(str(prefill))} are kept; only missing ones are asked.", ""
        )
    interview(rules, session.state, source)
    return session


def interview(rules: Rules, state: State, source: TerminalSource) -> State:
    """Ask what the walk needs, then show the review screen until the person accepts."""
    fill(rules, state, source)
    while True:
        rows = review_rows(rules, state)
        source.write("\nReview your answers:\n")
        for number, (text, _) in enumerate(rows, 1):
            source.say(text, first=f"{number:>4}. ", rest="        ")
        choice = source.ask_line(REVIEW_PROMPT)
        if not choice:
            return state
        if choice == "<":
            undo(state)
        elif choice == "?":
            source.say(
                "Enter keeps these answers; type a row's number to change it (the old answer "
                "is the default); + asks for one more need; -2 removes need 2."
            )
            continue
        elif choice == "+":
            add_need(state)
        elif re.fullmatch(r"-\s*\d+", choice):
            _remove(rules, state, source, int(choice[1:].strip()))
        elif choice.isdigit() and 1 <= int(choice) <= len(rows):
            _change(rules, state, source, rows[int(choice) - 1][1])
        else:
            source.say(f"type a number from 1 to {len(rows)}, +, -N, < or Enter")
            continue
        fill(rules, state, source)  # questions that became relevant


def _remove(rules: Rules, state: State, source: TerminalSource, number: int) -> None:
    if not 1 <= number <= len(state.needs):
        source.say(f"there is no need {number}")
        return
    if len(state.needs) == 1:
        source.say("a profile needs at least one need: change this one instead")
        return
    before = {key for key in used_answers(rules, state) if key[0] is None}
    remove_need(state, number - 1)
    drop_irrelevant(state, before, used_answers(rules, state))


def _change(rules: Rules, state: State, source: TerminalSource, step: Step) -> None:
    """Ask one answer again with the current one as default; then set aside what stopped
    mattering (fill asks what became relevant)."""
    before = used_answers(rules, state)
    if step.kind == "need-id" and step.need is not None:
        with contextlib.suppress(GoBack):
            change_need(state, source, step.need)
        return
    old = take_back(state, step)
    source.current = old
    try:
        value = source.answer(step, state)
    except GoBack:
        put_back(state, step, old)
        return
    finally:
        source.current = None
    apply(state, step, value)
    drop_irrelevant(state, before, used_answers(rules, state))


def change_need(state: State, source: TerminalSource, index: int) -> None:
    need = state.needs[index]
    description = need.description or ""
    text = source.ask_line(f"Describe need {index + 1} [{visible(description)}]: ", description)
    if text == "<":
        raise GoBack
    need.description = text or need.description
    old_id, need.id = need.id, None
    source.current = old_id
    try:
        need.id = source.answer(Step("need-id", index), state)
    finally:
        source.current = None
        need.id = need.id or old_id


def review_rows(rules: Rules, state: State) -> list[tuple[str, Step]]:
    """Every answer as (text, the step that changes it), numbered by the caller."""
    order = [q.id for q in rules.model.questions]
    rows: list[tuple[str, Step]] = []
    for index, need in enumerate(state.needs):
        title = f"need {index + 1}: {visible(need.id or '')} — {visible(need.description or '')}"
        rows.append((title, Step("need-id", index)))
        for qid in order:
            if qid in need.answers:
                text = f"  {visible(need.id or '')} · {qid}: {shown(need.answers[qid])}"
                rows.append((text, Step("question", index, qid)))
    for qid in order:
        if qid in state.project:
            text = f"  project · {qid}: {shown(state.project[qid])}"
            rows.append((text, Step("question", None, qid)))
    rows += skipped_rows(rules, state)
    for key in ("proposal", "name"):
        if key in state.extra:
            text = f"{key}: {shown(state.extra[key])}"
            if key == "proposal" and state.extra[key] != (now := verdict(rules, state)):
                text += f" (the answers now point to: {now or 'undecided'})"
            rows.append((text, Step(key)))
    return rows


def skipped_rows(rules: Rules, state: State) -> list[tuple[str, Step]]:
    """Optional questions left unanswered that the walks still read: answerable at review."""
    rows: list[tuple[str, Step]] = []
    seen: set[tuple[int | None, str]] = set()
    for index, need in enumerate(state.needs):
        for qid, level in wanted(rules, answers_of(state, index)).items():
            where = index if rules.model.question(qid).scope == "need" else None
            memory = need.memory if where is not None else state.memory
            if qid in memory.skipped and (where, qid) not in seen:
                seen.add((where, qid))
                label = "project" if where is None else visible(need.id or "")
                step = Step("question", where, qid, optional=True, level=level)
                rows.append((f"  {label} · {qid}: (skipped)", step))
    return rows


def decision_of(session: Session) -> Decision:
    from tunewise.commands.advise import decide_profile

    return decide_profile(session.rules, to_profile(session.state))  # type: ignore[arg-type]


# --- saving -----------------------------------------------------------------------------


def check_save_target(path: Path) -> None:
    """Refuse a --save path that can never be written, before the first question."""
    if path.is_dir():
        raise UsageProblem(
            f"--save {path}: is a folder; give a file name, e.g. {path}/tunewise.yaml"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageProblem(f"--save {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"--save {path}: folder {folder} is not writable")


def profile_text(session: Session) -> str:
    """The answers as profile YAML: a re-saved profile keeps its comments, order and number
    spellings; either way the text is read back and must validate to the same answers."""
    data = profile_data(session.rules, session.state)
    fresh = yaml.dump(data, Dumper=_Indented, sort_keys=False, allow_unicode=True, width=100)
    if session.prefill_text is not None:
        kept = round_trip(session.prefill_text, data)
        if kept is not None and _reads_as(session.rules, kept, data):
            return kept
    if not _reads_as(session.rules, fresh, data):  # pragma: no cover - a bug, not an input
        raise RuntimeError("the saved profile would not read back as the answers given")
    return fresh


class _Indented(yaml.SafeDumper):
    """Lists indented under their key (`needs:` then `  - id: ...`), as the examples are."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _reads_as(rules: Rules, text: str, data: dict[str, Any]) -> bool:
    from tunewise.errors import TunewiseError
    from tunewise.inputs.yamlio import parse_yaml

    try:
        profile = profile_from_data(rules.model, parse_yaml(text, "profile"))
    except TunewiseError:
        return False
    again = profile_data(rules, state_from_profile(profile))
    return _same(again, data)


def _same(a: Any, b: Any) -> bool:
    """Equal as answers: a bool is never a number; a date in the file equals its text."""
    if isinstance(b, str) and not isinstance(a, (str, int, float, list, dict)):
        return str(a) == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return isinstance(a, bool) == isinstance(b, bool) and bool(a == b)


def round_trip(original: str, data: dict[str, Any]) -> str | None:
    """`original` with `data`'s values: comments, key order and unchanged scalars kept as they
    were written (ruamel.yaml). None when the original cannot be kept (not a mapping)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.util import load_yaml_guess_indent

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    try:
        doc = yaml.load(original)
        _, indent, dash = load_yaml_guess_indent(original)
    except Exception:  # any parse problem: write a fresh file instead
        return None
    nested = re.search(r"^[^\s#-][^\n]*:[ \t]*\n( +)[^\s#-]", original, re.MULTILINE)
    yaml.indent(
        mapping=len(nested.group(1)) if nested else 2, sequence=indent or 2, offset=dash or 0
    )
    if not isinstance(doc, CommentedMap):
        return None
    _merge_map(doc, data)
    needs = doc.get("needs")
    if isinstance(needs, CommentedSeq):
        by_id = {item.get("id"): item for item in needs if isinstance(item, CommentedMap)}
        merged = []
        for need in data["needs"]:
            item = by_id.get(need["id"], CommentedMap())
            _merge_map(item, need)
            merged.append(item)
        needs[:] = merged
    stream = io.StringIO()
    yaml.dump(doc, stream)
    return stream.getvalue()


def _merge_map(target: Any, data: dict[str, Any]) -> None:
    """Set `data`'s keys in `target` (in `data`'s order where new), remove the others; an
    unchanged value keeps its original spelling (30 stays 30, not 30.0)."""
    from ruamel.yaml.comments import CommentedMap

    for key in [k for k in target if k not in data]:
        del target[key]
    for position, (key, value) in enumerate(data.items()):
        if key == "needs" and key in target:
            continue
        if isinstance(value, dict):
            inner = target.get(key)
            if not isinstance(inner, CommentedMap):
                inner = CommentedMap()
                _insert(target, position, key, inner)
            _merge_map(inner, value)
        elif key not in target or not _same(target[key], value):
            _insert(target, position, key, _quoted(value))


def _insert(target: Any, position: int, key: str, value: Any) -> None:
    if key in target:
        target[key] = value
    else:
        target.insert(min(position, len(target)), key, value)


def _quoted(value: Any) -> Any:
    """A new string that YAML 1.1 would read as something else ('yes', '0700') is quoted."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str):
        try:
            same = yaml.safe_load(value) == value
        except yaml.YAMLError:
            same = False
        return value if same and value.strip() == value else DoubleQuotedScalarString(value)
    return value


def save(session: Session, path: Path, force: bool) -> Path | None:
    """Save the answers at `path`; an existing file is replaced only after a yes (or
    `--force`); otherwise another name is offered. Returns where it was saved, if anywhere."""
    text = profile_text(session)
    source = session.source
    target = path
    while True:
        if force:
            write_text_file(target, text, "profile")
            return target
        if write_new(target, text):
            return target
        spare = free_name(target)
        try:
            reply = source.ask_line(
                f"{visible(str(target))} exists. y replaces it, n leaves it (nothing saved), "
                f"or type another file name [{visible(str(spare))}]: "
            )
        except EndOfInput:
            if write_new(spare, text):
                source.say(f"No one answered: saved to {visible(str(spare))} instead.", "")
                return spare
            raise
        if reply.lower() in ("y", "yes"):
            write_text_file(target, text, "profile")
            return target
        if reply.lower() in ("n", "no"):
            return None
        candidate = Path(reply) if reply else spare
        try:
            check_save_target(candidate)
        except (UsageProblem, InputError) as exc:
            source.say(exc.message.removeprefix(f"--save {candidate}: "))
            continue
        target = candidate


def free_name(path: Path) -> Path:
    """`law.yaml` -> `law-2.yaml` (or -3, ...): the first name not taken."""
    stem, suffix = path.name, ""
    for ending in (".tunewise.yaml", ".yaml", ".yml"):
        if stem.endswith(ending) and stem != ending:
            stem, suffix = stem[: -len(ending)], ending
            break
    number = 2
    while True:
        candidate = path.with_name(f"{stem}-{number}{suffix}")
        if not os.path.lexists(candidate):
            return candidate
        number += 1


def _new_file(folder: Path, name: str, text: str) -> str:
    """A temporary file holding `text` beside its target, with a new file's usual mode."""
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, new_file_mode(Path(folder, name)))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def write_new(path: Path, text: str) -> bool:
    """Write `text` at `path` only if nothing is there, not even a dangling link: the complete
    file is linked into place, which fails if the name exists (no check-then-replace race).
    False if something is there."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        temporary = _new_file(folder, path.name, text)
    except OSError as exc:
        raise InputError(f"{path}: cannot write profile: {exc.strerror or exc}") from None
    try:
        os.link(temporary, path, follow_symlinks=False)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise InputError(f"{path}: cannot write profile: {exc.strerror or exc}") from None
        return _write_exclusive(path, text)  # a file system without hard links
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def _write_exclusive(path: Path, text: str) -> bool:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags, 0o666)
    except FileExistsError:
        return False
    except OSError as exc:
        raise InputError(f"{path}: cannot write profile: {exc.strerror or exc}") from None
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    return True


def exit_code(decision: Decision) -> int:
    return 0 if decision.verdict != "undecided" else 4
