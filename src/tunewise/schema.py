"""JSON Schema (draft 2020-12) of the profile for a rule set, agreeing with tunewise's checks."""

from __future__ import annotations

import json
from typing import Any

from tunewise.compiled import Question, RuleSet
from tunewise.profile import NEED_ID_PATTERN, PROPOSALS

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def answer_schema(question: Question) -> dict[str, Any]:
    # null is accepted, as by tunewise itself: it means "not answered yet".
    schema: dict[str, Any] = {"description": question.prompt}
    if question.type == "choice":
        schema["enum"] = [*question.values, None]
        meanings = "; ".join(f"{c.value}: {c.meaning}" for c in question.choices or [])
        schema["description"] += f" ({meanings})"
    elif question.type == "bool":
        schema["type"] = ["boolean", "null"]
    else:
        schema["type"] = ["integer" if question.type == "integer" else "number", "null"]
        if question.min is not None:
            schema["exclusiveMinimum" if question.min_exclusive else "minimum"] = question.min
        if question.max is not None:
            schema["maximum"] = question.max
    return schema


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        out["required"] = required
    return out


def profile_schema(rules: RuleSet) -> dict[str, Any]:
    need_props: dict[str, Any] = {
        "id": {"type": "string", "pattern": NEED_ID_PATTERN, "maxLength": 64},
        "description": {"type": "string"},
    }
    need_props.update({q.id: answer_schema(q) for q in rules.questions if q.scope == "need"})
    project_props = {q.id: answer_schema(q) for q in rules.questions if q.scope == "project"}
    text: dict[str, Any] = {"type": "string"}
    optional_text: dict[str, Any] = {"type": ["string", "null"]}
    schema = _object(
        {
            "tunewise": {"const": 1, "description": "Profile format version."},
            "name": optional_text,
            "proposal": {"enum": [*PROPOSALS, None], "description": "What the team intends to do."},
            "needs": {"type": "array", "minItems": 1, "items": _object(need_props, ["id"])},
            "project": {**_object(project_props), "type": ["object", "null"]},
            "evidence": {**_object({"dataset": text}, ["dataset"]), "type": ["object", "null"]},
            "waiver": {
                **_object(
                    {
                        "reason": text,
                        "approved_by": text,
                        "expires": {"type": "string", "format": "date"},
                        "needs": {
                            "type": ["array", "null"],
                            "minItems": 1,
                            "items": {"type": "string"},
                            "description": "Waive only these needs' failures.",
                        },
                    }
                ),
                "type": ["object", "null"],
            },
        },
        ["tunewise", "needs"],
    )
    return {
        "$schema": DIALECT,
        "$id": f"urn:tunewise:profile:{rules.name}:{rules.version}",
        "title": f"tunewise profile (rules {rules.name} {rules.version})",
        **schema,
    }


def render(rules: RuleSet) -> str:
    return json.dumps(profile_schema(rules), indent=2, ensure_ascii=False) + "\n"
