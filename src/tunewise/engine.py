"""The walk: one pass through the tree per need, and the verdict. Pure: no I/O, no printing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from tunewise.compiled import (
    AdviceOption,
    AskNode,
    Check,
    ChecksNode,
    Leaf,
    Message,
    Reason,
    RuleSet,
)
from tunewise.conditions import Context, Truth, Unknown, render
from tunewise.decision import (
    AdviceOutcome,
    CheckOutcome,
    Cited,
    Decision,
    NeedResult,
    RulesInfo,
)
from tunewise.errors import RuleSetError


class NeedInput(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def answers(self) -> Mapping[str, Any]: ...


class Rules(Protocol):
    """A loaded rule set: the model, resolved parameters and identity."""

    @property
    def model(self) -> RuleSet: ...
    @property
    def params(self) -> Mapping[str, float | int]: ...
    @property
    def info(self) -> RulesInfo: ...


def _cite(ctx: Context, item: Reason | Message | AdviceOption) -> Cited:
    text = render(item.text, ctx) if ctx.explain else item.text
    return Cited(text, tuple(item.sources))


def _first_message(ctx: Context, messages: Sequence[Message]) -> Cited | None:
    for message in messages:
        if message.when is None or ctx.test(message.when).value is True:
            return _cite(ctx, message)
    return None


def _matching(ctx: Context, messages: Iterable[Message]) -> list[Cited]:
    return [_cite(ctx, m) for m in messages if m.when and ctx.test(m.when).value is True]


def run_check(ctx: Context, check: Check) -> CheckOutcome:
    """Evaluate one check; `unknown` lists every answer it still needs."""
    if check.applies is not None:
        applies = ctx.test(check.applies)
        if applies.value is None:
            return CheckOutcome(check.id, check.title, "unknown", missing=applies.missing)
        if applies.value is False:
            return CheckOutcome(check.id, check.title, "n/a")
    verdict: Truth = ctx.test(check.require)
    if verdict.value is None:
        return CheckOutcome(check.id, check.title, "unknown", missing=verdict.missing)
    if verdict.value is False:
        return CheckOutcome(check.id, check.title, "fail", _first_message(ctx, check.fail))
    passed = _cite(ctx, check.passed) if check.passed else None
    return CheckOutcome(check.id, check.title, "pass", passed, warnings=_matching(ctx, check.warn))


def walk_need(
    rules: Rules,
    answers: Mapping[str, Any],
    need_id: str = "",
    description: str = "",
    *,
    explain: bool = True,
) -> NeedResult:
    """Walk the tree for one need. `answers` holds the need's and the project's answers.
    With `explain=False` only the outcome is computed (no texts, no advice): for searches."""
    model = rules.model
    ctx = Context(model, rules.params, answers, explain=explain)
    node = model.node(model.tree.start)
    path: list[str] = []
    reasons: list[Cited] = []
    checks: list[CheckOutcome] = []
    for _ in range(len(model.tree.nodes) + 1):
        path.append(node.id)
        if isinstance(node, Leaf):
            return _at_leaf(ctx, node, need_id, description, path, reasons, checks)
        if isinstance(node, AskNode):
            value = ctx.answer(node.ask)
            if isinstance(value, Unknown):
                return _undecided(ctx, need_id, description, path, reasons, checks, [node.ask])
            branch = next((b for b in node.branches if _takes(ctx, b, value)), None)
            if branch is None:
                raise RuleSetError(
                    f"rule set {model.name!r}: node {node.id!r} has no branch for "
                    f"{node.ask} = {value!r}"
                )
            reasons.extend(_cite(ctx, r) for r in branch.reasons)
            node = model.node(branch.goto)
            continue
        assert isinstance(node, ChecksNode)
        checks = [run_check(ctx, check) for check in node.checks]
        if any(c.status == "fail" for c in checks):
            reasons.extend(c.message for c in checks if c.status == "fail" and c.message)
            node = model.node(node.on_fail)
        elif any(c.status == "unknown" for c in checks):
            missing = [q for c in checks for q in c.missing]
            return _undecided(ctx, need_id, description, path, reasons, checks, missing)
        else:
            reasons.extend(c.message for c in checks if c.message)
            node = model.node(node.on_pass)
    raise RuleSetError(f"rule set {model.name!r}: the tree has a cycle through {path[-1]!r}")


def _takes(ctx: Context, branch: Any, value: Any) -> bool:
    if branch.otherwise:
        return True
    if branch.when is not None:
        return _in(value, branch.when)
    return ctx.in_range(value, branch.range) is True


def _in(value: Any, options: list[Any]) -> bool:
    return any(isinstance(value, bool) == isinstance(o, bool) and value == o for o in options)


def _undecided(
    ctx: Context,
    need_id: str,
    description: str,
    path: list[str],
    reasons: list[Cited],
    checks: list[CheckOutcome],
    missing: list[str],
) -> NeedResult:
    unique = list(dict.fromkeys(missing))
    return NeedResult(
        need_id, description, None, None, path, unique, reasons, checks, used=ctx.used
    )


def _at_leaf(
    ctx: Context,
    leaf: Leaf,
    need_id: str,
    description: str,
    path: list[str],
    reasons: list[Cited],
    checks: list[CheckOutcome],
) -> NeedResult:
    warnings = [w for c in checks for w in c.warnings] + _matching(ctx, leaf.warnings)
    warnings += [_cite(ctx, w) for w in leaf.warnings if w.when is None]
    steps = [s for s in leaf.next_steps if s.when is None or ctx.test(s.when).value is True]
    advice: list[AdviceOutcome] = []
    optional: list[str] = []
    for message in (*leaf.warnings, *leaf.next_steps) if ctx.explain else ():
        if message.when is not None:  # an optional answer would refine what is shown
            optional.extend(q for q in ctx.test(message.when).missing if q not in optional)
    for aid in leaf.advice if ctx.explain else ():
        listing = ctx.rules.advice_list(aid)
        for option in listing.options:
            truth = ctx.test(option.when) if option.when is not None else Truth(True)
            optional.extend(q for q in truth.missing if q not in optional)
            if truth.value is True:
                advice.append(AdviceOutcome(aid, listing.title, option.value, _cite(ctx, option)))
                break
    return NeedResult(
        need_id,
        description,
        leaf.approach,
        leaf.id,
        path,
        [],
        [_cite(ctx, r) for r in leaf.reasons] + reasons,
        checks,
        warnings,
        [_cite(ctx, s) for s in steps],
        advice,
        used=ctx.used,
        optional_unanswered=[q for q in optional if ctx.rules.question(q).optional],
        estimate=_estimate(ctx, leaf),
    )


def _estimate(ctx: Context, leaf: Leaf) -> dict[str, Any] | None:
    if leaf.approach != "fine-tune" or not ctx.explain:
        return None
    from tunewise.estimate import estimate_for

    return estimate_for(ctx.rules, ctx.params, ctx.answers)


def verdict_of(approaches: Sequence[str | None]) -> str:
    """hybrid > fine-tune > rag > prompt; any undecided need makes the whole undecided."""
    if not approaches or any(a is None for a in approaches):
        return "undecided"
    present = set(approaches)
    if "fine-tune" in present and "rag" in present:
        return "hybrid"
    for approach in ("fine-tune", "rag"):
        if approach in present:
            return approach
    return "prompt"


def decide(
    rules: Rules,
    needs: Sequence[NeedInput],
    project: Mapping[str, Any],
    profile_name: str | None = None,
) -> Decision:
    """Walk every need with the project's answers and combine the results."""
    results = [
        walk_need(rules, {**project, **need.answers}, need.id, need.description) for need in needs
    ]
    verdict = verdict_of([r.approach for r in results])
    model = rules.model
    notes_ctx = Context(model, rules.params, dict(project))
    notes = [_cite(notes_ctx, r) for r in model.verdict_notes.get(verdict, [])]  # type: ignore[call-overload]
    warnings = [(r.id, w) for r in results for w in r.warnings]
    steps: list[Cited] = []
    for result in results:
        steps.extend(s for s in result.next_steps if s not in steps)
    titles = {s.id: s.title for s in model.sources}
    return Decision(verdict, results, rules.info, notes, warnings, steps, profile_name, titles)
