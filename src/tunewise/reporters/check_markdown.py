"""`check --format markdown`: a pull-request summary (also for $GITHUB_STEP_SUMMARY).

The totals lead, so the table and details are spooled (to disk past 1 MiB) until the end."""

from __future__ import annotations

import shutil
import tempfile
from typing import TextIO

from tunewise.check import FileResult, Summary
from tunewise.reporters.check_text import summary_line

ICON = {"pass": "✅ pass", "fail": "❌ fail", "waived": "⚠️ waived", "error": "⛔ error"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class Reporter:
    def __init__(self, stream: TextIO, strict: bool) -> None:
        self.stream = stream
        self.rows = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in finish)
        self.details = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in finish)

    def add(self, item: FileResult) -> None:
        self.rows.write(
            f"| `{_cell(item.path)}` | {ICON[item.status]} | {item.verdict or '—'} "
            f"| {item.proposal or '—'} |\n"
        )
        if not item.findings and not item.notes:
            return
        lines = ["", f"### `{_cell(item.path)}` — {ICON[item.status]}", ""]
        for finding in item.findings:
            at = f" (line {finding.line})" if finding.line else ""
            lines.append(f"- **{finding.level}**{at}: {_cell(finding.message)}")
        lines += [f"- _{_cell(note)}_" for note in item.notes]
        self.details.write("\n".join(lines) + "\n")

    def finish(self, summary: Summary) -> None:
        self.stream.write(
            f"## {summary_line(summary)}\n\n| profile | status | verdict | proposal |\n"
            "|---|---|---|---|\n"
        )
        for spool in (self.rows, self.details):
            spool.seek(0)
            shutil.copyfileobj(spool, self.stream)
            spool.close()
