"""Build the shipped default rule set (`data/default-rules.pickle`): a development-time command.

    python -m tunewise.ruleset.prebuild

Kept apart from `shipped` (which only reads the file at run time) so that loading a rule set
never imports this, and the two never import each other."""

from __future__ import annotations

import pickle
from pathlib import Path

from tunewise.inputs.safeio import read_text
from tunewise.ruleset.load import default_rules_path, validate_rules
from tunewise.ruleset.shipped import FORMAT, PREBUILT, record_shape, sha256_hex


def build(text: str, file: str) -> bytes:
    """The shipped file's content for the rule set `text`: validated, compiled, pickled."""

    model, _ = validate_rules(text, file)
    shipped = (FORMAT, sha256_hex(text.encode("utf-8")), record_shape(), model)
    return pickle.dumps(shipped, protocol=4)


def regenerate(path: Path | None = None) -> Path:
    """Rebuild the shipped form from the default rule set (the source tree's rules/)."""
    path = path or PREBUILT

    source = default_rules_path()
    data = build(read_text(source, "rule set"), str(source))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return path


if __name__ == "__main__":  # pragma: no cover - the regeneration command
    written = regenerate()
    print(f"wrote {written} ({written.stat().st_size:,} bytes) from the default rule set")
