"""Which evaluation tools' result files tunewise reads: the one table of `format:` names.

A plain table with no imports, so the profile schema can list the names without loading the
readers; `tunewise.evidence.evals` imports its adapters from it, and each adapter takes its
name from it, so a name and its adapter cannot disagree."""

from __future__ import annotations

# `format:` name -> its adapter module under tunewise.evidence.evals. Detection asks them in
# this order: most specific first, generic JSON last.
ADAPTERS = {
    "promptfoo": "promptfoo",
    "inspect": "inspect_ai",
    "lm-eval": "lm_eval",
    "deepeval": "deepeval",
    "openai-evals": "openai_evals",
    "generic": "generic",
}
FORMAT_NAMES = tuple(ADAPTERS)


def name_of(module: str) -> str:
    """The `format:` name of the adapter module `module` (its dotted name)."""
    short = module.rpartition(".")[2]
    return next(name for name, adapter in ADAPTERS.items() if adapter == short)
