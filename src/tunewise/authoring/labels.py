"""What a rule set's nodes and edges are called, escaped, in every drawing and explanation."""

from __future__ import annotations

from typing import Any

from tunewise.engine.texts import format_value
from tunewise.escaping import visible
from tunewise.ruleset.records import (
    AskNode,
    Branch,
    ChecksNode,
    ParamRef,
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
            shown = bound.param if isinstance(bound, ParamRef) else format_value(bound)
            parts.append(f"{sign} {shown}")
    return " and ".join(parts)


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
