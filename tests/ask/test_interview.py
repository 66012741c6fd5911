"""`tunewise ask` in-process and through pipes (plain numbered prompts): the law-firm case,
every failing check, going back, the review screen, typed-text hygiene, saving."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT, run_cli
from tunewise.ask.interview import free_name, write_new

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
# optional prompts_may_leave and preference_data are skipped (a hosted run needs no GPU)
LAW_PROJECT = ["2,400", "high", "production", "30", "y", "y", "15,000", "y", "", ""]
SKIP = ""  # Enter: skip an optional question (prompts_may_leave is asked on every path)
PROPOSAL_AND_NAME = ["", "Law firm assistant"]  # Enter: the proposal the answers point to


def ask(lines: list[str], *args: str) -> tuple[int, str, str]:
    result = run_cli("ask", *args, stdin="\n".join(lines) + "\n")
    return result.code, result.out, result.err


def saved(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def advise_json(path: Path) -> dict[str, object]:
    data = json.loads(run_cli("advise", str(path), "--format", "json").out)
    assert isinstance(data, dict)
    return data


def test_law_firm_from_scratch_gives_hybrid_and_saves(tmp_path: Path) -> None:
    out_file = tmp_path / "out.yaml"
    code, out, _ = ask([*LAW_NEEDS, *LAW_PROJECT, *PROPOSAL_AND_NAME, ""], "--save", str(out_file))
    assert code == 0
    assert "Verdict: RAG + FINE-TUNING" in out
    profile = saved(out_file)
    assert [n["id"] for n in profile["needs"]] == ["case-files", "summaries-exact-bluebook"]  # type: ignore[attr-defined]
    assert profile["proposal"] == "hybrid" and profile["name"] == "Law firm assistant"
    # numbers saved as typed: thousands separators read, 30 stays 30 (not 30.0)
    assert profile["project"]["examples"] == 2400 and profile["project"]["budget_usd"] == 15000  # type: ignore[index]
    assert "expected_gain_pct: 30\n" in out_file.read_text(encoding="utf-8")
    assert advise_json(out_file)["verdict"] == "hybrid"
    assert "question 3 of about" in out  # the progress hint


def test_every_failing_check_is_listed_after_the_first(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    project = ["2400", "high", "production", "30", "n", "y", "100", "n", "none"]
    lines = ["Replies in our voice", "voice", "style", "failed", "n", *project]
    lines += [SKIP] * 4 + ["", "", ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0, out
    # every question a check reads is asked after `can_maintain: n`
    assert "[project] The team's hands-on experience" in out
    advice = advise_json(out_file)
    need = advice["needs"][0]  # type: ignore[index]
    failing = [c for c in need["checks"] if c["status"] == "fail"]  # type: ignore[index]
    assert len(failing) >= 2  # can_maintain and the budget, both reported


def test_invalid_input_is_asked_again_with_did_you_mean() -> None:
    lines = ["Trivia", "trivia", "9", "genral", "general", "n", SKIP, "", "", ""]
    code, out, _ = ask(lines)
    assert code == 0
    assert out.count("type a number from 1 to 8") == 2
    assert "did you mean 'general'?" in out
    assert "Verdict: PROMPT ENGINEERING" in out


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Replies in our voice\x1b[D\x1b[D", "control characters"),
        ("\x1b[B", "control characters"),
        ("Replies\u202ein our voice", "control characters"),
    ],
)
def test_escape_sequences_never_reach_an_answer(tmp_path: Path, typed: str, message: str) -> None:
    out_file = tmp_path / "p.yaml"
    lines = [typed, "Replies in our voice", "", "style", "works", "n", SKIP, "", "", ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0 and message in out
    text = out_file.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\\e" not in text and "replies-voice\n" in text


def test_numbers_with_thousands_separators() -> None:
    lines = ["Tone", "tone", "style", "failed", "n", "2,40", "24,00", "2,400", "<"]
    code, out, _ = ask(lines)
    assert code == 3  # end of input
    assert out.count("put commas only between groups of three digits") == 2
    assert "[2,400]" in out  # going back offers the answer given, as it is read


def test_help_shows_sources() -> None:
    code, out, _ = ask(["Trivia", "trivia", "?", "general", "n", SKIP, "", "", ""])
    assert "source: When to Fine-Tune: Specializing Your Foundation Model" in out and code == 0


def test_going_back_twice_keeps_the_answers_as_defaults(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    lines = ["Docs", "docs", "domain", "often", "<", "<", "facts", "n", "", "n", SKIP, "", "", ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0
    assert "[domain]" in out and "[often]" in out
    need = saved(out_file)["needs"][0]  # type: ignore[index]
    assert need == {
        "id": "docs",
        "description": "Docs",
        "kind": "facts",
        "fits_in_prompt": False,
        "changes": "often",
    }


def test_change_at_review_and_back_restores_every_answer(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    first = [*LAW_NEEDS, *LAW_PROJECT, *PROPOSAL_AND_NAME]
    # row 6 is need 2's kind: facts (two new questions), then back to format: nothing retyped
    lines = [*first, "6", "facts", "n", "rarely", "6", "format", ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0, out
    review = out.split("Review your answers")[-1]
    assert "project · examples: 2,400" in review and "prompting: failed" in review
    assert out.count("[project]") == len(LAW_PROJECT)  # project questions asked once only
    assert advise_json(out_file)["verdict"] == "hybrid"


def test_change_at_review_asks_what_became_relevant(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    lines = [*LAW_NEEDS, *LAW_PROJECT, *PROPOSAL_AND_NAME, "6", "facts", "n", "rarely", "", ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0
    profile = saved(out_file)
    assert profile["needs"][1] == {  # type: ignore[index]
        "id": "summaries-exact-bluebook",
        "description": "Summaries must use exact Bluebook citation format",
        "kind": "facts",
        "fits_in_prompt": False,
        "changes": "rarely",
    }
    assert "project" not in profile  # no need reaches the fine-tuning checks any more
    assert "Verdict: RAG" in out


def test_skipped_gpu_is_asked_once_the_data_must_stay(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    project = ["2400", "high", "production", "30", "y", "y", "15000", "y", SKIP, SKIP]
    lines = ["Tone", "tone", "style", "failed", "n", *project, "", ""]
    # row 11: data_may_leave -> n; the expertise and the GPU memory are asked
    lines += ["11", "n", "some", "24", SKIP, SKIP, ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0, out
    assert saved(out_file)["project"]["gpu_vram_gb"] == 24  # type: ignore[index]
    assert advise_json(out_file)["verdict"] != "undecided"


def test_needs_added_and_removed_at_review(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    lines = ["Trivia", "trivia", "general", "n", SKIP, "", ""]
    lines += ["+", "Replies in our voice", "voice", "style", "works", "-1", ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0, out
    assert [n["id"] for n in saved(out_file)["needs"]] == ["voice"]  # type: ignore[attr-defined]


def test_prefilled_complete_profile_asks_only_the_review(tmp_path: Path) -> None:
    out_file = tmp_path / "out.yaml"
    code, out, _ = ask(
        [""], "--profile", str(EXAMPLES / "law-firm.tunewise.yaml"), "--save", str(out_file)
    )
    assert code == 0 and "Review your answers" in out and "[project]" not in out
    profile = saved(out_file)
    assert profile["waiver"]["approved_by"] == "jane.doe"  # type: ignore[index]
    assert profile["name"] == "Law firm assistant"
    assert advise_json(out_file)["verdict"] == "hybrid"


def test_resave_keeps_comments_order_and_numbers(tmp_path: Path) -> None:
    original = (EXAMPLES / "law-firm.tunewise.yaml").read_text(encoding="utf-8")
    target = tmp_path / "law.yaml"
    target.write_text(original, encoding="utf-8")
    first = run_cli("ask", "--profile", str(target), stdin="\n").out
    row = re.search(r"(\d+)\.   project · expected_gain_pct", first)
    assert row is not None
    args = ("--profile", str(target), "--save", str(target), "--force")
    code, _, _ = ask([row.group(1), "31", ""], *args)
    assert code == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# The law-firm assistant from the seed")
    assert "  expected_gain_pct: 31\n" in text and "  budget_usd: 15000\n" in text
    assert text.replace("expected_gain_pct: 31", "expected_gain_pct: 30") == original


def test_prefilled_partial_profile_asks_only_missing(tmp_path: Path) -> None:
    code, out, _ = ask(
        ["high", "30", "y", "y", "5000", "some", "y", "", "", "", "", ""],
        "--profile",
        str(EXAMPLES / "missing-answers.tunewise.yaml"),
    )
    assert code == 0
    asked = [line for line in out.splitlines() if line.startswith("[")]
    assert asked[0].startswith("[project] How good are those examples?")
    assert not any("What does this need ask" in line for line in asked)


def test_refused_overwrite_offers_another_name(tmp_path: Path) -> None:
    target = tmp_path / "existing.yaml"
    target.write_text("precious\n", encoding="utf-8")
    answers = ["Trivia", "trivia", "general", "n", SKIP, "", "", ""]
    code, out, _ = ask([*answers, "n"], "--save", str(target))
    assert code == 0 and "Not saved" in out
    assert target.read_text(encoding="utf-8") == "precious\n"
    code, out, _ = ask([*answers, ""], "--save", str(target))  # Enter: the name offered
    assert "Saved to" in out and (tmp_path / "existing-2.yaml").exists()
    other = tmp_path / "mine.yaml"
    code, out, _ = ask([*answers, str(tmp_path), str(other)], "--save", str(target))
    assert "is a folder" in out and other.exists()
    assert target.read_text(encoding="utf-8") == "precious\n"
    code, out, _ = ask([*answers, "y"], "--save", str(target))
    assert "Saved to" in out and "trivia" in target.read_text(encoding="utf-8")


def test_a_dangling_link_is_not_replaced_without_a_yes(tmp_path: Path) -> None:
    target = tmp_path / "link.yaml"
    target.symlink_to(tmp_path / "nowhere")
    lines = ["Trivia", "trivia", "general", "n", SKIP, "", "", "", "n"]
    code, out, _ = ask(lines, "--save", str(target))
    assert code == 0 and "exists" in out and target.is_symlink()
    assert not (tmp_path / "nowhere").exists()


def test_write_new_never_replaces(tmp_path: Path) -> None:
    target = tmp_path / "p.yaml"
    assert write_new(target, "first\n") is True
    assert write_new(target, "second\n") is False  # created in between: kept
    assert target.read_text(encoding="utf-8") == "first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]  # no temporary left
    assert free_name(tmp_path / "law.tunewise.yaml").name == "law-2.tunewise.yaml"


def test_force_replaces(tmp_path: Path) -> None:
    target = tmp_path / "existing.yaml"
    target.write_text("old\n", encoding="utf-8")
    code, _, _ = ask(
        ["Trivia", "trivia", "general", "n", SKIP, "", "", ""], "--save", str(target), "--force"
    )
    assert code == 0 and "trivia" in target.read_text(encoding="utf-8")


def test_end_of_input_points_to_advise(tmp_path: Path) -> None:
    target = tmp_path / "never.yaml"
    code, _, err = ask([], "--save", str(target))
    assert code == 3 and "tunewise advise PROFILE" in err and "Traceback" not in err
    assert not target.exists()
    code, _, err = ask(["Trivia", "trivia"])
    assert code == 3 and "no more input" in err


def test_save_target_is_checked_before_any_question(tmp_path: Path) -> None:
    code, out, err = ask([], "--save", str(tmp_path / "nope" / "p.yaml"))
    assert code == 2 and "does not exist" in err and "Describe need" not in out
    code, out, err = ask([], "--save", str(tmp_path))
    assert code == 2 and "is a folder" in err and "Describe need" not in out
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not os.access("/proc/sys", os.F_OK), reason="needs a read-only folder")
def test_unwritable_save_folder_is_refused_before_any_question() -> None:
    code, out, err = ask([], "--save", "/proc/sys/p.yaml")
    assert code == 3 and "not writable" in err and "Describe need" not in out


def test_unjustified_proposal_is_saved_and_fails_check(tmp_path: Path) -> None:
    out_file = tmp_path / "tone.tunewise.yaml"
    project = ["40", "high", "production", "30", "y", "y", "15000", "y"]
    lines = ["Tone", "tone", "style", "failed", "n", *project, SKIP, "fine-tune", "", ""]
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0 and "The answers point to: prompt" in out
    assert saved(out_file)["proposal"] == "fine-tune"
    assert run_cli("check", str(out_file)).code == 1


def run_piped(
    stdin: bytes | None, *args: str, close_stdin: bool = False
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "tunewise", "ask", *args]
    if close_stdin:
        command = ["sh", "-c", 'exec "$0" "$@" <&-', *command]
    return subprocess.run(
        command,
        input=stdin,
        stdin=None if stdin is not None or close_stdin else subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_closed_stdin_is_end_of_input_not_a_crash() -> None:
    result = run_piped(None, close_stdin=True)
    assert result.returncode == 3, result.stderr
    assert b"no more input" in result.stderr and b"Traceback" not in result.stderr


def test_invalid_utf8_is_refused_and_asked_again(tmp_path: Path) -> None:
    lines = [b"Caf\xe9 menu", "Café menu".encode(), b"", b"general", b"n", b"", b"", b"", b""]
    result = run_piped(b"\n".join(lines) + b"\n", "--save", str(tmp_path / "p.yaml"))
    assert result.returncode == 0, result.stderr
    assert b"not valid UTF-8" in result.stdout
    assert saved(tmp_path / "p.yaml")["needs"][0]["description"] == "Café menu"  # type: ignore[index]
    assert advise_json(tmp_path / "p.yaml")["verdict"] == "prompt"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("style", "the voice"), ("cost", "cheaper route"), ("format", "template")],
)
def test_help_fits_the_need_kind(kind: str, expected: str) -> None:
    code, out, _ = ask(["Need", "need", kind, "?", "works", "n", SKIP, "", "", ""])
    assert code == 0
    help_text = out.split("[need] How far did")[1].split("source:")[0]
    assert expected in help_text
    others = {"style": "the voice", "cost": "cheaper route", "format": "template"}
    assert not any(text in help_text for k, text in others.items() if k != kind)


def test_end_of_input_at_the_replace_question_saves_under_another_name(tmp_path: Path) -> None:
    target = tmp_path / "existing.yaml"
    target.write_text("precious\n", encoding="utf-8")
    lines = ["Trivia", "trivia", "general", "n", SKIP, "", "", ""]
    code, out, _ = ask(lines, "--save", str(target))
    assert code == 0 and "saved to" in out and "existing-2.yaml" in out
    assert target.read_text(encoding="utf-8") == "precious\n"
    assert saved(tmp_path / "existing-2.yaml")["needs"][0]["id"] == "trivia"  # type: ignore[index]


def test_a_skipped_optional_question_can_be_answered_at_review(tmp_path: Path) -> None:
    out_file = tmp_path / "p.yaml"
    project = ["40", "high", "production", "30", "y", "y", "15000", "y"]
    lines = ["Tone", "tone", "style", "failed", "n", *project, SKIP, "", ""]
    lines += ["12", "n", ""]  # row 12: prompts_may_leave (skipped)
    code, out, _ = ask(lines, "--save", str(out_file))
    assert code == 0, out
    assert "project · prompts_may_leave: (skipped)" in out
    assert saved(out_file)["project"]["prompts_may_leave"] is False  # type: ignore[index]


def test_a_poisoned_rule_set_reaches_the_terminal_escaped(tmp_path: Path) -> None:
    """Regression: question prompts, choice meanings and help from a custom rule set were
    written raw (ESC, OSC links, bidi controls, newlines with log commands)."""
    from tests.poisoned_rules import assert_harmless, write_poisoned_rules

    rules = write_poisoned_rules(tmp_path)
    answers = "A need in one sentence\nvoice\n?\n3\n?\n1\nn\n\n\n\n\n"
    result = run_cli("ask", "--rules", str(rules), stdin=answers)
    assert result.code in (0, 3, 4), result.err
    assert "\\x1b" in result.out or "\\n" in result.out  # the poison is shown, escaped
    assert_harmless(result.out)
