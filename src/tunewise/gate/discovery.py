"""Finding profiles in a tree by the naming convention, skipping VCS, venvs and node_modules.

A pull request controls the tree, so nothing is skipped quietly: every folder not searched is
recorded with the reason (reports list them), a folder that cannot be read is an error rather
than a gap, and a virtual environment is recognised by what a real one holds, not by a name or
one committed file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}
# Where a virtual environment keeps its interpreter (POSIX, then Windows).
_INTERPRETERS = ("bin/python", "bin/python3", "Scripts/python.exe")


def is_profile_name(name: str) -> bool:
    lower = name.lower()
    return lower in ("tunewise.yaml", "tunewise.yml") or lower.endswith(
        (".tunewise.yaml", ".tunewise.yml")
    )


@dataclass
class Found:
    """What a search found: profile paths (as text, half the memory of Paths), the folders it
    did not search and why, and the folders it could not read."""

    files: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # profile-named links


def find_profiles(paths: Iterable[Path], exclude: Sequence[str] = ()) -> Found:
    """Files as given; folders searched (sorted), recording what was skipped or unreadable.
    `exclude`: globs of files and folders not to search; one without a slash matches a name at
    any depth, one with a slash an absolute path (a matching folder is pruned whole)."""
    found = Found()
    for path in paths:
        if path.is_dir():
            _search(str(path), found, exclude)
        else:
            found.files.append(str(path))
    return found


def excluded(name: str, path: str, exclude: Sequence[str]) -> str | None:
    """The exclude glob a file or folder (its name, its absolute path) matches, if any."""
    return next((g for g in exclude if fnmatchcase(path if "/" in g else name, g)), None)


def _search(top: str, found: Found, exclude: Sequence[str] = ()) -> None:
    """What `os.walk` (top-down, not following links) would find, sorted, with one directory
    listing per folder; a virtual environment is recognised from its own listing."""
    real_top = os.path.realpath(top)
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            found.unreadable.append((folder, exc.strerror or str(exc)))
            continue
        venv_marker = any(e.name == "pyvenv.cfg" for e in entries)
        if venv_marker and folder is not top and is_virtual_environment(folder):
            found.skipped.append((folder, "virtual environment"))
            continue
        files, folders = [], []
        for entry in entries:
            if entry.is_symlink():
                refusal = _link_refusal(entry, real_top) if is_profile_name(entry.name) else None
                if refusal:
                    found.refused.append((entry.path, refusal))
                elif _is_dir(entry):
                    found.skipped.append((entry.path, "link to a folder (not followed)"))
                elif is_profile_name(entry.name):
                    files.append(entry.name)  # read like any profile (safeio checks it)
            elif _is_dir(entry):
                if entry.name in SKIP_DIRS:
                    found.skipped.append((entry.path, _skip_reason(entry.name)))
                else:
                    folders.append(entry.name)
            elif is_profile_name(entry.name):
                files.append(entry.name)
        if exclude:
            here = os.path.abspath(folder)
            kept = []
            for name in files + folders:
                glob = excluded(name, os.path.join(here, name), exclude)
                if glob is None:
                    kept.append(name)
                else:
                    shown = os.path.relpath(glob) if os.path.isabs(glob) else glob
                    found.skipped.append((os.path.join(folder, name), f"excluded by {shown}"))
            files = [n for n in files if n in kept]
            folders = [n for n in folders if n in kept]
        found.files.extend(os.path.join(folder, name) for name in sorted(files))
        pending.extend(os.path.join(folder, name) for name in sorted(folders, reverse=True))


def _link_refusal(entry: os.DirEntry[str], real_top: str) -> str | None:
    """Why a link named like a profile cannot be one: it leads out of the searched folder
    (a pull request could point it at any file on the runner) or to a folder."""
    target = os.path.realpath(entry.path)
    if os.path.commonpath([target, real_top]) != real_top:
        return "is a link leading outside the searched folder; refused"
    if os.path.isdir(target):
        return "is a link to a folder, expected a profile"
    return None


def is_virtual_environment(folder: str) -> bool:
    """A pyvenv.cfg file, an interpreter that is an executable file (or a link to one), and a
    site-packages folder: what `python -m venv` makes, more than a pull request's one file."""
    if not _regular(os.path.join(folder, "pyvenv.cfg"), follow=False):
        return False
    interpreter = any(
        _regular(os.path.join(folder, name), follow=True)
        and os.access(os.path.join(folder, name), os.X_OK)
        for name in _INTERPRETERS
    )
    if not interpreter:
        return False
    if os.path.isdir(os.path.join(folder, "Lib", "site-packages")):
        return True
    try:
        with os.scandir(os.path.join(folder, "lib")) as listing:
            return any(
                e.name.startswith("python") and os.path.isdir(os.path.join(e.path, "site-packages"))
                for e in listing
            )
    except OSError:
        return False


def _regular(path: str, *, follow: bool) -> bool:
    try:
        mode = (os.stat if follow else os.lstat)(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode)


def _skip_reason(name: str) -> str:
    if name in (".git", ".hg", ".svn"):
        return "version control"
    if name == "node_modules":
        return "node_modules"
    return "tool cache"


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
