"""Project profiles: a pydantic-core schema derived from the rule set's questions, and the loader.

The schema is built straight from pydantic-core's schema functions (what a pydantic model
compiles to) rather than through `create_model`: same validation and errors, without importing
pydantic's model machinery on every start."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from tunewise.errors import ProfileError
from tunewise.inputs.yamlio import Document, Path_, parse_yaml, read_text
from tunewise.problems import Problem
from tunewise.ruleset.answers import bounds
from tunewise.ruleset.records import Question, RuleSet

PROPOSALS = ("prompt", "rag", "fine-tune", "hybrid")
NEED_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
WAIVER_KEYS = ("reason", "approved_by", "expires")  # text; `needs` (need ids) is optional


@dataclass
class NeedAnswers:
    id: str
    description: str
    answers: dict[str, Any]
    evidence: dict[str, Any] | None = None  # the need's own evidence, over the project's


@dataclass
class Profile:
    """A validated profile: answers per need, project answers, and the optional sections."""

    needs: list[NeedAnswers]
    project: dict[str, Any]
    name: str | None = None
    proposal: str | None = None
    evidence: dict[str, Any] | None = None
    waiver: dict[str, Any] | None = None
    doc: Document | None = field(default=None, repr=False)
    path: Path | None = None


def answer_schema(question: Question) -> cs.CoreSchema:
    """The schema of an answer to `question` (strict: no yes/no, no quoted numbers)."""
    if question.type == "choice":
        return cs.literal_schema(question.values)
    if question.type == "bool":
        return cs.bool_schema(strict=True)
    limits: dict[str, Any] = bounds(question)
    if question.type == "integer":
        return cs.int_schema(strict=True, **limits)
    return cs.float_schema(strict=True, allow_inf_nan=False, **limits)


def _optional(schema: cs.CoreSchema) -> cs.TypedDictField:
    """A key that may be left out or be null (null: not answered yet)."""
    return cs.typed_dict_field(cs.nullable_schema(schema), required=False)


def _mapping(fields: dict[str, cs.TypedDictField]) -> cs.CoreSchema:
    return cs.typed_dict_schema(fields, extra_behavior="forbid")


def _text(**constraints: Any) -> cs.CoreSchema:
    return cs.str_schema(strict=True, **constraints)


def _iso_date(text: str) -> str:
    """A waiver's expiry: a real calendar date written YYYY-MM-DD (kept as text)."""
    import datetime as dt

    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"expected a date like 2027-03-01, got {text[:40]!r}")
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a calendar date (YYYY-MM-DD)") from None
    return text


def _answers(questions: list[Question], scope: str) -> dict[str, cs.TypedDictField]:
    """The answers a need or the project may give; a need may also override the project
    questions the rule set declares `need_override` (its own data, for that need only)."""
    return {
        q.id: _optional(answer_schema(q))
        for q in questions
        if q.scope == scope or (scope == "need" and q.need_override)
    }


def evidence_schema() -> cs.CoreSchema:
    """`evidence`: file paths (relative to the profile) and the prompt-evaluation target."""
    from tunewise.evidence.eval_tools import FORMAT_NAMES

    prompting = _mapping(
        {
            "report": cs.typed_dict_field(_text(min_length=1)),
            "target": cs.typed_dict_field(cs.float_schema(strict=True, ge=0, allow_inf_nan=False)),
            "metric": _optional(_text(min_length=1)),
            "format": _optional(cs.literal_schema(list(FORMAT_NAMES))),
        }
    )
    return _mapping(
        {
            "dataset": _optional(_text(min_length=1)),
            "eval_set": _optional(_text(min_length=1)),
            "prompting": _optional(prompting),
        }
    )


def profile_schema(rules: RuleSet) -> cs.CoreSchema:
    """The profile's shape for a rule set; a custom rule set gets its own questions."""
    need = _mapping(
        {
            "id": cs.typed_dict_field(_text(pattern=NEED_ID_PATTERN, max_length=64)),
            "description": cs.typed_dict_field(_text(), required=False),
            **_answers(rules.questions, "need"),
            "evidence": _optional(evidence_schema()),
        }
    )
    waiver = {name: cs.typed_dict_field(_text(), required=False) for name in WAIVER_KEYS}
    waiver["expires"] = cs.typed_dict_field(
        cs.no_info_after_validator_function(_iso_date, _text()), required=False
    )
    waiver["needs"] = _optional(
        cs.list_schema(_text(pattern=NEED_ID_PATTERN, max_length=64), min_length=1)
    )
    return _mapping(
        {
            # strictly the integer 1: `true` and `1.0` equal 1 in Python, but are not versions
            "tunewise": cs.typed_dict_field(
                cs.chain_schema([cs.int_schema(strict=True), cs.literal_schema([1])])
            ),
            "name": _optional(_text()),
            "proposal": _optional(cs.literal_schema(list(PROPOSALS))),
            "needs": cs.typed_dict_field(cs.list_schema(need, min_length=1)),
            "project": _optional(_mapping(_answers(rules.questions, "project"))),
            "evidence": _optional(evidence_schema()),
            "waiver": _optional(_mapping(waiver)),
        }
    )


