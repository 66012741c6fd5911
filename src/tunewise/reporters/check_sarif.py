"""`check --format sarif`: SARIF 2.1.0, results located at the profile and the answer's line.

Results are written as they arrive; the rule descriptions (few) follow them."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, TextIO

from tunewise import __version__
from tunewise.check import FileResult, Summary

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    candidate = Path(path)
    with contextlib.suppress(ValueError):
        candidate = candidate.resolve().relative_to(Path.cwd().resolve())
    return candidate.as_posix()


class Reporter:
    def __init__(self, stream: TextIO, strict: bool) -> None:
        self.stream, self.first = stream, True
        self.rules: dict[str, dict[str, Any]] = {}
        self.started = False

    def _start(self) -> None:
        if not self.started:  # nothing is written before there is something to report
            self.started = True
            self.stream.write(
                f'{{\n  "$schema": "{SCHEMA}",\n  "version": "2.1.0",\n  "runs": [\n'
                '    {\n      "results": ['
            )

    def add(self, item: FileResult) -> None:
        self._start()
        for finding in item.findings:
            self.rules.setdefault(
                finding.rule,
                {
                    "id": finding.rule,
                    "shortDescription": {"text": finding.rule.replace("/", ": ").replace("-", " ")},
                },
            )
            region = {
                k: v for k, v in (("startLine", finding.line), ("startColumn", finding.column)) if v
            }
            location: dict[str, Any] = {"artifactLocation": {"uri": _uri(item.path)}}
            if region:
                location["region"] = region
            result: dict[str, Any] = {
                "ruleId": finding.rule,
                "level": finding.level,
                "message": {"text": finding.message},
                "locations": [{"physicalLocation": location}],
            }
            if item.status == "waived":
                result["suppressions"] = [
                    {
                        "kind": "external",
                        "status": "accepted",
                        "justification": "; ".join(item.notes),
                    }
                ]
            body = json.dumps(result, ensure_ascii=False)
            self.stream.write(("\n        " if self.first else ",\n        ") + body)
            self.first = False

    def finish(self, summary: Summary) -> None:
        driver = {
            "name": "tunewise",
            "version": __version__,
            "informationUri": "https://pypi.org/project/tunewise/",
            "rules": list(self.rules.values()),
        }
        tool = json.dumps({"driver": driver}, ensure_ascii=False)
        properties = ""
        if summary.rules is not None:  # which rule set judged, as a run property
            info = summary.rules
            rules = {"name": info.name, "version": info.version, "sha256": info.sha256}
            properties = f',\n      "properties": {json.dumps({"rules": rules})}'
        self._start()
        self.stream.write(f'\n      ],\n      "tool": {tool}{properties}\n    }}\n  ]\n}}\n')
