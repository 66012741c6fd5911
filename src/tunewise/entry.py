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


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled CI job, `timeout`): unwind like Ctrl-C, so temporary files are
    removed and worker processes stopped, then exit 143."""
    from tunewise.errors import Terminated

    raise Terminated


def run() -> None:
    """`tunewise`: the two commonest quick questions are answered before any heavy import."""
    import signal

    from tunewise import streams

    streams.prepare()
    argv = sys.argv[1:]
    if argv in (["--version"], ["--help"], ["-h"]):
        from tunewise import __version__

        text = f"tunewise {__version__}\n" if argv == ["--version"] else HELP
        try:
            sys.stdout.write(text)
        except BrokenPipeError:
            streams.discard(sys.stdout)
        raise SystemExit(streams.finish(0))
    signal.signal(signal.SIGTERM, _terminate)
    # pydantic otherwise scans every installed package's entry points for plugins on first use
    # (tens of milliseconds, more in big environments); the CLI has none to offer.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from tunewise.cli import main

    raise SystemExit(streams.finish(main(argv)))
