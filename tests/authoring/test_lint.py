"""`rules lint`: the default set is clean and proven; each defect class is caught precisely."""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, run_cli
from tests.small_rules import bound_by_another_answer, chain
from tests.small_rules import write as write_small
from tunewise.authoring.lint import lint
from tunewise.ruleset.load import load_rules

DEFAULT: dict[str, Any] = yaml.safe_load(
    (ROOT / "rules" / "default.yaml").read_text(encoding="utf-8")
)


def node(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(n for n in data["tree"]["nodes"] if n["id"] == node_id)
    return found


def remove_general_branch(d: dict[str, Any]) -> None:
    node(d, "by-kind")["branches"].pop(0)


def numeric_node(first: dict[str, Any], second: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        node(d, "prompting-first")["branches"][2]["goto"] = "size"
        d["tree"]["nodes"].append(
            {
                "type": "ask",
                "id": "size",
                "ask": "examples",
                "branches": [
                    {"range": first, "goto": "fallback-by-kind"},
                    {"range": second, "goto": "fine-tuning-checks"},
                ],
            }
        )

    return mutate


def unreachable(d: dict[str, Any]) -> None:
    d["tree"]["nodes"].append(
        {
            "type": "leaf",
            "id": "orphan",
            "approach": "prompt",
            "reasons": [{"text": "x", "sources": ["foundation"]}],
        }
    )


def cycle(d: dict[str, Any]) -> None:
    node(d, "fallback-by-kind")["branches"][2]["goto"] = "prompting-first"


def unused_question(d: dict[str, Any]) -> None:
    d["questions"].append(
        {"id": "team_size", "scope": "project", "type": "integer", "prompt": "How many?"}
    )


def unused_parameter(d: dict[str, Any]) -> None:
    d["parameters"].append({"id": "max_budget", "type": "number", "default": 5})


def unused_source(d: dict[str, Any]) -> None:
    d["sources"].append({"id": "blog", "title": "Some blog"})


def leaf_without_reason(d: dict[str, Any]) -> None:
    node(d, "prompting-works")["reasons"] = []


def advice_without_default(d: dict[str, Any]) -> None:
    d["advice"][0]["options"].pop()


SEMANTIC: dict[str, tuple[Callable[[dict[str, Any]], None], list[str]]] = {
    "choice branch removed": (
        remove_general_branch,
        [
            "[gap] node 'by-kind': no branch for kind = general",
            "[unreachable] node 'general-prompt' is unreachable",
            "[undecided-combination]",
        ],
    ),
    "overlapping ranges": (
        numeric_node({"lt": 500}, {"ge": 400}),
        ["[overlap] node 'size': branches 0 and 1 both take 400 < examples < 500"],
    ),
    "range gap": (
        numeric_node({"lt": 400}, {"ge": 500}),
        ["[gap] node 'size': no branch for 400 < examples < 500"],
    ),
    "unreachable node": (
        unreachable,
        ["[unreachable] node 'orphan' is unreachable from 'by-kind'"],
    ),
    "cycle": (cycle, ["[cycle] cycle: ", "[unreachable] node 'fallback-prompt'"]),
    "unused question": (unused_question, ["[unused-question] question 'team_size' is never used"]),
    "unused parameter": (
        unused_parameter,
        ["[unused-parameter] parameter 'max_budget' is never used"],
    ),
    "unused source": (unused_source, ["[unused-source] source 'blog' is never used"]),
    "leaf without reason": (
        leaf_without_reason,
        ["[leaf-without-reason] leaf 'prompting-works' gives no reason"],
    ),
    "advice without default": (
        advice_without_default,
        ["[advice-without-default] advice 'technique' has no final option"],
    ),
}


def write_rules(tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> Path:
    data = copy.deepcopy(DEFAULT)
    mutate(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_default_rules_are_clean_and_proven() -> None:
    result = run_cli("rules", "lint")
    assert result.code == 0, result.out
    assert (
        "proof: every one of 26,754,416,640 combinations of answers reaches a decision"
        in result.out
    )
    assert result.out.strip().endswith("no defects")


@pytest.mark.parametrize("case", sorted(SEMANTIC), ids=sorted(SEMANTIC))
def test_semantic_defect(tmp_path: Path, case: str) -> None:
    mutate, expected = SEMANTIC[case]
    path = write_rules(tmp_path, mutate)
    result = run_cli("rules", "lint", str(path))
    assert result.code == 1, result.out + result.err
    for fragment in expected:
        assert fragment in result.out, result.out
    defect_lines = [line for line in result.out.splitlines() if "[" in line and "]" in line]
    assert all(line.startswith(f"{path}:") for line in defect_lines)


def test_counterexample_profile_reproduces_the_hole(tmp_path: Path) -> None:
    path = write_rules(tmp_path, remove_general_branch)
    out = run_cli("rules", "lint", str(path)).out
    block = out.split("counterexample profile (no decision for these answers):\n")[1]
    yaml_text = "\n".join(line[2:] for line in block.splitlines() if line.startswith("  "))
    profile = tmp_path / "counter.tunewise.yaml"
    profile.write_text(yaml_text, encoding="utf-8")
    assert yaml.safe_load(yaml_text)["needs"][0]["kind"] == "general"
    result = run_cli("advise", str(profile), "--rules", str(path))
    assert result.code == 3 and "no branch for kind = 'general'" in result.err


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: node(d, "general-prompt")["reasons"][0].update(sources=[]),
            "sources: a reason must cite at least one source",
        ),
        (
            lambda d: node(d, "by-kind")["branches"][0].update(goto="nowhere"),
            "unknown node 'nowhere'",
        ),
        (
            lambda d: node(d, "general-prompt")["reasons"][0].update(sources=["nobody"]),
            "unknown source 'nobody'",
        ),
        (
            lambda d: node(d, "by-kind")["branches"][0].update(when=["generall"]),
            "'generall' is not a choice of 'kind'",
        ),
        (lambda d: d.update(surprise=1), "unknown key 'surprise'"),
        (lambda d: d["tree"]["nodes"].append(dict(node(d, "general-prompt"))), "duplicate node id"),
    ],
)
def test_schema_errors_exit_3(tmp_path: Path, mutate: Any, message: str) -> None:
    path = write_rules(tmp_path, mutate)
    result = run_cli("rules", "lint", str(path))
    assert result.code == 3 and message in result.err, result.err
    assert result.err.startswith(f"tunewise: {path}:")


def test_generated_rule_set_with_a_million_combinations(tmp_path: Path) -> None:
    """A chain of 20 yes/no questions (2^20 combinations) is proven in well under a second."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import chained_rules  # type: ignore[import-not-found]

    path = tmp_path / "big.yaml"
    data = chained_rules(DEFAULT)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    started = time.perf_counter()
    report = lint(load_rules(path))
    assert time.perf_counter() - started < 5
    assert report.proven and report.combinations >= 10**6 and report.defects == ()


def test_a_bound_another_answer_decides_cannot_be_proven(tmp_path: Path) -> None:
    """Regression: the proof dropped such bounds and said "proven", then advise exited 3."""
    rules = write_small(tmp_path, bound_by_another_answer())
    result = run_cli("rules", "lint", str(rules))
    assert result.code == 1, result.out
    assert "proof: every one" not in result.out
    assert "cannot prove" in result.out
    first = result.out.splitlines()[0]
    assert first.startswith(f"{rules}:") and "node 'n'" in first and "target" in first
    line = int(first.split(":")[1])
    assert "target" in rules.read_text(encoding="utf-8").splitlines()[line - 1]
    report = lint(load_rules(rules))
    assert not report.proven and report.unprovable == "n"


@pytest.mark.parametrize(
    "bound",
    [
        {"answer": "target"},
        {"scaled": "target", "factor": 2},
        {"first": [{"answer": "target"}, 7]},
        {"quotient": [{"answer": "target"}, 2]},
    ],
    ids=["answer", "scaled", "first", "quotient"],
)
def test_a_catch_all_after_a_bound_another_answer_decides_is_proven(
    tmp_path: Path, bound: dict[str, Any]
) -> None:
    """Regression: `range: {ge: {answer: target}}` then `otherwise` covers every answer (the
    engine falls through to the catch-all whatever the bound), but lint said "cannot prove"
    and exited 1, blocking the pre-commit hook."""
    data = bound_by_another_answer()
    data["tree"]["nodes"][0]["branches"] = [
        {"range": {"ge": bound}, "goto": "ft"},
        {"otherwise": True, "goto": "done"},
    ]
    data["tree"]["nodes"].append(
        {**data["tree"]["nodes"][1], "id": "ft", "title": "Ft", "approach": "fine-tune"}
    )
    rules = write_small(tmp_path, data)
    result = run_cli("rules", "lint", str(rules))
    assert result.code == 0, result.out
    assert "cannot prove" not in result.out and "proof: every one" in result.out
    report = lint(load_rules(rules))
    assert report.proven and report.unprovable is None and report.paths == 2
    for examples, approach in ((0, "prompt"), (10**6, "fine-tune")):  # both branches taken
        profile = tmp_path / "p.tunewise.yaml"
        profile.write_text(
            f"tunewise: 1\nneeds: [{{id: x}}]\nproject: {{examples: {examples}, target: 10}}\n",
            encoding="utf-8",
        )
        advised = run_cli("advise", str(profile), "--rules", str(rules), "--format", "json")
        assert advised.code == 0 and f'"verdict": "{approach}"' in advised.out, advised.out


def test_a_hole_below_a_bound_another_answer_decides_is_not_proven(tmp_path: Path) -> None:
    """The catch-all covers the node, not what follows it: a gap below is still found, and the
    proof does not claim a counterexample that would need the bound's answers."""
    data = bound_by_another_answer()
    data["tree"]["nodes"][0]["branches"] = [
        {"range": {"ge": {"answer": "target"}}, "goto": "done"},
        {"otherwise": True, "goto": "low"},
    ]
    data["tree"]["nodes"].append(
        {
            "type": "ask",
            "id": "low",
            "title": "Low",
            "ask": "examples",
            "branches": [{"range": {"ge": 5}, "goto": "done"}],
        }
    )
    rules = write_small(tmp_path, data)
    result = run_cli("rules", "lint", str(rules))
    assert result.code == 1, result.out
    assert "node 'low': no branch for" in result.out and "proof: every one" not in result.out
    report = lint(load_rules(rules))
    assert not report.proven and report.counterexample is None and report.unprovable == "n"


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (("range", "ge"), 10**400, "number out of range"),
        (("range", "ge"), 1.7e308, "number out of range"),
        (("range", "ge"), "lots", "expected a number, not 'lots'"),
        (("range", "ge"), {"scaled": "target", "factor": 2, "if_missing": "lots"}, "if_missing"),
        (("range", "ge"), {"scaled": "target", "factor": True}, "expected a number"),
    ],
)
def test_numbers_are_bounded_and_values_typed(
    tmp_path: Path, where: tuple[str, str], value: Any, message: str
) -> None:
    """Hardening: a huge integer overflowed floats (exit 70); a `scaled` part of the wrong type
    reached the arithmetic. Both are located errors now, for lint and advise alike."""
    data = bound_by_another_answer()
    data["tree"]["nodes"][0]["branches"] = [
        {where[0]: {where[1]: value}, "goto": "done"},
        {"otherwise": True, "goto": "done"},
    ]
    rules = write_small(tmp_path, data)
    profile = tmp_path / "p.tunewise.yaml"
    profile.write_text("tunewise: 1\nneeds: [{id: x}]\nproject: {examples: 5}\n", encoding="utf-8")
    for args in (("rules", "lint", str(rules)), ("advise", str(profile), "--rules", str(rules))):
        result = run_cli(*args)
        assert result.code == 3, result.err
        assert message in result.err and f"{rules}:" in result.err


def test_a_tree_3000_nodes_deep(tmp_path: Path) -> None:
    """Hardening: lint's graph search, the proof and `show` recursed once per level."""
    rules = write_small(tmp_path, chain(3000))
    result = run_cli("rules", "lint", str(rules))
    assert result.code == 0, result.err
    assert "(2 paths through the tree)" in result.out
    for fmt in ("tree", "mermaid", "dot"):
        shown = run_cli("rules", "show", str(rules), "--format", fmt)
        assert shown.code == 0, shown.err
        # the terminal tree shows titles and runs out of width; the graphs name every node
        assert ("PROMPT: Done" if fmt == "tree" else "n2999") in shown.out
