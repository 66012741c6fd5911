"""Arithmetic values: one definition (`arithmetic.operation`), three-valued in the evaluator, and
validated, located and linted in a rule set."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import run_cli
from tunewise.engine.compile import Unknown
from tunewise.engine.evaluator import outcomes_for
from tunewise.ruleset.arithmetic import operation
from tunewise.ruleset.load import LoadedRules, default_rules_path
from tunewise.ruleset.records import FormulaRef

DEFAULT = yaml.safe_load(default_rules_path().read_text(encoding="utf-8"))
numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.integers(-1000, 1000)


def test_kinds() -> None:
    assert operation("sum")([8 * 0.6, 1.5]) == 6.3  # rounded: boundaries stay exact
    assert operation("product")([6000, 800, 3]) == 14_400_000
    assert operation("min")([3, 2.5]) == 2.5 and operation("max")([0, -1]) == 0
    assert operation("quotient")([7, 2]) == 3.5
    assert operation("quotient")([5, 0]) == math.inf  # "no spend" never covers a cost
    assert operation("quotient")([0, 0]) == 0
    assert operation("sum")([1, "a"]) is None and operation("sum")([True, 1]) is None
    assert operation("product")([1e300, 1e300]) is None  # no finite number comes out


@given(st.lists(numbers, min_size=1, max_size=5))
def test_never_raises(values: list[float]) -> None:
    for kind in ("sum", "product", "min", "max"):
        result = operation(kind)(values)
        assert result is None or math.isfinite(result)


def value(rules: LoadedRules, name: str, **answers: Any) -> Any:
    return outcomes_for(rules.model, rules.params).value_of(FormulaRef(formula=name))(answers)


def test_a_missing_operand_is_unknown_and_names_what_settles_it(rules: LoadedRules) -> None:
    found = value(rules, "training_tokens")
    assert isinstance(found, Unknown) and found.missing == ("examples",)
    assert value(rules, "training_tokens", examples=10) == 10 * 800 * 3  # first: the default
    assert value(rules, "training_tokens", examples=10, tokens_per_example=100) == 3000
    serving = value(rules, "serving_usd_per_month", data_may_leave=False, model_params_b=8)
    assert isinstance(serving, Unknown)  # `if` without `else`: no value off the hosted route


def write(tmp_path: Path, mutate: Any) -> Path:
    data = copy.deepcopy(DEFAULT)
    mutate(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _formula(data: dict[str, Any], fid: str) -> dict[str, Any]:
    return next(f for f in data["formulas"] if f["id"] == fid)


def _cycle(data: dict[str, Any]) -> None:
    _formula(data, "tokens_per_example_used")["value"] = {"formula": "training_tokens"}


def _text_operand(data: dict[str, Any]) -> None:
    _formula(data, "total_cost_usd")["value"] = {"sum": [{"answer": "stage"}, 1]}


def _bad_kind(data: dict[str, Any]) -> None:
    _formula(data, "total_cost_usd")["value"] = {"power": [2, 3]}


def _bad_work(data: dict[str, Any]) -> None:
    next(q for q in data["questions"] if q["id"] == "stage")["work"] = {"launched": "once"}


def _bad_date(data: dict[str, Any]) -> None:
    data["tables"][1]["as_of"] = "last year"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (_cycle, "formula 'tokens_per_example_used' refers to itself"),
        (_text_operand, "sum needs numbers; 'stage' is choice"),
        (_bad_kind, "expected a literal"),
        (_bad_work, "'work' key 'launched' must be one of"),
        (_bad_date, "as_of"),
    ],
)
def test_rule_set_problems_are_located(tmp_path: Path, mutate: Any, fragment: str) -> None:
    path = write(tmp_path, mutate)
    result = run_cli("rules", "lint", str(path))
    assert result.code == 3, result.out + result.err
    assert fragment in result.err and f"{path}:" in result.err
    assert "Traceback" not in result.err


def test_an_unused_formula_is_a_defect(tmp_path: Path) -> None:
    def unused(data: dict[str, Any]) -> None:
        data["formulas"].append({"id": "spare", "value": {"sum": [1, 2]}})

    result = run_cli("rules", "lint", str(write(tmp_path, unused)))
    assert result.code == 1 and "[unused-formula] formula 'spare' is never used" in result.out


def test_explain_a_formula_and_a_dated_table() -> None:
    formula = run_cli("explain", "compute_usd").out
    assert "reads: data_may_leave, examples" in formula and "used by:" in formula
    table = run_cli("explain", "hosted_training_prices").out
    assert "prices as of 2025-11-14" in table and "from 16.1:" in table


def test_whole_results_are_returned_exactly_without_rounding() -> None:
    assert operation("product")([10**20, 3]) == 3 * 10**20
    assert type(operation("max")([2, 7])) is int
    assert operation("product")([0.1, 3]) == 0.3
    whole = operation("sum")([0.5, 0.5])
    assert whole == 1 and type(whole) is int
    assert operation("quotient")([1, 0]) == math.inf and operation("product")([1e308, 10]) is None
