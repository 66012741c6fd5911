"""`advise --format json`: the SPEC's keys, plus details (checks, advice, what would change)."""

from __future__ import annotations

import json
from typing import Any

from tunewise.engine.decision import Cited, Decision, NeedResult
from tunewise.reporters.common import change_text, titles


def _reason(decision: Decision, item: Cited) -> dict[str, Any]:
    return {"text": item.text, "sources": titles(decision, item), "source_ids": list(item.sources)}


def need_dict(decision: Decision, need: NeedResult) -> dict[str, Any]:
    found = {
        "id": need.id,
        "description": need.description,
        "approach": need.approach,
        "decided": need.decided,
        "missing": need.missing,
        "reasons": [_reason(decision, r) for r in need.reasons],
        "leaf": need.leaf,
        "path": need.path,
        "checks": [
            {
                "id": c.id,
                "title": c.title,
                "status": c.status,
                "message": c.message.text if c.message else None,
                "missing": c.missing,
            }
            for c in need.checks
        ],
        "advice": {a.id: {"value": a.value, **_reason(decision, a.reason)} for a in need.advice},
        "what_would_change": [
            {
                "approach": w.approach,
                "then_missing": list(w.missing),
                "changes": [
                    {
                        "question": c.question,
                        "from": c.old,
                        "to": c.new,
                        "relation": c.relation,
                        "text": change_text(c),
                    }
                    for c in w.changes
                ],
            }
            for w in need.what_if
        ],
        # only when the search stopped at its work bound: how many steps it took
        **(
            {"what_if_stopped_after": need.what_if_stopped}
            if need.what_if_stopped is not None
            else {}
        ),
    }
    if need.estimate is not None:
        found["estimate"] = need.estimate
    return found


def as_dict(decision: Decision) -> dict[str, Any]:
    return {
        "format_version": 2,
        "verdict": decision.verdict,
        "profile": decision.profile_name,
        "rules": {
            "name": decision.rules.name,
            "version": decision.rules.version,
            "sha256": decision.rules.sha256,
        },
        "needs": [need_dict(decision, n) for n in decision.needs],
        "missing": decision.missing,
        "warnings": [f"{need_id}: {w.text}" for need_id, w in decision.warnings],
        "next_steps": [s.text for s in decision.next_steps],
        "notes": [_reason(decision, n) for n in decision.notes],
    }


def render(decision: Decision, **_: Any) -> str:
    return json.dumps(as_dict(decision), indent=2, ensure_ascii=False) + "\n"
