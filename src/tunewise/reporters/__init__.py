"""Reporter registry: one module per output format, imported only when that format is used.

Every human-readable format escapes what comes from an input with `tunewise.escaping`."""

from __future__ import annotations

import importlib
from typing import Any, Protocol, TextIO

# format name -> module under tunewise.reporters
ADVICE_FORMATS = {"text": "advice_text", "json": "advice_json", "markdown": "advice_markdown"}
CHECK_FORMATS = {
    "text": "check_text",
    "json": "check_json",
    "junit": "check_junit",
    "sarif": "check_sarif",
    "github": "check_github",
    "markdown": "check_markdown",
    "gitlab": "check_gitlab",
}
SHOW_FORMATS = {"tree": "rules_tree", "mermaid": "rules_mermaid", "dot": "rules_dot"}


def render(registry: dict[str, str], name: str, result: Any, **options: Any) -> str:
    """Whole-result formats (advise): each module has render(result, **options) -> str."""
    module = importlib.import_module(f"tunewise.reporters.{registry[name]}")
    text: str = module.render(result, **options)
    return text


class CheckReporter(Protocol):
    """A streaming `check` report: one result at a time, then the totals."""

    def add(self, item: Any) -> None: ...
    def finish(self, summary: Any) -> None: ...


def check_reporter(name: str, stream: TextIO, strict: bool, quiet: bool = False) -> CheckReporter:
    """A `check` report in format `name`; `quiet` (text) leaves out what passes."""
    module = importlib.import_module(f"tunewise.reporters.{CHECK_FORMATS[name]}")
    reporter: CheckReporter = module.Reporter(stream, strict, quiet=quiet)
    return reporter
