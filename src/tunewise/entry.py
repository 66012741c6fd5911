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
  --version                    Show the version.
  --color [auto|always|never]  Colour in text output (default: auto, which
                               honours NO_COLOR and FORCE_COLOR).
  --config FILE                Use this configuration file, not the nearest
                               one.
  --isolated                   Ignore every configuration file.
  --install-completion         Install completion for the current shell.
  --show-completion            Show completion for the current shell, to copy
                               it or customize the installation.
  -h, --help                   Show this message and exit.

Commands:
  advise   Recommend an approach for every need in a profile.
  ask      Answer the questions interactively; get the recommendation.
  check    Fail profiles that propose fine-tuning without justification.
  data     Inspect a JSONL training set.
  explain  Explain a rule-set item or a rule id from a report.
  schema   Print a JSON Schema: the profile, or advise or check JSON.
  rules    Verify, test and draw rule sets.
"""


def run() -> None:
    """`tunewise`: the two commonest quick questions are answered before any heavy import."""
    argv = sys.argv[1:]
    if argv == ["--version"]:
        from tunewise import __version__

        sys.stdout.write(f"tunewise {__version__}\n")
        raise SystemExit(0)
    if argv in (["--help"], ["-h"]):
        sys.stdout.write(HELP)
        raise SystemExit(0)
    # pydantic otherwise scans every installed package's entry points for plugins on first use
    # (tens of milliseconds, more in big environments); the CLI has none to offer.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from tunewise.cli import main

    raise SystemExit(main(argv))
