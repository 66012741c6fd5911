"""`advise` for people: verdict, a table of needs, cited reasons, warnings, next steps.

Every text reaches rich as a `Text` (never as markup) after `escaping.visible`: nothing from the
profile or the rule set can style, link, break a line or send a control sequence."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tunewise.engine.decision import Decision, NeedResult
from tunewise.escaping import visible
from tunewise.reporters.common import (
    LABELS,
    Footnotes,
    estimate_text,
    key_reason,
    no_change_text,
    rich_text,
    stopped_text,
    what_if_text,
)


def bullet(marker: str, text: str, indent: int = 2, style: str = "") -> Table:
    """A hanging-indent line: wrapped text stays aligned after the marker."""
    grid = Table.grid(padding=(0, 0))
    grid.add_column(width=indent + len(marker) + 1, no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(" " * indent + marker + " ", Text(visible(text), style=style))
    return grid


def indented(text: str, indent: int = 2, style: str = "") -> Padding:
    """Escaped text whose every line, wrapped ones too, starts `indent` spaces in: no input
    can reach column 0 (where `##vso[...]` or `::error::` would be obeyed)."""
    return Padding(Text(visible(text), style=style), (0, 0, 0, indent))


def short(text: str, limit: int = 90) -> str:
    """The first sentence, cut to `limit` characters."""
    sentence = text.split(". ")[0].rstrip(".") + "."
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip(" ,;:") + "…"


STYLE = {"prompt": "cyan", "rag": "green", "fine-tune": "magenta", "hybrid": "bold magenta"}


def _need_block(need: NeedResult, notes: Footnotes) -> list[Any]:
    style = STYLE.get(need.approach or "", "yellow")
    head = Table.grid(padding=(0, 0))  # a long id wraps under itself, never to column 0
    head.add_column(width=2, no_wrap=True)
    head.add_column(overflow="fold")
    head.add_row(
        Text("● ", style),
        Text.assemble((visible(need.id), "bold"), (f" → {LABELS[need.approach]}", style)),
    )
    out: list[Any] = [head]
    if need.description:
        out.append(indented(need.description, style="dim"))
    if not need.decided:
        out.append(bullet("?", f"Missing answers: {', '.join(need.missing)}", style="yellow"))
    for reason in need.reasons:
        out.append(bullet("-", f"{reason.text} {notes.cite(reason)}"))
    for advice in need.advice:
        out.append(bullet("*", f"{advice.title}: {advice.reason.text} {notes.cite(advice.reason)}"))
    if need.estimate is not None:
        out.append(bullet("$", f"Estimate: {estimate_text(need.estimate)}"))
    if need.what_if:
        out.append(Text("  What would change this:", style="bold"))
        out.extend(bullet("·", what_if_text(w), indent=4) for w in need.what_if)
        if need.what_if_stopped is not None:
            out.append(bullet("·", stopped_text(need), indent=4, style="dim"))
    elif no_change_text(need):
        out.append(bullet("·", str(no_change_text(need)), style="dim"))
    return out


def build(decision: Decision) -> Group:
    notes = Footnotes(decision.source_titles)
    verdict = decision.verdict
    title = Text(visible(decision.profile_name or "tunewise"))
    headline = Text.assemble(
        ("Verdict: ", "bold"), (LABELS[verdict].upper(), STYLE.get(verdict, "bold yellow"))
    )
    parts: list[Any] = [Panel(headline, title=title, expand=False)]
    table = Table(show_header=True, header_style="bold", expand=False, show_lines=False)
    table.add_column("need", no_wrap=True)
    table.add_column("approach", no_wrap=True)
    table.add_column("key reason", overflow="fold")
    for need in decision.needs:
        label = Text(LABELS[need.approach], STYLE.get(need.approach or "", "yellow"))
        reason = (
            short(key_reason(need.reasons))
            if need.decided  # the missing answers are the point: never cut them short
            else "missing: " + ", ".join(need.missing)
        )
        table.add_row(Text(visible(need.id)), label, Text(visible(reason)))
    parts.append(table)
    for need in decision.needs:
        parts.append(Text(""))
        parts.extend(_need_block(need, notes))
    for note in decision.notes:
        parts.extend([Text(""), bullet("Note:", f"{note.text} {notes.cite(note)}", indent=0)])
    if decision.warnings:
        parts.extend([Text(""), Text("Warnings", style="bold yellow")])
        for need_id, warning in decision.warnings:
            parts.append(bullet("!", f"{need_id}: {warning.text} {notes.cite(warning)}"))
    if decision.next_steps:
        parts.extend([Text(""), Text("Next steps", style="bold")])
        for number, step in enumerate(decision.next_steps, 1):
            parts.append(bullet(f"{number}.", f"{step.text} {notes.cite(step)}"))
    parts.extend([Text(""), Text("Sources", style="bold")])
    for line in notes.listing():  # "[n] title": a long title wraps under itself
        mark, _, source = line.partition(" ")
        parts.append(bullet(mark, source, style="dim"))
    info = decision.rules
    parts.append(
        bullet(
            "Rules:",
            f"{info.name} {info.version} (sha256 {info.sha256[:12]})",
            indent=0,
            style="dim",
        )
    )
    return Group(*parts)


def render(decision: Decision, *, color: bool = False, width: int = 80, **_: Any) -> str:
    return rich_text(build(decision), color=color, width=width)
