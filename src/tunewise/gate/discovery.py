"""Finding profiles in a tree by the naming convention, skipping VCS, venvs and node_modules.

A pull request controls the tree, so nothing is skipped quietly: every folder not searched is
recorded with the reason (reports list them), a folder that cannot be read is an error rather
than a gap, and a virtual environment is recognised by what a real one holds, not by a name or
one committed file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
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
    found.files.extend(profiles_in(paths, found, exclude))
    return found


def profiles_in(paths: Iterable[Path], found: Found, exclude: Sequence[str] = ()) -> Iterator[str]:
    """The profiles `find_profiles` finds, one at a time as the search reaches them (a large
    check judges the first while it goes on); what it skips is recorded in `found`, complete
    once the iteration has ended."""
    for path in paths:
        if path.is_dir():
            yield from _search(str(path), found, exclude)
        else:
            yield str(path)


def excluded(name: str, path: str, exclude: Sequence[str]) -> str | None:
    """The exclude glob a file or folder (its name, its absolute path) matches, if any."""
    return next((g for g in exclude if fnmatchcase(path if "/" in g else name, g)), None)


def _search(top: str, found: Found, exclude: Sequence[str] = ()) -> Iterator[str]:
    """What `os.walk` (top-down, not following links) would find, sorted, with one directory
    listing per folder; a virtual environment is recognised from its own listing.

    Measured listing 3,000 profiles in 3,050 folders: 31.7 -> 24.0 ms (a bare os.scandir walk
    takes 22.4 ms). Each path taken from its entry, not os.path.join, and sorted in place, not
    by sorted() over generators: -6 ms; pyvenv.cfg noticed in the one pass over the listing,
    not a pass of its own: -0.9 ms; the listing used as it is read, not copied into a list
    inside `with`: -0.5 ms."""
    real_top = os.path.realpath(top)
    skipped, refused = found.skipped, found.refused
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            listing = os.scandir(folder)
        except OSError as exc:
            found.unreadable.append((folder, exc.strerror or str(exc)))
            continue
        # What a folder records is taken back when it is a venv or cannot be read to the end.
        skipped_before, refused_before = len(skipped), len(refused)
        files: list[str] = []
        folders: list[str] = []
        venv_marker = False
        entry_error: OSError | None = None
        try:
            for entry in listing:  # entry.path is os.path.join(folder, entry.name)
                try:
                    if entry.is_symlink():
                        refusal = (
                            _link_refusal(entry, real_top) if is_profile_name(entry.name) else None
                        )
                        if refusal:
                            refused.append((entry.path, refusal))
                        elif _is_dir(entry):
                            skipped.append((entry.path, "link to a folder (not followed)"))
                        elif is_profile_name(entry.name):
                            files.append(entry.path)  # read like any profile (safeio checks it)
                    elif _is_dir(entry):
                        if entry.name in SKIP_DIRS:
                            skipped.append((entry.path, _skip_reason(entry.name)))
                        else:
                            folders.append(entry.path)
                    elif is_profile_name(entry.name):
                        files.append(entry.path)
                    elif entry.name == "pyvenv.cfg":  # only a file can make a venv
                        venv_marker = True
                except OSError as exc:  # about one entry: raised below unless in a venv,
                    entry_error = exc  # whose entries were never examined
                    break
            if entry_error is not None:
                venv_marker = True  # is_virtual_environment looks for pyvenv.cfg itself
                for _ in listing:  # the listing's own error, if any, comes first (as before)
                    pass
        except OSError as exc:  # the listing could not be read to the end
            del skipped[skipped_before:], refused[refused_before:]
            found.unreadable.append((folder, exc.strerror or str(exc)))
            continue
        if venv_marker and folder is not top and is_virtual_environment(folder):
            del skipped[skipped_before:], refused[refused_before:]
            skipped.append((folder, "virtual environment"))
            continue
        if entry_error is not None:
            raise entry_error
        if exclude:
            files, folders = _not_excluded(folder, files, folders, found, exclude)
        files.sort()  # the names' order: one folder's paths differ only after its prefix
        yield from files
        folders.sort(reverse=True)
        pending.extend(folders)


def _not_excluded(
    folder: str, files: list[str], folders: list[str], found: Found, exclude: Sequence[str]
) -> tuple[list[str], list[str]]:
    """`files` and `folders` (paths in `folder`) without those an exclude glob matches, each
    of which is recorded as skipped."""
    here = os.path.abspath(folder)
    kept = []
    for path in files + folders:
        name = os.path.basename(path)
        glob = excluded(name, os.path.join(here, name), exclude)
        if glob is None:
            kept.append(path)
        else:
            shown = os.path.relpath(glob) if os.path.isabs(glob) else glob
            found.skipped.append((path, f"excluded by {shown}"))
    return [p for p in files if p in kept], [p for p in folders if p in kept]


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
