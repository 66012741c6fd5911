"""`advise --format markdown`: a summary fit for a pull-request comment.

Every text from the profile or the rule set goes through `escaping.markdown`: it renders as the
text it is, never as HTML, a link, an image or a heading."""

from __future__ import annotations

from typing import Any

from tunewise.engine.decision import Decision
from tunewise.escaping import markdown as md
from tunewise.escaping import markdown_code as code
from tunewise.reporters.common import (
    LABELS,
    Footnotes,
    estimate_text,
    key_reason,
    no_change_text,
    stopped_text,
    what_if_text,
)


def render(decision: Decision, **_: Any) -> str:
    notes = Footnotes(decision.source_titles)
    name = decision.profile_name or "profile"
    lines = [f"## tunewise: {md(name)} → **{LABELS[decision.verdict]}**", ""]
    lines += ["| need | approach | key reason |", "|---|---|---|"]
    for need in decision.needs:
        reason = key_reason(need.reasons) if need.decided else "missing: " + ", ".join(need.missing)
        lines.append(f"| {code(need.id)} | **{LABELS[need.approach]}** | {md(reason)} |")
    for need in decision.needs:
        lines += ["", f"### {code(need.id)} → {LABELS[need.approach]}", ""]
        if need.description:
            lines += [f"_{md(need.description)}_", ""]
        if need.missing:
            lines.append(f"- **Missing answers:** {', '.join(code(q) for q in need.missing)}")
        lines += [f"- {md(r.text)} {notes.cite(r)}" for r in need.reasons]
        lines += [
            f"- **{md(a.title)}:** {md(a.reason.text)} {notes.cite(a.reason)}" for a in need.advice
        ]
        if need.estimate is not None:
            lines.append(f"- **Estimate:** {md(estimate_text(need.estimate))}")
        if need.what_if:
            lines += ["", "**What would change this:**", ""]
            lines += [f"- {md(what_if_text(w))}" for w in need.what_if]
            if need.what_if_stopped is not None:
                lines += [f"- _{md(stopped_text(need))}_"]
        elif no_change_text(need):
            lines += ["", f"_{md(str(no_change_text(need)))}_"]
    for note in decision.notes:
        lines += ["", f"> {md(note.text)} {notes.cite(note)}"]
    if decision.warnings:
        lines += ["", "### Warnings", ""]
        lines += [f"- ⚠️ {code(nid)}: {md(w.text)} {notes.cite(w)}" for nid, w in decision.warnings]
    if decision.next_steps:
        lines += ["", "### Next steps", ""]
        lines += [
            f"{n}. {md(s.text)} {notes.cite(s)}" for n, s in enumerate(decision.next_steps, 1)
        ]
    lines += ["", "### Sources", ""] + [f"- {md(line)}" for line in notes.listing()]
    info = decision.rules
    lines += [
        "",
        f"<sub>Rules: {md(info.name)} {md(info.version)}, sha256 {code(info.sha256[:12])}</sub>",
        "",
    ]
    return "\n".join(lines)
