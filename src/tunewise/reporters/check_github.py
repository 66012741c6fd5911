"""`check --format github`: workflow-command annotations, one per finding, with file and line."""

from __future__ import annotations

from typing import Any

from tunewise.check import CheckReport
from tunewise.reporters.check_text import summary


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: CheckReport, **_: Any) -> str:
    lines: list[str] = []
    for item in report.files:
        for finding in item.findings:
            command: str = finding.level
            if item.status == "waived" and finding.level == "error":
                command = "notice"  # waived: visible, but not an error
            props = [f"file={_prop(item.path)}"]
            if finding.line:
                props.append(f"line={finding.line}")
            if finding.column:
                props.append(f"col={finding.column}")
            props.append(f"title={_prop('tunewise ' + finding.rule)}")
            prefix = "waived: " if item.status == "waived" else ""
            lines.append(f"::{command} {','.join(props)}::{_data(prefix + finding.message)}")
        for note in item.notes:
            if item.status == "waived":
                lines.append(
                    f"::notice file={_prop(item.path)},title=tunewise waiver::{_data(note)}"
                )
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
