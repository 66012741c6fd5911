"""`rules show --format dot`: the decision tree as a Graphviz digraph."""

from __future__ import annotations

from typing import Any

from tunewise.authoring.labels import edges, node_text
from tunewise.escaping import visible
from tunewise.ruleset.records import AskNode, ChecksNode, Leaf, RuleSet


def render(rules: RuleSet, **_options: Any) -> str:
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
