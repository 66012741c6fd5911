"""Fuzzing the rule engine: generated rule sets through `rules lint`, `rules show`, `advise` and
`check`: a clear error or a result, never exit 70, never a traceback.

The rule sets are valid in shape and types (so most reach the engine and the proof) with random
branches, bounds, conditions, value expressions and cycles; one in four has one value replaced
by a wrong one (a huge number, text for a number, a missing reference). TUNEWISE_FUZZ=long
searches ten times longer."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli

LONG = os.environ.get("TUNEWISE_FUZZ") == "long"
DOCUMENTED = {0, 1, 3, 4}
NUMERIC = ["qa", "qb"]  # qa integer, qb number; qc a choice of x or y; qd yes/no
NODES = ["n0", "n1", "n2", "n3", "l0", "l1"]
REASON = [{"text": "Because {qa} and {t.low}.", "sources": ["s"]}]

numbers = st.one_of(st.integers(-50, 5000), st.floats(-100, 1e4, allow_nan=False))


def _scaled(q: str, factor: Any, plus: Any, missing: Any) -> dict[str, Any]:
    found = {"scaled": q, "factor": factor}
    found.update({"plus": plus} if plus is not None else {})
    found.update({"if_missing": missing} if missing is not None else {})
    return found


simple_values = st.one_of(
    numbers,
    st.sampled_from([{"param": "p1"}, {"param": "p2"}, {"lookup": "t", "field": "low"}]),
    st.builds(lambda q: {"answer": q}, st.sampled_from(NUMERIC)),
)
values = st.one_of(
    simple_values,
    st.builds(
        _scaled,
        st.sampled_from(NUMERIC),
        simple_values,
        st.none() | simple_values,
        st.none() | simple_values,
    ),
)


def _compare(q: str, op: str, value: Any) -> dict[str, Any]:
    return {"answer": q, op: value}


compares = st.one_of(
    st.builds(
        _compare,
        st.sampled_from(NUMERIC),
        st.sampled_from(["lt", "le", "gt", "ge", "eq", "ne"]),
        values,
    ),
    st.builds(_compare, st.just("qc"), st.sampled_from(["eq", "ne"]), st.sampled_from("xy")),
    st.builds(
        _compare,
        st.just("qc"),
        st.sampled_from(["in", "not_in"]),
        st.lists(st.sampled_from("xy"), min_size=1, max_size=2),
    ),
    st.builds(_compare, st.just("qd"), st.sampled_from(["eq", "ne"]), st.booleans()),
)
conditions = st.recursive(
    compares,
    lambda inner: st.one_of(
        st.builds(lambda parts: {"all": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda parts: {"any": parts}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda part: {"not": part}, inner),
    ),
    max_leaves=5,
)


def _branches(question: str, goto: Any) -> st.SearchStrategy[list[dict[str, Any]]]:
    otherwise = st.builds(lambda g: {"otherwise": True, "goto": g}, goto)
    if question in NUMERIC:
        bounds = st.dictionaries(st.sampled_from(["ge", "gt", "le", "lt"]), values, min_size=1)
        explicit = st.builds(lambda r, g: {"range": r, "goto": g}, bounds, goto)
    else:
        options = ["x", "y"] if question == "qc" else [True, False]
        chosen = st.lists(st.sampled_from(options), min_size=1, max_size=2, unique=True)
        explicit = st.builds(lambda w, g: {"when": w, "goto": g}, chosen, goto)
    return st.lists(st.one_of(explicit, explicit, otherwise), min_size=1, max_size=4)


def _check(cid: str, applies: Any, require: Any, when: Any) -> dict[str, Any]:
    fail = [
        {"when": when, "text": "No: {qb}.", "sources": ["s"]},
        {"text": "No.", "sources": ["s"]},
    ]
    found = {"id": cid, "title": "C", "require": require, "fail": fail}
    return {**found, "applies": applies} if applies is not None else found


def node(node_id: str, count: int) -> st.SearchStrategy[dict[str, Any]]:
    """A node of a tree with `count` inner nodes; it leads only to nodes that exist."""
    goto = st.sampled_from([*NODES[:count], "l0", "l1"])
    head = {"id": node_id, "title": node_id.upper()}
    if node_id.startswith("l"):
        return st.builds(
            lambda a: {"type": "leaf", **head, "approach": a, "reasons": REASON},
            st.sampled_from(["prompt", "rag", "fine-tune"]),
        )
    ask = st.sampled_from(["qa", "qb", "qc", "qd"]).flatmap(
        lambda q: st.builds(
            lambda b: {"type": "ask", **head, "ask": q, "branches": b}, _branches(q, goto)
        )
    )
    check = st.builds(
        _check, st.sampled_from(["c1", "c2", "c3"]), st.none() | conditions, conditions, conditions
    )
    checks = st.builds(
        lambda cs, p, f: {"type": "checks", **head, "checks": cs, "pass": p, "fail": f},
        st.lists(check, min_size=1, max_size=3, unique_by=lambda c: c["id"]),
        goto,
        goto,
    )
    return st.one_of(ask, ask, checks)


def _numeric_question(qid: str, kind: str, low: Any, high: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"id": qid, "scope": "project", "prompt": "?", "type": kind}
    found.update({"min": low} if low is not None else {})
    found.update({"max": high} if high is not None else {})
    return found


NODE = {(n, count): node(n, count) for n in NODES for count in range(1, 5)}
QUESTIONS = [
    st.builds(
        _numeric_question,
        st.just("qa"),
        st.just("integer"),
        st.none() | st.integers(-50, 50),
        st.none(),
    ),
    st.builds(_numeric_question, st.just("qb"), st.just("number"), st.none(), st.none() | numbers),
    st.just(
        {
            "id": "qc",
            "scope": "project",
            "prompt": "?",
            "type": "choice",
            "choices": [{"value": v, "meaning": v} for v in "xy"],
        }
    ),
    st.just({"id": "qd", "scope": "project", "prompt": "?", "type": "bool"}),
]
BAD_VALUES = [10**400, -(10**400), 1e308, 10**16, "lots", True, None, {"param": "nope"}, [1]]


def _scalars(obj: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in _scalars(v, (*where, k))]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in _scalars(v, (*where, i))]
    return [where]


@st.composite
def rule_sets(draw: Any) -> dict[str, Any]:
    count = draw(st.integers(1, 4))
    data = {
        "tunewise_rules": 1,
        "name": "fuzz",
        "version": "1",
        "description": "generated",
        "sources": [{"id": "s", "kind": "guide", "title": "S", "location": "here"}],
        "parameters": [
            {"id": "p1", "type": "integer", "default": draw(st.integers(0, 1000)), "help": "P."},
            {"id": "p2", "type": "number", "default": draw(st.floats(0, 100)), "help": "P."},
        ],
        "tables": [
            {
                "id": "t",
                "key": draw(st.sampled_from(NUMERIC)),
                "columns": ["low", "label"],
                "rows": [
                    {"from": 0, "low": 10, "label": "small"},
                    {"from": draw(st.integers(1, 5000)), "low": draw(numbers), "label": "large"},
                ],
            }
        ],
        "questions": [draw(q) for q in QUESTIONS],
        "tree": {
            "start": "n0",
            "nodes": [draw(NODE[n, count]) for n in [*NODES[:count], "l0", "l1"]],
        },
    }
    data = copy.deepcopy(data)  # strategies share their dicts: change only this one
    if draw(st.integers(0, 3)) == 0:  # one value made wrong
        where = draw(st.sampled_from(_scalars(data)))
        target: Any = data
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = copy.deepcopy(draw(st.sampled_from(BAD_VALUES)))
    return data


answers = st.fixed_dictionaries(
    {},
    optional={
        "qa": st.none() | st.integers(-100, 6000),
        "qb": st.none() | numbers,
        "qc": st.none() | st.sampled_from("xy"),
        "qd": st.none() | st.booleans(),
    },
)


@settings(
    max_examples=60 * (10 if LONG else 1),
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=list(HealthCheck),
)
@given(
    rules=rule_sets(),
    project=answers,
    proposal=st.sampled_from(["fine-tune", "prompt"]),
    drawing=st.sampled_from(["tree", "mermaid", "dot"]),
)
def test_generated_rule_sets_never_crash(
    tmp_path_factory: Any,
    rules: dict[str, Any],
    project: dict[str, Any],
    proposal: str,
    drawing: str,
) -> None:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    rules_path = folder / "rules.yaml"
    rules_path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    profile = folder / "p.tunewise.yaml"
    data = {"tunewise": 1, "proposal": proposal, "needs": [{"id": "x"}], "project": project}
    profile.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    runs = [
        ("rules", "lint", str(rules_path)),
        ("rules", "show", str(rules_path), "--format", drawing),
        ("advise", str(profile), "--rules", str(rules_path), "--format", "json"),
        ("check", str(profile), "--rules", str(rules_path)),
    ]
    for args in runs:
        result = run_cli(*args)
        assert result.code in DOCUMENTED, (args, result.code, result.err)
        assert "internal error" not in result.err and "Traceback" not in result.err, result.err
