"""Outcome-only walks for what-if searches: the tree's conditions compiled once into closures.

`engine.walk_need` explains a walk (texts, missing answers, questions used); a search only needs
where a walk ends, and asks that thousands of times in a batch. Same three-valued semantics as
`conditions.Context` and the same walk as the engine (tests hold them in step): a condition is
True, False or None (cannot tell yet), a missing answer is one that is absent or None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from tunewise.compiled import (
    AllOf,
    AnswerRef,
    AnyOf,
    AskNode,
    Branch,
    Check,
    ChecksNode,
    Compare,
    Leaf,
    Lookup,
    NotOf,
    ParamRef,
    Record,
    RuleSet,
    Scaled,
)
from tunewise.conditions import compare, table_row
from tunewise.errors import RuleSetError

Answers = Mapping[str, Any]
Test = Callable[[Answers], "bool | None"]
ValueOf = Callable[[Answers], Any]


class _Missing:
    """A value that cannot be worked out until an answer is given."""

    __repr__ = object.__repr__


MISSING: Any = _Missing()
OK, FAIL, UNSURE = 0, 1, 2  # a check's status as a walk sees it: pass or n/a, fail, unknown


class Trace(NamedTuple):
    """Where a walk ended, the questions its path asks, the checks failing at its last checks
    (and whether it reached any checks)."""

    approach: str | None
    asked: frozenset[str]
    failing: tuple[Check, ...]
    checked: bool


class Outcomes:
    """One rule set with its parameters, compiled for outcome-only walks."""

    def __init__(self, model: RuleSet, params: Mapping[str, float | int]) -> None:
        self.model, self.params = model, params
        self._checks: dict[str, Callable[[Answers], int]] = {}
        steps = {node.id: self._step(node) for node in model.tree.nodes}
        for step in steps.values():  # join the steps: a walk follows objects, not ids
            step.link(steps)
        self.start = steps[model.tree.start]
        self.limit = len(model.tree.nodes) + 1

    # --- walks -------------------------------------------------------------------------

    def approach(self, answers: Answers) -> str | None:
        """The approach a walk with these answers reaches; None when it needs more answers."""
        step = self.start
        for _ in range(self.limit):
            if step.approach is not None:
                return step.approach
            next_step = step.follow(answers, None)
            if next_step is None:
                return None
            step = next_step
        raise self._cycle(step)

    def trace(self, answers: Answers) -> Trace:
        step = self.start
        asked: set[str] = set()
        failing: list[Check] = []
        checked = False
        for _ in range(self.limit):
            if step.approach is not None:
                return Trace(step.approach, frozenset(asked), tuple(failing), checked)
            checked = checked or isinstance(step, _ChecksStep)
            next_step = step.follow(answers, (asked, failing))
            if next_step is None:
                return Trace(None, frozenset(asked), tuple(failing), checked)
            step = next_step
        raise self._cycle(step)

    def check_ok(self, check: Check, answers: Answers) -> bool:
        """The check passes or does not apply (as `engine.run_check` would say)."""
        return self._checks[check.id](answers) == OK

    def value_of(self, expr: Any) -> ValueOf:
        """A value expression as a function of the answers (MISSING while it cannot tell)."""
        if isinstance(expr, ParamRef):
            return _constant(self.params[expr.param])
        if isinstance(expr, AnswerRef):
            qid = expr.answer
            return lambda answers: _given(answers.get(qid))
        if isinstance(expr, Lookup):
            table = self.model.table(expr.lookup)
            key, rows, column = table.key, table.rows, expr.field

            def lookup(answers: Answers) -> Any:
                found = answers.get(key)
                return MISSING if found is None else table_row(rows, found)[column]

            return lookup
        if isinstance(expr, Scaled):
            return self._scaled(expr)
        return _constant(expr)

    def _cycle(self, step: _Step) -> RuleSetError:
        name = self.model.name
        return RuleSetError(f"rule set {name!r}: the tree has a cycle through {step.id!r}")

    # --- compiling ---------------------------------------------------------------------

    def _scaled(self, expr: Scaled) -> ValueOf:
        base_id = expr.scaled
        factor, plus = self.value_of(expr.factor), self.value_of(expr.plus)
        fallback = self.value_of(expr.if_missing) if expr.if_missing is not None else None

        def scaled(answers: Answers) -> Any:
            base = answers.get(base_id)
            if base is None:
                return MISSING if fallback is None else fallback(answers)
            return round(base * factor(answers) + plus(answers), 6)  # as Context.value rounds

        return scaled

    def test_of(self, cond: Any) -> Test:
        """A condition as a function of the answers: True, False, or None (cannot tell yet)."""
        if isinstance(cond, Compare):
            return self._compare(cond)
        if isinstance(cond, (AllOf, AnyOf)):
            parts = [self.test_of(c) for c in (cond.all if isinstance(cond, AllOf) else cond.any)]
            return _all_of(parts) if isinstance(cond, AllOf) else _any_of(parts)
        if isinstance(cond, NotOf):
            inner = self.test_of(cond.not_)

            def negated(answers: Answers) -> bool | None:
                value = inner(answers)
                return None if value is None else not value

            return negated
        raise TypeError(f"not a condition: {cond!r}")

    def _compare(self, cond: Compare) -> Test:
        qid, op = cond.answer, cond.operator
        if op in ("in", "not_in"):
            return _membership(qid, cond.operand, negate=op == "not_in")
        if isinstance(cond.operand, ParamRef) or not isinstance(cond.operand, Record):
            # a fixed right-hand side: most conditions, and worth a closure of their own
            operand = cond.operand
            fixed = self.params[operand.param] if isinstance(operand, ParamRef) else operand
            return _fixed_compare(qid, op, fixed)
        right = self.value_of(cond.operand)

        def test(answers: Answers) -> bool | None:
            left = answers.get(qid)
            if left is None:
                return None
            limit = right(answers)
            return None if limit is MISSING else compare(left, op, limit)

        return test

    def _check(self, check: Check) -> Callable[[Answers], int]:
        applies = self.test_of(check.applies) if check.applies is not None else None
        require = self.test_of(check.require)

        def status(answers: Answers) -> int:
            if applies is not None:
                scope = applies(answers)
                if scope is None:
                    return UNSURE
                if scope is False:
                    return OK
            verdict = require(answers)
            return UNSURE if verdict is None else OK if verdict else FAIL

        self._checks[check.id] = status
        return status

    def _step(self, node: Any) -> _Step:
        if isinstance(node, Leaf):
            return _Step(node.id, approach=node.approach)
        if isinstance(node, AskNode):
            branches = [(self._branch(b), b.goto) for b in node.branches]
            return _AskStep(node.id, node.ask, branches, self.model.name)
        assert isinstance(node, ChecksNode)
        checks = [(check, self._check(check)) for check in node.checks]
        return _ChecksStep(node.id, checks, node.on_pass, node.on_fail)

    def _branch(self, branch: Branch) -> Callable[[Any, Answers], bool]:
        if branch.otherwise:
            return lambda value, answers: True
        if branch.when is not None:
            matches = _matcher(list(branch.when))
            return lambda value, answers: matches(value)
        assert branch.range is not None
        rng = branch.range
        bounds = [
            (op, self.value_of(getattr(rng, op)))
            for op in ("ge", "gt", "le", "lt")
            if getattr(rng, op) is not None
        ]

        def in_range(value: Any, answers: Answers) -> bool:
            for op, bound in bounds:
                limit = bound(answers)
                if limit is MISSING or not compare(value, op, limit):
                    return False
            return True

        return in_range


class _Step:
    """A compiled node. Leaves carry their approach; other steps find the next step."""

    approach: str | None

    def __init__(self, node_id: str, approach: str | None = None) -> None:
        self.id, self.approach = node_id, approach

    def link(self, steps: dict[str, _Step]) -> None:
        """Replace target ids by the steps they name."""

    def follow(self, answers: Answers, seen: tuple[set[str], list[Check]] | None) -> _Step | None:
        """The next step, or None when an answer is missing; `seen` collects a trace."""
        raise NotImplementedError


class _AskStep(_Step):
    def __init__(self, node_id: str, qid: str, branches: list[Any], rules_name: str) -> None:
        super().__init__(node_id)
        self.qid, self.branches, self.rules_name = qid, branches, rules_name

    def link(self, steps: dict[str, _Step]) -> None:
        self.branches = [(takes, steps[goto]) for takes, goto in self.branches]

    def follow(self, answers: Answers, seen: tuple[set[str], list[Check]] | None) -> _Step | None:
        if seen is not None:
            seen[0].add(self.qid)
        value = answers.get(self.qid)
        if value is None:
            return None
        for takes, target in self.branches:
            if takes(value, answers):
                return target  # type: ignore[no-any-return]
        raise RuleSetError(
            f"rule set {self.rules_name!r}: node {self.id!r} has no branch for "
            f"{self.qid} = {value!r}"
        )


class _ChecksStep(_Step):
    def __init__(
        self, node_id: str, checks: list[tuple[Check, Any]], on_pass: str, on_fail: str
    ) -> None:
        super().__init__(node_id)
        self.checks, self.targets = checks, (on_pass, on_fail)

    def link(self, steps: dict[str, _Step]) -> None:
        self.on_pass, self.on_fail = steps[self.targets[0]], steps[self.targets[1]]

    def follow(self, answers: Answers, seen: tuple[set[str], list[Check]] | None) -> _Step | None:
        unsure = False
        if seen is None:  # outcome only: the first failing check settles it
            for _, status in self.checks:
                found = status(answers)
                if found == FAIL:
                    return self.on_fail
                unsure = unsure or found == UNSURE
            return None if unsure else self.on_pass
        failing = seen[1]
        failing.clear()  # a trace reports the failures of the last checks it passes through
        for check, status in self.checks:
            found = status(answers)
            if found == FAIL:
                failing.append(check)
            unsure = unsure or found == UNSURE
        if failing:
            return self.on_fail
        return None if unsure else self.on_pass


def _constant(value: Any) -> ValueOf:
    return lambda answers: value


def _given(value: Any) -> Any:
    return MISSING if value is None else value


def _matcher(options: list[Any]) -> Callable[[Any], bool]:
    """Is a given value among `options`, as `engine._in` says (true must not match 1)."""
    if all(isinstance(o, str) for o in options):
        texts = frozenset(options)  # a value that is not text equals no text: set lookup
        return lambda value: isinstance(value, str) and value in texts
    if all(isinstance(o, bool) for o in options):
        flags = frozenset(options)
        return lambda value: isinstance(value, bool) and value in flags
    return lambda value: any(
        isinstance(value, bool) == isinstance(o, bool) and value == o for o in options
    )


def _membership(qid: str, options: list[Any], negate: bool) -> Test:
    matches = _matcher(list(options))

    def member(answers: Answers) -> bool | None:
        value = answers.get(qid)
        return None if value is None else matches(value) is not negate

    return member


def _fixed_compare(qid: str, op: str, right: Any) -> Test:
    """`answer <op> right` for a right-hand side known before any answer (as `compare`)."""
    if op in ("eq", "ne"):
        matches, negate = _matcher([right]), op == "ne"

        def equal(answers: Answers) -> bool | None:
            value = answers.get(qid)
            return None if value is None else matches(value) is not negate

        return equal

    def ordered(answers: Answers) -> bool | None:
        value = answers.get(qid)
        return None if value is None else compare(value, op, right)

    return ordered


def _all_of(parts: list[Test]) -> Test:
    def all_of(answers: Answers) -> bool | None:
        unsure = False
        for part in parts:
            value = part(answers)
            if value is False:
                return False
            unsure = unsure or value is None
        return None if unsure else True

    return all_of


def _any_of(parts: list[Test]) -> Test:
    def any_of(answers: Answers) -> bool | None:
        unsure = False
        for part in parts:
            value = part(answers)
            if value is True:
                return True
            unsure = unsure or value is None
        return None if unsure else False

    return any_of


def outcomes_for(model: RuleSet, params: Mapping[str, float | int]) -> Outcomes:
    """The compiled form of a rule set with these parameters, built once and kept on it."""
    cache: dict[Any, Outcomes] = model.__dict__.setdefault("_outcomes", {})
    key = tuple(sorted(params.items()))
    if key not in cache:
        cache[key] = Outcomes(model, params)
    return cache[key]
