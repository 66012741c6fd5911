"""The default rule set with every free text poisoned: a newline, a log command, ESC, a bidi
override. Reports and authoring views must show it escaped (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

POISON = "\n##vso[task.setvariable variable=x]1\n::error::x\r\nPASS\x1b[2J\u202eevil\x85\u2028"
TEXT_KEYS = frozenset(
    {"name", "description", "title", "prompt", "help", "meaning", "text", "location", "unit"}
)
# What must never reach column 0, and characters that must never appear raw.
LOG_COMMAND = ("##", "::", "PASS")
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _poison(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            key: value + POISON
            if key in TEXT_KEYS and isinstance(value, str) and value
            else _poison(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_poison(item) for item in data]
    return data


def write_poisoned_rules(directory: Path) -> Path:
    data = yaml.safe_load((ROOT / "rules" / "default.yaml").read_text(encoding="utf-8"))
    path = directory / "poisoned.yaml"
    path.write_text(yaml.safe_dump(_poison(data), sort_keys=False), encoding="utf-8")
    return path


def assert_harmless(output: str) -> None:
    """No line opens with a log command and no control or bidi character is left raw."""
    assert RAW.search(output) is None, repr(RAW.search(output))
    for line in output.split("\n"):
        assert not line.startswith(LOG_COMMAND), line
