"""Load a rule set: parse, validate with pydantic, resolve references, apply --param overrides."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunewise.engine.decision import RulesInfo
from tunewise.engine.texts import placeholders
from tunewise.errors import RuleSetError, UsageProblem
from tunewise.inputs.yamlio import Document, Path_, read_text
from tunewise.problems import Field, Problem
from tunewise.ruleset import shipped
from tunewise.ruleset.records import (
    ARITHMETIC,
    RECORDS,
    AnswerRef,
    AskNode,
    Branch,
    ChecksNode,
    Compare,
    FormulaRef,
    Leaf,
    Lookup,
    ParamRef,
    Record,
    RuleSet,
    Scaled,
)

if TYPE_CHECKING:
    from tunewise.engine.evaluator import Outcomes
    from tunewise.ruleset import schema as models

DEFAULT_NAME = "default.yaml"


@dataclass
class LoadedRules:
    """A validated rule set with its parameters resolved (defaults, then overrides)."""

    model: RuleSet
    params: dict[str, float | int]
    info: RulesInfo
    doc: Document | None = field(default=None, repr=False)

    @functools.cached_property
    def outcomes(self) -> Outcomes:
        """The compiled form every walk asks (see `engine.evaluator`), found once: looking it
        up per walk cost ~3% of `check`."""
        from tunewise.engine.evaluator import outcomes_for

        return outcomes_for(self.model, self.params)


def default_rules_path() -> Path:
    """The built-in rule set: inside the installed package, else the source tree's rules/."""
    # A plain path, not importlib.resources: the wheel installs files, and the resources
    # machinery (zipfile among it) costs milliseconds on every start.
    here = Path(__file__).resolve().parents[1]  # the package folder
    packaged = here / "data" / DEFAULT_NAME
    return packaged if packaged.is_file() else here.parents[1] / "rules" / DEFAULT_NAME


def load_rules(
    path: Path | None = None,
    overrides: Sequence[str | Override] = (),
    *,
    keep_doc: bool = False,
) -> LoadedRules:
    """Load and validate a rule set (the built-in one when `path` is None).

    The built-in rule set comes compiled with the package (see `ruleset.shipped`); any other file is
    validated on every run. `keep_doc` (positions for located findings, as `rules lint`
    reports) always parses and validates afresh."""
    source = path or default_rules_path()
    text = read_text(source, "rule set")
    digest = shipped.sha256_hex(text.encode("utf-8"))
    model = shipped.load_prebuilt(digest) if path is None and not keep_doc else None
    doc = None
    if model is None:
        model, doc = validate_rules(text, str(source))
    params = resolve_params(model, overrides)
    info = RulesInfo(model.name, model.version, digest, "built-in" if path is None else str(path))
    return LoadedRules(model, params, info, doc)


def validate_rules(text: str, file: str) -> tuple[RuleSet, Document]:
    """Parse and validate with the pydantic models; every problem is a located line (exit 3)."""
    from pydantic import ValidationError

    from tunewise.inputs.validation import format_errors, locate
    from tunewise.inputs.yamlio import parse_yaml
    from tunewise.ruleset import schema as models

    doc = parse_yaml(text, file)
    try:
        valid = models.RuleSet.model_validate(doc.data)
    except ValidationError as exc:
        lines = format_errors(exc, doc)
        raise RuleSetError(lines[0], lines=lines) from None
    model = compile_rules(valid)
    problems = [locate(doc, loc, msg) for loc, msg in reference_problems(model)]
    if problems:
        raise RuleSetError(problems[0], lines=problems)
    return model, doc


def compile_rules(valid: models.RuleSet) -> RuleSet:
    """The validated pydantic rule set as the engine's plain records (same names, same fields)."""
    from pydantic import BaseModel

    def convert(obj: Any) -> Any:
        if isinstance(obj, BaseModel):
            record = RECORDS[type(obj).__name__]
            return record(**{name: convert(getattr(obj, name)) for name in record.FIELDS})
        if isinstance(obj, list):
            return [convert(item) for item in obj]
        if isinstance(obj, dict):
            return {key: convert(item) for key, item in obj.items()}
        return obj

    compiled: RuleSet = convert(valid)
    return compiled


@dataclass(frozen=True)
class Override:
    """A parameter override written in a file (a configuration's `params`): `NAME=VALUE`, and
    where it is written, so one the rule set refuses is reported there like any problem in
    that file. (A plain `NAME=VALUE` string is one from `--param`.)"""

    text: str
    file: str
    line: int | None = None
    column: int | None = None
    field: Field | None = None


