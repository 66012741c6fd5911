"""Static verification of a rule set over the evaluator's own branch tests; runs the proof."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tunewise.authoring.domains import BranchOptions, cells, range_points, unprovable_bounds
from tunewise.authoring.proof import Prover
from tunewise.engine.decision import RulesInfo
from tunewise.engine.evaluator import AskStep, Outcomes, outcomes_for
from tunewise.engine.texts import placeholders
from tunewise.inputs.yamlio import Path_
from tunewise.iterative import Recursive, drive
from tunewise.problems import Problem
from tunewise.ruleset.load import LoadedRules, walk_records
from tunewise.ruleset.records import (
    AnswerRef,
    AskNode,
    Compare,
    FormulaRef,
    Leaf,
    Lookup,
    ParamRef,
    Scaled,
    node_targets,
)


@dataclass(frozen=True)
class LintReport:
    """What `rules lint` found: each defect located in the rule set (its rule is the defect's
    kind: `gap`, `cycle`, ...), and what the proof concluded."""

    rules: RulesInfo
    defects: tuple[Problem, ...]
    combinations: int
    paths: int = 0
    proven: bool = False
    unprovable: str | None = None  # the node the proof cannot reason about, if any
    counterexample: dict[str, Any] | None = None


def defect(rules: LoadedRules, kind: str, loc: Path_, message: str) -> Problem:
    """A defect of kind `kind` about the rule set's field at `loc`, at its line and column."""
    file, where = rules.info.origin, None
    if rules.doc is not None:
        file, where = rules.doc.file, rules.doc.where(loc)
    line, column = where or (None, None)
    return Problem(file, message, line, column, field=loc or None, rule=kind)


def _node_loc(rules: LoadedRules, node_id: str) -> Path_:
    index = next(i for i, n in enumerate(rules.model.tree.nodes) if n.id == node_id)
    return ("tree", "nodes", index)


def coverage_defects(rules: LoadedRules, fast: Outcomes) -> list[Problem]:
    """Each ask node's branches, as the engine tests them, cover its question's domain exactly
    once; a node whose bounds other answers decide cannot be checked, and says so."""
    out: list[Problem] = []
    model = rules.model
    for index, node in enumerate(model.tree.nodes):
        if not isinstance(node, AskNode):
            continue
        loc: Path_ = ("tree", "nodes", index, "branches")
        unprovable = unprovable_bounds(node)
        if unprovable:
            out.extend(_dependent_coverage(rules, fast, node, loc, unprovable))
            continue
        question = model.question(node.ask)
        step = fast.steps[node.id]
        assert isinstance(step, AskStep)
        tests = [takes for takes, _, _ in step.branches]
        taken: set[int] = set()
        for cell in cells(question, range_points(fast, node)):
            value = cell.sample(question.type == "integer")
            matching = [i for i, takes in enumerate(tests) if takes(value, {})]
            explicit = [i for i in matching if not node.branches[i].otherwise]
            if len(explicit) > 1:
                out.append(
                    defect(
                        rules,
                        "overlap",
                        (*loc, explicit[1]),
                        f"node {node.id!r}: branches {explicit[0]} and {explicit[1]} "
                        f"both take {cell.label(node.ask)}",
                    )
                )
            if not matching:
                out.append(
                    defect(
                        rules, "gap", loc, f"node {node.id!r}: no branch for {cell.label(node.ask)}"
                    )
                )
            else:
                taken.add(matching[0])
        out += _dead_branches(rules, node, loc, taken)
    return out


def _dependent_coverage(
    rules: LoadedRules,
    fast: Outcomes,
    node: AskNode,
    loc: Path_,
    unprovable: list[tuple[int, str, Any]],
) -> list[Problem]:
    """The coverage of a node with bounds other answers decide: a value no branch may take is
    a gap; a value only such a branch may take cannot be proven covered (a catch-all after it
    covers every value, whatever the bound); a branch no value may take is dead."""
    question = rules.model.question(node.ask)
    options = BranchOptions(fast, node)
    out: list[Problem] = []
    taken: set[int] = set()
    for cell in cells(question, range_points(fast, node)):
        found, covered = options(cell.sample(question.type == "integer"))
        taken.update(found)
        if covered:
            continue
        if not found:
            out.append(
                defect(rules, "gap", loc, f"node {node.id!r}: no branch for {cell.label(node.ask)}")
            )
            continue
        branch, op, expr = next((u for u in unprovable if u[0] in found), unprovable[0])
        out.append(
            defect(
                rules,
                "cannot-prove",
                (*loc, branch, "range", op),
                f"node {node.id!r}: cannot prove that its branches cover every answer: "
                f"branch {branch} compares {node.ask} with a bound that depends on "
                f"{', '.join(fast.reads_of(expr)) or 'other answers'}",
            )
        )
        break  # one per node: the bound is the same for every value
    return out + _dead_branches(rules, node, loc, taken)


def _dead_branches(rules: LoadedRules, node: AskNode, loc: Path_, taken: set[int]) -> list[Problem]:
    """A defect for each branch of `node` that no answer takes."""
    return [
        defect(rules, "dead-branch", (*loc, i), f"node {node.id!r}: branch {i} can never be taken")
        for i in range(len(node.branches))
        if i not in taken
    ]


