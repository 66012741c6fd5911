"""`explain ID` for every kind of id, and a clear miss with suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.poisoned_rules import assert_harmless, write_poisoned_rules


@pytest.mark.parametrize(
    ("ident", "expected"),
    [
        (
            "kind",
            [
                "question kind (need, choice)",
                "facts ",
                "used by: node by-kind",
                "When to Fine-Tune: Specializing Your Foundation Model",
            ],
        ),
        ("fine-tuning-checks", ["checks node fine-tuning-checks", "check gpu-fits"]),
        ("fine-tune-justified", ["leaf fine-tune-justified", "approach: fine-tune"]),
        ("enough-examples", ["check enough-examples", "reads: examples"]),
        ("min_examples", ["parameter min_examples (integer) = 500", "--param min_examples="]),
        ("qlora", ["source qlora (paper)", "arxiv.org/abs/2305.14314"]),
        ("technique", ["advice technique", "qlora:"]),
        ("realtime", ["value realtime of question changes: daily or faster"]),
    ],
)
def test_explain(ident: str, expected: list[str]) -> None:
    result = run_cli("explain", ident)
    assert result.code == 0
    for fragment in expected:
        assert fragment in result.out, result.out


def test_parameter_override_is_shown() -> None:
    assert (
        "= 800 (default 500)"
        in run_cli("explain", "min_examples", "--param", "min_examples=800").out
    )


def test_unknown_id_suggests() -> None:
    result = run_cli("explain", "exampels")
    assert result.code == 2 and "did you mean examples" in result.err


def test_a_check_lists_every_answer_it_reads() -> None:
    """Regression: within-budget compares budget_usd with a cost band looked up by examples."""
    result = run_cli("explain", "within-budget")
    assert result.code == 0
    reads = next(line for line in result.out.splitlines() if line.startswith("  reads: "))
    # the compute estimate behind the budget: data size, tokens, model size, hosting
    assert {"budget_usd", "examples", "tokens_per_example", "model_params_b"} <= set(
        reads.removeprefix("  reads: ").split(", ")
    )
    gpu = run_cli("explain", "gpu-fits").out
    reads = next(line for line in gpu.splitlines() if line.startswith("  reads: "))
    assert {"gpu_vram_gb", "model_params_b", "data_may_leave"} <= set(reads[9:].split(", "))


@pytest.mark.parametrize(
    "ident",
    [
        "kind",  # question
        "realtime",  # value
        "by-kind",  # ask node
        "fine-tuning-checks",  # checks node
        "fine-tune-justified",  # leaf
        "enough-examples",  # check
        "min_examples",  # parameter
        "qlora",  # source
        "technique",  # advice
        "tokens_per_example_used",  # formula
        "cost_band",  # table
        "leaf/fine-tune-justified",  # report rule ids and what they are about
        "check/enough-examples",
    ],
)
def test_a_poisoned_rule_set_is_explained_escaped(tmp_path: Path, ident: str) -> None:
    # Issue 11: titles, prompts, help, meanings, reasons, source titles and locations of a
    # custom rule set reach the terminal escaped, on the line our own words open.
    result = run_cli("explain", ident, "--rules", str(write_poisoned_rules(tmp_path)))
    assert result.code == 0, result.err
    assert "\\x1b" in result.out  # the poison is there, shown as an escape
    assert_harmless(result.out)