def resolve_params(model: RuleSet, overrides: Sequence[str | Override]) -> dict[str, float | int]:
    """Defaults overridden by NAME=VALUE strings; a bad name or value is an error (exit 3)."""
    params: dict[str, float | int] = {p.id: p.default for p in model.parameters}
    declared = {p.id: p for p in model.parameters}
    for item in overrides:
        text = item if isinstance(item, str) else item.text
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageProblem(f"--param {text!r}: expected NAME=VALUE")
        if name not in declared:
            import difflib

            close = difflib.get_close_matches(name, declared, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(declared))
            raise _refused(item, name, f"unknown parameter{hint}; known: {known}")
        spec = declared[name]
        got = "" if isinstance(item, str) else f", got {raw}"  # a file's line does not show it
        try:
            value: float | int = int(raw) if spec.type == "integer" else float(raw)
        except ValueError:
            kind = "a whole number" if spec.type == "integer" else "a number"
            raise _refused(item, text, f"expected {kind}{got}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise _refused(item, text, f"expected a finite number{got}")
        if spec.min is not None and value < spec.min:
            raise _refused(item, text, f"must be ≥ {spec.min}{got}")
        if spec.max is not None and value > spec.max:
            raise _refused(item, text, f"must be ≤ {spec.max}{got}")
        params[name] = value
    return params


def _refused(item: str | Override, shown: str, message: str) -> RuleSetError:
    """An override the rule set refuses: from --param, named so; from a file, at its key."""
    if isinstance(item, str):
        return RuleSetError(f"--param {shown}: {message}")
    return RuleSetError(Problem(item.file, message, item.line, item.column, field=item.field))


def walk_records(obj: Any, loc: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every record inside `obj`, in document order, with its location in the YAML (YAML
    spellings as keys). Iterative: nesting of any depth."""
    stack: list[tuple[Path_, Any]] = [(loc, obj)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, Record):
            yield where, item
            fields = [(name, getattr(item, name)) for name in item.FIELDS]
            stack += [((*where, item.ALIASES.get(n, n)), v) for n, v in reversed(fields)]
        elif isinstance(item, (list, tuple)):
            stack += [((*where, i), v) for i, v in reversed(list(enumerate(item)))]
        elif isinstance(item, dict):
            stack += [((*where, k), v) for k, v in reversed(list(item.items()))]


def reference_problems(model: RuleSet) -> list[tuple[Path_, str]]:
    """Unknown or duplicate ids, and answers compared with values their question cannot take."""
    problems: list[tuple[Path_, str]] = []
    for kind, items, where in (
        ("source", model.sources, ("sources",)),
        ("parameter", model.parameters, ("parameters",)),
        ("table", model.tables, ("tables",)),
        ("formula", model.formulas, ("formulas",)),
        ("question", model.questions, ("questions",)),
        ("node", model.tree.nodes, ("tree", "nodes")),
        ("advice", model.advice, ("advice",)),
    ):
        seen: set[str] = set()
        for index, item in enumerate(items):
            if item.id in seen:
                problems.append(((*where, index, "id"), f"duplicate {kind} id {item.id!r}"))
            seen.add(item.id)

    def need(kind: str, ident: str, loc: Path_) -> bool:
        if not model.has(kind, ident):
            import difflib

            close = difflib.get_close_matches(ident, model.ids(kind), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append((loc, f"unknown {kind} {ident!r}{hint}"))
            return False
        return True

    if not model.has("node", model.tree.start):
        need("node", model.tree.start, ("tree", "start"))
    for loc, obj in walk_records(model):
        for key in ("sources",):
            for index, sid in enumerate(getattr(obj, key, None) or []):
                if isinstance(sid, str):
                    need("source", sid, (*loc, key, index))
        if isinstance(obj, ParamRef):
            need("parameter", obj.param, (*loc, "param"))
        elif isinstance(obj, AnswerRef):
            need("question", obj.answer, (*loc, "answer"))
        elif isinstance(obj, Compare):
            if need("question", obj.answer, (*loc, "answer")):
                problems.extend(_operand_problems(model, obj, loc))
        elif isinstance(obj, Scaled):
            need("question", obj.scaled, (*loc, "scaled"))
        elif isinstance(obj, FormulaRef):
            need("formula", obj.formula, (*loc, "formula"))
        elif type(obj) in ARITHMETIC:
            problems.extend(_arithmetic_problems(model, obj, loc))
        elif isinstance(obj, Lookup) and need("table", obj.lookup, (*loc, "lookup")):
            if obj.field not in model.table(obj.lookup).columns:
                problems.append(
                    ((*loc, "field"), f"table {obj.lookup!r} has no column {obj.field!r}")
                )
        elif isinstance(obj, AskNode):
            if need("question", obj.ask, (*loc, "ask")):
                for index, branch in enumerate(obj.branches):
                    problems.extend(
                        _branch_problems(model, obj.ask, branch, (*loc, "branches", index))
                    )
        elif isinstance(obj, Branch):
            need("node", obj.goto, (*loc, "goto"))
        elif isinstance(obj, ChecksNode):
            need("node", obj.on_pass, (*loc, "pass"))
            need("node", obj.on_fail, (*loc, "fail"))
        elif isinstance(obj, Leaf):
            for index, aid in enumerate(obj.advice):
                need("advice", aid, (*loc, "advice", index))
        text = getattr(obj, "text", None)
        if isinstance(text, str):
            for name, column in placeholders(text):
                if not _placeholder_ok(model, name, column):
                    problems.append(((*loc, "text"), f"unknown placeholder {{{name}}} in text"))
    for index, table in enumerate(model.tables):
        need("question", table.key, ("tables", index, "key"))
    problems.extend(_formula_cycles(model))
    if not problems:  # the types of values need every reference resolved
        problems += number_problems(model)
        problems += value_type_problems(model)
    return problems


def _arithmetic_problems(model: RuleSet, obj: Record, loc: Path_) -> list[tuple[Path_, str]]:
    """Operands of sum/product/min/max/quotient that can never be numbers."""
    kind = ARITHMETIC[type(obj)]
    out: list[tuple[Path_, str]] = []
    for index, part in enumerate(getattr(obj, kind)):
        where = (*loc, kind, index)
        if isinstance(part, AnswerRef) and model.has("question", part.answer):
            qtype = model.question(part.answer).type
            if qtype not in ("integer", "number"):
                out.append((where, f"{kind} needs numbers; {part.answer!r} is {qtype}"))
        elif isinstance(part, Lookup) and model.has("table", part.lookup):
            table = model.table(part.lookup)
            if part.field in table.columns and not all(
                isinstance(row[part.field], (int, float)) and not isinstance(row[part.field], bool)
                for row in table.rows
            ):
                out.append((where, f"{kind} needs numbers; column {part.field!r} is not numeric"))
        elif not isinstance(part, Record) and (
            isinstance(part, bool) or not isinstance(part, (int, float))
        ):
            out.append((where, f"{kind} needs numbers; {part!r} is not one"))
    return out


def formula_reads(model: RuleSet, fid: str) -> set[str]:
    """The formulas a formula refers to, directly."""
    return {
        obj.formula
        for _, obj in walk_records(model.formula(fid).value)
        if isinstance(obj, FormulaRef)
    }


def _formula_cycles(model: RuleSet) -> list[tuple[Path_, str]]:
    """A formula must not refer to itself, directly or through others (it would never end)."""
    out: list[tuple[Path_, str]] = []
    for index, formula in enumerate(model.formulas):
        seen: set[str] = set()
        stack = [formula.id]
        while stack:
            current = stack.pop()
            if not model.has("formula", current):
                continue
            for target in formula_reads(model, current):
                if target == formula.id:
                    out.append(
                        (("formulas", index, "value"), f"formula {formula.id!r} refers to itself")
                    )
                    stack = []
                    break
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
    return out


# Numbers in a rule set stay where floats are exact enough to compare and cut domains at:
# beyond this, `float()` overflows or silently rounds, and the proof's cells lose meaning.
LARGEST_NUMBER = 10**15


def number_problems(model: RuleSet) -> list[tuple[Path_, str]]:
    """Every number written in the rule set lies within ±LARGEST_NUMBER."""
    out: list[tuple[Path_, str]] = []
    stack: list[tuple[Path_, Any]] = [((), model)]
    while stack:
        loc, obj = stack.pop()
        if isinstance(obj, Record):
            stack += [((*loc, obj.ALIASES.get(n, n)), getattr(obj, n)) for n in obj.FIELDS]
        elif isinstance(obj, (list, tuple)):
            stack += [((*loc, i), item) for i, item in enumerate(obj)]
        elif isinstance(obj, dict):
            stack += [((*loc, key), item) for key, item in obj.items()]
        elif _is_number(obj) and not -LARGEST_NUMBER <= obj <= LARGEST_NUMBER:
            out.append((loc, "number out of range: keep numbers within ±10^15"))
    return sorted(out, key=lambda item: str(item[0]))


def value_type_problems(model: RuleSet) -> list[tuple[Path_, str]]:
    """Values compared by order, bounds of ranges and the parts of a `scaled` value are
    numbers: a literal of another type, or an answer, column or question that is not one."""
    out: list[tuple[Path_, str]] = []
    for index, question in enumerate(model.questions):
        for name in ("min", "max"):
            bound = getattr(question, name)
            if question.type == "integer" and bound is not None and bound != int(bound):
                message = f"{question.id!r} takes whole numbers: its {name} must be one too"
                out.append((("questions", index, name), message))
    for loc, obj in walk_records(model):
        if isinstance(obj, Compare) and obj.operator in ("lt", "le", "gt", "ge"):
            out += _numeric_value(model, obj.operand, (*loc, obj.operator))
        elif isinstance(obj, Branch) and obj.range is not None:
            for op in ("ge", "gt", "le", "lt"):
                bound = getattr(obj.range, op)
                if bound is not None:
                    out += _numeric_value(model, bound, (*loc, "range", op))
        elif isinstance(obj, Scaled):
            out += _numeric_value(model, AnswerRef(answer=obj.scaled), (*loc, "scaled"))
            for name in ("factor", "plus", "if_missing"):
                part = getattr(obj, name)
                if part is not None:
                    out += _numeric_value(model, part, (*loc, name))
    return out


def _numeric_value(model: RuleSet, expr: Any, loc: Path_) -> list[tuple[Path_, str]]:
    """Why `expr` may not be a number (its own parts are checked where they are found)."""
    if isinstance(expr, AnswerRef):
        qtype = model.question(expr.answer).type
        if qtype not in ("integer", "number"):
            return [(loc, f"expected a number: question {expr.answer!r} is {qtype}")]
    elif isinstance(expr, Lookup):
        table = model.table(expr.lookup)
        if not all(_is_number(row.get(expr.field)) for row in table.rows):
            return [(loc, f"expected a number: column {expr.field!r} of {expr.lookup!r} is not")]
    elif not isinstance(expr, Record) and not _is_number(expr):
        return [(loc, f"expected a number, not {expr!r}")]
    return []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _placeholder_ok(model: RuleSet, name: str, column: str | None) -> bool:
    if column is not None:
        if not model.has("table", name):
            return False
        return column in model.table(name).columns or (
            column == "as_of" and model.table(name).as_of is not None
        )
    return model.has("parameter", name) or model.has("question", name) or model.has("formula", name)


def _allowed(model: RuleSet, qid: str, value: Any) -> str | None:
    """Why `value` can never be an answer to `qid`, or None if it can."""
    question = model.question(qid)
    if question.type == "choice":
        return None if value in question.values else f"{value!r} is not a choice of {qid!r}"
    if question.type == "bool":
        return None if isinstance(value, bool) else f"{qid!r} is yes/no; compare with true/false"
    if isinstance(value, bool) or not isinstance(value, (int, float, Record)):
        return f"{qid!r} is a number; {value!r} is not"
    return None


def _operand_problems(model: RuleSet, cond: Compare, loc: Path_) -> list[tuple[Path_, str]]:
    op, operand = cond.operator, cond.operand
    values = operand if op in ("in", "not_in") else [operand]
    out: list[tuple[Path_, str]] = []
    qtype = model.question(cond.answer).type
    if op in ("lt", "le", "gt", "ge") and qtype not in ("integer", "number"):
        out.append(((*loc, op), f"{op} needs a numeric question; {cond.answer!r} is {qtype}"))
        return out
    for value in values:
        if isinstance(value, Record):
            continue
        reason = _allowed(model, cond.answer, value)
        if reason:
            out.append(((*loc, op), reason))
    return out


def _branch_problems(
    model: RuleSet, qid: str, branch: Branch, loc: Path_
) -> list[tuple[Path_, str]]:
    qtype = model.question(qid).type
    if branch.range is not None and qtype not in ("integer", "number"):
        return [((*loc, "range"), f"'range' needs a numeric question; {qid!r} is {qtype}")]
    if branch.when is not None and qtype in ("integer", "number"):
        return [((*loc, "when"), f"{qid!r} is numeric: branch on it with 'range'")]
    out = []
    for index, value in enumerate(branch.when or []):
        reason = _allowed(model, qid, value)
        if reason:
            out.append(((*loc, "when", index), reason))
    return out
