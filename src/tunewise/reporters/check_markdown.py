"""`check --format markdown`: a pull-request summary (also for $GITHUB_STEP_SUMMARY).

Every text from an input goes through `escaping.markdown`: it renders as the text it is, never
as HTML, a link, an image, a heading or a folded section.
The totals lead, so the table and details are spooled (to disk past 1 MiB) until the end."""

from __future__ import annotations

import shutil
import tempfile
from typing import TextIO

from tunewise.escaping import markdown, markdown_code
from tunewise.gate.judge import FileResult, Summary
from tunewise.reporters.check_text import by_position, skipped_line, summary_line

ICON = {"pass": "✅ pass", "fail": "❌ fail", "waived": "⚠️ waived", "error": "⛔ error"}


class Reporter:
    def __init__(self, stream: TextIO, strict: bool, quiet: bool = False) -> None:
        self.stream, self.strict = stream, strict
        self.rows = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in finish)
        self.details = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+", encoding="utf-8")  # noqa: SIM115 (closed in finish)

    def add(self, item: FileResult) -> None:
        path, icon = markdown(item.path), ICON[item.outcome(self.strict)]
        self.rows.write(
            f"| {path} | {icon} | {markdown(item.verdict or '—')} "
            f"| {markdown(item.proposal or '—')} |\n"
        )
        if not item.findings and not item.notes:
            return
        lines = ["", f"### {path} — {icon}", ""]
        for finding in by_position(item.findings):
            at = f" (line {finding.line})" if finding.line else ""
            lines.append(
                f"- **{finding.level}**{at}: {markdown(finding.text)} "
                f"({markdown_code(finding.rule or '')})"
            )
        lines += [f"- _{markdown(note)}_" for note in item.notes]
        self.details.write("\n".join(lines) + "\n")

    def finish(self, summary: Summary) -> None:
        self.stream.write(f"## {summary_line(summary)}\n\n")
        if summary.skipped:  # a place no one looked is worth a line in the summary
            self.stream.write(f"_{skipped_line(summary, markdown)}_\n\n")
        self.stream.write("| profile | status | verdict | proposal |\n|---|---|---|---|\n")
        for spool in (self.rows, self.details):
            spool.seek(0)
            shutil.copyfileobj(spool, self.stream)
            spool.close()
