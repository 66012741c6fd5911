"""Finding profiles in a tree by the naming convention, skipping VCS, venvs and node_modules."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
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
    ".venv",
    "venv",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "site-packages",
}


def is_profile_name(name: str) -> bool:
    lower = name.lower()
    return lower in ("tunewise.yaml", "tunewise.yml") or lower.endswith(
        (".tunewise.yaml", ".tunewise.yml")
    )


def discover(paths: Iterable[Path], exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Files as given; folders searched (sorted) for profiles, skipping VCS, venvs, node_modules
    and what matches `exclude`: a glob without a slash matches a file or folder name at any
    depth, one with a slash an absolute path (folder globs prune the whole folder)."""
    for path in paths:
        if path.is_dir():
            yield from _profiles_under(str(path), exclude)
        else:
            yield path


def excluded(name: str, path: str, exclude: Sequence[str]) -> bool:
    """Whether a file or folder (its name and its absolute path) matches an exclude glob."""
    return any(fnmatchcase(path if "/" in glob else name, glob) for glob in exclude)


def _profiles_under(top: str, exclude: Sequence[str] = ()) -> Iterator[Path]:
    """What `os.walk` (top-down, not following links) would find, sorted, with one directory
    listing per folder: a virtual environment is recognised by its own listing (its
    pyvenv.cfg) rather than by a look inside every subfolder."""
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue  # unreadable: skipped, as os.walk does
        venv = any(e.name == "pyvenv.cfg" for e in entries)
        if venv and folder is not top and os.path.exists(os.path.join(folder, "pyvenv.cfg")):
            continue  # a virtual environment (a dangling pyvenv.cfg link does not make one)
        files, folders = [], []
        for entry in entries:
            if _is_dir(entry):
                if entry.name not in SKIP_DIRS and not entry.is_symlink():
                    folders.append(entry.name)
            elif is_profile_name(entry.name):
                files.append(entry.name)
        if exclude:
            here = os.path.abspath(folder)
            files = [n for n in files if not excluded(n, os.path.join(here, n), exclude)]
            folders = [n for n in folders if not excluded(n, os.path.join(here, n), exclude)]
        for name in sorted(files):
            yield Path(folder, name)
        pending.extend(os.path.join(folder, name) for name in sorted(folders, reverse=True))


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
