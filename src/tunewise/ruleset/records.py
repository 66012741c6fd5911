"""The rule set as the engine reads it: plain records made from a pydantic-validated rule set.

No pydantic here, so the built-in rule set, validated at build time (see `ruleset.shipped`),
loads without paying for pydantic's import and schema building. Every class mirrors the model
of the same name in `ruleset/schema.py` field for field (tests keep the two in step); YAML spellings
that are Python keywords are in ALIASES.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Union

Scalar = Union[bool, int, float, str]  # noqa: UP007 (a runtime alias: `|` of classes is fine too)
Approach = Literal["prompt", "rag", "fine-tune"]
Verdict = Literal["prompt", "rag", "fine-tune", "hybrid", "undecided"]
OPERATORS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge")


class Record:
    """Fields set once from validated data; equality is identity (records are never rebuilt)."""

    FIELDS: ClassVar[tuple[str, ...]] = ()
    ALIASES: ClassVar[dict[str, str]] = {}  # Python name -> YAML key, where they differ

    def __init_subclass__(cls) -> None:
        own: dict[str, str] = vars(cls).get("__annotations__", {})  # no `inspect`: slow import
        cls.FIELDS = tuple(name for name, kind in own.items() if "ClassVar" not in str(kind))

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)
        self._derive()

    def _derive(self) -> None:
        """Compute lookups kept beside the fields (never pickled: rebuilt on load)."""

    def __getstate__(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in self.FIELDS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._derive()

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self.__dict__.get(name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({shown})"


# --- value expressions ------------------------------------------------------------------


class ParamRef(Record):
    param: str


class AnswerRef(Record):
    answer: str


class Lookup(Record):
    lookup: str
    field: str
    at: Value | None


class Scaled(Record):
    scaled: str
    factor: Value
    plus: Value
    if_missing: Value | None


class FormulaRef(Record):
    formula: str


class Sum(Record):
    sum: list[Value]


class Product(Record):
    product: list[Value]


class Minimum(Record):
    min: list[Value]


class Maximum(Record):
    max: list[Value]


class Quotient(Record):
    quotient: list[Value]


class First(Record):
    first: list[Value]


class Choose(Record):
    ALIASES: ClassVar[dict[str, str]] = {"if_": "if", "else_": "else"}
    if_: Condition
    then: Value
    else_: Value | None


# The arithmetic value kinds, each with the field holding its operands.
ARITHMETIC: dict[type[Record], str] = {
    Sum: "sum",
    Product: "product",
    Minimum: "min",
    Maximum: "max",
    Quotient: "quotient",
}

Value = Union[  # noqa: UP007
    Scalar,
    ParamRef,
    AnswerRef,
    Lookup,
    Scaled,
    FormulaRef,
    Sum,
    Product,
    Minimum,
    Maximum,
    Quotient,
    First,
    Choose,
]

# --- conditions -------------------------------------------------------------------------


class Compare(Record):
    ALIASES: ClassVar[dict[str, str]] = {"in_": "in"}
    answer: str
    eq: Value | None
    ne: Value | None
    in_: list[Scalar] | None
    not_in: list[Scalar] | None
    lt: Value | None
    le: Value | None
    gt: Value | None
    ge: Value | None

    def _derive(self) -> None:
        # Validation guarantees exactly one operator; walks read it constantly.
        for op in OPERATORS:
            value = self.__dict__.get("in_" if op == "in" else op)
            if value is not None:
                self.operator: str = op
                self.operand: Any = value
                return


class AllOf(Record):
    all: list[Condition]


class AnyOf(Record):
    any: list[Condition]


class NotOf(Record):
    ALIASES: ClassVar[dict[str, str]] = {"not_": "not"}
    not_: Condition


Condition = Union[Compare, AllOf, AnyOf, NotOf]  # noqa: UP007

# --- registry pieces --------------------------------------------------------------------


class Source(Record):
    id: str
    title: str
    kind: Literal["seed", "guide", "paper"]
    location: str


class Reason(Record):
    text: str
    sources: list[str]


class Message(Record):
    when: Condition | None
    text: str
    sources: list[str]


class Parameter(Record):
    id: str
    type: Literal["integer", "number"]
    default: int | float
    min: int | float | None
    max: int | float | None
    help: str
    sources: list[str]


class Table(Record):
    id: str
    key: str
    columns: list[str]
    rows: list[dict[str, Scalar]]
    title: str
    as_of: str | None
    sources: list[str]


class Choice(Record):
    value: str
    meaning: str


class Question(Record):
    id: str
    scope: Literal["need", "project"]
    type: Literal["choice", "bool", "integer", "number"]
    prompt: str
    help: str
    choices: list[Choice] | None
    min: int | float | None
    max: int | float | None
    min_exclusive: bool
    default: Scalar | None
    optional: bool
    what_if: bool
    sources: list[str]
    need_override: bool
    never_lower: bool
    work: dict[str, str]
    help_by: dict[str, dict[str, str]]  # answer of another question -> help for that case

    @property
    def values(self) -> list[str]:
        return [c.value for c in self.choices or []]


# --- the tree ---------------------------------------------------------------------------


class Range(Record):
    ge: Value | None
    gt: Value | None
    le: Value | None
    lt: Value | None


class Branch(Record):
    when: list[Scalar] | None
    range: Range | None
    otherwise: bool
    goto: str
    reasons: list[Reason]


class AskNode(Record):
    type: Literal["ask"]
    id: str
    ask: str
    title: str
    branches: list[Branch]


class Check(Record):
    ALIASES: ClassVar[dict[str, str]] = {"passed": "pass"}
    id: str
    title: str
    applies: Condition | None
    require: Condition
    fail: list[Message]
    passed: Reason | None
    warn: list[Message]


class ChecksNode(Record):
    ALIASES: ClassVar[dict[str, str]] = {"on_pass": "pass", "on_fail": "fail"}
    type: Literal["checks"]
    id: str
    title: str
    checks: list[Check]
    on_pass: str
    on_fail: str


class Leaf(Record):
    type: Literal["leaf"]
    id: str
    title: str
    approach: Approach
    reasons: list[Reason]
    warnings: list[Message]
    next_steps: list[Message]
    advice: list[str]


Node = Union[AskNode, ChecksNode, Leaf]  # noqa: UP007


def node_targets(node: Node) -> list[str]:
    """The ids a node leads to: each branch's, or pass then fail; none for a leaf."""
    if isinstance(node, AskNode):
        return [b.goto for b in node.branches]
    if isinstance(node, ChecksNode):
        return [node.on_pass, node.on_fail]
    return []


