"""`rules show --format mermaid`: the decision tree as a Mermaid flowchart."""

from __future__ import annotations

from typing import Any

from tunewise.authoring.labels import edges, node_text
from tunewise.ruleset.records import AskNode, ChecksNode, Leaf, RuleSet


def render(rules: RuleSet, **_options: Any) -> str:
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
