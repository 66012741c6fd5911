"""Project profiles: a pydantic model derived from the rule set's questions, and the loader."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError
from pydantic import create_model as _create_model

from tunewise.errors import Problem, ProfileError
from tunewise.models import Question, RuleSet
from tunewise.validation import format_errors, locate
from tunewise.yamlio import Document, Path_, parse_yaml, read_text

PROPOSALS = ("prompt", "rag", "fine-tune", "hybrid")
NEED_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


@dataclass
class NeedAnswers:
    id: str
    description: str
    answers: dict[str, Any]


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


def answer_type(question: Question) -> Any:
    """The pydantic type of an answer to `question` (strict: no yes/no, no quoted numbers)."""
    if question.type == "choice":
        return Literal[tuple(question.values)]
    if question.type == "bool":
        return StrictBool
    bounds: dict[str, Any] = {}
    if question.min is not None:
        bounds["gt" if question.min_exclusive else "ge"] = question.min
    if question.max is not None:
        bounds["le"] = question.max
    if question.type == "integer":
        return Annotated[StrictInt, Field(**bounds)]
    return Annotated[float, Field(strict=True, allow_inf_nan=False, **bounds)]


def _answers_model(name: str, questions: list[Question], base: dict[str, Any]) -> type[BaseModel]:
    fields: dict[str, Any] = dict(base)
    for question in questions:
        fields[question.id] = (Optional[answer_type(question)], None)  # noqa: UP045
    model: type[BaseModel] = _create_model(name, __config__=_CONFIG, **fields)
    return model


_CACHE: dict[int, type[BaseModel]] = {}


def profile_model(rules: RuleSet) -> type[BaseModel]:
    """The profile schema for a rule set; a custom rule set gets its own questions."""
    cached = _CACHE.get(id(rules))
    if cached is not None:
        return cached
    need_base = {
        "id": (Annotated[StrictStr, Field(pattern=NEED_ID_PATTERN, max_length=64)], ...),
        "description": (StrictStr, ""),
    }
    need = _answers_model("Need", [q for q in rules.questions if q.scope == "need"], need_base)
    project = _answers_model("Project", [q for q in rules.questions if q.scope == "project"], {})
    evidence = _create_model("Evidence", __config__=_CONFIG, dataset=(StrictStr, ...))
    waiver = _create_model(
        "Waiver",
        __config__=_CONFIG,
        reason=(StrictStr, ""),
        approved_by=(StrictStr, ""),
        expires=(StrictStr, ""),
    )
    fields: dict[str, Any] = {
        "tunewise": (Literal[1], ...),
        "name": (Optional[StrictStr], None),  # noqa: UP045
        "proposal": (Optional[Literal[PROPOSALS]], None),  # noqa: UP045
        "needs": (list[need], Field(min_length=1)),  # type: ignore[valid-type]
        "project": (Optional[project], None),  # noqa: UP045
        "evidence": (Optional[evidence], None),  # noqa: UP045
        "waiver": (Optional[waiver], None),  # noqa: UP045
    }
    model: type[BaseModel] = _create_model("Profile", __config__=_CONFIG, **fields)
    _CACHE[id(rules)] = model
    return model


def keys_at(model: type[BaseModel], loc: Path_) -> list[str]:
    """The keys allowed in the mapping at `loc` (for did-you-mean suggestions)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """The model inside `list[X]`, `Optional[X]` or `X`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        nested = _inner_model(arg)
        if nested is not None:
            return nested
    return None


def _clean(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in obj.model_dump().items() if v is not None}


def profile_from_data(rules: RuleSet, doc: Document) -> Profile:
    """Validate parsed YAML as a profile for `rules`; every problem is one located line."""
    model = profile_model(rules)
    if not isinstance(doc.data, dict):
        raise ProfileError(
            f"{doc.file}: a profile is a YAML mapping with 'tunewise: 1' and 'needs'"
        )
    try:
        valid = model.model_validate(doc.data)
    except ValidationError as exc:
        lines = format_errors(exc, doc, lambda loc: keys_at(model, loc))
        raise ProfileError(lines[0], lines=lines) from None
    needs: list[NeedAnswers] = []
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, need in enumerate(getattr(valid, "needs")):  # noqa: B009
        if need.id in seen:
            where = ("needs", index, "id")
            message = f"duplicate need id {need.id!r} (first used by needs[{seen[need.id]}])"
            problems.append(locate(doc, where, message))
        seen.setdefault(need.id, index)
        answers = _clean(need)
        answers.pop("id")
        description = answers.pop("description", "")
        needs.append(NeedAnswers(need.id, description, answers))
    if problems:
        raise ProfileError(problems[0], lines=problems)
    project = getattr(valid, "project")  # noqa: B009
    evidence, waiver = getattr(valid, "evidence"), getattr(valid, "waiver")  # noqa: B009
    return Profile(
        needs=needs,
        project=_clean(project) if project is not None else {},
        name=getattr(valid, "name"),  # noqa: B009
        proposal=getattr(valid, "proposal"),  # noqa: B009
        evidence=evidence.model_dump() if evidence is not None else None,
        waiver=waiver.model_dump() if waiver is not None else None,
        doc=doc,
    )


def load_profile(path: Path, rules: RuleSet) -> Profile:
    """Read, parse and validate a profile file."""
    profile = profile_from_data(rules, parse_yaml(read_text(path, "profile"), str(path)))
    profile.path = path
    return profile