class Tree(Record):
    start: str
    nodes: list[Node]


class AdviceOption(Record):
    when: Condition | None
    value: str
    text: str
    sources: list[str]


class Advice(Record):
    id: str
    title: str
    options: list[AdviceOption]


class Formula(Record):
    id: str
    value: Value
    unit: str
    help: str
    sources: list[str]


class Estimate(Record):
    training_tokens: Value
    epochs: Value
    compute_usd: Value
    effort_low_usd: Value
    effort_high_usd: Value
    serving_usd_per_month: Value | None
    prices: list[str]


class RuleSet(Record):
    tunewise_rules: Literal[1]
    name: str
    version: str
    description: str
    sources: list[Source]
    parameters: list[Parameter]
    tables: list[Table]
    formulas: list[Formula]
    questions: list[Question]
    tree: Tree
    advice: list[Advice]
    estimate: Estimate | None
    verdict_notes: dict[Verdict, list[Reason]]

    def _derive(self) -> None:
        self._index: dict[str, dict[str, Any]] = dict(
            source={s.id: s for s in self.sources},
            parameter={p.id: p for p in self.parameters},
            table={t.id: t for t in self.tables},
            formula={f.id: f for f in self.formulas},
            question={q.id: q for q in self.questions},
            node={n.id: n for n in self.tree.nodes},
            advice={a.id: a for a in self.advice},
        )

    def source(self, sid: str) -> Source:
        return self._index["source"][sid]  # type: ignore[no-any-return]

    def question(self, qid: str) -> Question:
        return self._index["question"][qid]  # type: ignore[no-any-return]

    def node(self, nid: str) -> Node:
        return self._index["node"][nid]  # type: ignore[no-any-return]

    def table(self, tid: str) -> Table:
        return self._index["table"][tid]  # type: ignore[no-any-return]

    def formula(self, fid: str) -> Formula:
        return self._index["formula"][fid]  # type: ignore[no-any-return]

    def advice_list(self, aid: str) -> Advice:
        return self._index["advice"][aid]  # type: ignore[no-any-return]

    def has(self, kind: str, ident: str) -> bool:
        return ident in self._index[kind]

    def ids(self, kind: str) -> list[str]:
        return list(self._index[kind])


# Every record class by name: what `rules.compile_rules` builds and the cache may unpickle.
RECORDS: dict[str, type[Record]] = {
    cls.__name__: cls for cls in Record.__subclasses__() if cls.__module__ == __name__
}
