"""pre-commit's `tunewise-rules` hook: lint the rule sets it is given and run the case files.

pre-commit passes the changed files that match the hook's pattern; a case file (`*.cases.yaml`,
or a document that starts with `tunewise_cases:`) is run with `rules test` against the rule set
in force (the configuration's, else the built-in one), any other file is linted as a rule set.
The exit code is the worst of the runs (1: a defect or a failing case; 3: an invalid file).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

_CASES = re.compile(r"^tunewise_cases\s*:", re.MULTILINE)


def is_case_file(path: str) -> bool:
    if path.lower().endswith((".cases.yaml", ".cases.yml")):
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return _CASES.search(head) is not None


def main(argv: Sequence[str] | None = None) -> int:
    from tunewise.cli import main as tunewise

    files = list(sys.argv[1:] if argv is None else argv)
    cases = [f for f in files if is_case_file(f)]
    rule_sets = [f for f in files if f not in cases and Path(f).suffix.lower() in (".yaml", ".yml")]
    codes = [tunewise(["rules", "lint", rule_set]) for rule_set in rule_sets]
    if cases:
        codes.append(tunewise(["rules", "test", *cases]))
    return max(codes, default=0)


if __name__ == "__main__":
    raise SystemExit(main())
