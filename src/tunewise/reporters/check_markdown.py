"""`check --format markdown`: a pull-request summary (also for $GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from typing import Any

from tunewise.check import CheckReport
from tunewise.reporters.check_text import summary

ICON = {"pass": "✅ pass", "fail": "❌ fail", "waived": "⚠️ waived", "error": "⛔ error"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: CheckReport, **_: Any) -> str:
    lines = [
        f"## {summary(report)}",
        "",
        "| profile | status | verdict | proposal |",
        "|---|---|---|---|",
    ]
    for item in report.files:
        lines.append(
            f"| `{_cell(item.path)}` | {ICON[item.status]} | {item.verdict or '—'} "
            f"| {item.proposal or '—'} |"
        )
    for item in report.files:
        if not item.findings and not item.notes:
            continue
        lines += ["", f"### `{_cell(item.path)}` — {ICON[item.status]}", ""]
        for finding in item.findings:
            at = f" (line {finding.line})" if finding.line else ""
            lines.append(f"- **{finding.level}**{at}: {_cell(finding.message)}")
        lines += [f"- _{_cell(note)}_" for note in item.notes]
    return "\n".join(lines) + "\n"
