"""What a rule set's nodes and edges are called, escaped, in every drawing and explanation."""

from __future__ import annotations

from typing import Any

from tunewise.engine.texts import format_value
from tunewise.escaping import visible
from tunewise.ruleset.records import (
    ARITHMETIC,
    AnswerRef,
    AskNode,
    Branch,
    ChecksNode,
    Choose,
    First,
    FormulaRef,
    Lookup,
    ParamRef,
    Quotient,
    Scaled,
    Sum,
    node_targets,
)

_OPS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def branch_label(branch: Branch) -> str:
    """An edge's label, escaped: a `when` value may be any string of a custom rule set."""
    return visible(_branch_label(branch))


def _branch_label(branch: Branch) -> str:
    if branch.otherwise:
        return "otherwise"
    if branch.when is not None:
        return ", ".join(format_value(v) for v in branch.when)
    assert branch.range is not None
    parts = []
    for op, sign in _OPS.items():
        bound = getattr(branch.range, op)
        if bound is not None:
            parts.append(f"{sign} {value_text(bound)}")
    return " and ".join(parts)


_JOINERS = {"sum": " + ", "product": " × ", "quotient": " ÷ "}


def value_text(value: Any) -> str:
    """A value expression as people write it: `min_examples`, `target × rate`, `t.lim`
    (a record's Python form never reaches a drawing)."""
    if isinstance(value, ParamRef):
        return value.param
    if isinstance(value, AnswerRef):
        return value.answer
    if isinstance(value, FormulaRef):
        return value.formula
    if isinstance(value, Lookup):
        at = f" at {value_text(value.at)}" if value.at is not None else ""
        return f"{value.lookup}.{value.field}{at}"
    if isinstance(value, Scaled):
        shown = f"{value.scaled} × {value_text(value.factor)}"
        return shown if value.plus in (0, None) else f"{shown} + {value_text(value.plus)}"
    if isinstance(value, First):
        return "first of (" + ", ".join(value_text(v) for v in value.first) + ")"
    if isinstance(value, Choose):
        otherwise = f" or {value_text(value.else_)}" if value.else_ is not None else ""
        return f"{value_text(value.then)}{otherwise} (by a condition)"
    field = ARITHMETIC.get(type(value))
    if field is not None:
        operands = [value_text(v) for v in getattr(value, field)]
        joiner = _JOINERS.get(field)
        if joiner is None:  # min, max
            return f"{field}(" + ", ".join(operands) + ")"
        joined = joiner.join(operands)
        return f"({joined})" if isinstance(value, (Sum, Quotient)) else joined
    return format_value(value)


def edges(node: Any) -> list[tuple[str, str]]:
    """(label, target) of each edge out of a node, in `node_targets` order."""
    if isinstance(node, AskNode):
        labels = [branch_label(b) for b in node.branches]
    else:
        labels = ["all pass", "any fails"]
    return list(zip(labels, node_targets(node), strict=False))


def node_text(node: Any) -> str:
    """A node's label, escaped (titles of a custom rule set are untrusted text)."""
    return visible(_node_text(node))


def _node_text(node: Any) -> str:
    if isinstance(node, AskNode):
        return f"{node.title or node.id} ({node.ask})"
    if isinstance(node, ChecksNode):
        return f"{node.title or node.id} ({len(node.checks)} checks)"
    return f"{node.approach.upper()}: {node.title or node.id}"
