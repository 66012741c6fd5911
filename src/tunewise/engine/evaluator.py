"""The evaluator: the tree compiled once (see `engine.compile`), and its outcome-only walks.

Every command asks this one form: `engine.walk_need` explains a walk over its steps (texts,
missing answers, questions read), the what-if search and `check` walk it for outcomes only,
thousands of times in a batch, and `rules lint` proves over its branch tests.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from tunewise.engine.compile import (
    Answers,
    Compiler,
    Test,
    Unknown,
    ValueOf,
    conditions_in,
    remembered,
)
from tunewise.errors import RuleSetError
from tunewise.ruleset.records import (
    ARITHMETIC,
    AskNode,
    Branch,
    Check,
    ChecksNode,
    Choose,
    First,
    FormulaRef,
    Leaf,
    Lookup,
    Node,
    RuleSet,
    Scaled,
)

__all__ = [
    "FAIL",
    "NOT_APPLICABLE",
    "PASS",
    "Budget",
    "CompiledCheck",
    "OutOfSteps",
    "Outcomes",
    "Trace",
    "Unknown",
    "UnknownScope",
    "outcomes_for",
]

# A check's verdict: one of these, or an Unknown naming the answers that would settle it
# (an `UnknownScope` when they are the answers `applies` needs).
PASS, NOT_APPLICABLE, FAIL = "pass", "n/a", "fail"


MAX_STEPS = 250_000  # a search's steps through the tree; the examples need under 3,000


class OutOfSteps(Exception):
    """A search spent its budget: it ends with what it has found."""


class Budget:
    """The work a search may do, in steps of walks through the tree. A rule set with a
    thousand questions has millions of pairs of changes, each walked a thousand nodes deep;
    past the bound the search stops (`stopped`) with what it has found."""

    def __init__(self, steps: int | None = None) -> None:
        self.limit = self.left = MAX_STEPS if steps is None else steps
        self.stopped = False

    def spend(self, steps: int) -> None:
        if self.left <= 0:
            self.stopped = True
            raise OutOfSteps
        self.left -= steps


MAX_PATHS_KEPT = 4096  # paths whose `Outcomes.turning` is kept


class Trace(NamedTuple):
    """Where a walk ended, the questions its path asks, the checks failing at its last checks
    (and whether it reached any checks), and the nodes it passed."""

    approach: str | None
    asked: frozenset[str]
    failing: tuple[Check, ...]
    checked: bool
    path: tuple[str, ...]


class NoBranch(RuleSetError):
    """No branch of an ask node takes a given answer: a gap in the rule set's tree (the node
    and the question are kept, so that `check` can place the gap)."""

    def __init__(self, rules_name: str, node_id: str, qid: str, value: Any) -> None:
        super().__init__(
            f"rule set {rules_name!r}: node {node_id!r} has no branch for {qid} = {value!r}"
        )
        self.rules_name, self.node_id, self.qid, self.value = rules_name, node_id, qid, value

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt whole when it crosses from a worker
        return (NoBranch, (self.rules_name, self.node_id, self.qid, self.value))


class UnknownScope(Unknown):
    """A check whose `applies` cannot be told yet: its `require` was not read."""

    __slots__ = ()


class CompiledCheck:
    """A check's conditions as tests, and its verdict: the one place that decides whether a
    check passes, fails, does not apply or cannot be told yet (every walk asks it)."""

    def __init__(self, check: Check, compiler: Compiler) -> None:
        self.check = check
        self.applies: Test | None = (
            compiler.test_of(check.applies) if check.applies is not None else None
        )
        self.require: Test = compiler.test_of(check.require)
        self._scope_reads = compiler.reads_of(check.applies)
        self._all_reads = (*self._scope_reads, *compiler.reads_of(check.require))
        self.verdict = self._verdict()
        computed = (c for part in (check.applies, check.require) for c in conditions_in(part))
        if any(type(c) in COMPUTED for c in computed):
            self.verdict = remembered(self.verdict, tuple(dict.fromkeys(self._all_reads)))

    def _verdict(self) -> Callable[[Answers], Any]:
        applies, require = self.applies, self.require

        def verdict(answers: Answers) -> Any:
            """PASS, NOT_APPLICABLE, FAIL, or an Unknown (UnknownScope for `applies`)."""
            if applies is not None:
                scope = applies(answers)
                if scope is False:
                    return NOT_APPLICABLE
                if scope is not True:
                    return UnknownScope(scope.missing)
            truth = require(answers)
            return PASS if truth is True else FAIL if truth is False else truth

        return verdict

    def reads(self, verdict: Any) -> tuple[str, ...]:
        """The questions deciding `verdict` read: `applies`, then `require` unless the check
        does not apply or its scope cannot be told."""
        if verdict is NOT_APPLICABLE or verdict.__class__ is UnknownScope:
            return self._scope_reads
        return self._all_reads


# Values worked out from answers (costs, memory): a check comparing with one is remembered.
COMPUTED = frozenset({FormulaRef, Lookup, Scaled, First, Choose, *ARITHMETIC})


class Outcomes(Compiler):
    """One rule set with its parameters, compiled: the steps of its tree and every test."""

    def __init__(self, model: RuleSet, params: Mapping[str, float | int]) -> None:
        super().__init__(model, params)
        self.compiled_checks: dict[str, CompiledCheck] = {}
        self.steps: dict[str, Step] = {node.id: self._step(node) for node in model.tree.nodes}
        for step in self.steps.values():  # join the steps: a walk follows objects, not ids
            step.link(self.steps)
        self.start = self.steps[model.tree.start]
        self.limit = len(model.tree.nodes) + 1
        self._tests: dict[int, Test] = {}
        self._lookups: dict[tuple[str, str], ValueOf] = {}
        self._turning: dict[tuple[str, ...], frozenset[str]] = {}  # see `turning`

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
        raise self.cycle(step.id)

    def approach_within(self, answers: Answers, budget: Budget) -> str | None:
        """`approach`, paying each step from `budget` (raises OutOfSteps once it is spent)."""
        step = self.start
        for taken in range(1, self.limit + 1):
            if step.approach is not None:
                budget.spend(taken)
                return step.approach
            next_step = step.follow(answers, None)
            if next_step is None:
                budget.spend(taken)
                return None
            step = next_step
        raise self.cycle(step.id)

    def trace(self, answers: Answers) -> Trace:
        step = self.start
        asked: set[str] = set()
        failing: list[Check] = []
        checked = False
        path: list[str] = []
        for _ in range(self.limit):
            path.append(step.id)
            if step.approach is not None:
                return Trace(step.approach, frozenset(asked), tuple(failing), checked, tuple(path))
            checked = checked or isinstance(step, ChecksStep)
            next_step = step.follow(answers, (asked, failing))
            if next_step is None:
                return Trace(None, frozenset(asked), tuple(failing), checked, tuple(path))
            step = next_step
        raise self.cycle(step.id)

    def turning(self, path: Sequence[str]) -> frozenset[str]:
        """The questions read by checks a walk along `path` passed, a change to which may
        turn it there: every check of a checks node it passed (made to fail, the walk goes
        to `on_fail`), and of one it failed before its last checks (made to pass). Not those
        of the last it failed: their failing checks are weighed together (see
        `whatif.pruner`), and making another of them fail changes nothing. A tree has few
        paths, and every search asks for several: each is worked out once."""
        key = tuple(path)
        found = self._turning.get(key)
        if found is None:
            if len(self._turning) >= MAX_PATHS_KEPT:  # a tree of many paths: bounded memory
                self._turning.clear()
            found = self._turning[key] = self._turned_at(key)
        return found

    def _turned_at(self, path: tuple[str, ...]) -> frozenset[str]:
        at = [i for i, node in enumerate(path) if isinstance(self.steps[node], ChecksStep)]
        found: set[str] = set()
        for i in at:
            step = self.steps[path[i]]
            assert isinstance(step, ChecksStep)
            if step.on_pass is step.on_fail:
                continue  # wherever its checks end, the walk goes on the same
            passed = i + 1 < len(path) and path[i + 1] == step.on_pass.id
            if not passed and i == at[-1]:
                continue
            for compiled in step.checks:
                found.update(self.check_reads[compiled.check.id])
        return frozenset(found)

    def check_ok(self, check: Check, answers: Answers) -> bool:
        """The check passes or does not apply."""
        found = self.compiled_checks[check.id].verdict(answers)
        return found is PASS or found is NOT_APPLICABLE

    def test(self, cond: Any, answers: Answers) -> Any:
        """A condition of the rule set (compiled on first use): True, False or an Unknown."""
        compiled = self._tests.get(id(cond))
        if compiled is None:
            compiled = self._tests[id(cond)] = self.test_of(cond)
        return compiled(answers)

    def lookup(self, table: str, column: str) -> ValueOf:
        """A table cell as a function of the answers, as a text placeholder names it."""
        key = (table, column)
        found = self._lookups.get(key)
        if found is None:
            found = self._lookups[key] = self.value_of(Lookup(lookup=table, field=column, at=None))
        return found

    def formula(self, name: str) -> ValueOf:
        """A named formula as a function of the answers, as a text placeholder names it."""
        return self.value_of(FormulaRef(formula=name))

    def cycle(self, node_id: str) -> RuleSetError:
        name = self.model.name
        return RuleSetError(f"rule set {name!r}: the tree has a cycle through {node_id!r}")

    @functools.cached_property
    def plain(self) -> Compiler:
        """The same rule set compiled without the formulas' memos, for evaluations that vary
        an answer the formulas read (a bound along one answer, see `whatif.candidates`):
        there every memo misses, and its keys cost more than the values (measured on the
        default cost bound: 13.1 µs an evaluation with the memos, 7.8 µs without)."""
        return Compiler(self.model, self.params, remember=False)

    # --- what the rule set reads ------------------------------------------------------------

    @functools.cached_property
    def checks(self) -> dict[str, Check]:
        return {cid: compiled.check for cid, compiled in self.compiled_checks.items()}

    @functools.cached_property
    def check_reads(self) -> dict[str, frozenset[str]]:
        """The questions each check reads (in `applies`, `require` and value expressions)."""
        return {cid: frozenset(self.reads_of_check(check)) for cid, check in self.checks.items()}

    def reads_of_check(self, check: Check) -> tuple[str, ...]:
        """What a check reads to decide, in order: `require` first (its first question is the
        answer the check is about), then `applies`."""
        found = dict.fromkeys(self.reads_of(check.require))
        found.update(dict.fromkeys(self.reads_of(check.applies)))
        return tuple(found)

    @functools.cached_property
    def bound_reads(self) -> dict[str, frozenset[str]]:
        """Per asked question, the other answers its ask nodes' branch bounds read (a range
        `ge: {answer: target}`): a change to one of them can move the path as a change to the
        asked answer can."""
        found: dict[str, set[str]] = {}
        for node in self.model.tree.nodes:
            if isinstance(node, AskNode):
                reads = found.setdefault(node.ask, set())
                reads.update(q for b in node.branches for q in self.reads_of(b) if q != node.ask)
        return {qid: frozenset(reads) for qid, reads in found.items() if reads}

    def path_questions(self, path: list[str]) -> set[str]:
        """The questions the ask nodes of a path ask."""
        return {s.qid for s in map(self.steps.__getitem__, path) if isinstance(s, AskStep)}

    # --- compiling ---------------------------------------------------------------------

    def _step(self, node: Node) -> Step:
        if isinstance(node, Leaf):
            return Step(node, approach=node.approach)
        if isinstance(node, AskNode):
            branches = [(self.branch_test(b), b.goto, b) for b in node.branches]
            step = AskStep(node, branches, self.model.name, self.text_branches(node))
            read: dict[str, None] = {}  # what the branches read, each with those before it
            for branch in node.branches:
                read.update(dict.fromkeys(self.reads_of(branch)))
                step.read_through[id(branch)] = tuple(read)
            return step
        checks = []
        for check in node.checks:
            compiled = self.compiled_checks[check.id] = CompiledCheck(check, self)
            checks.append(compiled)
        return ChecksStep(node, checks)


class Step:
    """A compiled node. Leaves carry their approach; other steps find the next step."""

    approach: str | None

    def __init__(self, node: Node, approach: str | None = None) -> None:
        self.node, self.id, self.approach = node, node.id, approach

    def link(self, steps: dict[str, Step]) -> None:
        """Replace target ids by the steps they name."""

    def follow(self, answers: Answers, seen: tuple[set[str], list[Check]] | None) -> Step | None:
        """The next step, or None when an answer is missing; `seen` collects a trace."""
        raise NotImplementedError


class AskStep(Step):
    def __init__(
        self,
        node: AskNode,
        branches: list[Any],
        rules_name: str,
        by_text: tuple[dict[str, int], int | None] | None = None,
    ) -> None:
        super().__init__(node)
        self.qid, self.branches, self.rules_name = node.ask, branches, rules_name
        self.records = node.branches
        self._by_text = by_text  # see `Compiler.text_branches`
        # where a text answer leads, and any other text (None: the branches decide)
        self.by_text: dict[str, Step] | None = None
        self.otherwise: Step | None = None
        # What a branch's bounds read and those of the branches tried before it, by the
        # branch's id: an explaining walk counts them as used (see `walk_need`).
        self.read_through: dict[int, tuple[str, ...]] = {}

    def link(self, steps: dict[str, Step]) -> None:
        self.branches = [(takes, steps[goto], branch) for takes, goto, branch in self.branches]
        if self._by_text is not None:
            table, otherwise = self._by_text
            self.by_text = {text: self.branches[at][1] for text, at in table.items()}
            self.otherwise = self.branches[otherwise][1] if otherwise is not None else None

    def branch_for(self, value: Any, answers: Answers) -> tuple[Branch, Step] | Unknown:
        """The first branch that takes this given answer, and where it leads; an Unknown when
        a branch before it compares with a bound that needs answers not given yet."""
        for takes, target, branch in self.branches:
            taken = takes(value, answers)
            if taken is True:
                return branch, target
            if taken is not False:
                return taken  # type: ignore[no-any-return]
        raise NoBranch(self.rules_name, self.id, self.qid, value)

    def follow(self, answers: Answers, seen: tuple[set[str], list[Check]] | None) -> Step | None:
        if seen is not None:
            seen[0].add(self.qid)
        value = answers.get(self.qid)
        if value is None:
            return None
        if self.by_text is not None and isinstance(value, str):
            found = self.by_text.get(value, self.otherwise)
            if found is not None:
                return found
        for takes, target, _ in self.branches:
            taken = takes(value, answers)
            if taken is True:
                return target  # type: ignore[no-any-return]
            if taken is not False:  # a bound needs answers not given yet
                return None
        raise NoBranch(self.rules_name, self.id, self.qid, value)


class ChecksStep(Step):
    def __init__(self, node: ChecksNode, checks: list[CompiledCheck]) -> None:
        super().__init__(node)
        self.checks = checks
        self.verdicts = [(c.check, c.verdict) for c in checks]
        self.targets = (node.on_pass, node.on_fail)

    def link(self, steps: dict[str, Step]) -> None:
        self.on_pass, self.on_fail = steps[self.targets[0]], steps[self.targets[1]]

    def follow(self, answers: Answers, seen: tuple[set[str], list[Check]] | None) -> Step | None:
        unsure = False
        if seen is None:  # outcome only: the first failing check settles it
            for _, verdict in self.verdicts:
                found = verdict(answers)
                if found is FAIL:
                    return self.on_fail
                unsure = unsure or (found is not PASS and found is not NOT_APPLICABLE)
            return None if unsure else self.on_pass
        failing = seen[1]
        failing.clear()  # a trace reports the failures of the last checks it passes through
        for check, verdict in self.verdicts:
            found = verdict(answers)
            if found is FAIL:
                failing.append(check)
            unsure = unsure or (found is not PASS and found is not NOT_APPLICABLE)
        if failing:
            return self.on_fail
        return None if unsure else self.on_pass


# One compiled form per rule set and parameters, dropped with the rule set.
_COMPILED: weakref.WeakKeyDictionary[RuleSet, dict[Any, Outcomes]] = weakref.WeakKeyDictionary()


def outcomes_for(model: RuleSet, params: Mapping[str, float | int]) -> Outcomes:
    """The compiled form of a rule set with these parameters, built once."""
    cache = _COMPILED.setdefault(model, {})
    key = tuple(sorted(params.items()))
    found = cache.get(key)
    if found is None:
        found = cache[key] = Outcomes(model, params)
    return found
