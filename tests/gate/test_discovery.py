"""Profile discovery by the naming convention; nothing skipped quietly, nothing unread."""

from __future__ import annotations

import errno
import itertools
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from tunewise.gate.discovery import (
    SKIP_DIRS,
    Found,
    excluded,
    find_profiles,
    is_profile_name,
    is_virtual_environment,
)


def test_names() -> None:
    for name in ("tunewise.yaml", "tunewise.yml", "team.tunewise.yaml", "A.TUNEWISE.YML"):
        assert is_profile_name(name), name
    for name in ("tunewise.json", "mytunewise.yaml", "tunewise.yaml.bak", "tunewise"):
        assert not is_profile_name(name), name


def make(root: Path, *files: str) -> None:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("", encoding="utf-8")


def make_venv(folder: Path, *, windows: bool = False) -> Path:
    """What `python -m venv` leaves: pyvenv.cfg, an interpreter link, site-packages."""
    make(folder, "pyvenv.cfg")
    if windows:
        (folder / "Lib" / "site-packages").mkdir(parents=True)
        make(folder, "Scripts/python.exe")
        (folder / "Scripts" / "python.exe").chmod(0o755)
    else:
        (folder / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
        (folder / "bin").mkdir()
        (folder / "bin" / "python").symlink_to(sys.executable)
    return folder


def found_in(root: Path) -> list[str]:
    return [Path(p).relative_to(root).as_posix() for p in find_profiles([root]).files]


def test_order_and_explicit_files(tmp_path: Path) -> None:
    make(
        tmp_path,
        "b/tunewise.yaml",
        "a/z.tunewise.yml",
        "a/tunewise.yaml",
        "node_modules/x/tunewise.yaml",
    )
    found = found_in(tmp_path)
    assert found == ["a/tunewise.yaml", "a/z.tunewise.yml", "b/tunewise.yaml"]
    explicit = tmp_path / "anything.yaml"
    explicit.write_text("", encoding="utf-8")
    # a file named on the command line is checked
    assert find_profiles([explicit]).files == [str(explicit)]


def test_what_is_skipped(tmp_path: Path) -> None:
    """Virtual environments, VCS folders and links to folders are not searched — and each is
    recorded with its reason; a folder named like a profile is not a profile; files come
    before subfolders."""
    make(
        tmp_path,
        "tunewise.yaml",
        "env/lib/tunewise.yaml",
        ".git/tunewise.yaml",
        "real/tunewise.yaml",
        "odd/x.tunewise.yaml/tunewise.yaml",
    )
    make_venv(tmp_path / "env")
    make_venv(tmp_path / "winenv", windows=True)
    make(tmp_path, "winenv/tunewise.yaml")
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "dangling").mkdir()
    (tmp_path / "dangling" / "pyvenv.cfg").symlink_to(tmp_path / "missing")
    (tmp_path / "dangling" / "tunewise.yaml").write_text("", encoding="utf-8")
    assert found_in(tmp_path) == [
        "tunewise.yaml",
        "dangling/tunewise.yaml",  # a broken pyvenv.cfg link does not make a venv
        "odd/x.tunewise.yaml/tunewise.yaml",
        "real/tunewise.yaml",
    ]
    skipped = {
        Path(path).relative_to(tmp_path).as_posix(): why
        for path, why in find_profiles([tmp_path]).skipped
    }
    assert skipped == {
        ".git": "version control",
        "env": "virtual environment",
        "link": "link to a folder (not followed)",
        "winenv": "virtual environment",
    }
    # a folder named on the command line is searched even when it is a venv itself
    assert [Path(p).name for p in find_profiles([tmp_path / "env"]).files] == ["tunewise.yaml"]


@pytest.mark.parametrize(
    "planted",
    [
        ["pyvenv.cfg"],  # the attack: one committed file
        ["pyvenv.cfg", "bin/python"],  # an interpreter that is not executable
        ["pyvenv.cfg", "lib/python3.12/site-packages/x.py"],  # no interpreter at all
    ],
    ids=["cfg only", "plain file as interpreter", "no interpreter"],
)
def test_a_committed_pyvenv_cfg_does_not_hide_profiles(tmp_path: Path, planted: list[str]) -> None:
    make(tmp_path, *(f"venv/{name}" for name in planted), "venv/tunewise.yaml")
    assert not is_virtual_environment(str(tmp_path / "venv"))
    assert found_in(tmp_path) == ["venv/tunewise.yaml"]  # `venv` is no longer skipped by name


