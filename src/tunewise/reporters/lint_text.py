"""`rules lint` for people: each defect as `file:line:col: field: [kind] message`, then what the
proof concluded (with a counterexample profile when it found one) and the count."""

from __future__ import annotations

from dataclasses import replace

from tunewise.authoring.lint import LintReport
from tunewise.escaping import visible


def render_lint(report: LintReport) -> str:
    import yaml

    # The record's own line, with the defect's kind before its message.
    lines = [str(replace(d, message=f"[{d.rule}] {d.message}")) for d in report.defects]
    if report.proven:
        lines.append(
            f"proof: every one of {report.combinations:,} combinations of answers reaches a "
            f"decision ({report.paths:,} paths through the tree)"
        )
    if report.unprovable is not None:
        lines.append(
            "proof: cannot prove that every combination of answers reaches a decision: node "
            f"{report.unprovable!r} branches on a bound that depends on other answers"
        )
    if report.counterexample is not None:
        lines.append("counterexample profile (no decision for these answers):")
        dumped = yaml.safe_dump(report.counterexample, sort_keys=False, allow_unicode=True)
        lines.extend("  " + visible(line) for line in dumped.splitlines())
    name = visible(f"{report.rules.name} {report.rules.version}")
    count = len(report.defects)
    lines.append(
        f"rules {name}: " + (f"{count} defect{'s' * (count != 1)}" if count else "no defects")
    )
    return "\n".join(lines) + "\n"
