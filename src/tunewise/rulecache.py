"""A per-user cache of validated rule sets: pydantic validates a rule set once per content and
tunewise build, later runs load the compiled records (like Python's own .pyc files)."""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from tunewise import __version__
from tunewise.compiled import RECORDS, RuleSet


def _sha256_class() -> Any:
    """CPython's own SHA-256: `hashlib` loads OpenSSL first (milliseconds on every start)."""
    import importlib

    for name in ("_sha256", "_sha2"):  # the module's name up to Python 3.11, and from 3.12
        try:
            return importlib.import_module(name).sha256
        except ImportError:
            continue
    import hashlib  # pragma: no cover - a Python built without them

    return hashlib.sha256  # pragma: no cover


_SHA256 = _sha256_class()


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` in hexadecimal."""
    return str(_SHA256(data).hexdigest())


KEEP = 32  # entries (about 25 KB each); the least recently used beyond that are removed
# The code that decides what a valid, compiled rule set is; a change to any of it is a new key.
_CODE = ("compiled.py", "models.py", "rules.py", "rulecache.py")


def cache_dir() -> Path | None:
    """TUNEWISE_CACHE_DIR, else $XDG_CACHE_HOME/tunewise or ~/.cache/tunewise; None: disabled."""
    if os.environ.get("TUNEWISE_NO_CACHE"):
        return None
    explicit = os.environ.get("TUNEWISE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return Path(base) / "tunewise" if base else Path.home() / ".cache" / "tunewise"
    except RuntimeError:  # no home directory to be found
        return None


@functools.cache
def _code_fingerprint() -> bytes:
    """This build of tunewise: read once per process (a miss looks the entry up twice)."""
    here = Path(__file__).parent
    digest = _SHA256(f"{__version__}\0{sys.version}\0".encode())
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return bytes(digest.digest())


def _entry(text_digest: str) -> Path | None:
    """Where the rule set with this content digest is kept; None: no cache (disabled, or a
    build installed without its sources, which cannot be fingerprinted)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        code = _code_fingerprint()
    except OSError:
        return None
    return folder / f"rules-{sha256_hex(code + text_digest.encode())[:40]}.pickle"


class _RecordsOnly(pickle.Unpickler):
    """Unpickles rule-set records and plain data only: a planted file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "tunewise.compiled" and name in RECORDS:
            return RECORDS[name]
        raise pickle.UnpicklingError(f"{module}.{name} is not a rule-set record")


def load(text_digest: str) -> RuleSet | None:
    """The compiled rule set validated earlier for this content, or None."""
    entry = _entry(text_digest)
    if entry is None:
        return None
    try:
        with entry.open("rb") as handle:
            found = _RecordsOnly(handle).load()
    except Exception:  # missing, or damaged whatever the damage: validate again
        return None
    if not isinstance(found, RuleSet):
        return None
    with contextlib.suppress(OSError):
        os.utime(entry)  # recently used: kept when older entries are pruned
    return found


def store(text_digest: str, rules: RuleSet) -> None:
    """Keep a validated rule set for later runs; a cache that cannot be written is skipped."""
    entry = _entry(text_digest)
    if entry is None:
        return
    try:
        import tempfile

        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=entry.parent, prefix=".rules-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(rules, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, entry)
        except BaseException:
            os.unlink(temp)
            raise
        _prune(entry.parent)
    except OSError:
        return


def _prune(folder: Path) -> None:
    """Keep the KEEP most recently used entries: old tunewise versions and edited rule sets
    would otherwise pile up."""
    entries = sorted(folder.glob("rules-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[KEEP:]:
        with contextlib.suppress(OSError):
            stale.unlink()