def graph_defects(rules: LoadedRules) -> list[Problem]:
    """Unreachable nodes and cycles."""
    model = rules.model
    out: list[Problem] = []
    seen: set[str] = set()
    stack = [model.tree.start]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(node_targets(model.node(current)))
    for index, node in enumerate(model.tree.nodes):
        if node.id not in seen:
            out.append(
                defect(
                    rules,
                    "unreachable",
                    ("tree", "nodes", index, "id"),
                    f"node {node.id!r} is unreachable from {model.tree.start!r}",
                )
            )
    color: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(node_id: str, trail: list[str]) -> Recursive[None]:  # see `iterative`
        color[node_id] = 1
        for target in node_targets(model.node(node_id)):
            if color.get(target) == 1:
                loop = (
                    [*trail[trail.index(target) :], node_id, target]
                    if target in trail
                    else [node_id, target]
                )
                key = frozenset(loop)
                if key not in reported:
                    reported.add(key)
                    out.append(
                        defect(
                            rules,
                            "cycle",
                            _node_loc(rules, node_id),
                            "cycle: " + " → ".join(dict.fromkeys(loop)) + f" → {target}",
                        )
                    )
            elif color.get(target) is None:
                yield (target, [*trail, node_id])
        color[node_id] = 2

    for node in model.tree.nodes:
        if node.id not in color:
            drive(visit, node.id, [])
    return out


def content_defects(rules: LoadedRules) -> list[Problem]:
    """Leaves without reasons, advice without a default, unused questions/parameters/sources."""
    model = rules.model
    out: list[Problem] = []
    for index, node in enumerate(model.tree.nodes):
        if isinstance(node, Leaf) and not node.reasons:
            out.append(
                defect(
                    rules,
                    "leaf-without-reason",
                    ("tree", "nodes", index),
                    f"leaf {node.id!r} gives no reason for its approach",
                )
            )
    for index, advice in enumerate(model.advice):
        if advice.options[-1].when is not None:
            out.append(
                defect(
                    rules,
                    "advice-without-default",
                    ("advice", index, "options"),
                    f"advice {advice.id!r} has no final option without 'when'",
                )
            )
    used: dict[str, set[str]] = {
        "question": set(),
        "parameter": set(),
        "source": set(),
        "advice": set(),
        "table": set(),
        "formula": set(),
    }
    for _, obj in walk_records(model):
        if isinstance(obj, AskNode):
            used["question"].add(obj.ask)
        elif isinstance(obj, (Compare, AnswerRef)):
            used["question"].add(obj.answer)
        elif isinstance(obj, Scaled):
            used["question"].add(obj.scaled)
        elif isinstance(obj, ParamRef):
            used["parameter"].add(obj.param)
        elif isinstance(obj, Lookup):
            used["table"].add(obj.lookup)
        elif isinstance(obj, FormulaRef):
            used["formula"].add(obj.formula)
        elif isinstance(obj, Leaf):
            used["advice"].update(obj.advice)
        for sid in getattr(obj, "sources", None) or []:
            used["source"].add(sid)
        text = getattr(obj, "text", None)
        if isinstance(text, str):
            for name, column in placeholders(text):
                used["table" if column else "parameter"].add(name)
                used["formula"].add(name)
    for table in model.tables:
        if table.id in used["table"]:
            used["question"].add(table.key)
    registries: list[tuple[str, list[Any], str]] = [
        ("question", model.questions, "questions"),
        ("parameter", model.parameters, "parameters"),
        ("source", model.sources, "sources"),
        ("advice", model.advice, "advice"),
        ("table", model.tables, "tables"),
        ("formula", model.formulas, "formulas"),
    ]
    for kind, items, where in registries:
        for index, item in enumerate(items):
            if item.id not in used[kind]:
                out.append(
                    defect(
                        rules,
                        f"unused-{kind}",
                        (where, index, "id"),
                        f"{kind} {item.id!r} is never used",
                    )
                )
    return out


def lint(rules: LoadedRules) -> LintReport:
    fast = outcomes_for(rules.model, rules.params)
    defects = [*coverage_defects(rules, fast), *graph_defects(rules), *content_defects(rules)]
    prover = Prover(rules, fast)
    combinations = prover.combinations()
    count = prover.paths(rules.model.tree.start, {}, frozenset())
    proof: dict[str, Any] = {}
    if prover.unprovable is not None:
        proof["unprovable"] = prover.unprovable
    elif count < 0:
        assert prover.failure is not None
        _, node_id, cell, why = prover.failure
        label = cell.label(rules.model.node(node_id).ask) if cell else "this path"  # type: ignore[union-attr]
        defects.append(
            defect(
                rules,
                "undecided-combination",
                _node_loc(rules, node_id),
                f"some answers reach no decision: {label} — {why}",
            )
        )
        proof["counterexample"] = prover.counterexample()
    else:
        proof.update(paths=count, proven=True)
    defects.sort(key=lambda d: _order(d.field or ()))
    return LintReport(rules.info, tuple(defects), combinations, **proof)


def _order(loc: Path_) -> tuple[str, ...]:
    return tuple(re.sub(r"\d+", lambda m: m.group(0).zfill(6), str(p)) for p in loc)
