"""User-facing errors: one base class; each subclass maps to a documented exit code."""

from __future__ import annotations


class TunewiseError(Exception):
    """Base of every error tunewise reports to a user as one clean line (or a few)."""

    exit_code = 3

    def __init__(self, message: str, *, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        # Several problems found at once are reported together, one line each.
        self.lines = lines if lines else [message]


class InputError(TunewiseError):
    """An input file is unreadable, not valid YAML/JSON, or fails validation (exit 3)."""


class ProfileError(InputError):
    """A project profile is invalid."""


class RuleSetError(InputError):
    """A rule set is invalid, or a parameter override does not fit it."""


class UsageProblem(TunewiseError):
    """The command line is wrong in a way the argument parser cannot see (exit 2)."""

    exit_code = 2


class EndOfInput(TunewiseError):
    """The questionnaire ran out of input (no terminal, closed stdin)."""

    exit_code = 3
