"""`check` for people: a status line per profile, its findings as `path:line:col: level: message`
(sorted by line, so terminals and editors jump to them), then the totals."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from tunewise.escaping import visible
from tunewise.gate.judge import FileResult, Summary
from tunewise.problems import Problem

MARK = {"pass": "PASS", "fail": "FAIL", "waived": "WAIVED", "error": "ERROR"}
SKIPPED_SHOWN = 10  # folders named in the summary; the JSON report lists them all


def counts(summary: Summary) -> dict[str, int]:
    """Profiles per outcome as the run judged them (under --strict, a pass with warnings is
    counted as failed: see `FileResult.outcome`)."""
    return {
        "passed": summary.count("pass"),
        "failed": summary.count("fail"),
        "waived": summary.count("waived"),
        "invalid": summary.count("error"),
    }


def summary_line(summary: Summary) -> str:
    total = summary.total
    parts = ", ".join(f"{n} {word}" for word, n in counts(summary).items())
    verdict = "passed" if summary.passed else "FAILED"
    strict = " (strict)" if summary.strict else ""
    return f"tunewise check {verdict}{strict}: {total} profile{'s' * (total != 1)}, {parts}"


def skipped_line(summary: Summary, escape: Callable[[str], str]) -> str:
    """The folders the search did not enter, the first few named (escaped with `escape`)."""
    count = len(summary.skipped)
    shown = ", ".join(f"{escape(path)} ({why})" for path, why in summary.skipped[:SKIPPED_SHOWN])
    more = f", and {count - SKIPPED_SHOWN} more" if count > SKIPPED_SHOWN else ""
    return f"not searched: {count} folder{'s' * (count != 1)}: {shown}{more}"


def location(finding: Problem) -> str:
    """`path:line:col`, as much of it as is known."""
    return visible(finding.file) + finding.position


def by_position(findings: Sequence[Problem]) -> list[Problem]:
    """Findings in file order; those without a line (about the whole file) first."""
    return sorted(findings, key=lambda f: (f.line or 0, f.column or 0))


class Reporter:
    def __init__(self, stream: TextIO, strict: bool, quiet: bool = False) -> None:
        self.stream, self.strict, self.quiet = stream, strict, quiet

    def add(self, item: FileResult) -> None:
        failing = item.failing(self.strict)
        if self.quiet and not failing:
            return
        status = MARK[item.status]
        if item.status == "pass" and failing:
            status = "FAIL (strict)"
        facts = [f"verdict {item.verdict}"] if item.verdict else []
        if item.proposal:
            facts.append(f"proposal {item.proposal}")
        tail = f" ({'; '.join(visible(fact) for fact in facts)})" if facts else ""
        lines = [f"{status:<7} {visible(item.path)}{tail}"]
        for finding in by_position(item.findings):
            lines.append(
                f"{location(finding)}: {finding.level}: {visible(finding.text)} "
                f"[{visible(finding.rule or '')}]"
            )
        lines.extend(f"{visible(item.path)}: note: {visible(note)}" for note in item.notes)
        self.stream.write("\n".join(lines) + "\n")

    def finish(self, summary: Summary) -> None:
        if summary.skipped:  # shown even with --quiet: a place no one looked is a finding too
            self.stream.write(skipped_line(summary, visible) + "\n")
        if summary.rules is not None and not self.quiet:
            info = summary.rules
            self.stream.write(
                f"rules: {visible(info.name)} {visible(info.version)} (sha256 {info.sha256[:12]})\n"
            )
        self.stream.write(summary_line(summary) + "\n")
