"""Standard streams that fail closed: UTF-8 whatever the locale, a closed descriptor held by
/dev/null, and a reader that goes away (`tunewise check | head -1`) costs the output, never the
exit code."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

_STREAMS = ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w"))


def prepare() -> None:
    """Make stdin, stdout and stderr safe to use, before anything else runs.

    A descriptor closed by the caller (`tunewise check >&-`, `2>&-`) is opened on /dev/null:
    output is discarded and the exit code stays what the run decides, and no file tunewise opens
    later can take descriptor 1 or 2 and receive the report by mistake. Output is UTF-8 with
    replacement whatever the locale says (`PYTHONIOENCODING=ascii`, `LANG=C`), so no text,
    however odd, can stop a run."""
    for descriptor, name, mode in _STREAMS:
        try:
            os.fstat(descriptor)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: this one
            if null != descriptor:
                os.dup2(null, descriptor)
                os.close(null)
            setattr(sys, name, open(descriptor, mode, encoding="utf-8", closefd=False))  # noqa: SIM115 (lives as long as the process)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, OSError):  # a stream already written to
                stream.reconfigure(encoding="utf-8", errors="replace")


def discard(stream: Any) -> None:
    """The reader of `stream` went away: send the rest of its output to /dev/null, so neither
    a later write nor the flush at exit fails (Python would turn that into exit 120)."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (tests write into memory)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


class PipeGuard(io.TextIOBase):
    """A text stream over `stream` that survives its reader going away: the first broken pipe
    switches it to discarding, and the run goes on to the exit code it decides."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.broken = False
        self.before_write: Callable[[], None] | None = None  # a progress bar clearing its line

    def write(self, text: str) -> int:
        if not self.broken:
            if self.before_write is not None:
                self.before_write()
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._break()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._break()

    def writable(self) -> bool:
        return True

    def _break(self) -> None:
        self.broken = True
        discard(self.stream)


def finish(code: int) -> int:
    """Flush stdout and stderr at the end of a run; a reader that went away keeps `code`."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            discard(stream)
        except (OSError, ValueError, AttributeError):
            pass
    return code
