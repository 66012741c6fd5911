"""Entry point for `python -m tunewise`."""

from tunewise.entry import run

run()
