"""`rules show`: tree, Mermaid and DOT; the README's Mermaid diagram is kept in sync."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.poisoned_rules import assert_harmless, write_poisoned_rules


def test_tree() -> None:
    out = run_cli("rules", "show").out
    assert out.startswith("rules default 2.0.0")
    assert "[general] PROMPT: General knowledge needs no adaptation" in out
    assert "[all pass] Does the fine-tune replace retrieval or sit" in out
    assert "FINE-TUNE: Fine-tuning is justified" in out


def test_mermaid_has_every_node_and_edge() -> None:
    out = run_cli("rules", "show", "--format", "mermaid").out
    assert out.startswith("flowchart TD\n")
    assert len(re.findall(r" -- \"", out)) == 38
    assert 'by_kind -- "general" --> general_prompt' in out


def test_dot_is_a_digraph() -> None:
    out = run_cli("rules", "show", "--format", "dot").out
    assert out.startswith('digraph "default" {') and out.rstrip().endswith("}")
    assert '"fine-tuning-checks" -> "fine-tune-by-kind" [label="all pass"];' in out


def test_readme_embeds_the_current_mermaid_diagram() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    embedded = re.search(r"```mermaid\n(.*?)```", readme, re.DOTALL)
    assert embedded, "README has no mermaid block"
    assert embedded.group(1) == run_cli("rules", "show", "--format", "mermaid").out, (
        "README diagram is stale: run `tunewise rules show --format mermaid`"
    )


def test_unknown_format_is_a_usage_error() -> None:
    assert run_cli("rules", "show", "--format", "svg").code == 2


@pytest.mark.parametrize("output_format", ["tree", "mermaid", "dot"])
def test_a_poisoned_rule_set_is_drawn_escaped(tmp_path: Path, output_format: str) -> None:
    # Issue 11: every text of a custom rule set (name, titles, when values) is escaped, and a
    # wrapped tree line stays indented.
    result = run_cli("rules", "show", str(write_poisoned_rules(tmp_path)), "-f", output_format)
    assert result.code == 0, result.err
    assert "##vso[task.setvariable" in result.out  # shown, as text
    assert_harmless(result.out)


@pytest.mark.parametrize(
    ("bound", "shown"),
    [
        ({"answer": "target"}, "≥ target"),
        ({"scaled": "target", "factor": {"answer": "rate"}}, "≥ target × rate"),
        ({"scaled": "target", "factor": 2, "plus": {"param": "p"}}, "≥ target × 2 + p"),
        ({"first": [{"answer": "target"}, 7]}, "≥ first of (target, 7)"),
        ({"quotient": [{"answer": "target"}, {"answer": "rate"}]}, "≥ (target ÷ rate)"),
        ({"max": [{"answer": "target"}, {"param": "p"}]}, "≥ max(target, p)"),
    ],
)
def test_a_computed_bound_is_drawn_as_people_write_it(
    tmp_path: Path, bound: dict[str, object], shown: str
) -> None:
    """Regression: a branch bound other than a parameter or a number was drawn (tree, Mermaid,
    DOT, explain) as its Python form: `[≥ AnswerRef(answer='target')]`,
    `Scaled(scaled='target', factor=AnswerRef(answer='rate'), plus=0, if_missing=None)`."""
    from tests.small_rules import bound_by_another_answer, question
    from tests.small_rules import write as write_small

    data = bound_by_another_answer()
    data["questions"].append(question("rate", "number", min=0))
    data["parameters"] = [{"id": "p", "type": "number", "default": 1, "help": "P."}]
    data["tree"]["nodes"][0]["branches"][0]["range"] = {"ge": bound}
    rules = write_small(tmp_path, data)
    for command in (
        ("rules", "show", str(rules)),
        ("rules", "show", str(rules), "--format", "mermaid"),
        ("rules", "show", str(rules), "--format", "dot"),
        ("explain", "n", "--rules", str(rules)),
    ):
        out = run_cli(*command).out
        assert shown in out, (command, out)
        assert "Ref(" not in out and "Scaled(" not in out and "First(" not in out
