"""`advise --format markdown`: a summary fit for a pull-request comment."""

from __future__ import annotations

from typing import Any

from tunewise.decision import Decision
from tunewise.reporters.common import (
    LABELS,
    Footnotes,
    estimate_text,
    key_reason,
    no_change_text,
    what_if_text,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(decision: Decision, **_: Any) -> str:
    notes = Footnotes(decision.source_titles)
    name = decision.profile_name or "profile"
    lines = [f"## tunewise: {_cell(name)} → **{LABELS[decision.verdict]}**", ""]
    lines += ["| need | approach | key reason |", "|---|---|---|"]
    for need in decision.needs:
        reason = key_reason(need.reasons) if need.decided else "missing: " + ", ".join(need.missing)
        lines.append(f"| `{need.id}` | **{LABELS[need.approach]}** | {_cell(reason)} |")
    for need in decision.needs:
        lines += ["", f"### `{need.id}` → {LABELS[need.approach]}", ""]
        if need.description:
            lines += [f"_{_cell(need.description)}_", ""]
        if need.missing:
            lines.append(f"- **Missing answers:** {', '.join(f'`{q}`' for q in need.missing)}")
        lines += [f"- {r.text} {notes.cite(r)}" for r in need.reasons]
        lines += [f"- **{a.title}:** {a.reason.text} {notes.cite(a.reason)}" for a in need.advice]
        if need.estimate is not None:
            lines.append(f"- **Estimate:** {_cell(estimate_text(need.estimate))}")
        if need.what_if:
            lines += ["", "**What would change this:**", ""]
            lines += [f"- {what_if_text(w)}" for w in need.what_if]
        elif no_change_text(need):
            lines += ["", f"_{no_change_text(need)}_"]
    for note in decision.notes:
        lines += ["", f"> {note.text} {notes.cite(note)}"]
    if decision.warnings:
        lines += ["", "### Warnings", ""]
        lines += [f"- ⚠️ `{nid}`: {w.text} {notes.cite(w)}" for nid, w in decision.warnings]
    if decision.next_steps:
        lines += ["", "### Next steps", ""]
        lines += [f"{n}. {s.text} {notes.cite(s)}" for n, s in enumerate(decision.next_steps, 1)]
    lines += ["", "### Sources", ""] + [f"- {line}" for line in notes.listing()]
    info = decision.rules
    lines += ["", f"<sub>Rules: {info.name} {info.version}, sha256 `{info.sha256[:12]}`</sub>", ""]
    return "\n".join(lines)
