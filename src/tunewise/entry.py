"""Console entry point: answers `--version` and `--help` without loading the CLI framework."""

from __future__ import annotations

import os
import sys

# Kept identical to typer's own rendering by tests/test_cli.py (at 80 columns).
HELP = """\
Usage: tunewise [OPTIONS] COMMAND [ARGS]...

  Decide between prompt engineering, RAG and fine-tuning — with every reason
  cited.

Options:
  --version  Show the version.
  --help     Show this message and exit.

Commands:
  advise   Recommend an approach for every need in PROFILE.
  ask      Interactive questionnaire: answer only what matters, review,...
  check    CI gate: fail profiles that propose fine-tuning without...
  data     Inspect a JSONL training set: records, valid, unique, formats,...
  explain  Explain a question, node, leaf, check, parameter or source of...
  schema   Print the JSON Schema of the profile, for editors and other...
  rules    Verify, test and draw rule sets.
"""


def run() -> None:
    """`tunewise`: the two commonest quick questions are answered before any heavy import."""
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from tunewise import __version__

        sys.stdout.write(f"tunewise {__version__}\n")
        raise SystemExit(0)
    if argv == ["--help"]:
        sys.stdout.write(HELP)
        raise SystemExit(0)
    # pydantic otherwise scans every installed package's entry points for plugins on first use
    # (tens of milliseconds, more in big environments); the CLI has none to offer.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from tunewise.cli import main

    raise SystemExit(main(argv))
