"""Profile discovery by the naming convention."""

from __future__ import annotations

from pathlib import Path

from tunewise.discovery import discover, is_profile_name


def test_names() -> None:
    for name in ("tunewise.yaml", "tunewise.yml", "team.tunewise.yaml", "A.TUNEWISE.YML"):
        assert is_profile_name(name), name
    for name in ("tunewise.json", "mytunewise.yaml", "tunewise.yaml.bak", "tunewise"):
        assert not is_profile_name(name), name


def test_order_and_explicit_files(tmp_path: Path) -> None:
    for rel in (
        "b/tunewise.yaml",
        "a/z.tunewise.yml",
        "a/tunewise.yaml",
        "node_modules/x/tunewise.yaml",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])]
    assert found == ["a/tunewise.yaml", "a/z.tunewise.yml", "b/tunewise.yaml"]
    explicit = tmp_path / "anything.yaml"
    explicit.write_text("", encoding="utf-8")
    assert list(discover([explicit])) == [explicit]  # a file named on the command line is checked
