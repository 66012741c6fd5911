"""Profile discovery by the naming convention."""

from __future__ import annotations

from pathlib import Path

from tunewise.discovery import discover, is_profile_name


def test_names() -> None:
    for name in ("tunewise.yaml", "tunewise.yml", "team.tunewise.yaml", "A.TUNEWISE.YML"):
        assert is_profile_name(name), name
    for name in ("tunewise.json", "mytunewise.yaml", "tunewise.yaml.bak", "tunewise"):
        assert not is_profile_name(name), name


def make(root: Path, *files: str) -> None:
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("", encoding="utf-8")


def found_in(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in discover([root])]


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
    assert list(discover([explicit])) == [explicit]  # a file named on the command line is checked


def test_what_is_skipped(tmp_path: Path) -> None:
    """Virtual environments (by their pyvenv.cfg), VCS folders and links to folders are not
    searched; a folder named like a profile is not a profile; files come before subfolders."""
    make(
        tmp_path,
        "tunewise.yaml",
        "env/pyvenv.cfg",
        "env/lib/tunewise.yaml",
        ".git/tunewise.yaml",
        "real/tunewise.yaml",
        "odd/x.tunewise.yaml/tunewise.yaml",
    )
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
    # a folder named on the command line is searched even when it is a venv itself
    assert [p.name for p in discover([tmp_path / "env"])] == ["tunewise.yaml"]


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
    found = discover([tmp_path], ["drafts", anchored, "skip.*"])
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == [
        "keep/tunewise.yaml",
        "old/tunewise.yaml",
    ]
