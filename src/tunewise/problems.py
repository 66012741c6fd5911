"""The one record for "a problem here": input errors, check findings and lint defects alike.

Like yamllint's `LintProblem` or flake8's `Violation`: where (file, and as far as known line,
column and the field: the path of keys and indexes to the value), which rule when a report
names one, how severe, and what. Reporters render it; nothing here but its plain text form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Field = tuple[str | int, ...]  # ("needs", 0, "kind"), shown as needs[0].kind
Level = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one file; prints as `file:line:col: field: message`, as far as known."""

    file: str
    message: str  # what is wrong, without the place (the field is shown before it)
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based; meaningful only with a line
    field: Field | None = None  # None: about the file as a whole, or not known
    rule: str | None = None  # a stable id, for reports that name one (SARIF, annotations)
    level: Level = "error"

    @property
    def position(self) -> str:
        """`:line:col`, as much of it as is known (a column only after a line)."""
        if not self.line:
            return ""
        return f":{self.line}:{self.column}" if self.column else f":{self.line}"

    @property
    def text(self) -> str:
        """The message after the field it is about, when there is one."""
        return self.message if self.field is None else f"{dotted(self.field)}: {self.message}"

    def __str__(self) -> str:
        from tunewise.escaping import visible

        # One problem, one line: control characters from the input are shown escaped.
        return visible(f"{self.file}{self.position}: {self.text}")


def dotted(field: Field) -> str:
    """`('needs', 0, 'kind')` -> `needs[0].kind`."""
    out = ""
    for part in field:
        if isinstance(part, str) and not part.isprintable():
            part = repr(part)  # a key with control characters must not break the line
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
