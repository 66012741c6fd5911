"""Configuration files: `[tool.tunewise]` in pyproject.toml, or tunewise.toml / .tunewise.toml.

The nearest folder (from the current one upward) holding one of them gives the configuration;
in one folder `.tunewise.toml` wins over `tunewise.toml`, which wins over `pyproject.toml` (as
ruff orders its own files). Relative paths in a configuration are relative to its file.
Command-line flags win over it. An unknown key or a value of the wrong type is an input error
(exit 3) naming the file, the line and the key.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunewise.errors import InputError
from tunewise.problems import Problem

if TYPE_CHECKING:
    from tunewise.ruleset.load import Override

NAMES = (".tunewise.toml", "tunewise.toml", "pyproject.toml")
EVIDENCE_KINDS = ("dataset", "prompting", "eval_set")
MAX_BYTES = 1 << 20  # a configuration larger than this is not one


@dataclass(frozen=True)
class Config:
    """The settings of one configuration file (empty when none applies)."""

    path: Path | None = None
    rules: Path | None = None
    params: dict[str, Any] = field(default_factory=dict)
    strict: bool | None = None
    quiet: bool | None = None
    exclude: list[str] | None = None
    require_evidence: list[str] | None = None
    format: str | None = None
    # Where each `params` key is written (line, column), and the table the keys are under.
    params_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    table: tuple[str, ...] = ()
    require_evidence_at: tuple[int, int] | None = None  # where `require_evidence` is written

    @property
    def folder(self) -> Path:
        return self.path.parent if self.path else Path(".")

    def where(self, key: str, at: tuple[int, int] | None = None) -> str:
        """A key of this file as a reader finds it: `tool.tunewise.KEY in FILE:LINE`."""
        from tunewise.problems import dotted

        line = f":{at[0]}" if at else ""
        return f"{dotted((*self.table, key))} in {self.path}{line}"

    def param_args(self) -> list[Override]:
        """The `params` table as overrides (NAME=VALUE, as `--param` gives them), each placed
        at its key, so one the rule set refuses is reported at its file and line."""
        from tunewise.ruleset.load import Override

        found = []
        for name, value in self.params.items():
            line, column = self.params_at.get(name, (None, None))
            at = (*self.table, "params", name)
            found.append(Override(f"{name}={value}", str(self.path), line, column, field=at))
        return found


def find(start: Path) -> Path | None:
    """The nearest configuration file from `start` upward, or None."""
    folder = start.resolve()
    for candidate in (folder, *folder.parents):
        for name in NAMES:
            path = candidate / name
            if path.is_file() and (name != "pyproject.toml" or _has_tool_table(path)):
                return path
    return None


def _has_tool_table(path: Path) -> bool:
    """Whether a pyproject.toml has a [tool.tunewise] table (a cheap look before parsing)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return _TOOL_TABLE.search(text) is not None and "tunewise" in _tool_tables(text)


# [tool.tunewise...], tool.tunewise... = (dotted keys), or a [tool] table that may hold it
_TOOL_TABLE = re.compile(
    r"""^\s*(\[\s*tool\s*\.\s*["']?tunewise|tool\s*\.\s*["']?tunewise|\[\s*tool\s*\])""",
    re.MULTILINE,
)


def _tool_tables(text: str) -> dict[str, Any]:
    try:
        tool = _parse(text).get("tool", {})
    except ValueError:
        return {"tunewise": {}}  # broken: let load() report it with its line
    return tool if isinstance(tool, dict) else {}


