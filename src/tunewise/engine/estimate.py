"""A fine-tune's cost estimate, from the formulas the rule set names in its `estimate` block.

The numbers are the rule set's arithmetic (see `arithmetic`), evaluated by the compiled
closures; this module only picks them out and dates them with the price tables' `as_of`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tunewise.engine.compile import Unknown
from tunewise.ruleset.records import RuleSet


def estimate_for(
    model: RuleSet, params: Mapping[str, float | int], answers: Mapping[str, Any]
) -> dict[str, Any] | None:
    """`training_tokens`, `epochs`, `compute_usd`, `effort_usd` [low, high], `prices_as_of`
    and, where known, `serving_usd_per_month`; None when the rule set declares no estimate or
    the answers do not settle it."""
    spec = model.estimate
    if spec is None:
        return None
    from tunewise.engine.evaluator import outcomes_for

    compiled = outcomes_for(model, params)

    def value(expr: Any) -> Any:
        found = compiled.value_of(expr)(answers)
        return None if found.__class__ is Unknown else found

    tokens, epochs, compute = (
        value(spec.training_tokens),
        value(spec.epochs),
        value(spec.compute_usd),
    )
    low, high = value(spec.effort_low_usd), value(spec.effort_high_usd)
    if None in (tokens, epochs, compute, low, high):
        return None
    dates = [d for d in (model.table(t).as_of for t in spec.prices) if d is not None]
    result: dict[str, Any] = {
        "training_tokens": round(tokens),
        "epochs": int(epochs),
        "compute_usd": round(float(compute), 2),
        "effort_usd": [low, high],
        "prices_as_of": min(dates) if dates else None,
    }
    if spec.serving_usd_per_month is not None:
        serving = value(spec.serving_usd_per_month)
        if serving is not None:
            result["serving_usd_per_month"] = round(float(serving), 2)
    return result
