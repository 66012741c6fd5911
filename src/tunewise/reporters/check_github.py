"""`check --format github`: workflow-command annotations, one per finding, with file and line.

Values keep the escaping GitHub documents for workflow commands (`%`, CR, LF; `:` and `,` in
properties); every other invisible or control character is then shown by `visible`, so no value
can end the command or start another one."""

from __future__ import annotations

from typing import TextIO

from tunewise.escaping import visible
from tunewise.gate.judge import FileResult, Summary
from tunewise.reporters.check_text import skipped_line, summary_line


def _data(text: str) -> str:
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


class Reporter:
    def __init__(self, stream: TextIO, strict: bool, quiet: bool = False) -> None:
        self.stream = stream

    def add(self, item: FileResult) -> None:
        lines = []
        for finding in item.findings:
            command: str = finding.level
            if item.status == "waived" and finding.level == "error":
                command = "notice"  # waived: visible, but not an error
            props = [f"file={_prop(finding.file)}"]
            if finding.line:
                props.append(f"line={finding.line}")
            if finding.column:
                props.append(f"col={finding.column}")
            props.append(f"title={_prop(f'tunewise {finding.rule}')}")
            prefix = "waived: " if item.status == "waived" else ""
            lines.append(f"::{command} {','.join(props)}::{_data(prefix + finding.text)}")
        if item.status == "waived":
            lines += [
                f"::notice file={_prop(item.path)},title=tunewise waiver::{_data(n)}"
                for n in item.notes
            ]
        if lines:
            self.stream.write("\n".join(lines) + "\n")

    def finish(self, summary: Summary) -> None:
        if summary.skipped:
            note = skipped_line(summary, lambda path: path)
            self.stream.write(f"::notice title=tunewise: folders not searched::{_data(note)}\n")
        self.stream.write(summary_line(summary) + "\n")
