"""`check --format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.

Every result has a located region (start and end), a `partialFingerprints` entry, and a rule
with a short and a full description and help in text and markdown. Waived findings are
`note`-level results marked `waived` in their properties, never `suppressions`: GitHub does not
honour those (codeql-action#1230) and would open an alert; a note stays visible in the code
scanning view without failing its check at the default threshold. Results are written as they
arrive; the rule descriptions (few) follow them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from tunewise import __version__
from tunewise.escaping import visible
from tunewise.gate.judge import FileResult, Summary
from tunewise.problems import Problem
from tunewise.ruleset.records import RuleSet

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
NUMBERS = re.compile(r"\d+(?:\.\d+)?")


def relative_path(path: str) -> str:
    """`path` from the current folder (the repository root in CI) when it is under it."""
    candidate = Path(path)
    with contextlib.suppress(ValueError, OSError):
        candidate = candidate.resolve().relative_to(Path.cwd().resolve())
    return candidate.as_posix()


def artifact_uri(path: str) -> str:
    """A relative URI when the file is under the current folder, else an absolute `file:`
    URI; bytes that are not UTF-8 are percent-encoded."""
    relative = relative_path(path)
    encoded = quote(os.fsencode(relative), safe="/")
    return "file://" + encoded if relative.startswith("/") else encoded


def information_uri() -> str | None:
    """The project's own address, from the installed package's metadata; none when it names
    none (a made-up address would be worse than no address)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("tunewise").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    found: dict[str, str] = dict(entry.split(", ", 1) for entry in urls if ", " in entry)
    addresses = (found.get(label, "") for label in ("Repository", "Source", "Homepage"))
    return next((a for a in addresses if a.startswith("https://")), None)


def rule_descriptor(rule_id: str, rule_set: RuleSet | None) -> dict[str, Any]:
    """A SARIF rule from the gate's rule registry (the texts `tunewise explain` prints)."""
    from tunewise.gate.rule_ids import gate_rule

    rule = gate_rule(rule_id, rule_set) if rule_set is not None else None
    words = rule_id.replace("/", ": ").replace("-", " ")
    title = rule.title if rule else words[:1].upper() + words[1:]
    text = rule.help if rule else f"A tunewise check finding: {words}."
    explain = f"`tunewise explain {rule_id}` says more."
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", rule_id)),
        "shortDescription": {"text": _cut(title)},
        "fullDescription": {"text": _cut(text)},
        "help": {
            "text": f"{text} {explain.replace('`', '')}",
            "markdown": f"**{title}**\n\n{text}\n\n{explain}",
        },
        "defaultConfiguration": {"level": rule.level if rule else "error"},
        "properties": {"tags": ["tunewise", rule_id.partition("/")[0]], "precision": "very-high"},
    }


def _cut(text: str, limit: int = 1024) -> str:
    """GitHub shows at most 1,024 characters of a description."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def region(finding: Problem) -> dict[str, int]:
    """Where the answer is: its first character (the file's first when not located)."""
    line, column = finding.line or 1, finding.column or 1
    return {"startLine": line, "startColumn": column, "endLine": line, "endColumn": column + 1}


class Reporter:
    def __init__(self, stream: TextIO, strict: bool, quiet: bool = False) -> None:
        self.stream, self.strict, self.first = stream, strict, True
        self.rules: dict[str, int] = {}  # rule id -> its index, in order of first use
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
        uris = {item.path: artifact_uri(item.path)}
        seen: Counter[str] = Counter()
        for finding in item.findings:
            uri = uris.get(finding.file) or uris.setdefault(
                finding.file, artifact_uri(finding.file)
            )
            rule = finding.rule or "tunewise"
            self.rules.setdefault(rule, len(self.rules))
            # The identity of a result across runs: its rule, its file and its message with the
            # numbers taken out (a finding whose count changed is the same finding).
            key = "\0".join((rule, uri, NUMBERS.sub("#", finding.text)))
            digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
            seen[digest] += 1
            level: str = finding.level
            message = visible(finding.text)  # shown to people: GitHub's alert title
            properties: dict[str, Any] = {}
            if item.status == "waived":
                level, message = "note", f"Waived: {message}"
                properties = {"waived": True, "waiver": "; ".join(item.notes)}
            elif level == "warning" and item.failing(self.strict):
                level = "error"  # under --strict a warning fails the gate
            result: dict[str, Any] = {
                "ruleId": rule,
                "ruleIndex": self.rules[rule],
                "level": level,
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri},
                            "region": region(finding),
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": f"{digest}:{seen[digest]}"},
            }
            if properties:
                result["properties"] = properties
            body = json.dumps(result, ensure_ascii=False)
            self.stream.write(("\n        " if self.first else ",\n        ") + body)
            self.first = False

    def finish(self, summary: Summary) -> None:
        driver: dict[str, Any] = {
            "name": "tunewise",
            "version": __version__,
            "semanticVersion": __version__,
        }
        address = information_uri()
        if address:
            driver["informationUri"] = address
        driver["rules"] = [rule_descriptor(rule_id, summary.rule_set) for rule_id in self.rules]
        tool = json.dumps({"driver": driver}, ensure_ascii=False)
        properties = ""
        if summary.rules is not None:  # which rule set judged, as a run property
            info = summary.rules
            rules = {"name": info.name, "version": info.version, "sha256": info.sha256}
            properties = f',\n      "properties": {json.dumps({"rules": rules})}'
        self._start()
        self.stream.write(f'\n      ],\n      "tool": {tool}{properties}\n    }}\n  ]\n}}\n')
