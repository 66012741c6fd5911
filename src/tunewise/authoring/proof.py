"""The completeness proof over the evaluator's branch tests: every combination of answers
reaches a decision, or a counterexample, or "cannot prove" where bounds depend on answers."""

from __future__ import annotations

from typing import Any

from tunewise.authoring.domains import (
    BranchOptions,
    Cell,
    cells,
    numeric_thresholds,
    unprovable_bounds,
)
from tunewise.engine.evaluator import Outcomes
from tunewise.iterative import Recursive, drive
from tunewise.ruleset.load import LoadedRules
from tunewise.ruleset.records import AskNode, ChecksNode, Leaf, node_targets


class Prover:
    """Walks every path of the tree over each question's partition; memoised so that a chain of
    independent questions costs one visit per node rather than one per combination."""

    def __init__(self, rules: LoadedRules, fast: Outcomes) -> None:
        self.rules, self.fast = rules, fast
        model = rules.model
        points = numeric_thresholds(fast)
        self.cells = {q.id: cells(q, points.get(q.id, ())) for q in model.questions}
        self.below: dict[str, frozenset[str]] = {}
        self.memo: dict[tuple[str, frozenset[tuple[str, frozenset[Cell]]]], int] = {}
        self.failure: tuple[dict[str, frozenset[Cell]], str, Cell | None, str] | None = None
        self.failed_under: frozenset[str] = frozenset()  # dependent nodes on the failing path
        self.unprovable: str | None = None  # a node branching on bounds other answers decide
        self.options = {
            node.id: BranchOptions(fast, node)
            for node in model.tree.nodes
            if isinstance(node, AskNode)
        }
        self.dependent = frozenset(
            node.id
            for node in model.tree.nodes
            if isinstance(node, AskNode) and unprovable_bounds(node)
        )

    def asked_below(self, node_id: str) -> frozenset[str]:
        """The questions asked at or below a node."""
        if node_id in self.below:
            return self.below[node_id]
        return drive(self._asked_below, node_id, frozenset())

    def _asked_below(self, node_id: str, seen: frozenset[str]) -> Recursive[frozenset[str]]:
        if node_id in self.below:
            return self.below[node_id]
        if node_id in seen:
            return frozenset()
        node = self.rules.model.node(node_id)
        found = {node.ask} if isinstance(node, AskNode) else set()
        for target in node_targets(node):
            found |= yield (target, seen | {node_id})
        self.below[node_id] = frozenset(found)
        return self.below[node_id]

    def paths(
        self, node_id: str, constraints: dict[str, frozenset[Cell]], trail: frozenset[str]
    ) -> int:
        """Number of decided paths below `node_id`; sets `failure` (or `unprovable`) and
        returns -1 on a hole. Iterative: a tree of any depth."""
        count = drive(self._paths, node_id, constraints, trail)
        if count < 0 and self.failure is not None and self.failed_under:
            # The path to the hole passes a node whose branch depends on other answers: no
            # profile of these cells alone reaches it, and it may need bounds no answer gives.
            self.unprovable = next(
                n.id for n in self.rules.model.tree.nodes if n.id in self.failed_under
            )
            self.failure = None
        return count

    def _paths(
        self, node_id: str, constraints: dict[str, frozenset[Cell]], trail: frozenset[str]
    ) -> Recursive[int]:
        if node_id in trail:
            self.failure = (constraints, node_id, None, "the walk loops back to this node")
            self.failed_under = trail & self.dependent
            return -1
        relevant = frozenset(
            (q, c) for q, c in constraints.items() if q in self.asked_below(node_id)
        )
        key = (node_id, relevant)
        if key in self.memo:
            return self.memo[key]
        node = self.rules.model.node(node_id)
        total = 0
        if isinstance(node, Leaf):
            total = 1
        elif isinstance(node, ChecksNode):
            for target in (node.on_pass, node.on_fail):
                count = yield (target, constraints, trail | {node_id})
                if count < 0:
                    return -1
                total += count
        else:
            question = self.rules.model.question(node.ask)
            options = self.options[node_id]
            allowed = constraints.get(node.ask, frozenset(self.cells[node.ask]))
            groups: dict[int, set[Cell]] = {}
            for cell in self.cells[node.ask]:
                if cell not in allowed:
                    continue
                taken, covered = options(cell.sample(question.type == "integer"))
                if not covered:
                    if taken:  # only bounds other answers decide might take it: never claim
                        self.unprovable = node_id
                    else:
                        self.failure = (
                            constraints,
                            node_id,
                            cell,
                            f"no branch of {node_id!r} takes it",
                        )
                        self.failed_under = trail & self.dependent
                    return -1
                for branch in taken:
                    groups.setdefault(branch, set()).add(cell)
            for branch, cells_taken in groups.items():
                narrowed = {**constraints, node.ask: frozenset(cells_taken)}
                count = yield (node.branches[branch].goto, narrowed, trail | {node_id})
                if count < 0:
                    return -1
                total += count
        self.memo[key] = total
        return total

    def combinations(self) -> int:
        total = 1
        for options in self.cells.values():
            total *= len(options)
        return total

    def counterexample(self) -> dict[str, Any]:
        assert self.failure is not None
        constraints, node_id, cell, _ = self.failure
        model = self.rules.model
        answers = {}
        for qid, allowed in constraints.items():
            question = model.question(qid)
            answers[qid] = sorted(allowed, key=lambda c: str(c.low))[0].sample(
                question.type == "integer"
            )
        if cell is not None:
            node = model.node(node_id)
            assert isinstance(node, AskNode)
            question = model.question(node.ask)
            answers[node.ask] = cell.sample(question.type == "integer")
        need = {
            "id": "counterexample",
            **{q: v for q, v in answers.items() if model.question(q).scope == "need"},
        }
        project = {q: v for q, v in answers.items() if model.question(q).scope == "project"}
        profile: dict[str, Any] = {"tunewise": 1, "needs": [need]}
        if project:
            profile["project"] = project
        return profile
