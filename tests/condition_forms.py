"""A rule set using every condition and value form, and random answers for any rule set:
shared by the tests that hold compiled evaluation and the engine in step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from tunewise.ruleset.load import LoadedRules, default_rules_path, load_rules

# A front part for the default tree using what the default rules do not: numeric ranges with
# parameter, answer and scaled bounds, any/all/not, in/not_in over numbers and booleans,
# table lookups as bounds, `applies`, and a cycle-free fall-through to the usual tree.
EXTRA_QUESTIONS = [
    {"id": "z_num", "scope": "need", "type": "number", "prompt": "Z number?"},
    {"id": "z_int", "scope": "need", "type": "integer", "prompt": "Z integer?"},
    {"id": "z_flag", "scope": "need", "type": "bool", "prompt": "Z flag?"},
    {
        "id": "z_pick",
        "scope": "need",
        "type": "choice",
        "prompt": "Z pick?",
        "choices": [{"value": v, "meaning": v} for v in ("a", "b", "c")],
    },
]


def extra_nodes(start: str) -> list[dict[str, Any]]:
    reason = [{"text": "Because.", "sources": ["foundation"]}]
    no = [{"text": "No.", "sources": ["foundation"]}]
    return [
        {
            "type": "ask",
            "id": "z0",
            "ask": "z_num",
            "title": "Z0",
            "branches": [
                {"range": {"lt": {"param": "min_gain_pct"}}, "goto": "z1"},
                {
                    "range": {
                        "ge": {"param": "min_gain_pct"},
                        "lt": {"scaled": "z_int", "factor": 2, "plus": {"param": "no_gain_pct"}},
                    },
                    "goto": "z2",
                },
                {"range": {"gt": {"answer": "z_int"}, "le": 1000}, "goto": "z2"},
                {"otherwise": True, "goto": start, "reasons": reason},
            ],
        },
        {
            "type": "checks",
            "id": "z1",
            "title": "Z1",
            "pass": start,
            "fail": "z2",
            "checks": [
                {
                    "id": "z-any",
                    "title": "Z any",
                    "applies": {
                        "any": [
                            {"answer": "z_flag", "eq": True},
                            {"answer": "z_int", "in": [1, 3, 7]},
                        ]
                    },
                    "require": {
                        "not": {
                            "all": [
                                {"answer": "z_pick", "not_in": ["a"]},
                                {
                                    "answer": "z_int",
                                    "lt": {"lookup": "cost_band", "field": "low_usd"},
                                },
                            ]
                        }
                    },
                    "fail": no,
                },
                {
                    "id": "z-gt",
                    "title": "Z gt",
                    "require": {
                        "answer": "z_num",
                        "gt": {"scaled": "z_int", "factor": 0.5, "if_missing": 3},
                    },
                    "fail": no,
                },
                {
                    "id": "z-ne",
                    "title": "Z ne",
                    "require": {"answer": "z_flag", "ne": False},
                    "fail": no,
                },
            ],
        },
        {
            "type": "ask",
            "id": "z2",
            "ask": "z_pick",
            "title": "Z2",
            "branches": [
                {"when": ["a"], "goto": "general-prompt"},
                {"when": ["b", "c"], "goto": start},
            ],
        },
    ]


def extended_rules(folder: Path) -> LoadedRules:
    """The default rule set with the front part above, written to `folder` and loaded."""
    data = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
    data["questions"] += EXTRA_QUESTIONS
    data["tree"]["nodes"] += extra_nodes(data["tree"]["start"])
    data["tree"]["start"] = "z0"
    path = folder / "extended.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_rules(path)


def answer_values(question: Any) -> st.SearchStrategy[Any]:
    """Mostly valid answers; some booleans for numbers and numbers for booleans, since the
    engine keeps true apart from 1 and the compiled walk must too."""
    if question.type == "choice":
        return st.sampled_from(question.values)
    if question.type == "bool":
        return st.one_of(st.booleans(), st.sampled_from([0, 1]))
    if question.type == "integer":
        # near every threshold of the default rules, and small numbers for the extra tree
        return st.one_of(
            st.integers(-2, 12), st.sampled_from([99, 100, 500, 999, 1000, 5000]), st.booleans()
        )
    return st.one_of(
        st.booleans(),
        st.sampled_from([0, 0.5, 4, 5, 5.0, 9.99, 10, 15, 20, 25, 1000, 1000.5]),
        st.floats(-10, 2000, allow_nan=False),
    )


@st.composite
def answer_sets(draw: Any, rules: LoadedRules) -> dict[str, Any]:
    """Each question answered, missing, or explicitly None."""
    answers: dict[str, Any] = {}
    for question in rules.model.questions:
        pick = draw(st.integers(0, 5))
        if pick == 0:
            continue
        answers[question.id] = None if pick == 1 else draw(answer_values(question))
    return answers
