"""`rules lint`: a rule set's defects, located in its file, and the proof of completeness."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tunewise.ruleset.load import Override, load_rules

if TYPE_CHECKING:
    from tunewise.authoring.lint import LintReport


def lint(path: Path | None, params: Sequence[str | Override]) -> LintReport:
    """Lint a rule set, located in its file (its defects carry line and column)."""
    from tunewise.authoring.lint import lint as lint_rule_set

    return lint_rule_set(load_rules(path, params, keep_doc=True))
