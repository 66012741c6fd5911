"""Console entry point: answers `--version` and `--help` without loading the CLI framework."""

from __future__ import annotations

import sys

# Kept identical to typer's own rendering by tests/test_cli.py (at 80 columns).
HELP = "Usage: tunewise [OPTIONS] COMMAND [ARGS]...\n\n  Decide between prompt engineering, RAG and fine-tuning — with every reason\n  cited.\n\nOptions:\n  --version  Show the version.\n  --help     Show this message and exit.\n\nCommands:\n  advise   Recommend an approach for every need in PROFILE.\n  ask      Interactive questionnaire: answer only what matters, review,...\n  check    CI gate: fail profiles that propose fine-tuning without...\n  data     Inspect a JSONL training set: records, valid, unique, formats,...\n  explain  Explain a question, node, leaf, check, parameter or source of...\n  schema   Print the JSON Schema of the profile, for editors and other...\n  rules    Verify, test and draw rule sets.\n"


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
    from tunewise.cli import main

    raise SystemExit(main(argv))
