"""Small rule sets written on the fly: a few questions and nodes, the rest filled in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SOURCES = [{"id": "s", "kind": "guide", "title": "S", "location": "here"}]
REASON = [{"text": "Because.", "sources": ["s"]}]


def question(qid: str, qtype: str = "integer", **extra: Any) -> dict[str, Any]:
    return {"id": qid, "scope": "project", "type": qtype, "prompt": f"{qid}?", **extra}


def leaf(node_id: str, approach: str = "prompt") -> dict[str, Any]:
    title = node_id.capitalize()
    return {"type": "leaf", "id": node_id, "title": title, "approach": approach, "reasons": REASON}


def rule_set(questions: list[dict[str, Any]], nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tunewise_rules": 1,
        "name": "small",
        "version": "1",
        "description": "A small rule set for one test.",
        "sources": SOURCES,
        "questions": questions,
        "tree": {"start": nodes[0]["id"], "nodes": nodes},
    }


def write(folder: Path, data: dict[str, Any], name: str = "rules.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def bound_by_another_answer() -> dict[str, Any]:
    """An ask node whose only branch is `examples ≥ target`: no finite partition covers it."""
    branch = {"range": {"ge": {"answer": "target"}}, "goto": "done"}
    ask = {"type": "ask", "id": "n", "title": "Enough?", "ask": "examples", "branches": [branch]}
    return rule_set([question("examples", min=0), question("target", min=0)], [ask, leaf("done")])


def scaled_by_an_answer() -> dict[str, Any]:
    """A check comparing with `size × rate`, where `rate` is a question."""
    require = {"answer": "vram", "ge": {"scaled": "size", "factor": {"answer": "rate"}}}
    check = {
        "id": "fits",
        "title": "Fits",
        "require": require,
        "fail": [{"text": "Needs more than {vram}.", "sources": ["s"]}],
    }
    checks = {
        "type": "checks",
        "id": "c",
        "title": "Fits?",
        "checks": [check],
        "pass": "fits",
        "fail": "short",
    }
    questions = [question(q, "number", min=0) for q in ("size", "rate", "vram")]
    return rule_set(questions, [checks, leaf("fits", "fine-tune"), leaf("short")])


def chain(length: int) -> dict[str, Any]:
    """`length` yes/no nodes in a row, each leading on or out: a tree `length` deep."""
    nodes = []
    for i in range(length):
        on = f"n{i + 1}" if i + 1 < length else "done"
        branches = [{"when": [True], "goto": on}, {"when": [False], "goto": "done"}]
        nodes.append(
            {"type": "ask", "id": f"n{i}", "title": "T", "ask": "flag", "branches": branches}
        )
    return rule_set([question("flag", "bool")], [*nodes, leaf("done")])


def fine_tune_on_fail() -> dict[str, Any]:
    """A checks node whose `on_fail` is the fine-tune leaf: a passing check made to fail turns
    the walk to it (the pruner must not skip a change to what that check reads)."""
    cheap = {
        "id": "cheap",
        "title": "Cheap",
        "require": {"answer": "budget", "le": 100},
        "fail": [{"text": "Over budget {budget}.", "sources": ["s"]}],
    }
    nodes = [
        {
            "type": "ask",
            "id": "n",
            "title": "Kind?",
            "ask": "kind",
            "branches": [{"when": [True], "goto": "c"}, {"otherwise": True, "goto": "p"}],
        },
        {
            "type": "checks",
            "id": "c",
            "title": "Checks",
            "checks": [cheap],
            "on_pass": "p",
            "on_fail": "ft",
        },
        leaf("p"),
        leaf("ft", "fine-tune"),
    ]
    return rule_set([question("kind", "bool", what_if=False), question("budget", min=0)], nodes)
