"""Report files (`check --output FMT:FILE`): every target checked before anything is written; a
file replaced atomically with its mode kept (a new one gets the umask's); a device written in
place, never replaced."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tunewise.errors import InputError, UsageProblem

# Paths that name a stream, not a file: replacing /dev/stdout with a regular file (as root, it
# can) would break the system; they are written in place.
DEVICE_FOLDERS = ("/dev/", "/proc/")


@dataclass(frozen=True)
class Target:
    given: Path  # as the user wrote it, for messages
    real: Path  # where it is written: symbolic links followed, so a link stays a link
    in_place: bool  # a device, a FIFO, a socket: written as it is, never replaced
    mode: int | None  # the permissions of the file it replaces


def new_file_mode(path: Path) -> int:
    """The permissions a report at `path` gets: those of the file it replaces, else what the
    umask leaves of 0666 (0644 under the usual 022) like any file a program creates."""
    with contextlib.suppress(OSError):
        existing = os.stat(path)
        if stat.S_ISREG(existing.st_mode):
            return stat.S_IMODE(existing.st_mode)
    mask = os.umask(0o022)  # the only way to read it is to set it; put it back at once
    os.umask(mask)
    return 0o666 & ~mask


def plan(paths: Sequence[Path], what: str = "report") -> list[Target]:
    """Check every report target, so a bad one stops the run before any report is replaced."""
    targets: list[Target] = []
    seen: set[Path] = set()
    for given in paths:
        try:
            info: os.stat_result | None = os.stat(given)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise InputError(f"{given}: cannot write {what}: {exc.strerror or exc}") from None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise UsageProblem(f"--output {given}: is a folder; give a file name")
        device = str(given).startswith(DEVICE_FOLDERS) or (
            info is not None and not stat.S_ISREG(info.st_mode)
        )
        real = given if device else Path(os.path.realpath(given))
        if not device:
            folder = real.parent
            if not folder.is_dir():
                raise InputError(f"{given}: cannot write {what}: folder {folder} does not exist")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise InputError(f"{given}: cannot write {what}: folder {folder} is not writable")
        if real in seen:
            raise UsageProblem(f"--output {given}: the same file is named twice")
        seen.add(real)
        mode = stat.S_IMODE(info.st_mode) if info is not None and not device else None
        targets.append(Target(given, real, device, mode))
    return targets


@contextlib.contextmanager
def report_files(paths: Sequence[Path], what: str = "report") -> Iterator[list[TextIO]]:
    """A stream for each report path. Files are written beside their target and renamed into
    place only when the run completes; on any failure (Ctrl-C and SIGTERM included) the
    temporary files are removed and no report is replaced. Devices get the whole report at the
    end, after what was written to stdout."""
    targets = plan(paths, what)
    opened: list[tuple[TextIO, Target, str | None]] = []
    try:
        for target in targets:
            import tempfile  # here: every `check` imports this module, few write files (5 ms)

            if target.in_place:
                spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed below)
                    max_size=1 << 20, mode="w+", encoding="utf-8", errors="replace"
                )
                opened.append((spool, target, None))  # type: ignore[arg-type]
                continue
            try:
                handle, temporary = tempfile.mkstemp(
                    dir=target.real.parent, prefix=f".{target.real.name}.", suffix=".tmp"
                )
            except OSError as exc:
                raise _cannot_write(target, exc, what) from None
            os.fchmod(handle, new_file_mode(target.real) if target.mode is None else target.mode)
            file = os.fdopen(handle, "w", encoding="utf-8", errors="replace")
            opened.append((file, target, temporary))
        yield [stream for stream, _, _ in opened]
        _complete(opened, what)
        opened = []
    finally:
        for leftover, _, name in opened:
            leftover.close()
            if name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(name)


def _cannot_write(target: Target, exc: OSError, what: str) -> InputError:
    return InputError(f"{target.given}: cannot write {what}: {exc.strerror or exc}")


def _complete(opened: list[tuple[TextIO, Target, str | None]], what: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()  # a device may be our own stdout: what went there first stays first
    for stream, target, temporary in opened:
        try:
            if temporary is None:
                stream.seek(0)
                import shutil

                with open(target.given, "a", encoding="utf-8", errors="replace") as device:
                    shutil.copyfileobj(stream, device)
                stream.close()
            else:
                stream.close()
                os.replace(temporary, target.real)
        except OSError as exc:
            raise _cannot_write(target, exc, what) from None


def write_text_file(path: Path, text: str, what: str = "report") -> None:
    """One whole file written atomically (through `report_files`): an existing file is never
    left half-written, and keeps its mode (a new one gets the umask's)."""
    with report_files([path], what) as streams:
        try:
            streams[0].write(text)
        except OSError as exc:
            raise InputError(f"{path}: cannot write {what}: {exc.strerror or exc}") from None