def test_a_venv_needs_its_site_packages(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "v")
    assert is_virtual_environment(str(venv))
    (venv / "lib" / "python3.12" / "site-packages").rmdir()
    assert not is_virtual_environment(str(venv))


def _lock(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Folders called `name` cannot be listed (as chmod 0 does, for every user but root)."""
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(path) == name:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_folder_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, "ok/tunewise.yaml", "locked/tunewise.yaml")
    _lock(monkeypatch, "locked")
    found = find_profiles([tmp_path])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found.files] == ["ok/tunewise.yaml"]
    assert found.unreadable == [(str(tmp_path / "locked"), "Permission denied")]


def test_an_unreadable_folder_fails_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: profiles the gate cannot see are an error, never a silent pass."""
    make(tmp_path, "locked/tunewise.yaml")
    (tmp_path / "tunewise.yaml").write_text(
        "tunewise: 1\nneeds:\n  - id: a\n    kind: general\n", encoding="utf-8"
    )
    _lock(monkeypatch, "locked")
    result = run_cli("check", str(tmp_path), "--format", "json")
    assert result.code == 3
    data = json.loads(result.out)
    assert data["passed"] is False
    (error,) = [f for f in data["files"] if f["status"] == "error"]
    assert error["path"] == str(tmp_path / "locked")
    assert error["findings"][0]["rule"] == "folder-unreadable"
    assert "folder cannot be read (Permission denied)" in error["findings"][0]["message"]


def test_skipped_folders_are_listed_in_reports(tmp_path: Path) -> None:
    make(tmp_path, "tunewise.yaml", ".git/config")
    (tmp_path / "tunewise.yaml").write_text(
        "tunewise: 1\nneeds:\n  - id: a\n    kind: general\n", encoding="utf-8"
    )
    make_venv(tmp_path / "env")
    data = json.loads(run_cli("check", str(tmp_path), "--format", "json").out)
    assert data["skipped"] == [
        {"path": str(tmp_path / ".git"), "reason": "version control"},
        {"path": str(tmp_path / "env"), "reason": "virtual environment"},
    ]
    text = run_cli("check", str(tmp_path)).out
    assert (
        f"not searched: 2 folders: {tmp_path / '.git'} (version control), "
        f"{tmp_path / 'env'} (virtual environment)" in text
    )


def test_exclude_globs_prune_names_and_paths(tmp_path: Path) -> None:
    for name in (
        "keep/tunewise.yaml",
        "drafts/a.tunewise.yaml",
        "x/drafts/b.tunewise.yaml",
        "x/old/tunewise.yaml",
        "old/tunewise.yaml",
        "keep/skip.tunewise.yaml",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("tunewise: 1\n", encoding="utf-8")
    anchored = str(tmp_path / "x" / "old")
    found = find_profiles([tmp_path], ["drafts", anchored, "skip.*"])
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in found.files) == [
        "keep/tunewise.yaml",
        "old/tunewise.yaml",
    ]
    skipped = {Path(p).relative_to(tmp_path).as_posix(): why for p, why in found.skipped}
    assert skipped == {
        "drafts": "excluded by drafts",
        "x/drafts": "excluded by drafts",
        "x/old": f"excluded by {os.path.relpath(anchored)}",
        "keep/skip.tunewise.yaml": "excluded by skip.*",
    }


def test_a_skipped_folder_name_cannot_inject_a_line(tmp_path: Path) -> None:
    (tmp_path / "tunewise.yaml").write_text(
        "tunewise: 1\nneeds:\n  - id: a\n    kind: general\n", encoding="utf-8"
    )
    (tmp_path / "real").mkdir()
    (tmp_path / "x\n##vso[task.setvariable variable=x]1\u202e").symlink_to(tmp_path / "real")
    text = run_cli("check", str(tmp_path)).out
    assert not any(line.startswith("##vso") for line in text.splitlines())
    assert "x\\n##vso[task.setvariable variable=x]1\\u202e (link to a folder" in text


def test_a_profile_link_leading_outside_is_refused(tmp_path: Path) -> None:
    """A link named like a profile, pointing at a file elsewhere on the runner (its content
    would be echoed in errors) or at a folder: an error result, never read, never silent."""
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret-token: x\n", encoding="utf-8")
    tree = tmp_path / "tree"
    make(tree, "real.tunewise.yaml", "sub/x.yaml")
    (tree / "real.tunewise.yaml").write_text(
        "tunewise: 1\nneeds:\n  - id: a\n    kind: general\n", encoding="utf-8"
    )
    (tree / "leak.tunewise.yaml").symlink_to(outside)
    (tree / "etc.tunewise.yaml").symlink_to("/etc")
    (tree / "dir.tunewise.yaml").symlink_to(tree / "sub")
    (tree / "inside.tunewise.yaml").symlink_to(tree / "real.tunewise.yaml")
    found = find_profiles([tree])
    assert [Path(p).name for p in found.files] == ["inside.tunewise.yaml", "real.tunewise.yaml"]
    assert {Path(p).name: why for p, why in found.refused} == {
        "dir.tunewise.yaml": "is a link to a folder, expected a profile",
        "etc.tunewise.yaml": "is a link leading outside the searched folder; refused",
        "leak.tunewise.yaml": "is a link leading outside the searched folder; refused",
    }
    result = run_cli("check", str(tree), "--format", "json")
    assert result.code == 3 and "secret-token" not in result.out + result.err
    errors = [f for f in json.loads(result.out)["files"] if f["status"] == "error"]
    assert len(errors) == 3 and {e["findings"][0]["rule"] for e in errors} == {"invalid-profile"}


# The search against the rules read plainly, on random trees: a reference that lists names and
# classifies each through os.path, recursing into folders by name in sorted order.

_SKIP_REASONS = {".git": "version control", ".hg": "version control", ".svn": "version control"}
_SKIP_REASONS |= {"node_modules": "node_modules", "__pycache__": "tool cache"}


def _reference(top: str, exclude: Sequence[str]) -> Found:
    found = Found()
    real_top = os.path.realpath(top)

    def visit(folder: str) -> None:
        try:
            names = [entry.name for entry in os.scandir(folder)]
        except OSError as exc:
            found.unreadable.append((folder, exc.strerror or str(exc)))
            return
        if folder != top and "pyvenv.cfg" in names and is_virtual_environment(folder):
            found.skipped.append((folder, "virtual environment"))
            return
        files, folders = [], []
        for name in names:
            path = os.path.join(folder, name)
            target = os.path.realpath(path)
            if os.path.islink(path):
                if is_profile_name(name) and os.path.commonpath([target, real_top]) != real_top:
                    why = "is a link leading outside the searched folder; refused"
                    found.refused.append((path, why))
                elif is_profile_name(name) and os.path.isdir(target):
                    found.refused.append((path, "is a link to a folder, expected a profile"))
                elif os.path.isdir(path):
                    found.skipped.append((path, "link to a folder (not followed)"))
                elif is_profile_name(name):
                    files.append(name)
            elif os.path.isdir(path):
                if name in SKIP_DIRS:
                    found.skipped.append((path, _SKIP_REASONS.get(name, "tool cache")))
                else:
                    folders.append(name)
            elif is_profile_name(name):
                files.append(name)
        for name in files + folders:
            glob = excluded(name, os.path.join(os.path.abspath(folder), name), exclude)
            if glob is not None:
                shown = os.path.relpath(glob) if os.path.isabs(glob) else glob
                found.skipped.append((os.path.join(folder, name), f"excluded by {shown}"))
                (files if name in files else folders).remove(name)
        found.files.extend(os.path.join(folder, name) for name in sorted(files))
        for name in sorted(folders):
            visit(os.path.join(folder, name))

    visit(top)
    return found


class _Listing:
    """What os.scandir returns, made of given entries."""

    def __init__(self, entries: Iterator[Any]) -> None:
        self.entries = entries

    def __iter__(self) -> Iterator[Any]:
        return self.entries

    def __enter__(self) -> _Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass


def _failing_listings(real_scandir: Callable[[str], Any]) -> Callable[[str], Any]:
    """os.scandir, but a folder named `locked` cannot be listed and one named `broken` fails
    after its first entry (a disk error part way through its listing)."""

    def fails_part_way(path: str) -> Iterator[Any]:
        with real_scandir(path) as listing:
            first = list(itertools.islice(listing, 1))
        yield from first
        raise OSError(errno.EIO, "Input/output error")

    def scandir(path: str) -> Any:
        name = os.path.basename(path)
        if name == "locked":
            raise PermissionError(errno.EACCES, "Permission denied")
        return _Listing(fails_part_way(path)) if name == "broken" else real_scandir(path)

    return scandir


_NAMES = st.sampled_from(
    [
        *("a", "b", "B", "tunewise.yaml", "TuneWise.YML", "x.tunewise.yml", "notes.txt"),
        *("pyvenv.cfg", ".git", "node_modules", "__pycache__", "drafts", "locked", "broken"),
    ]
)
_KINDS = st.sampled_from(
    ["file", "folder", "venv", "link inside", "link outside", "link to folder", "dangling"]
)


@settings(max_examples=150, deadline=None)
@given(
    items=st.lists(st.tuples(_KINDS, st.lists(_NAMES, min_size=1, max_size=3)), max_size=14),
    exclude=st.lists(st.sampled_from(["drafts", "b", "*.yml", "{top}/a", "{top}/a/*"]), max_size=2),
)
def test_the_search_matches_the_rules_read_plainly(
    items: list[tuple[str, list[str]]], exclude: list[str]
) -> None:
    """Profiles, their order, and every record of what was skipped, unreadable or refused, for
    trees of profiles, venvs, tool folders, links of each kind and unreadable folders; searched
    from the top, from each folder in it and as `.`."""
    with tempfile.TemporaryDirectory() as temp:
        top = Path(temp) / "tree"
        top.mkdir()
        (Path(temp) / "outside.yaml").write_text("", encoding="utf-8")
        (top / "inside.yaml").write_text("", encoding="utf-8")
        for kind, parts in items:
            path = top.joinpath(*parts)
            if any(p.is_symlink() or p.is_file() for p in path.parents) or os.path.lexists(path):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "file":
                path.write_text("", encoding="utf-8")
            elif kind == "folder":
                path.mkdir()
            elif kind == "venv":
                make_venv(path)
            else:
                targets = {"link inside": "inside.yaml", "link outside": "../outside.yaml"}
                targets |= {"link to folder": ".", "dangling": "missing"}
                path.symlink_to(top / targets[kind])
        globs = [glob.format(top=top) for glob in exclude]
        tops = [str(top), *(str(p) for p in sorted(top.iterdir()) if p.is_dir())]
        with mock.patch.object(os, "scandir", _failing_listings(os.scandir)):
            for searched in tops:
                assert find_profiles([Path(searched)], globs) == _reference(searched, globs)
            cwd = os.getcwd()
            os.chdir(top)
            try:
                assert find_profiles([Path(".")], globs) == _reference(".", globs)
            finally:
                os.chdir(cwd)


def test_an_entry_that_cannot_be_examined(tmp_path: Path) -> None:
    """An entry whose type cannot be read (a folder listed but not searchable, on a file system
    that does not give types with names) stops the search, as before, unless its folder is a
    virtual environment: a venv's entries are not examined."""
    make(tmp_path, "plain/tunewise.yaml", "env/tunewise.yaml")
    make_venv(tmp_path / "env")
    real_scandir = os.scandir

    class Unexaminable:
        name = path = "x"

        def is_symlink(self) -> bool:
            raise PermissionError(errno.EACCES, "Permission denied")

    def scandir(path: str) -> Any:
        if os.path.basename(path) not in ("plain", "env"):
            return real_scandir(path)
        with real_scandir(path) as listing:
            return _Listing(iter([*listing, Unexaminable()]))

    with mock.patch.object(os, "scandir", scandir):
        with pytest.raises(PermissionError):
            find_profiles([tmp_path / "plain"])
        found = find_profiles([tmp_path], ["plain"])
    assert found.files == []
    assert found.skipped == [
        (str(tmp_path / "plain"), "excluded by plain"),
        (str(tmp_path / "env"), "virtual environment"),
    ]
