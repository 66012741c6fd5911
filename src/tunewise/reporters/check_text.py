"""`check` for people: one status line per profile, its findings below, a summary."""

from __future__ import annotations

from typing import TextIO

from tunewise.check import FileResult, Summary

MARK = {"pass": "PASS", "fail": "FAIL", "waived": "WAIVED", "error": "ERROR"}
SKIPPED_SHOWN = 10  # folders named in the summary; the JSON report lists them all


def summary_line(summary: Summary) -> str:
    total = summary.total
    parts = [
        f"{summary.count(s)} {w}"
        for s, w in (
            ("pass", "passed"),
            ("fail", "failed"),
            ("waived", "waived"),
            ("error", "invalid"),
        )
    ]
    verdict = "passed" if summary.passed else "FAILED"
    strict = " (strict)" if summary.strict else ""
    return (
        f"tunewise check {verdict}{strict}: {total} profile{'s' * (total != 1)}, {', '.join(parts)}"
    )


class Reporter:
    def __init__(self, stream: TextIO, strict: bool) -> None:
        self.stream, self.strict = stream, strict

    def add(self, item: FileResult) -> None:
        status = MARK[item.status]
        if item.status == "pass" and item.failing(self.strict):
            status = "FAIL (strict)"
        facts = [f"verdict {item.verdict}"] if item.verdict else []
        if item.proposal:
            facts.append(f"proposal {item.proposal}")
        tail = f" ({'; '.join(facts)})" if facts else ""
        lines = [f"{status:<7} {item.path}{tail}"]
        for finding in item.findings:
            at = f"line {finding.line}: " if finding.line else ""
            lines.append(f"  {finding.level}: {at}{finding.message}")
        lines.extend(f"  note: {note}" for note in item.notes)
        self.stream.write("\n".join(lines) + "\n")

    def finish(self, summary: Summary) -> None:
        if summary.skipped:
            count = len(summary.skipped)
            shown = ", ".join(
                f"{_printable(path)} ({why})" for path, why in summary.skipped[:SKIPPED_SHOWN]
            )
            more = f", and {count - SKIPPED_SHOWN} more" if count > SKIPPED_SHOWN else ""
            self.stream.write(f"not searched: {count} folder{'s' * (count != 1)}: {shown}{more}\n")
        if summary.rules is not None:
            info = summary.rules
            self.stream.write(f"rules: {info.name} {info.version} (sha256 {info.sha256[:12]})\n")
        self.stream.write(summary_line(summary) + "\n")


def _printable(text: str) -> str:
    """A folder name from the checked tree on one line: non-printable characters escaped
    (a link named "\n##vso[...]" must not start a log command)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
