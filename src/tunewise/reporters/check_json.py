"""`check --format json`: {"passed", "files": [{"path", "status", "verdict", "findings"}]}."""

from __future__ import annotations

import json
from typing import Any

from tunewise.check import CheckReport, FileResult


def file_dict(item: FileResult) -> dict[str, Any]:
    return {
        "path": item.path,
        "status": item.status,
        "verdict": item.verdict,
        "proposal": item.proposal,
        "findings": [
            {"level": f.level, "message": f.message, "rule": f.rule, "line": f.line}
            for f in item.findings
        ],
        "notes": item.notes,
    }


def render(report: CheckReport, **_: Any) -> str:
    data = {
        "passed": report.passed,
        "strict": report.strict,
        "summary": {s: report.count(s) for s in ("pass", "fail", "waived", "error")},
        "files": [file_dict(f) for f in report.files],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
