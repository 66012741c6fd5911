"""`check` for people: one status line per profile, its findings below, a summary."""

from __future__ import annotations

from typing import Any

from tunewise.check import CheckReport

MARK = {"pass": "PASS", "fail": "FAIL", "waived": "WAIVED", "error": "ERROR"}


def summary(report: CheckReport) -> str:
    total = len(report.files)
    parts = [
        f"{report.count(s)} {w}"
        for s, w in (
            ("pass", "passed"),
            ("fail", "failed"),
            ("waived", "waived"),
            ("error", "invalid"),
        )
    ]
    verdict = "passed" if report.passed else "FAILED"
    strict = " (strict)" if report.strict else ""
    return (
        f"tunewise check {verdict}{strict}: {total} profile{'s' * (total != 1)}, {', '.join(parts)}"
    )


def render(report: CheckReport, **_: Any) -> str:
    lines: list[str] = []
    for item in report.files:
        status = MARK[item.status]
        if item.failing(report.strict) and item.status == "pass":
            status = "FAIL (strict)"
        facts = [f"verdict {item.verdict}"] if item.verdict else []
        if item.proposal:
            facts.append(f"proposal {item.proposal}")
        tail = f" ({'; '.join(facts)})" if facts else ""
        lines.append(f"{status:<7} {item.path}{tail}")
        for finding in item.findings:
            at = f"line {finding.line}: " if finding.line else ""
            lines.append(f"  {finding.level}: {at}{finding.message}")
        lines.extend(f"  note: {note}" for note in item.notes)
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
