"""Measure a JSONL training set in one streaming pass: formats, valid, unique, problems."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunewise.yamlio import open_input

MAX_LINE_BYTES = 16 * 1024 * 1024
SHOWN_PROBLEMS = 5
CHAT_ROLES = {"system", "user", "assistant", "tool", "function", "developer"}


@dataclass
class DatasetStats:
    path: str
    records: int = 0  # non-blank lines
    valid: int = 0
    unique: int = 0
    duplicates: int = 0
    empty_outputs: int = 0
    invalid: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def train(self) -> int:
        return math.floor(self.unique * 0.8)

    @property
    def validation(self) -> int:
        return self.unique - self.train

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "records": self.records,
            "valid": self.valid,
            "unique": self.unique,
            "duplicates": self.duplicates,
            "empty_outputs": self.empty_outputs,
            "invalid": self.invalid,
            "formats": self.formats,
            "split": {"train": self.train, "validation": self.validation},
            "problems": [{"line": line, "message": text} for line, text in self.problems],
        }


class Invalid(Exception):
    """A record that is not usable as a training example."""


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{what} must be text, got {type(value).__name__}")
    return value


def classify(record: Any) -> tuple[str, str]:
    """(format name, the output text) of a record, or raise Invalid saying why."""
    if not isinstance(record, dict):
        raise Invalid(f"expected a JSON object, got {type(record).__name__}")
    if "messages" in record:
        messages = record["messages"]
        if not isinstance(messages, list) or not messages:
            raise Invalid("'messages' must be a non-empty list")
        roles = []
        for index, message in enumerate(messages):
            if not isinstance(message, dict) or "role" not in message or "content" not in message:
                raise Invalid(f"messages[{index}] needs 'role' and 'content'")
            role = message["role"]
            if role not in CHAT_ROLES:
                raise Invalid(f"messages[{index}]: unknown role {str(role)[:20]!r}")
            _text(message["content"], f"messages[{index}].content")
            roles.append(role)
        if "user" not in roles or "assistant" not in roles:
            raise Invalid("a chat record needs a 'user' and an 'assistant' message")
        last = [m["content"] for m in messages if m["role"] == "assistant"][-1]
        return "chat", last
    if "instruction" in record and "output" in record:
        _text(record["instruction"], "'instruction'")
        if "input" in record:
            _text(record["input"], "'input'")
        return "instruction", _text(record["output"], "'output'")
    if "prompt" in record and "completion" in record:
        _text(record["prompt"], "'prompt'")
        return "prompt-completion", _text(record["completion"], "'completion'")
    keys = ", ".join(sorted(map(str, record))[:6])
    raise Invalid(
        f"unrecognised record (keys: {keys}); expected instruction/output, prompt/completion "
        "or messages"
    )


def measure(path: Path, progress: Callable[[int, int], None] | None = None) -> DatasetStats:
    """Read `path` line by line (bounded memory apart from one digest per unique record);
    `progress` hears (bytes read, file size) every few thousand lines."""
    stats = DatasetStats(str(path))
    seen: set[bytes] = set()
    with open_input(path, "dataset") as handle:
        try:
            size = os.fstat(handle.fileno()).st_size
        except (OSError, ValueError, io.UnsupportedOperation):  # stdin given as `-`
            size = 0
        number = 0
        while True:
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            number += 1
            if progress is not None and number % 4096 == 0:
                progress(handle.tell(), size)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of an oversized line
                    raw = handle.readline(MAX_LINE_BYTES)
                _problem(stats, number, "line longer than 16 MiB")
                stats.records += 1
                continue
            if not raw.strip():
                continue
            stats.records += 1
            _one(stats, seen, number, raw)
    return stats


def _one(stats: DatasetStats, seen: set[bytes], number: int, raw: bytes) -> None:
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        _problem(stats, number, "not UTF-8")
        return
    except (ValueError, RecursionError) as exc:
        _problem(stats, number, f"not valid JSON ({str(exc).split(':')[0]})")
        return
    try:
        kind, output = classify(record)
    except Invalid as exc:
        _problem(stats, number, str(exc))
        return
    stats.formats[kind] = stats.formats.get(kind, 0) + 1
    if not output.strip():
        stats.empty_outputs += 1
        if len(stats.problems) < SHOWN_PROBLEMS:
            stats.problems.append((number, "empty output"))
        return
    stats.valid += 1
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.blake2b(canonical.encode("utf-8"), digest_size=12).digest()
    if digest in seen:
        stats.duplicates += 1
    else:
        seen.add(digest)
        stats.unique += 1


def _problem(stats: DatasetStats, number: int, message: str) -> None:
    stats.invalid += 1
    if len(stats.problems) < SHOWN_PROBLEMS:
        stats.problems.append((number, message))
