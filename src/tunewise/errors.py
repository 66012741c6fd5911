"""User-facing errors: one base class; each subclass maps to a documented exit code."""

from __future__ import annotations

from collections.abc import Sequence

from tunewise.problems import Problem


class TunewiseError(Exception):
    """Base of every error tunewise reports to a user as one clean line (or a few)."""

    exit_code = 3

    def __init__(
        self, message: str | Problem, *, lines: Sequence[str | Problem] | None = None
    ) -> None:
        items = list(lines) if lines else [message]
        super().__init__(str(message))
        self.message = str(message)
        # Several problems found at once are reported together, one line each; where they
        # are located, `problems` keeps file, line and column for reports that place them.
        self.problems = [item for item in items if isinstance(item, Problem)]
        self.lines = [str(item) for item in items]


class InputError(TunewiseError):
    """An input file is unreadable, not valid YAML/JSON, or fails validation (exit 3)."""


class ProfileError(InputError):
    """A project profile is invalid."""


class RuleSetError(InputError):
    """A rule set is invalid, or a parameter override does not fit it."""


class UsageProblem(TunewiseError):
    """The command line is wrong in a way the argument parser cannot see (exit 2)."""

    exit_code = 2


class Terminated(BaseException):
    """SIGTERM arrived: the run unwinds (temporary files removed) and exits 143 (128 + 15).
    Not an Exception, so no `except Exception` on the way can swallow it."""

    exit_code = 143


class EndOfInput(TunewiseError):
    """The questionnaire ran out of input (no terminal, closed stdin)."""

    exit_code = 3
