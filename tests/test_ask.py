"""`tunewise ask` in-process, with typed input: the law-firm case, going back, review, saving."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from tests.conftest import EXAMPLES, run_cli

# The law-firm case from scratch: two needs, then the project questions in the checks' order.
LAW_NEEDS = [
    "The assistant must know our 50,000 past case files",
    "case-files",
    "1",
    "n",
    "3",
    "y",
    "Summaries must use exact Bluebook citation format",
    "",
    "format",
    "failed",
    "not-applicable",
    "n",
]
# examples, quality, stage, gain, can maintain, eval plan, budget, data may leave; then the
# optional prompts_may_leave and preference_data are skipped (a hosted run needs no GPU answer)
LAW_PROJECT = ["2400", "high", "production", "30", "y", "y", "15000", "y", "", ""]


# Every session ends with the optional prompts_may_leave question (SPEC §1: asked on every
# path); the scripts below skip it with an empty line before the review.


def ask(lines: list[str], *args: str) -> tuple[int, str, str]:
    result = run_cli("ask", *args, stdin="\n".join(lines) + "\n")
    return result.code, result.out, result.err


def test_law_firm_from_scratch_gives_hybrid_and_saves(tmp_path: Path) -> None:
    out_file = tmp_path / "out.yaml"
    code, out, _ = ask([*LAW_NEEDS, *LAW_PROJECT, ""], "--save", str(out_file))
    assert code == 0
    assert "Verdict: RAG + FINE-TUNING" in out
    saved = yaml.safe_load(out_file.read_text(encoding="utf-8"))
    assert [n["id"] for n in saved["needs"]] == ["case-files", "summaries-exact-bluebook"]
    again = run_cli("advise", str(out_file), "--format", "json")
    assert json.loads(again.out)["verdict"] == "hybrid"


def test_invalid_input_is_asked_again(tmp_path: Path) -> None:
    lines = ["Trivia", "trivia", "9", "banana", "general", "n", "", ""]
    code, out, _ = ask(lines)
    assert code == 0
    assert out.count("type a number from 1 to 8") == 2
    assert "Verdict: PROMPT ENGINEERING" in out


def test_help_shows_sources() -> None:
    code, out, _ = ask(["Trivia", "trivia", "?", "general", "n", "", ""])
    assert "source: When to Fine-Tune: Specializing Your Foundation Model" in out and code == 0


def test_going_back_twice(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    lines = ["Docs", "docs", "domain", "often", "<", "<", "facts", "n", "often", "n", "", ""]
    code, _out, _ = ask(lines, "--save", str(out_file))
    assert code == 0
    need = yaml.safe_load(out_file.read_text(encoding="utf-8"))["needs"][0]
    assert need == {
        "id": "docs",
        "description": "Docs",
        "kind": "facts",
        "fits_in_prompt": False,
        "changes": "often",
    }


def test_change_at_review_asks_what_became_relevant_and_drops_the_rest(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    lines = [*LAW_NEEDS, *LAW_PROJECT, "6", "facts", "n", "rarely", ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0
    saved = yaml.safe_load(out_file.read_text(encoding="utf-8"))
    assert saved["needs"][1] == {
        "id": "summaries-exact-bluebook",
        "description": "Summaries must use exact Bluebook citation format",
        "kind": "facts",
        "fits_in_prompt": False,
        "changes": "rarely",
    }
    assert "project" not in saved  # no need reaches the fine-tuning checks any more
    assert "Verdict: RAG" in out


def test_prefilled_complete_profile_asks_only_the_review(tmp_path: Path) -> None:
    out_file = tmp_path / "out.yaml"
    code, out, _ = ask(
        [""], "--profile", str(EXAMPLES / "law-firm.tunewise.yaml"), "--save", str(out_file)
    )
    assert code == 0 and "Review your answers" in out and "[project]" not in out
    saved = yaml.safe_load(out_file.read_text(encoding="utf-8"))
    assert saved["waiver"]["approved_by"] == "jane.doe" and saved["name"] == "Law firm assistant"
    assert json.loads(run_cli("advise", str(out_file), "-f", "json").out)["verdict"] == "hybrid"


def test_prefilled_partial_profile_asks_only_missing(tmp_path: Path) -> None:
    code, out, _ = ask(
        ["high", "30", "y", "y", "5000", "some", "y", "", "", ""],
        "--profile",
        str(EXAMPLES / "missing-answers.tunewise.yaml"),
    )
    assert code == 0
    asked = [line for line in out.splitlines() if line.startswith("[")]
    assert asked[0].startswith("[project] How good are those examples?")
    assert not any("What does this need ask" in line for line in asked)


def test_refuses_to_overwrite_without_yes(tmp_path: Path) -> None:
    target = tmp_path / "existing.yaml"
    target.write_text("precious\n", encoding="utf-8")
    code, out, _ = ask(["Trivia", "trivia", "general", "n", "", "", "n"], "--save", str(target))
    assert code == 0 and "Not saved" in out
    assert target.read_text(encoding="utf-8") == "precious\n"
    code, out, _ = ask(["Trivia", "trivia", "general", "n", "", "", "y"], "--save", str(target))
    assert "Saved to" in out and "trivia" in target.read_text(encoding="utf-8")


def test_force_replaces(tmp_path: Path) -> None:
    target = tmp_path / "existing.yaml"
    target.write_text("old\n", encoding="utf-8")
    code, _, _ = ask(["Trivia", "trivia", "general", "n", "", ""], "--save", str(target), "--force")
    assert code == 0 and "trivia" in target.read_text(encoding="utf-8")


def test_end_of_input_points_to_advise(tmp_path: Path) -> None:
    target = tmp_path / "never.yaml"
    code, _, err = ask([], "--save", str(target))
    assert code == 3 and "tunewise advise PROFILE" in err and "Traceback" not in err
    assert not target.exists()
    code, _, err = ask(["Trivia", "trivia"])
    assert code == 3 and "no more input" in err


def test_save_into_a_missing_folder_is_refused_before_any_question(tmp_path: Path) -> None:
    code, out, err = ask([], "--save", str(tmp_path / "nope" / "p.yaml"))
    assert code == 2 and "does not exist" in err and "Describe need" not in out
