"""Recursion without the Python stack: a recursive generator, driven from an explicit stack.

A function written as a generator yields `(args...)` where it would call itself and receives
the result back from `yield`; `drive` runs it to the end at any depth (a 3,000-node chain of a
rule set recurses 3,000 deep)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

R = TypeVar("R")
Recursive = Generator[tuple[Any, ...], Any, R]


def drive(step: Callable[..., Recursive[R]], *args: Any) -> R:
    """The result of `step(*args)`, each of its yields run as a nested call to `step`."""
    stack: list[Recursive[Any]] = [step(*args)]
    value: Any = None
    while True:
        try:
            request = stack[-1].send(value)
        except StopIteration as done:
            stack.pop()
            if not stack:
                return done.value  # type: ignore[no-any-return]
            value = done.value
            continue
        stack.append(step(*request))
        value = None
