"""The per-user cache of validated rule sets: used when it can be, harmless when it cannot."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from tunewise import rulecache, rules
from tunewise.errors import RuleSetError
from tunewise.rules import default_rules_path, load_rules

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TUNEWISE_CACHE_DIR", str(folder))
    monkeypatch.delenv("TUNEWISE_NO_CACHE", raising=False)
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("rules-*.pickle")) if folder.exists() else []


def _no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, file: str) -> None:
        raise AssertionError(f"{file} was validated again")

    monkeypatch.setattr(rules, "validate_rules", refuse)


def test_a_validated_rule_set_loads_from_the_cache(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_rules()
    assert len(_entries(cache)) == 1
    _no_validation(monkeypatch)
    again = load_rules()
    assert again.info == first.info and again.params == first.params
    assert [q.id for q in again.model.questions] == [q.id for q in first.model.questions]
    assert again.doc is None  # positions are only kept by a fresh parse


def test_keep_doc_always_validates_afresh(cache: Path) -> None:
    load_rules()
    assert load_rules(keep_doc=True).doc is not None


def test_an_edited_rule_set_is_validated_again(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    text = default_rules_path().read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    load_rules(path)
    path.write_text(text.replace("tunewise_rules: 1", "tunewise_rules: 2", 1), encoding="utf-8")
    with pytest.raises(RuleSetError, match="tunewise_rules"):
        load_rules(path)
    assert len(_entries(cache)) == 1  # nothing stored for the invalid one


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps({"a": 1})])
def test_a_damaged_entry_is_validated_again_and_replaced(cache: Path, damage: bytes) -> None:
    load_rules()
    (entry,) = _entries(cache)
    entry.write_bytes(damage)
    assert load_rules().model.name
    assert entry.read_bytes() != damage


class Planted:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch planted",))


def test_a_planted_entry_cannot_run_code(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_rules()
    (entry,) = _entries(cache)
    entry.write_bytes(pickle.dumps(Planted()))
    monkeypatch.chdir(tmp_path)
    assert load_rules().model.name
    assert not (tmp_path / "planted").exists()


def test_no_cache_when_disabled(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEWISE_NO_CACHE", "1")
    load_rules()
    assert _entries(cache) == []


def test_an_unwritable_cache_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("TUNEWISE_CACHE_DIR", str(blocker / "cache"))  # a folder inside a file
    assert load_rules().model.name


def test_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TUNEWISE_CACHE_DIR", raising=False)
    monkeypatch.delenv("TUNEWISE_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert rulecache.cache_dir() == tmp_path / "tunewise"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert rulecache.cache_dir() == tmp_path / ".cache" / "tunewise"


def test_sha256_matches_hashlib() -> None:
    import hashlib

    assert rulecache.sha256_hex(b"tunewise") == hashlib.sha256(b"tunewise").hexdigest()


@pytest.mark.parametrize(
    "args",
    [
        ["advise", str(ROOT / "examples" / "law-firm.tunewise.yaml"), "--format", "json"],
        ["check", str(ROOT / "examples"), "--format", "json"],
    ],
    ids=["advise", "check"],
)
def test_a_cached_rule_set_skips_pydantic_models(cache: Path, args: list[str]) -> None:
    """The start-up budget: a warm advise or check must not import pydantic's model machinery."""
    script = (
        "import sys, io, contextlib\n"
        "from tunewise.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({args!r})\n"
        "heavy = sorted(m for m in ('pydantic.main', 'typer._adapters', 'tunewise.models',"
        " 'hashlib', 'zipfile') if m in sys.modules)\n"
        "print(code in (0, 1), ','.join(heavy))\n"
    )
    env = dict(os.environ, TUNEWISE_CACHE_DIR=str(cache))

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        return done.stdout.strip()

    assert run().startswith("True ")  # first run: validates with pydantic and fills the cache
    assert run() == "True"


def _variant(tmp_path: Path, number: int) -> Path:
    path = tmp_path / f"r{number}.yaml"
    text = default_rules_path().read_text(encoding="utf-8")
    path.write_text(text.replace("version: ", f"version: 9.{number}", 1), encoding="utf-8")
    return path


def test_the_least_recently_used_entries_are_pruned(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rulecache, "KEEP", 2)
    load_rules()
    (oldest,) = _entries(cache)
    os.utime(oldest, (1000, 1000))
    load_rules(_variant(tmp_path, 0))
    assert len(_entries(cache)) == 2
    (middle,) = set(_entries(cache)) - {oldest}
    os.utime(middle, (2000, 2000))
    load_rules(_variant(tmp_path, 1))
    remaining = _entries(cache)
    assert len(remaining) == 2 and middle in remaining and oldest not in remaining


def test_a_cache_hit_counts_as_use(cache: Path) -> None:
    load_rules()
    (entry,) = _entries(cache)
    os.utime(entry, (1000, 1000))
    load_rules()
    assert entry.stat().st_mtime > 1000


def test_a_build_without_its_sources_runs_uncached(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rulecache, "_CODE", ("no-such-module.py",))
    rulecache._code_fingerprint.cache_clear()
    try:
        assert load_rules().model.name
        assert _entries(cache) == []
    finally:
        rulecache._code_fingerprint.cache_clear()
