"""Pydantic models of a rule set: sources, parameters, tables, questions, the tree and advice.

They validate a rule set's YAML; `ruleset.load` then hands the engine the plain records
of `ruleset/records.py`, which mirror these models field for field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    model_validator,
)

from tunewise.ruleset.records import OPERATORS

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Scalar = StrictBool | StrictInt | StrictFloat | StrictStr
Number = StrictInt | StrictFloat
Approach = Literal["prompt", "rag", "fine-tune"]
Verdict = Literal["prompt", "rag", "fine-tune", "hybrid", "undecided"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


# --- value expressions (declarative: looked up, never executed) -------------------------


class ParamRef(Strict):
    param: Slug


class AnswerRef(Strict):
    answer: Slug


class Lookup(Strict):
    """The `field` column of the table row whose `from` is the largest not above the key: the
    value of `at` when given, else the answer to the table's `key` question."""

    lookup: Slug
    field: Slug
    at: Value | None = None


class Scaled(Strict):
    """factor × answer + plus; `if_missing` when the answer is not given."""

    scaled: Slug
    factor: Value
    plus: Value = 0
    if_missing: Value | None = None


class FormulaRef(Strict):
    """The value of a named formula of the rule set."""

    formula: Slug


class Sum(Strict):
    sum: list[Value] = Field(min_length=1)


class Product(Strict):
    product: list[Value] = Field(min_length=1)


class Minimum(Strict):
    min: list[Value] = Field(min_length=1)


class Maximum(Strict):
    max: list[Value] = Field(min_length=1)


class Quotient(Strict):
    """dividend ÷ divisor; a positive dividend over 0 is infinite (compares above anything)."""

    quotient: list[Value] = Field(min_length=2, max_length=2)


class First(Strict):
    """The first of its values that is known: "measured, else answered, else a default"."""

    first: list[Value] = Field(min_length=1)


class Choose(Strict):
    """`then` when the condition holds, `else` when it does not (no `else`: no value, e.g. a
    serving cost that exists only on a hosted route); unknown while it cannot tell."""

    model_config = ConfigDict(populate_by_name=True)
    if_: Condition = Field(alias="if")
    then: Value
    else_: Value | None = Field(default=None, alias="else")


VALUE_KINDS: dict[str, type[Strict]] = {
    "param": ParamRef,
    "answer": AnswerRef,
    "lookup": Lookup,
    "scaled": Scaled,
    "formula": FormulaRef,
    "sum": Sum,
    "product": Product,
    "min": Minimum,
    "max": Maximum,
    "quotient": Quotient,
    "first": First,
    "if": Choose,
}


def _value_kind(raw: Any) -> str | None:
    if isinstance(raw, dict):
        for key in VALUE_KINDS:
            if key in raw:
                return key
        return None
    if isinstance(raw, BaseModel):
        return next((k for k, cls in VALUE_KINDS.items() if type(raw) is cls), None)
    return "literal"


Value = Annotated[
    Annotated[Scalar, Tag("literal")]
    | Annotated[ParamRef, Tag("param")]
    | Annotated[AnswerRef, Tag("answer")]
    | Annotated[Lookup, Tag("lookup")]
    | Annotated[Scaled, Tag("scaled")]
    | Annotated[FormulaRef, Tag("formula")]
    | Annotated[Sum, Tag("sum")]
    | Annotated[Product, Tag("product")]
    | Annotated[Minimum, Tag("min")]
    | Annotated[Maximum, Tag("max")]
    | Annotated[Quotient, Tag("quotient")]
    | Annotated[First, Tag("first")]
    | Annotated[Choose, Tag("if")],
    Discriminator(
        _value_kind,
        custom_error_type="invalid_value",
        custom_error_message="expected a literal, {param: ...}, {answer: ...}, "
        "{lookup: ..., field: ...}, {scaled: ..., factor: ...}, {formula: ...}, "
        "{sum|product|min|max|first: [...]}, {quotient: [a, b]} or {if: ..., then: ..., else: ...}",
    ),
]

# --- conditions -------------------------------------------------------------------------