_VALIDATORS: weakref.WeakKeyDictionary[RuleSet, tuple[cs.CoreSchema, SchemaValidator]] = (
    weakref.WeakKeyDictionary()
)


def profile_validator(rules: RuleSet) -> tuple[cs.CoreSchema, SchemaValidator]:
    """The schema and its validator for `rules`, built once per rule set."""
    found = _VALIDATORS.get(rules)
    if found is None:
        schema = profile_schema(rules)
        found = _VALIDATORS[rules] = (schema, SchemaValidator(schema))
    return found


def keys_at(schema: cs.CoreSchema, loc: Path_) -> list[str]:
    """The keys allowed in the mapping at `loc` (for did-you-mean suggestions)."""
    current: Any = schema
    for part in loc:
        current = _inner_mapping(current)
        if isinstance(part, int):
            continue
        if current is None or str(part) not in current["fields"]:
            return []
        current = current["fields"][str(part)]["schema"]
    current = _inner_mapping(current)
    return list(current["fields"]) if current is not None else []


def _inner_mapping(schema: Any) -> Any:
    """The mapping schema inside `list[X]`, `X | None` or `X`, if any."""
    while schema is not None and schema["type"] in ("nullable", "list"):
        schema = schema.get("schema") or schema.get("items_schema")
    return schema if schema is not None and schema["type"] == "typed-dict" else None


def _clean(answers: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if v is not None}


def profile_from_data(rules: RuleSet, doc: Document) -> Profile:
    """Validate parsed YAML as a profile for `rules`; every problem is one located line."""
    schema, validator = profile_validator(rules)
    if not isinstance(doc.data, dict):
        raise ProfileError(
            Problem(doc.file, "a profile is a YAML mapping with 'tunewise: 1' and 'needs'")
        )
    try:
        valid: dict[str, Any] = validator.validate_python(doc.data)
    except ValidationError as exc:
        from tunewise.inputs.validation import format_errors

        lines = format_errors(exc, doc, lambda loc: keys_at(schema, loc))
        raise ProfileError(lines[0], lines=lines) from None
    needs: list[NeedAnswers] = []
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, need in enumerate(valid["needs"]):
        answers = _clean(need)
        need_id = answers.pop("id")
        if need_id in seen:
            from tunewise.inputs.validation import locate

            where = ("needs", index, "id")
            message = f"duplicate need id {need_id!r} (first used by needs[{seen[need_id]}])"
            problems.append(locate(doc, where, message))
        seen.setdefault(need_id, index)
        description = answers.pop("description", "")
        evidence = answers.pop("evidence", None)
        evidence = (_clean(evidence) or None) if evidence else None
        needs.append(NeedAnswers(need_id, description, answers, evidence))
    project, evidence, waiver = valid.get("project"), valid.get("evidence"), valid.get("waiver")
    for index, scoped in enumerate((waiver or {}).get("needs") or []):
        if scoped not in seen:
            import difflib

            from tunewise.inputs.validation import locate

            close = difflib.get_close_matches(scoped, list(seen), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"waiver scoped to an unknown need {scoped!r}{hint}"
            problems.append(locate(doc, ("waiver", "needs", index), message))
    if problems:
        raise ProfileError(problems[0], lines=problems)
    return Profile(
        needs=needs,
        project=_clean(project) if project is not None else {},
        name=valid.get("name"),
        proposal=valid.get("proposal"),
        evidence=(_clean(evidence) or None) if evidence is not None else None,
        waiver=_waiver(waiver) if waiver is not None else None,
        doc=doc,
    )


def _waiver(waiver: dict[str, Any]) -> dict[str, Any]:
    """Every waiver key present: text ones empty when left out; `needs` only when scoped."""
    out: dict[str, Any] = {key: waiver.get(key, "") for key in WAIVER_KEYS}
    if waiver.get("needs"):
        out["needs"] = list(waiver["needs"])
    return out


def load_profile(path: Path, rules: RuleSet) -> Profile:
    """Read, parse and validate a profile file."""
    profile = profile_from_data(rules, parse_yaml(read_text(path, "profile"), str(path)))
    profile.path = path
    return profile
