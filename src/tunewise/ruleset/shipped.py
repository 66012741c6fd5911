"""The default rule set's validated, compiled form, shipped inside the package beside the code.

Validating a rule set imports pydantic and builds its schemas (most of a cold start), so the
built-in rule set is validated at development time and its compiled records are shipped in
`data/default-rules.pickle`: they have the code's own trust. Nothing is read from a per-user or
per-checkout cache any more — an entry there could be planted by whoever shares the folder, and
would make the gate lie. A custom `--rules` file is validated on every run.

Regenerate after editing rules/default.yaml or the records (ruleset/records.py, schema.py,
load.py):

    python -m tunewise.ruleset.prebuild

`tests/ruleset/test_shipped.py` fails, naming that command, while the shipped form is stale; at run
time a stale form (other rules text, other record fields) is not used: the rule set is validated.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from tunewise.ruleset.records import RECORDS, RuleSet

PREBUILT = Path(__file__).resolve().parents[1] / "data" / "default-rules.pickle"
REGENERATE = "python -m tunewise.ruleset.prebuild"
FORMAT = 1  # of the shipped file: (format, rules sha256, record shape, RuleSet)


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


def record_shape() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every record class with its fields: a shipped form made for other records is stale."""
    return tuple((name, RECORDS[name].FIELDS) for name in sorted(RECORDS))


class _RecordsOnly(pickle.Unpickler):
    """Unpickles rule-set records and plain data only, whatever the file holds."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "tunewise.ruleset.records" and name in RECORDS:
            return RECORDS[name]
        raise pickle.UnpicklingError(f"{module}.{name} is not a rule-set record")


def load_prebuilt(text_digest: str, path: Path | None = None) -> RuleSet | None:
    """The shipped compiled rule set when it was built from rules with this SHA-256 and for
    these records; None otherwise (the caller validates the text instead)."""
    try:
        with (path or PREBUILT).open("rb") as handle:
            found = _RecordsOnly(handle).load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None  # not shipped (a source checkout before its first build) or damaged
    if not (isinstance(found, tuple) and len(found) == 4 and found[0] == FORMAT):
        return None
    _, digest, shape, rules = found
    if digest != text_digest or shape != record_shape() or not isinstance(rules, RuleSet):
        return None
    return rules
