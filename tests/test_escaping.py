"""The one escaping function and its markdown and XML forms: any text in, one safe line out."""

from __future__ import annotations

import unicodedata
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from tunewise.escaping import markdown, markdown_code, visible, xml_attribute, xml_text

HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text, 100% ok: é ü 日本 ✅", "plain text, 100% ok: é ü 日本 ✅"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\x1b]0;owned\x07\x1b[2J", "\\x1b]0;owned\\x07\\x1b[2J"),
        ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
        ("x\u2028y\u2029z", "x\\u2028y\\u2029z"),
        ("\u202eevil\u202c \u2066\u2069", "\\u202eevil\\u202c \\u2066\\u2069"),
        ("\u200b\u200c\u200d\u2060\ufeff\u00ad", "\\u200b\\u200c\\u200d\\u2060\\ufeff\\xad"),
        ("\ufffe\uffff\U000e0041", "\\ufffe\\uffff\\U000e0041"),
        ("caf\udce9.yaml", "caf\\xe9.yaml"),  # a byte that was not UTF-8, from a file name
        ("no\u00a0break", "no\u00a0break"),
    ],
)
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


@given(st.text())
def test_visible_is_one_line_of_visible_characters(text: str) -> None:
    shown = visible(text)
    assert len(shown.splitlines()) <= 1
    assert not {unicodedata.category(c) for c in shown} & HIDDEN
    assert visible(shown) == shown  # escaping twice changes nothing more


def _html(source: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(source)


@pytest.mark.parametrize(
    "attack",
    [
        "## ✅ passed",
        "<details><summary>ok</summary>real findings</details>",
        "![t](https://tracker.example/pixel.png)",
        "[click](https://evil.example) <https://evil.example>",
        "<img src=x onerror=alert(1)> &amp; &#60;b&#62;",
        "`code` *em* _em_ ~~s~~ | cell |",
        "line\n# heading\n- item\n> quote",
    ],
)
def test_markdown_stays_text(attack: str) -> None:
    html = _html(f"- {markdown(attack)}\n")
    body = html.removeprefix("<ul>\n<li>").removesuffix("</li>\n</ul>\n")
    assert "<" not in body.replace("&lt;", ""), html


@given(st.text())
def test_markdown_of_any_text_renders_as_text_in_every_place(text: str) -> None:
    html = _html("x " + markdown(text) + "\n")
    assert html.startswith("<p>x") and html.count("<") == 2, html  # <p> and </p> only
    html = _html("- " + markdown(text) + "\n")  # at the start of a list item's content
    assert html.count("<") - html.count("<p>") - html.count("</p>") == 4, html
    html = _html(f"| a |\n|---|\n| {markdown(text)} |\n")  # one cell, whatever the text
    assert html.count("<td") <= 1 and "<a" not in html and "<img" not in html, html


def test_markdown_breaks_bare_links() -> None:
    """GitHub links bare `https://…` and `www.…`: both lose the shape it looks for."""
    assert markdown("see https://evil.example or www.evil.example") == (
        "see https\\://evil.example or www\\.evil.example"
    )


def test_markdown_code_only_for_plain_identifiers() -> None:
    assert markdown_code("check/enough-examples") == "`check/enough-examples`"
    assert markdown_code("a`b|c") == markdown("a`b|c")


@given(st.text())
def test_xml_is_always_well_formed(text: str) -> None:
    element = ET.fromstring(f"<a b={xml_attribute(text)}>{xml_text(text)}</a>")
    assert element.text in (None, visible(text)) and element.get("b") == visible(text)
