"""`rules test`: each case's outcome, the coverage, and the totals, as text."""

from __future__ import annotations

from tunewise.authoring.cases import TestReport
from tunewise.escaping import visible


def render(report: TestReport, *, min_coverage: float | None = None) -> str:
    lines = []
    for result in report.results:
        if result.problems:
            lines.append(f"FAIL  {visible(result.name)}  ({visible(str(result.file))})")
            lines += [f"      {visible(str(p))}" for p in result.problems]
        else:
            lines.append(f"ok    {visible(result.name)}")
    covered = len(report.covered & set(report.items))
    lines.append(
        f"coverage: {covered}/{len(report.items)} leaves and check outcomes "
        f"({report.coverage:.1f}%)"
    )
    missing = [item for item in report.items if item not in report.covered]
    if missing:
        lines.append("not covered: " + visible(", ".join(missing)))
    if report.below(min_coverage):
        lines.append(f"coverage {report.coverage:.1f}% is below the required {min_coverage:g}%")
    passed, failed = len(report.results) - len(report.failed), len(report.failed)
    lines.append(f"{passed} passed, {failed} failed")
    return "\n".join(lines) + "\n"
