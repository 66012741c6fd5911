"""Profile discovery by the naming convention; nothing skipped quietly, nothing unread."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tunewise.gate.discovery import find_profiles, is_profile_name, is_virtual_environment


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
