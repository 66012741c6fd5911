"""A progress bar on stderr for long runs, only when stderr is a terminal (never in CI logs)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tunewise.streams import PipeGuard

Report = Callable[[int, int], None]  # (done, total)


def wanted() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


@contextmanager
def progress_bar(
    label: str, output: PipeGuard | None = None, color: bool | None = None
) -> Iterator[Report | None]:
    """Yields a (done, total) callback drawing a bar, or None when no bar should be drawn.

    When `output` (the report on stdout) goes to the same terminal, each write first clears the
    bar's line, so results start at column 0 and the bar is drawn again below them; the last
    frame is cleared when the bar ends."""
    if not wanted():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True, no_color=color is False),
        transient=True,
        # Drawn from this thread only (no refresh thread), so a frame can never land between
        # clearing the line and writing a result; stdout is ours, not rich's to redirect.
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = bar.add_task(label, total=None)
    drawn = 0.0

    def report(done: int, total: int) -> None:
        nonlocal drawn
        bar.update(task, completed=done, total=total)
        now = time.monotonic()
        if now - drawn >= 0.1 or done == total:
            drawn = now
            bar.refresh()

    def clear_line() -> None:
        bar.console.file.write("\r\x1b[2K")
        bar.console.file.flush()

    with bar:
        if output is not None and sys.stdout.isatty():
            output.before_write = clear_line
        try:
            yield report
        finally:
            if output is not None:
                output.before_write = None
