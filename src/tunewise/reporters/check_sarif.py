"""`check --format sarif`: SARIF 2.1.0, results located at the profile and the answer's line."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from tunewise import __version__
from tunewise.check import CheckReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    candidate = Path(path)
    with contextlib.suppress(ValueError):
        candidate = candidate.resolve().relative_to(Path.cwd().resolve())
    return candidate.as_posix()


def render(report: CheckReport, **_: Any) -> str:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for item in report.files:
        for finding in item.findings:
            rules.setdefault(
                finding.rule,
                {
                    "id": finding.rule,
                    "shortDescription": {"text": finding.rule.replace("/", ": ").replace("-", " ")},
                },
            )
            region: dict[str, int] = {}
            if finding.line:
                region["startLine"] = finding.line
            if finding.column:
                region["startColumn"] = finding.column
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
            results.append(result)
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tunewise",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/tunewise/",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
