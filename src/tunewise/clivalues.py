"""Command-line values of plain types converted directly, without typer's pydantic adapters.

typer (from 0.29) converts every parameter through a pydantic TypeAdapter; importing that
machinery and building the adapters costs more than everything else a warm `advise` does
(measured: 1.6x the dependency import floor instead of 1.1x). tunewise's parameters are all
text, paths, flags or lists of them, which need no validation beyond what the command does
itself, so the command classes below convert those directly and leave any other type to typer.
"""

from __future__ import annotations

import importlib
import inspect
import math
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# One conversion per plain type; anything else keeps typer's own (slower, but correct).
_LEAVES: dict[Any, Callable[[Any], Any]] = {str: str, Path: Path}


def plain_converter(annotation: Any) -> Callable[[Any], Any] | None:
    """A direct conversion for `annotation` (str, Path, bool, int, float with typer's min/max,
    optional, list of those), or None when typer must convert it."""
    bounds: Any = None
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *metadata = typing.get_args(annotation)
        bounds = next((m for m in metadata if hasattr(m, "min") and hasattr(m, "max")), None)
    optional = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) != 1:
            return None
        annotation, optional = members[0], True
    if annotation is bool:
        return lambda value: value if value is None else bool(value)
    if annotation in (int, float):
        low, high = (bounds.min, bounds.max) if bounds is not None else (None, None)
        return _number(annotation, low, high)
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        each = _LEAVES.get(item)
        if each is None:
            return None

        def many(value: Any) -> Any:
            if value is None or value == ():
                return None if optional else []
            values = value if isinstance(value, list | tuple) else [value]
            return [each(v) for v in values]

        return many
    leaf = _LEAVES.get(annotation)
    if leaf is None:
        return None
    return lambda value: value if value is None else leaf(value)


def _number(kind: type, low: Any, high: Any) -> Callable[[Any], Any]:
    """A whole number or a finite number, within typer's min and max when given."""
    name = "integer" if kind is int else "number"

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise typer.BadParameter(f"{value!r} is not a valid {name}.") from None
        if not math.isfinite(number):
            raise typer.BadParameter(f"{value!r} is not a finite {name}.")
        if low is not None and high is not None and not low <= number <= high:
            raise typer.BadParameter(f"{value} is not between {low} and {high}.")
        if low is not None and number < low:
            raise typer.BadParameter(f"{value} is below the least allowed, {low}.")
        if high is not None and number > high:
            raise typer.BadParameter(f"{value} is above the most allowed, {high}.")
        return number

    return convert


def _hints(callback: Callable[..., Any] | None) -> dict[str, Any]:
    if callback is None:
        return {}
    try:
        return typing.get_type_hints(inspect.unwrap(callback), include_extras=True)
    except Exception:  # an annotation we cannot resolve: typer converts everything
        return {}


def _use_plain_values(command: Any) -> None:
    """Give each parameter of `command` whose type is plain a direct conversion; the rest of
    click's processing (required check, callbacks) is kept as it is."""
    hints = _hints(command.callback)
    for param in command.params:
        if getattr(param, "_tunewise_plain", False):
            continue
        param._tunewise_plain = True
        # A flag (typer's own completion options included) is a plain bool whatever its hint.
        flag = getattr(param, "is_flag", False) and getattr(param, "is_bool_flag", False)
        convert = plain_converter(bool if flag else hints.get(param.name or ""))
        if convert is None:
            continue

        param.process_value = _processor(param, convert)


def _processor(param: Any, convert: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    """click's processing of a value (required check, callback) with `convert` as the type."""
    missing = importlib.import_module(typer.BadParameter.__module__).MissingParameter

    def process_value(ctx: Any, value: Any) -> Any:
        value = convert(value)
        if param.required and param.value_is_missing(value):
            raise missing(ctx=ctx, param=param)
        if param.callback is not None:
            value = param.callback(ctx, param, value)
        return value

    return process_value


def _with_plain_help(command: Any, ctx: Any, option: Any) -> Any:
    """The help option, made per context by click, is a flag too."""
    if option is not None and not getattr(option, "_tunewise_plain", False):
        option._tunewise_plain = True
        option.process_value = _processor(option, lambda value: bool(value))
    return option


def _whole_summary(command: Any) -> None:
    """The first paragraph of the help as the summary in command lists: click would cut it to
    the terminal's width mid-sentence ("review,..."); given explicitly, it wraps instead."""
    if not command.short_help and command.help:
        command.short_help = " ".join(command.help.split("\n\n")[0].split())


def _usage_pieces(command: Any, ctx: Any) -> list[str]:
    """The usage line in the usual notation: PROFILE, [PATHS]..., never typer's `{profile}`."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name != "argument":
            continue
        if param.metavar:
            pieces.append(param.metavar)
            continue
        name = (param.name or "").upper() + ("..." if param.nargs != 1 else "")
        pieces.append(name if param.required else f"[{name}]")
    return pieces


class PlainCommand(TyperCommand):
    """A typer command whose plain-typed parameters skip typer's pydantic adapters, with the
    usual usage notation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _whole_summary(self)
        _use_plain_values(self)
        for param in self.params:
            # An argument's help shows its metavar, not also a type (`<list[Path]>`).
            if param.param_type_name == "argument" and hasattr(param, "display_type_rich"):
                param.display_type_rich = lambda ctx: ""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage_pieces(self, ctx)

    def get_help_option(self, ctx: Any) -> Any:
        return _with_plain_help(self, ctx, super().get_help_option(ctx))


class PlainGroup(TyperGroup):
    """A typer group whose own options (the global ones) skip typer's pydantic adapters."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _whole_summary(self)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _use_plain_values(self)  # here, not at creation: typer adds options after that
        rest: list[str] = super().parse_args(ctx, args)
        return rest

    def get_help_option(self, ctx: Any) -> Any:
        return _with_plain_help(self, ctx, super().get_help_option(ctx))
