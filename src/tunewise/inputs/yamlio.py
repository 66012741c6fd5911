"""Safe YAML reading: plain data only, with the line and column of every key and value."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from tunewise.errors import InputError
from tunewise.inputs.safeio import MAX_TEXT_BYTES
from tunewise.inputs.safeio import read_text as safeio_read_text
from tunewise.problems import Problem

MAX_BYTES = MAX_TEXT_BYTES
MAX_DEPTH = 64
MAX_NODES = 200_000  # counted after alias expansion, so "billion laughs" stops early
# Text after alias expansion: a 1 MiB file holds at most 1 MiB of its own, so this allows some
# reuse while a scalar aliased thousands of times (gigabytes once expanded) stops at the alias.
MAX_EXPANDED_BYTES = 8 * 1024 * 1024

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}

Path_ = tuple[str | int, ...]
_ENDS = (MappingEndEvent, SequenceEndEvent)
_FRAMING = (StreamStartEvent, StreamEndEvent, DocumentEndEvent)


class Mark(Protocol):
    """Where the parser met a node (0-based: libyaml's marks, kept as they come)."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


@dataclass
class Document:
    """A parsed YAML document plus where each key and value starts (`where`: 1-based line,
    column). The parser's own marks are kept and turned into numbers only when asked: most
    documents are never asked (measured: parsing 1,000 bench profiles, 6% fewer
    instructions than a pair of numbers per node)."""

    data: Any
    file: str
    positions: dict[Path_, Mark] = field(default_factory=dict)
    key_positions: dict[Path_, Mark] = field(default_factory=dict)

    def where(self, loc: Path_, *, key: bool = False) -> tuple[int, int] | None:
        """The best known position for `loc`: its value (or key), else its nearest parent."""
        table = self.key_positions if key else self.positions
        for end in range(len(loc), -1, -1):
            found = table.get(loc[:end]) or self.positions.get(loc[:end])
            if found:
                return found.line + 1, found.column + 1
        return None


def read_text(path: Path, what: str = "file") -> str:
    """Read a UTF-8 text file of at most 1 MiB, or raise InputError naming it."""
    return safeio_read_text(path, what, MAX_BYTES)


_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def yaml11_number(text: str) -> str | None:
    """How YAML 1.1 would misread `text` as a number (octal `0700`, base-60 `1:30:00`), or
    None. Such a token is kept as text, as yes/no are, so the schema refuses it where a
    number is expected instead of reading 448 or 5400."""
    digits = text.lstrip("+-")
    if ":" in digits:
        return "YAML 1.1 reads a:b:c as a base-60 number"
    if digits[:2].lower() in ("0x", "0b"):
        return "YAML 1.1 reads 0x and 0b as hexadecimal and binary numbers"
    if len(digits) > 1 and digits[0] == "0" and digits[1] not in ".eE":
        return "YAML 1.1 reads a leading 0 as octal"
    if "_" in digits:
        return "YAML 1.1 ignores _ in numbers"
    return None


# Numbers beyond this are not answers anyone means, and lose meaning as floats (10^400 is not
# finite): refused where they are read, like the rule set's own numbers.
LARGEST_NUMBER = 10**15


def _scalar_value(tag: str, text: str) -> Any:
    """The value of a scalar with an allowed tag."""
    if tag.endswith(":bool"):
        # YAML 1.1 reads yes/no/on/off as booleans; tunewise keeps them as text.
        low = text.lower()
        return low == "true" if low in ("true", "false") else text
    if tag.endswith(":int") or tag.endswith(":float"):
        surprise = yaml11_number(text)
        if surprise:
            raise ValueError(f"{surprise}; write the plain decimal number")
        node = yaml.ScalarNode(tag, text)
        value: float = (
            _CONSTRUCTOR.construct_yaml_int(node)
            if tag.endswith(":int")
            else _CONSTRUCTOR.construct_yaml_float(node)
        )
        # .inf and .nan go on to the schema, which says "finite"
        finite = isinstance(value, int) or math.isfinite(value)
        if finite and not -LARGEST_NUMBER <= value <= LARGEST_NUMBER:
            raise ValueError("number out of range: keep numbers within ±10^15")
        return value
    if tag.endswith(":null"):
        return None
    return text  # str and timestamp stay text; models parse dates


@functools.lru_cache(maxsize=4096)
def _implicit_value(text: str, implicit: tuple[bool, bool]) -> Any:
    """The value of an untagged scalar: its type from YAML's resolver. A pure function of the
    text, and profiles repeat the same few answers: cached."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, implicit)  # type: ignore[no-untyped-call]
    if tag not in _ALLOWED_TAGS:  # YAML 1.1's "=" (value) or "<<" (merge): plain text
        tag = _STD + "str"
    if tag.endswith((":int", ":float")) and yaml11_number(text):
        return text  # octal or base 60: text, so a number question refuses it with a hint
    return _scalar_value(tag, text)


class _Builder:
    """Turns the parser's event stream into plain Python values without recursion."""

    def __init__(self, file: str) -> None:
        self.doc = Document(data=None, file=file)
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # value, nodes, bytes

    def bad_tag(self, mark: Any, tag: str | None) -> InputError:
        tag = tag or "?"
        shown = "!!" + tag[len(_STD) :] if tag.startswith(_STD) else tag
        return self.fail(mark, f"YAML tag {shown!r} is not allowed (plain data only)")

    def fail(self, mark: Any, message: str, field: Path_ | None = None) -> InputError:
        return InputError(
            Problem(self.doc.file, message, mark.line + 1, mark.column + 1, field=field)
        )

    def scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag not in (None, "!") and tag not in _ALLOWED_TAGS:
            raise self.bad_tag(event.start_mark, event.tag)
        try:
            if tag in (None, "!"):
                if " " in event.value:  # free text: no YAML 1.1 number, boolean or null has a
                    return event.value  # space (a timestamp may, and stays text anyway)
                return _implicit_value(event.value, event.implicit)
            return _scalar_value(tag, event.value)
        except (ValueError, IndexError) as exc:  # `0b_` (no digits), `!!int` (no text at all)
            why = f": {exc}" if "plain decimal" in str(exc) or "out of range" in str(exc) else ""
            raise self.fail(
                event.start_mark, f"{event.value[:40]!r} is not a valid number{why}"
            ) from None

    def build(self, text: str) -> Document:
        # Each open container: [value, path, pending_key, weight, (start mark, anchor, size),
        # the pending key's path]
        stack: list[list[Any]] = []
        documents = 0
        root_set = False
        loader = None
        # Keys and untagged values are handled inline, the rest by `_key` and `scalar`:
        # measured, parsing 3,000 generated profiles 5% faster (and plain values typed
        # inline, judging 1,000 of them under callgrind: 0.7% fewer instructions).
        positions, key_positions = self.doc.positions, self.doc.key_positions
        nodes = size = 0  # nodes, and bytes of keys and scalars, aliases expanded
        try:
            loader = _Loader(text)
            next_event = loader.get_event  # the event stream, without a generator around it
            while (event := next_event()) is not None:
                kind = event.__class__
                if kind is ScalarEvent and stack:  # a key or a value: most events, inlined
                    nodes += 1
                    if nodes > MAX_NODES:
                        raise self.fail(event.start_mark, "document is too large (too many nodes)")
                    text_ = event.value
                    size += len(text_)
                    frame = stack[-1]
                    container, pending = frame[0], frame[2]
                    mark = event.start_mark
                    if pending is None and container.__class__ is dict:
                        # the key's path, kept for its value (see `_child_path`)
                        frame[5] = where = (*frame[1], text_)
                        if event.tag is not None or text_ in container or where in key_positions:
                            self._key(frame, event)  # a tag to check, or a duplicate key
                        frame[2] = text_
                        key_positions[where] = mark
                        continue
                    if event.tag is not None:
                        value = self.scalar(event)
                    elif " " in text_:
                        value = text_  # free text (see `scalar`), as it is
                    else:  # most other values: typed once per text (see `_implicit_value`)
                        try:
                            value = _implicit_value(text_, event.implicit)
                        except (ValueError, IndexError):
                            value = self.scalar(event)  # raises it, located
                    if event.anchor:
                        self.anchors[event.anchor] = (value, 1, len(text_))
                    if pending is None:
                        path = (*frame[1], len(container))
                        container.append(value)
                    else:
                        path = frame[5]
                        container[pending] = value
                        frame[2] = None
                    frame[3] += 1
                    positions[path] = mark
                    continue
                if kind in _ENDS:
                    value, path, _, weight, _mark, _ = stack.pop()
                    anchor = getattr(event, "anchor", None) or _mark[1]
                    if anchor:
                        self.anchors[anchor] = (value, weight, size - _mark[2])
                    root_set = self._attach(stack, value, weight, path, _mark[0]) or root_set
                    continue
                elif kind is DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise self.fail(event.start_mark, "more than one YAML document")
                    continue
                elif kind in _FRAMING:
                    continue
                nodes += 1
                if nodes > MAX_NODES:
                    raise self.fail(event.start_mark, "document is too large (too many nodes)")
                if kind is AliasEvent:
                    if event.anchor not in self.anchors:
                        raise self.fail(event.start_mark, f"unknown alias *{event.anchor}")
                    value, weight, expanded = self.anchors[event.anchor]
                    nodes += weight
                    size += expanded
                    if nodes > MAX_NODES:
                        raise self.fail(event.start_mark, "aliases expand to too many nodes")
                    if size > MAX_EXPANDED_BYTES:
                        limit = MAX_EXPANDED_BYTES >> 20
                        raise self.fail(
                            event.start_mark,
                            f"aliases expand to more than {limit} MiB of text (*{event.anchor})",
                        )
                    root_set = (
                        self._attach(stack, value, weight, None, event.start_mark) or root_set
                    )
                    continue
                if kind is not ScalarEvent:  # a mapping or a sequence starts
                    if event.tag not in (None, "!") and event.tag not in _ALLOWED_TAGS:
                        raise self.bad_tag(event.start_mark, event.tag)
                    if len(stack) >= MAX_DEPTH:
                        raise self.fail(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels")
                    path = self._child_path(stack, event.start_mark)
                    opened: Any = {} if kind is MappingStartEvent else []
                    mark = (event.start_mark, event.anchor, size)
                    stack.append([opened, path, None, 1, mark, None])
                    continue
                value = self.scalar(event)  # a document that is a single scalar
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1, len(event.value))
                root_set = self._attach(stack, value, 1, (), event.start_mark) or root_set
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = (mark.line + 1, mark.column + 1) if mark else (None, None)
            problem = exc.problem or exc.context or "invalid YAML"
            raise InputError(
                Problem(self.doc.file, f"YAML syntax error: {problem}", *where)
            ) from None
        except yaml.reader.ReaderError as exc:
            line = text[: exc.position].count("\n") + 1
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            message = f"not YAML text: control character U+{code:04X}"
            raise InputError(Problem(self.doc.file, message, line)) from None
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(Problem(self.doc.file, f"YAML error: {first[:200]}")) from None
        finally:
            if loader is not None:
                loader.dispose()
        if not root_set:
            raise InputError(Problem(self.doc.file, "file is empty; expected a YAML mapping"))
        return self.doc

    def _key(self, frame: list[Any], event: Any) -> None:
        if event.tag not in (None, "!") and event.tag not in _ALLOWED_TAGS:
            raise self.bad_tag(event.start_mark, event.tag)
        key = event.value
        mapping, path = frame[0], frame[1]
        where = (*path, key)
        if key in mapping or where in self.doc.key_positions:
            first = self.doc.key_positions.get(where)
            at = f" (first at line {first.line + 1})" if first else ""
            raise self.fail(event.start_mark, f"duplicate key {key!r}{at}", where)
        frame[2] = key
        mark = event.start_mark
        self.doc.key_positions[where] = mark

    def _child_path(self, stack: list[list[Any]], mark: Any) -> Path_:
        if not stack:
            return ()
        parent, path, pending = stack[-1][0], stack[-1][1], stack[-1][2]
        if isinstance(parent, dict):
            if pending is None:
                raise self.fail(mark, "mapping keys must be plain text")
            return stack[-1][5]  # type: ignore[no-any-return]  # the pending key's path
        return (*path, len(parent))

    def _attach(
        self, stack: list[list[Any]], value: Any, weight: int, path: Any, mark: Any
    ) -> bool:
        if path is None:
            path = self._child_path(stack, mark)
        self.doc.positions[path] = mark
        if not stack:
            self.doc.data = value
            return True
        frame = stack[-1]
        frame[3] += weight
        if isinstance(frame[0], dict):
            frame[0][frame[2]] = value
            frame[2] = None
        else:
            frame[0].append(value)
        return False


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document of plain data, refusing anything that could surprise.

    Built from libyaml's event stream (C parser) rather than its composer, whose recursion
    crashes the interpreter on deeply nested input; measured just as fast on real profiles."""
    return _Builder(file).build(text)


def load_yaml_file(path: Path, what: str = "file") -> Document:
    return parse_yaml(read_text(path, what), str(path))
