"""Recorded walks: answer sets drawn once (seeded) for the default and an extended rule set, and
what the evaluator says about every condition, value, branch and walk for them.

`tests/golden/walks/*.jsonl` were first recorded with the interpreted evaluator the compiled
one replaced (`conditions.Context` and its walk); `tests/engine/test_golden_walks.py` holds
the evaluator to them. TUNEWISE_REGOLD=1 re-records them when a change is intended.
"""

from __future__ import annotations

import random
from typing import Any

from tunewise.ruleset.load import LoadedRules, walk_records
from tunewise.ruleset.records import (
    AllOf,
    AnswerRef,
    AnyOf,
    Branch,
    Compare,
    Lookup,
    NotOf,
    ParamRef,
    Scaled,
)

CONDITIONS = (Compare, AllOf, AnyOf, NotOf)
VALUES = (ParamRef, AnswerRef, Lookup, Scaled)
NUMBERS = [0, 0.5, 4, 5, 5.0, 9.99, 10, 15, 20, 25, 1000, 1000.5]
INTEGERS = [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 99, 100, 500, 999, 1000, 5000]


def _value(rng: random.Random, question: Any) -> Any:
    """Mostly valid answers; booleans for numbers and numbers for booleans now and then, since
    true must never be taken for 1."""
    if question.type == "choice":
        return rng.choice(question.values)
    if question.type == "bool":
        return rng.choice([True, False, True, False, 0, 1])
    if question.type == "integer":
        return rng.choice([*INTEGERS, True, False])
    return rng.choice([*NUMBERS, True, round(rng.uniform(-10, 2000), 3)])


def answer_sets(rules: LoadedRules, count: int, seed: int) -> list[dict[str, Any]]:
    """Each question answered, missing, or explicitly None."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        answers: dict[str, Any] = {}
        for question in rules.model.questions:
            pick = rng.randrange(6)
            if pick == 0:
                continue
            answers[question.id] = None if pick == 1 else _value(rng, question)
        out.append(answers)
    return out


def parts(rules: LoadedRules) -> dict[str, list[tuple[str, Any]]]:
    """Every condition (nested ones too), value expression and branch, by location."""
    found: dict[str, list[tuple[str, Any]]] = {"conditions": [], "values": [], "branches": []}
    for loc, obj in walk_records(rules.model):
        where = ".".join(str(p) for p in loc)
        if isinstance(obj, CONDITIONS):
            found["conditions"].append((where, obj))
        elif isinstance(obj, VALUES):
            found["values"].append((where, obj))
        elif isinstance(obj, Branch):
            found["branches"].append((where, obj))
    return found
