"""Reporter registry: one module per output format, imported only when that format is used."""

from __future__ import annotations

import importlib
from typing import Any

# format name -> module under tunewise.reporters; each module has render(result, **options) -> str
ADVICE_FORMATS = {"text": "advice_text", "json": "advice_json", "markdown": "advice_markdown"}
CHECK_FORMATS = {
    "text": "check_text",
    "json": "check_json",
    "junit": "check_junit",
    "sarif": "check_sarif",
    "github": "check_github",
    "markdown": "check_markdown",
}


def render(registry: dict[str, str], name: str, result: Any, **options: Any) -> str:
    module = importlib.import_module(f"tunewise.reporters.{registry[name]}")
    text: str = module.render(result, **options)
    return text