class Compare(Strict):
    """`{answer: examples, ge: {param: min_examples}}` — exactly one operator."""

    model_config = ConfigDict(populate_by_name=True)
    answer: Slug
    eq: Value | None = None
    ne: Value | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    not_in: list[Scalar] | None = None
    lt: Value | None = None
    le: Value | None = None
    gt: Value | None = None
    ge: Value | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Compare:
        given = [op for op in OPERATORS if getattr(self, _attr(op)) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one operator of {', '.join(OPERATORS)}")
        return self


def _attr(op: str) -> str:
    return "in_" if op == "in" else op


class AllOf(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    any: list[Condition] = Field(min_length=1)


class NotOf(Strict):
    model_config = ConfigDict(populate_by_name=True)
    not_: Condition = Field(alias="not")


def _condition_kind(raw: Any) -> str | None:
    if isinstance(raw, dict):
        for key in ("all", "any", "not", "answer"):
            if key in raw:
                return key
        return None
    tags: dict[type, str] = {AllOf: "all", AnyOf: "any", NotOf: "not", Compare: "answer"}
    return tags.get(type(raw))


Condition = Annotated[
    Annotated[Compare, Tag("answer")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")],
    Discriminator(
        _condition_kind,
        custom_error_type="invalid_condition",
        custom_error_message="expected {answer: ID, <op>: VALUE}, {all: [...]}, {any: [...]} "
        "or {not: ...}",
    ),
]

# --- registry pieces --------------------------------------------------------------------


class Source(Strict):
    id: Slug
    title: StrictStr = Field(min_length=1)
    kind: Literal["seed", "guide", "paper"] = "guide"
    location: StrictStr = ""


class Reason(Strict):
    text: StrictStr = Field(min_length=1)
    sources: list[Slug] = Field(min_length=1)


class Message(Strict):
    """A reason shown only when `when` holds (no `when`: always)."""

    when: Condition | None = None
    text: StrictStr = Field(min_length=1)
    sources: list[Slug] = Field(min_length=1)


class Parameter(Strict):
    id: Slug
    type: Literal["integer", "number"]
    default: Number
    min: Number | None = None
    max: Number | None = None
    help: StrictStr = ""
    sources: list[Slug] = []

    @model_validator(mode="after")
    def _default_fits(self) -> Parameter:
        if self.type == "integer" and not isinstance(self.default, int):
            raise ValueError("an integer parameter needs a whole-number default")
        if self.min is not None and self.default < self.min:
            raise ValueError(f"default {self.default} is below min {self.min}")
        if self.max is not None and self.default > self.max:
            raise ValueError(f"default {self.default} is above max {self.max}")
        return self


class Table(Strict):
    """Rows keyed by a numeric answer: a row applies from its `from` value upwards."""

    id: Slug
    key: Slug
    columns: list[Slug] = Field(min_length=1)
    rows: list[dict[Slug, Scalar]] = Field(min_length=1)
    title: StrictStr = ""
    as_of: StrictStr | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    sources: list[Slug] = []

    @model_validator(mode="after")
    def _rows_fit(self) -> Table:
        previous: float | None = None
        for index, row in enumerate(self.rows):
            if set(row) != {"from", *self.columns}:
                raise ValueError(f"row {index} must have exactly: from, {', '.join(self.columns)}")
            start = row["from"]
            if isinstance(start, bool) or not isinstance(start, (int, float)):
                raise ValueError(f"row {index}: 'from' must be a number")
            if previous is not None and start <= previous:
                raise ValueError(f"row {index}: 'from' values must increase")
            previous = start
        return self


class Choice(Strict):
    value: Slug
    meaning: StrictStr = Field(min_length=1)


class Question(Strict):
    id: Slug
    scope: Literal["need", "project"]
    type: Literal["choice", "bool", "integer", "number"]
    prompt: StrictStr = Field(min_length=1)
    help: StrictStr = ""
    choices: list[Choice] | None = None
    min: Number | None = None
    max: Number | None = None
    min_exclusive: StrictBool = False
    default: Scalar | None = None
    optional: StrictBool = False
    what_if: StrictBool = True
    sources: list[Slug] = []
    need_override: StrictBool = False
    never_lower: StrictBool = False
    work: dict[StrictStr, StrictStr] = {}
    # Help for a need whose answer to another question is a given value, e.g. `prompting`'s
    # help for `kind: cost`: {kind: {cost: "..."}}; `help` is shown when none applies.
    help_by: dict[Slug, dict[StrictStr, StrictStr]] = {}

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if (self.type == "choice") != bool(self.choices):
            raise ValueError("'choices' is required for, and only for, type choice")
        numeric = self.type in ("integer", "number")
        if not numeric and (self.min is not None or self.max is not None):
            raise ValueError("'min'/'max' apply only to integer and number questions")
        if self.choices and len({c.value for c in self.choices}) != len(self.choices):
            raise ValueError("choice values must be unique")
        if self.need_override and self.scope != "project":
            raise ValueError("'need_override' applies only to project questions")
        keys = {
            "choice": [c.value for c in self.choices or []],
            "bool": ["true", "false"],
        }.get(self.type, ["up", "down"])
        for key in self.work:
            if key not in keys:
                raise ValueError(f"'work' key {key!r} must be one of: {', '.join(keys)}")
        return self


# --- the tree ---------------------------------------------------------------------------


class Range(Strict):
    ge: Value | None = None
    gt: Value | None = None
    le: Value | None = None
    lt: Value | None = None


class Branch(Strict):
    when: list[Scalar] | None = None
    range: Range | None = None
    otherwise: StrictBool = False
    goto: Slug
    reasons: list[Reason] = []

    @model_validator(mode="after")
    def _one_test(self) -> Branch:
        tests = [self.when is not None, self.range is not None, self.otherwise]
        if sum(tests) != 1:
            raise ValueError("a branch needs exactly one of 'when', 'range', 'otherwise: true'")
        return self


class AskNode(Strict):
    type: Literal["ask"]
    id: Slug
    ask: Slug
    title: StrictStr = ""
    branches: list[Branch] = Field(min_length=1)


class Check(Strict):
    id: Slug
    title: StrictStr = Field(min_length=1)
    applies: Condition | None = None
    require: Condition
    fail: list[Message] = Field(min_length=1)
    passed: Reason | None = Field(default=None, alias="pass")
    warn: list[Message] = []


class ChecksNode(Strict):
    model_config = ConfigDict(populate_by_name=True)
    type: Literal["checks"]
    id: Slug
    title: StrictStr = ""
    checks: list[Check] = Field(min_length=1)
    on_pass: Slug = Field(alias="pass")
    on_fail: Slug = Field(alias="fail")


class Leaf(Strict):
    type: Literal["leaf"]
    id: Slug
    title: StrictStr = ""
    approach: Approach
    reasons: list[Reason] = []
    warnings: list[Message] = []
    next_steps: list[Message] = []
    advice: list[Slug] = []


Node = Annotated[AskNode | ChecksNode | Leaf, Field(discriminator="type")]


class Tree(Strict):
    start: Slug
    nodes: list[Node] = Field(min_length=1)


class AdviceOption(Strict):
    when: Condition | None = None
    value: Slug
    text: StrictStr = Field(min_length=1)
    sources: list[Slug] = Field(min_length=1)


class Advice(Strict):
    id: Slug
    title: StrictStr = Field(min_length=1)
    options: list[AdviceOption] = Field(min_length=1)


class Formula(Strict):
    """A named value the rule set computes (a cost, a memory estimate) from answers,
    parameters and tables; `{id}` in a text shows it."""

    id: Slug
    value: Value
    unit: StrictStr = ""
    help: StrictStr = ""
    sources: list[Slug] = []


class Estimate(Strict):
    """Which formulas make up a fine-tune's cost estimate in the results."""

    training_tokens: Value
    epochs: Value
    compute_usd: Value
    effort_low_usd: Value
    effort_high_usd: Value
    serving_usd_per_month: Value | None = None
    prices: list[Slug] = Field(min_length=1)  # tables whose oldest `as_of` dates the estimate


class RuleSet(Strict):
    tunewise_rules: Literal[1]
    name: StrictStr = Field(min_length=1)
    version: StrictStr = Field(min_length=1)
    description: StrictStr = ""
    sources: list[Source] = Field(min_length=1)
    parameters: list[Parameter] = []
    tables: list[Table] = []
    formulas: list[Formula] = []
    questions: list[Question] = Field(min_length=1)
    tree: Tree
    advice: list[Advice] = []
    estimate: Estimate | None = None
    verdict_notes: dict[Verdict, list[Reason]] = {}
