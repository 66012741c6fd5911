"""Shared pieces of the reporters: source numbering, estimates, key reasons, rich text.

Approach labels and what-if phrasing are domain wording (findings use them too): they live in
`engine.texts`, and are re-exported here for the reporters."""

from __future__ import annotations

from typing import Any

from tunewise.engine.decision import Cited, Decision, NeedResult
from tunewise.engine.texts import LABELS, change_text, format_value, what_if_text

__all__ = ["LABELS", "change_text", "what_if_text"]


class Footnotes:
    """Numbers sources in order of first citation: [1], [2], ..."""

    def __init__(self, titles: dict[str, str]) -> None:
        self.titles = titles
        self.order: list[str] = []

    def cite(self, item: Cited) -> str:
        marks = []
        for sid in item.sources:
            if sid not in self.order:
                self.order.append(sid)
            marks.append(f"[{self.order.index(sid) + 1}]")
        return "".join(marks)

    def listing(self) -> list[str]:
        return [f"[{n}] {self.titles.get(sid, sid)}" for n, sid in enumerate(self.order, 1)]


def titles(decision: Decision, item: Cited) -> list[str]:
    return [decision.source_titles.get(sid, sid) for sid in item.sources]


def _usd(amount: float) -> str:
    """Dollars as people write them: cents below $100, whole dollars above."""
    return f"${amount:,.0f}" if amount >= 100 else f"${amount:,.2f}"


def estimate_text(estimate: dict[str, Any]) -> str:
    """A fine-tune's estimate in one line, with the date of the prices behind it."""
    low, high = estimate["effort_usd"]
    text = (
        f"{format_value(estimate['training_tokens'])} training tokens "
        f"({estimate['epochs']} epochs), about {_usd(estimate['compute_usd'])} of compute; "
        f"typical total effort {_usd(low)}–{_usd(high)}"
    )
    if "serving_usd_per_month" in estimate:
        serving = _usd(estimate["serving_usd_per_month"])
        text += f"; a dedicated endpoint about {serving} a month"
    if estimate.get("prices_as_of"):
        text += f" (prices as of {estimate['prices_as_of']})"
    return text


def key_reason(reasons: list[Cited]) -> str:
    return reasons[0].text if reasons else ""


def no_change_text(need: NeedResult) -> str | None:
    """Say so when no answer change reaches the approach the search aimed for."""
    if need.what_if or not need.decided or need.what_if_target is None:
        return None
    if need.what_if_stopped is not None:
        return (
            f"No change of one or two answers leading to {LABELS[need.what_if_target]} was "
            f"found before the search stopped after {need.what_if_stopped:,} steps through "
            "the rule set; other changes may exist."
        )
    return (
        f"No change of one or two answers leads to {LABELS[need.what_if_target]}; "
        f"this need stays on {LABELS[need.approach]}."
    )


def stopped_text(need: NeedResult) -> str:
    """What a search cut short by its work bound says (empty when it was not)."""
    if need.what_if_stopped is None:
        return ""
    return (
        f"The search for what would change this stopped after {need.what_if_stopped:,} steps "
        "through the rule set, so other changes may exist."
    )


def rich_text(renderable: Any, *, color: bool, width: int) -> str:
    """Render with rich into a string: colours only for a terminal, and without colour no
    trailing padding (so piped output and tests see clean lines)."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
    )
    console.print(renderable)
    if color:
        return buffer.getvalue()
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())
