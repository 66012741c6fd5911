"""The one escaping function for text people read, and the markdown and XML forms built on it.

Anything that comes from an input (a file name, a waiver reason, a need's description, a custom
rule set's texts) goes through `visible` before it reaches a human-readable report or a
terminal: control characters, line and paragraph separators, bidi controls and invisible format
characters are shown as escapes (`\\x1b`, `\\u202e`), so no input can start a line of its own
(`##vso[...]`, `::add-mask::`, a forged `PASS`), move the cursor or reorder what is shown.
"""

from __future__ import annotations

import re
import unicodedata

# Shown as themselves though `str.isprintable` says no: spaces other than U+0020 (no-break,
# ideographic) and private-use characters. Everything else it refuses is escaped: Cc (C0, DEL,
# C1), Cf (bidi, zero-width, BOM, soft hyphen, tags), Zl, Zp, Cs (lone surrogates) and Cn
# (unassigned, the noncharacters U+FFFE/U+FFFF among them).
_SHOWN_CATEGORIES = frozenset({"Zs", "Co"})


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str) -> str:
    """`text` on one line with every invisible or line-breaking character shown as an escape."""
    if text.isprintable():  # the common case, decided in C
        return text
    return "".join(
        char
        if char.isprintable() or unicodedata.category(char) in _SHOWN_CATEGORIES
        else _escape(char)
        for char in text
    )


# Markdown: user text stays text. `<`, `>`, `&` become entities (no HTML, no autolinks); the
# punctuation that opens inline markup anywhere in a line (emphasis, code, links and images,
# table cells, strikethrough, math) is backslash-escaped; `://` and `www.` lose their link; and
# what would open a block at the start of the text (heading, list, quote, fence, indented code)
# is escaped there. Other punctuation stays as it is, so the source stays readable.
_MARKDOWN_INLINE = re.compile(r"[\\`*_\[\]|~$<>&]|(?<=[A-Za-z]):(?=//)|(?<=\bwww)\.", re.IGNORECASE)
_MARKDOWN_BLOCK = re.compile(r"[#>+=-]|\d+(?=[.)])")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def markdown(text: str) -> str:
    """`text` as literal markdown inline text (safe in a table cell, a list item, a heading)."""
    shown = visible(text)
    escaped = _MARKDOWN_INLINE.sub(lambda m: _ENTITIES.get(m.group(), "\\" + m.group()), shown)
    stripped = escaped.lstrip(" ")
    if len(stripped) != len(escaped):  # leading spaces would indent a code block
        escaped = "&#32;" + escaped[1:]
    elif (block := _MARKDOWN_BLOCK.match(escaped)) is not None:
        end = block.end()
        escaped = (
            escaped[:end] + "\\" + escaped[end:] if block.group()[0].isdigit() else ("\\" + escaped)
        )
    return escaped


_CODE_SAFE = re.compile(r"[A-Za-z0-9_./@+=-]+")


def markdown_code(text: str) -> str:
    """An identifier as inline code when it is a plain one, else as escaped text."""
    return f"`{text}`" if _CODE_SAFE.fullmatch(text) else markdown(text)


def xml_text(text: str) -> str:
    """`text` for XML character data: escaped, then `&`, `<`, `>` as entities (always
    well-formed: no character XML 1.0 forbids survives `visible`)."""
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attribute(text: str) -> str:
    """`text` as a double-quoted XML attribute value, quotes included."""
    return '"' + xml_text(text).replace('"', "&quot;") + '"'
