"""Entry point for `python -m tunewise`."""

from tunewise.cli import run

run()