def _parse(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(str(exc)) from None


def load(explicit: Path | None = None, isolated: bool = False, start: Path | None = None) -> Config:
    """The configuration in force: `explicit` if given, none when `isolated`, else the nearest."""
    if isolated:
        return Config()
    path = explicit if explicit is not None else find(start or Path.cwd())
    if path is None:
        return Config()
    return read(path, table=path.name == "pyproject.toml")


def read(path: Path, table: bool) -> Config:
    """Read and validate one configuration file; `table`: the keys sit under [tool.tunewise]."""
    try:
        raw = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise InputError(Problem(str(path), f"cannot read configuration: {exc.strerror}")) from None
    if len(raw) > MAX_BYTES:
        raise InputError(Problem(str(path), "configuration is larger than 1 MiB"))
    text = raw.decode("utf-8", errors="replace")
    try:
        data = _parse(text)
    except ValueError as exc:
        found = re.search(r"line (\d+), column (\d+)", str(exc))
        line, column = (int(found[1]), int(found[2])) if found else (None, None)
        message = re.sub(r" \(at line \d+, column \d+\)", "", str(exc))
        raise InputError(Problem(str(path), f"not valid TOML: {message}", line, column)) from None
    prefix: tuple[str, ...] = ("tool", "tunewise") if table else ()
    if table:
        tool = data.get("tool", {})
        data = tool.get("tunewise", {}) if isinstance(tool, dict) else {}
    if not isinstance(data, dict):
        line, column = locate_key(text, prefix[:1], prefix[1:])
        raise InputError(Problem(str(path), "expected a table", line, column, field=prefix))
    return _validate(path, text, prefix, data)


def _validate(path: Path, text: str, prefix: tuple[str, ...], data: dict[str, Any]) -> Config:
    from pydantic_core import ValidationError

    try:
        settings: dict[str, Any] = _validator().validate_python(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(str(part) for part in error["loc"])
            line, column = locate_key(text, prefix, loc)
            if error["type"] == "extra_forbidden":
                import difflib

                close = difflib.get_close_matches(loc[-1], KEYS, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                message = f"unknown key '{loc[-1]}'{hint}; allowed: {', '.join(KEYS)}"
            else:
                message = f"{error['msg'][:1].lower()}{error['msg'][1:]}"
            problems.append(Problem(str(path), message, line, column, field=(*prefix, *loc)))
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise InputError(problems[0], lines=problems) from None
    folder = path.parent
    params = dict(settings.get("params") or {})
    return Config(
        path=path,
        rules=folder / settings["rules"] if settings.get("rules") else None,
        params=params,
        strict=settings.get("strict"),
        quiet=settings.get("quiet"),
        exclude=settings.get("exclude"),
        require_evidence=settings.get("require_evidence"),
        format=settings.get("format"),
        params_at={name: locate_key(text, prefix, ("params", name)) for name in params},
        table=prefix,
        require_evidence_at=(
            locate_key(text, prefix, ("require_evidence",))
            if settings.get("require_evidence") is not None
            else None
        ),
    )


KEYS = ("rules", "params", "strict", "quiet", "exclude", "require_evidence", "format")


@functools.cache
def _validator() -> Any:
    """The keys' schema (extra keys forbidden, strict types), built with pydantic-core, the
    engine pydantic models compile to: the same validation and errors without importing
    pydantic's model machinery, which would double the start-up of a configured run."""
    from pydantic_core import SchemaValidator
    from pydantic_core import core_schema as cs

    from tunewise.reporters import CHECK_FORMATS

    def optional(schema: cs.CoreSchema) -> cs.TypedDictField:
        return cs.typed_dict_field(cs.nullable_schema(schema), required=False)

    text = cs.str_schema(strict=True)
    flag = cs.bool_schema(strict=True)
    # Rule-set parameters are numbers (their own bounds are checked when the rules load).
    number = cs.union_schema(
        [cs.int_schema(strict=True), cs.float_schema(strict=True, allow_inf_nan=False)],
        custom_error_type="tunewise_number",
        custom_error_message="input should be a finite number",
    )
    fields = {
        "rules": optional(text),
        "params": optional(cs.dict_schema(text, number)),
        "strict": optional(flag),
        "quiet": optional(flag),
        "exclude": optional(cs.list_schema(text)),
        "require_evidence": optional(cs.list_schema(cs.literal_schema(list(EVIDENCE_KINDS)))),
        "format": optional(cs.literal_schema(list(CHECK_FORMATS))),
    }
    assert tuple(fields) == KEYS
    return SchemaValidator(cs.typed_dict_schema(fields, extra_behavior="forbid"))


_KEY = r'\s*(?:"{0}"|\'{0}\'|{0})\s*='


def locate_key(text: str, prefix: tuple[str, ...], loc: tuple[str, ...]) -> tuple[int, int]:
    """The line and column of the key at `loc` under the table `prefix`, found by scanning the
    text (tomllib keeps no positions). A list item is placed at its key, a key of a sub-table
    under its `[table]` header or in its inline table; failing all, at the table's header."""
    keys = [part for part in loc if not part.isdigit()]
    table: tuple[str, ...] = ()
    header_line = 1
    best, best_depth = (0, 0), 0
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$", line)
        if header:
            table = tuple(part.strip().strip("\"'") for part in header[1].split("."))
            if table == prefix:
                header_line = number
            inner = table[len(prefix) :]
            under = table[: len(prefix)] == prefix and inner
            if under and list(inner) == keys[: len(inner)] and len(inner) > best_depth:
                best, best_depth = (number, 1), len(inner)
            continue
        if table[: len(prefix)] != prefix:
            continue
        depth = len(table) - len(prefix)
        if depth >= len(keys) or list(table[len(prefix) :]) != keys[:depth]:
            continue
        key = keys[depth]
        if re.match(_KEY.format(re.escape(key)), line) and depth + 1 > best_depth:
            best, best_depth = (number, line.index(key) + 1), depth + 1
    return best if best_depth else (header_line, 1)
