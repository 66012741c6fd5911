"""Outcome-only walks for what-if searches, over the tree compiled once (see `closures`).

`engine.walk_need` explains a walk (texts, missing answers, questions used); a search only needs
where a walk ends, and asks that thousands of times in a batch. The same walk as the engine's
(tests hold them in step).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from tunewise.closures import MISSING, Answers, Compiler
from tunewise.compiled import AskNode, Check, ChecksNode, Leaf, RuleSet
from tunewise.errors import RuleSetError

__all__ = ["MISSING", "Outcomes", "Trace", "outcomes_for"]

OK, FAIL, UNSURE = 0, 1, 2  # a check's status as a walk sees it: pass or n/a, fail, unknown


class Trace(NamedTuple):
    """Where a walk ended, the questions its path asks, the checks failing at its last checks
    (and whether it reached any checks)."""

    approach: str | None
    asked: frozenset[str]
    failing: tuple[Check, ...]
    checked: bool


class Outcomes(Compiler):
    """One rule set with its parameters, compiled for outcome-only walks."""

    def __init__(self, model: RuleSet, params: Mapping[str, float | int]) -> None:
        super().__init__(model, params)
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

    def _cycle(self, step: _Step) -> RuleSetError:
        name = self.model.name
        return RuleSetError(f"rule set {name!r}: the tree has a cycle through {step.id!r}")

    # --- compiling ---------------------------------------------------------------------

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
            branches = [(self.branch_test(b), b.goto) for b in node.branches]
            return _AskStep(node.id, node.ask, branches, self.model.name)
        assert isinstance(node, ChecksNode)
        checks = [(check, self._check(check)) for check in node.checks]
        return _ChecksStep(node.id, checks, node.on_pass, node.on_fail)


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


def outcomes_for(model: RuleSet, params: Mapping[str, float | int]) -> Outcomes:
    """The compiled form of a rule set with these parameters, built once and kept on it."""
    cache: dict[Any, Outcomes] = model.__dict__.setdefault("_outcomes", {})
    key = tuple(sorted(params.items()))
    if key not in cache:
        cache[key] = Outcomes(model, params)
    return cache[key]
