"""Plain command-line values converted without typer's pydantic adapters, as typer would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal, Optional

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from tunewise.clivalues import plain_converter


def test_plain_types() -> None:
    text, path, flag = (plain_converter(t) for t in (str, Path, bool))
    assert text and path and flag
    assert text("a") == "a" and path("x/y") == Path("x/y") and flag(True) is True
    many = plain_converter(Optional[list[Path]])  # noqa: UP045
    assert many and many(("a", "b")) == [Path("a"), Path("b")] and many(()) is None
    required = plain_converter(list[str])
    assert required and required(()) == []
    annotated = plain_converter(Annotated[Optional[str], typer.Option("--x")])  # noqa: UP045
    assert annotated and annotated(None) is None


@pytest.mark.parametrize("annotation", [Literal["a", "b"], dt.datetime, list[int], int | str])
def test_other_types_are_left_to_typer(annotation: object) -> None:
    assert plain_converter(annotation) is None


def test_numbers_with_typer_bounds() -> None:
    days = plain_converter(Annotated[int, typer.Option("--days", min=0)])
    assert days and days("7") == 7
    with pytest.raises(typer.BadParameter, match="below the least allowed, 0"):
        days("-1")
    with pytest.raises(typer.BadParameter, match="not a valid integer"):
        days("7.5")
    pct = plain_converter(Annotated[Optional[float], typer.Option("--p", min=0, max=100)])  # noqa: UP045
    assert pct and pct("12.5") == 12.5 and pct(None) is None
    with pytest.raises(typer.BadParameter, match="between 0 and 100"):
        pct("101")
    with pytest.raises(typer.BadParameter, match="finite"):
        pct("nan")


@given(st.text(max_size=12))
def test_any_text_is_a_number_in_range_or_a_usage_error(raw: str) -> None:
    convert = plain_converter(Annotated[int, typer.Option("--n", min=1, max=9)])
    assert convert is not None
    try:
        value = convert(raw)
    except typer.BadParameter:
        return
    assert isinstance(value, int) and 1 <= value <= 9
