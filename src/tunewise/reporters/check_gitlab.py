"""`check --format gitlab`: a GitLab Code Quality report (a JSON array of Code Climate issues:
description, check_name, fingerprint, severity, location.path, location.lines.begin).

Written as results arrive, like the JSON report. Waived findings are `info` issues, so the merge
request still shows them."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, TextIO

from tunewise.escaping import visible
from tunewise.gate.judge import FileResult, Summary
from tunewise.reporters.check_sarif import NUMBERS, relative_path

SEVERITY = {"error": "major", "warning": "minor"}


class Reporter:
    def __init__(self, stream: TextIO, strict: bool, quiet: bool = False) -> None:
        self.stream, self.strict, self.first = stream, strict, True

    def add(self, item: FileResult) -> None:
        seen: Counter[str] = Counter()
        for finding in item.findings:
            path = relative_path(finding.file)
            # One issue's identity across pipelines: rule, file and message without its numbers;
            # GitLab shows only one issue per fingerprint, so repeats are counted in.
            key = "\0".join((finding.rule or "", path, NUMBERS.sub("#", finding.text)))
            seen[key] += 1
            fingerprint = hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogatepass"))
            severity = SEVERITY[finding.level]
            description = visible(finding.text)
            if item.status == "waived":
                severity, description = "info", f"Waived: {description}"
            elif finding.level == "warning" and item.failing(self.strict):
                severity = "major"  # under --strict a warning fails the gate
            issue: dict[str, Any] = {
                "type": "issue",
                "description": description,
                "check_name": finding.rule,
                "fingerprint": fingerprint.hexdigest()[:32],
                "severity": severity,
                "categories": ["Bug Risk"],
                "location": {
                    "path": visible(path),
                    "lines": {"begin": finding.line or 1},
                },
            }
            body = json.dumps(issue, ensure_ascii=False)
            self.stream.write(("[\n  " if self.first else ",\n  ") + body)
            self.first = False

    def finish(self, summary: Summary) -> None:
        self.stream.write("[]\n" if self.first else "\n]\n")
