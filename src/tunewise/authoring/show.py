"""Draw a rule set's tree: a terminal tree, a Mermaid flowchart or a Graphviz digraph."""

from __future__ import annotations

from typing import Any

from tunewise.engine.texts import format_value
from tunewise.escaping import visible
from tunewise.iterative import Recursive, drive
from tunewise.ruleset.records import (
    AskNode,
    Branch,
    ChecksNode,
    Leaf,
    ParamRef,
    RuleSet,
    node_targets,
)

FORMATS = ("tree", "mermaid", "dot")
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


def mermaid(rules: RuleSet) -> str:
    def ident(name: str) -> str:
        return name.replace("-", "_")

    def quoted(text: str) -> str:
        return '"' + text.replace('"', "#quot;") + '"'

    lines = ["flowchart TD"]
    for node in rules.tree.nodes:
        text = quoted(node_text(node))
        shape = {AskNode: "{%s}", ChecksNode: "[[%s]]", Leaf: "([%s])"}[type(node)]
        lines.append(f"  {ident(node.id)}{shape % text}")
    for node in rules.tree.nodes:
        for label, target in edges(node):
            lines.append(f"  {ident(node.id)} -- {quoted(label)} --> {ident(target)}")
    return "\n".join(lines) + "\n"


def dot(rules: RuleSet) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {quoted(visible(rules.name))} {{", '  node [fontname="Helvetica"];']
    for node in rules.tree.nodes:
        shape = {AskNode: "diamond", ChecksNode: "box3d", Leaf: "box"}[type(node)]
        style = ', style="rounded"' if isinstance(node, Leaf) else ""
        lines.append(
            f"  {quoted(node.id)} [shape={shape}{style}, label={quoted(node_text(node))}];"
        )
    for node in rules.tree.nodes:
        for label, target in edges(node):
            lines.append(f"  {quoted(node.id)} -> {quoted(target)} [label={quoted(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def tree(rules: RuleSet, color: bool = False, width: int = 100) -> str:
    from rich.text import Text
    from rich.tree import Tree

    from tunewise.reporters.common import rich_text

    drawn: set[str] = set()

    def grow(parent: Tree, node_id: str, via: str) -> Recursive[None]:  # see `iterative`
        node = rules.node(node_id)
        label = f"[{via}] {node_text(node)}" if via else node_text(node)
        if node_id in drawn and not isinstance(node, Leaf):
            parent.add(Text(f"{label} — see above"))
            return
        drawn.add(node_id)
        branch = parent.add(Text(label))
        for edge_label, target in edges(node):
            yield (branch, target, edge_label)

    from rich.table import Table

    heading = Table.grid(padding=(0, 0))  # a long name wraps under itself, not to column 0
    heading.add_column(width=len("rules "), no_wrap=True)
    heading.add_column(overflow="fold")
    heading.add_row("rules ", Text(visible(f"{rules.name} {rules.version}")))
    root = Tree(heading)
    drive(grow, root, rules.tree.start, "")
    return rich_text(root, color=color, width=width)


def render(rules: RuleSet, output_format: str, color: bool = False, width: int = 100) -> str:
    if output_format == "mermaid":
        return mermaid(rules)
    if output_format == "dot":
        return dot(rules)
    return tree(rules, color, width)
