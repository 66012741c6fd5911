"""`rules show` (the default): the decision tree drawn in the terminal."""

from __future__ import annotations

from tunewise.authoring.labels import edges, node_text
from tunewise.escaping import visible
from tunewise.iterative import Recursive, drive
from tunewise.reporters.common import rich_text
from tunewise.ruleset.records import Leaf, RuleSet


def render(rules: RuleSet, *, color: bool = False, width: int = 100) -> str:
    from rich.text import Text
    from rich.tree import Tree

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
