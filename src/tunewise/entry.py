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
    if argv in (["--version"], ["--help"]):
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
