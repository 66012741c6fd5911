"""JSON Schema (draft 2020-12) of the profile for a rule set, agreeing with tunewise's checks."""

from __future__ import annotations

import json
from typing import Any

from tunewise.inputs.profile import NEED_ID_PATTERN, PROPOSALS
from tunewise.ruleset.answers import json_schema_bounds
from tunewise.ruleset.records import Question, RuleSet

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
        schema.update(json_schema_bounds(question))
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


def _evidence() -> dict[str, Any]:
    """Evidence files (paths relative to the profile) and the prompt-evaluation target."""
    from tunewise.evidence.eval_tools import FORMAT_NAMES

    path: dict[str, Any] = {"type": ["string", "null"], "minLength": 1}
    prompting = _object(
        {
            "report": {"type": "string", "minLength": 1},
            "target": {"type": "number", "minimum": 0},
            "metric": path,
            "format": {"enum": [*FORMAT_NAMES, None]},
        },
        ["report", "target"],
    )
    return _object(
        {
            "dataset": path,
            "eval_set": path,
            "prompting": {**prompting, "type": ["object", "null"]},
        }
    )


def profile_schema(rules: RuleSet) -> dict[str, Any]:
    need_props: dict[str, Any] = {
        "id": {"type": "string", "pattern": NEED_ID_PATTERN, "maxLength": 64},
        "description": {"type": "string"},
    }
    need_props.update(
        {q.id: answer_schema(q) for q in rules.questions if q.scope == "need" or q.need_override}
    )
    project_props = {q.id: answer_schema(q) for q in rules.questions if q.scope == "project"}
    text: dict[str, Any] = {"type": "string"}
    optional_text: dict[str, Any] = {"type": ["string", "null"]}
    evidence = {**_evidence(), "type": ["object", "null"]}
    need_props["evidence"] = evidence
    schema = _object(
        {
            "tunewise": {"const": 1, "description": "Profile format version."},
            "name": optional_text,
            "proposal": {"enum": [*PROPOSALS, None], "description": "What the team intends to do."},
            "needs": {"type": "array", "minItems": 1, "items": _object(need_props, ["id"])},
            "project": {**_object(project_props), "type": ["object", "null"]},
            "evidence": evidence,
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


# --- The JSON that `advise` and `check` write ---------------------------------------------
# Consumers' contract (SPEC §4): these keys, with these types; more keys may be added, so
# objects stay open (no additionalProperties: false), and `format_version` says which shape.

FORMAT_VERSION = 2
APPROACHES = ["prompt", "rag", "fine-tune"]
VERDICTS = [*APPROACHES, "hybrid", "undecided"]


def _closed_list(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _keys(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


_TEXT: dict[str, Any] = {"type": "string"}
_TEXTS = _closed_list(_TEXT)
_RULES = _keys(
    {"name": _TEXT, "version": _TEXT, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}
)
_CITED = _keys({"text": _TEXT, "sources": _TEXTS}, ["text", "sources"])
_VALUE: dict[str, Any] = {"type": ["string", "number", "boolean", "null"]}
_CHANGE = _keys(
    {"question": _TEXT, "from": _VALUE, "to": _VALUE, "relation": _TEXT, "text": _TEXT},
    ["question", "to", "text"],
)
_ESTIMATE = _keys(
    {
        "training_tokens": {"type": "integer", "minimum": 0},
        "epochs": {"type": "integer", "minimum": 1},
        "compute_usd": {"type": "number", "minimum": 0},
        "effort_usd": {
            "type": "array",
            "prefixItems": [{"type": "number"}, {"type": "number"}],
            "minItems": 2,
            "maxItems": 2,
        },
        "prices_as_of": {"type": "string", "format": "date"},
    }
)
_NEED = _keys(
    {
        "id": _TEXT,
        "approach": {"enum": [*APPROACHES, None]},
        "decided": {"type": "boolean"},
        "missing": _TEXTS,
        "reasons": _closed_list(_CITED),
        "estimate": _ESTIMATE,
        "what_would_change": _closed_list(
            _keys(
                {
                    "approach": {"enum": [*APPROACHES, "undecided"]},
                    "changes": _closed_list(_CHANGE),
                },
            )
        ),
    },
    ["id", "approach", "decided", "missing", "reasons", "what_would_change"],
)
_FINDING = _keys(
    {
        "level": {"enum": ["error", "warning", "note"]},
        "message": _TEXT,
        "rule": {"type": "string", "minLength": 1},
        "line": {"type": ["integer", "null"], "minimum": 1},
        "column": {"type": ["integer", "null"], "minimum": 1},
    },
    ["level", "message", "rule", "line"],
)
_FILE = _keys(
    {
        "path": _TEXT,
        "status": {"enum": ["pass", "fail", "waived", "error"]},
        "verdict": {"enum": [*VERDICTS, None]},
        "proposal": {"enum": [*PROPOSALS, None]},
        "findings": _closed_list(_FINDING),
    },
    ["path", "status", "verdict", "findings"],
)
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}


def output_schema(which: str) -> dict[str, Any]:
    """The JSON Schema of `advise --format json` ("advice") or `check --format json`."""
    version = {"const": FORMAT_VERSION, "description": "Shape of this document; raised on change."}
    if which == "advice":
        body = _keys(
            {
                "format_version": version,
                "verdict": {"enum": VERDICTS},
                "rules": _RULES,
                "needs": _closed_list(_NEED),
                "warnings": _TEXTS,
                "next_steps": _TEXTS,
            }
        )
        title = "tunewise advise --format json"
    elif which == "check":
        body = _keys(
            {
                "format_version": version,
                "files": _closed_list(_FILE),
                "passed": {"type": "boolean"},
                "strict": {"type": "boolean"},
                "summary": _keys(
                    {"pass": _COUNT, "fail": _COUNT, "waived": _COUNT, "error": _COUNT}
                ),
                "rules": _RULES,
            },
            ["format_version", "files", "passed", "summary"],
        )
        title = "tunewise check --format json"
    else:
        raise ValueError(f"no schema for {which!r}")
    return {
        "$schema": DIALECT,
        "$id": f"urn:tunewise:{which}:{FORMAT_VERSION}",
        "title": title,
        **body,
    }


def render_output(which: str) -> str:
    return json.dumps(output_schema(which), indent=2, ensure_ascii=False) + "\n"
