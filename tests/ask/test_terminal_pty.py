"""`tunewise ask` through a real pseudo-terminal (pexpect), as a person would use it: plain
numbered prompts (`TERM=dumb`, as screen readers use), then the full terminal with line editing
and arrow-key menus."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.conftest import EXAMPLES

PROMPT = r"\): |\]: |back: |\n> "  # prompts end "(...): ", "[default]: ", "< back: ", or are "> "


def spawn(*args: str, cwd: Path, term: str = "dumb", columns: int = 100) -> pexpect.spawn:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "TERM": term}
    env["COLUMNS"] = str(columns)
    env["PROMPT_TOOLKIT_NO_CPR"] = "1"  # pexpect does not answer cursor-position requests
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tunewise", "ask", *args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        codec_errors="replace",  # the terminal echoes undecodable bytes typed in
        timeout=30,
        dimensions=(40, columns),
    )
    return child


def answer(child: pexpect.spawn, expected: str, text: str) -> None:
    child.expect(expected)
    child.expect(PROMPT)
    child.sendline(text)


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(
        child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)
    )


def law_firm_needs(child: pexpect.spawn) -> None:
    answer(child, "Describe need 1", "The assistant must know our 50,000 past case files")
    answer(child, "Short id", "case-files")
    answer(child, "What does this need ask", "facts")
    answer(child, "fit in the model's context", "n")
    answer(child, "How often does this information change", "often")
    answer(child, "Another need", "y")
    answer(child, "Describe need 2", "Summaries must use exact Bluebook citation format")
    answer(child, r"Short id for this need \[summaries-exact-bluebook", "bluebook")
    answer(child, "What does this need ask", "4")
    answer(child, "prompt-engineering effort", "failed")
    answer(child, "schema-constrained decoding", "not-applicable")
    answer(child, "Another need", "n")


def law_firm_project(child: pexpect.spawn) -> None:
    for expected, text in [
        ("How many high-quality", "2400"),
        ("How good are those", "high"),
        ("Where is the product", "production"),
        ("Expected improvement", "30"),
        ("retrain the model", "y"),
        ("held-out set", "y"),
        ("Budget", "15000"),
        ("hosted fine-tuning provider", "y"),
        ("prompts and retrieved documents", ""),  # optional: skipped
        ("preference pairs", ""),
    ]:
        answer(child, expected, text)


def test_law_firm_from_scratch_and_save(tmp_path: Path) -> None:
    child = spawn("--save", "law.yaml", cwd=tmp_path)
    law_firm_needs(child)
    law_firm_project(child)
    answer(child, "The answers point to: hybrid", "")
    answer(child, "A name for this profile", "Law firm")
    answer(child, "Review your answers", "")
    child.expect("Verdict: RAG \\+ FINE-TUNING")
    child.expect("Saved to law.yaml")
    assert finish(child) == 0
    saved = yaml.safe_load((tmp_path / "law.yaml").read_text(encoding="utf-8"))
    assert [n["id"] for n in saved["needs"]] == ["case-files", "bluebook"]
    assert saved["project"]["examples"] == 2400


def test_going_back_twice_and_changing_at_review(tmp_path: Path) -> None:
    child = spawn("--save", "p.yaml", cwd=tmp_path)
    answer(child, "Describe need 1", "Our product catalogue")
    answer(child, "Short id", "")
    answer(child, "What does this need ask", "domain")
    answer(child, "How fast|How often", "rarely")
    answer(child, "prompt-engineering effort", "<")  # back to `changes`
    answer(child, "How often does this information change", "<")  # back to `kind`
    answer(child, "What does this need ask", "facts")
    answer(child, "fit in the model's context", "n")
    answer(child, "How often does this information change", "never")
    answer(child, "Another need", "n")
    answer(child, "prompts and retrieved documents", "")  # optional: skipped
    answer(child, "The answers point to", "")
    answer(child, "A name for this profile", "")
    answer(child, "Review your answers", "4")  # change `changes`
    answer(child, "How often does this information change", "realtime")
    answer(child, "Review your answers", "")
    child.expect("Verdict: RAG")
    child.expect("Saved to p.yaml")
    assert finish(child) == 0
    need = yaml.safe_load((tmp_path / "p.yaml").read_text(encoding="utf-8"))["needs"][0]
    assert need["id"] == "product-catalogue"
    assert (need["kind"], need["fits_in_prompt"], need["changes"]) == ("facts", False, "realtime")


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "keep.yaml").write_text("precious\n", encoding="utf-8")
    child = spawn(
        "--profile", str(EXAMPLES / "law-firm.tunewise.yaml"), "--save", "keep.yaml", cwd=tmp_path
    )
    answer(child, "Review your answers", "")
    answer(child, "keep.yaml exists", "n")
    child.expect("Not saved")
    assert finish(child) == 0
    assert (tmp_path / "keep.yaml").read_text(encoding="utf-8") == "precious\n"


def test_complete_profile_asks_only_the_review(tmp_path: Path) -> None:
    child = spawn(
        "--profile", str(EXAMPLES / "law-firm.tunewise.yaml"), "--save", "out.yaml", cwd=tmp_path
    )
    child.expect("Review your answers")
    before = child.before
    assert "[case-files]" not in before and "[project]" not in before
    child.expect(PROMPT)
    child.sendline("")
    child.expect("Saved to out.yaml")
    assert finish(child) == 0


def test_end_of_input(tmp_path: Path) -> None:
    child = spawn(cwd=tmp_path)
    child.expect("Describe need 1")
    child.expect(PROMPT)
    child.sendeof()
    child.expect("tunewise advise PROFILE")
    assert finish(child) == 3
    assert "Traceback" not in (child.before or "")


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
def test_ctrl_c_exits_130_and_leaves_files_alone(tmp_path: Path) -> None:
    (tmp_path / "keep.yaml").write_text("precious\n", encoding="utf-8")
    child = spawn("--save", "keep.yaml", "--force", cwd=tmp_path)
    answer(child, "Describe need 1", "Something")
    child.expect("Short id")
    child.expect(PROMPT)
    child.sendintr()
    child.expect("interrupted")
    assert finish(child) == 130
    assert (tmp_path / "keep.yaml").read_text(encoding="utf-8") == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.yaml"]


# --- a real terminal: line editing, history and arrow-key menus ---------------------------

UP, DOWN, LEFT = "\x1b[A", "\x1b[B", "\x1b[D"


def keys(child: pexpect.spawn, expected: str, *sequence: str) -> None:
    """Wait for `expected`, then type `sequence` (each item sent whole, a pause between)."""
    child.expect(expected)
    for item in sequence:
        time.sleep(0.15)  # let the menu or the editor draw before the next key
        child.send(item)


@pytest.mark.parametrize("columns", [80, 100])
def test_arrow_keys_edit_lines_and_pick_from_menus(tmp_path: Path, columns: int) -> None:
    child = spawn("--save", "p.yaml", cwd=tmp_path, term="xterm", columns=columns)
    # ← then typing inserts before the last letter: the editor moved the cursor
    keys(child, "Describe need 1", "Replies in our voie", LEFT, "c", "\r")
    keys(child, "Short id", "\r")
    keys(child, "What does this need ask", DOWN, DOWN, "\r")  # 1 facts -> 3 style
    keys(child, "prompt-engineering effort", "?")  # help, then the same menu again
    child.expect("the voice")  # the help for a style need
    keys(child, "1\\) untried", "w", "\r")  # a value's name picks it
    keys(child, "Another need", "n\r")
    keys(child, "prompts and retrieved documents", "\r")  # optional: skipped
    keys(child, "The answers point to: prompt", "\r")
    keys(child, "A name for this profile", "Support voice\r")
    keys(child, "Enter accepts", UP, "\r")  # ↑ recalls the line typed before
    child.expect("type a number from 1 to")
    keys(child, "back:", "\r")
    child.expect("Saved to p.yaml")
    assert finish(child) == 0
    text = (tmp_path / "p.yaml").read_text(encoding="utf-8")
    assert "\x1b" not in text and "[D" not in text
    profile = yaml.safe_load(text)
    assert profile["needs"][0]["description"] == "Replies in our voice"
    assert (profile["needs"][0]["kind"], profile["needs"][0]["prompting"]) == ("style", "works")


def test_menu_back_highlights_the_previous_answer(tmp_path: Path) -> None:
    child = spawn("--save", "p.yaml", cwd=tmp_path, term="xterm")
    keys(child, "Describe need 1", "Replies in our voice\r")
    keys(child, "Short id", "\r")
    keys(child, "What does this need ask", "3", "\r")  # a number picks style
    keys(child, "prompt-engineering effort", "<")  # back to kind ...
    keys(child, "What does this need ask", "\r")  # ... where Enter keeps style
    keys(child, "prompt-engineering effort", "2", "\r")  # works
    keys(child, "Another need", "n\r")
    keys(child, "prompts and retrieved documents", "\r")  # optional: skipped
    keys(child, "The answers point to: prompt", "\r")  # the verdict is highlighted
    keys(child, "A name for this profile", "Support voice\r")
    keys(child, "Enter accepts", "\r")
    child.expect("Saved to p.yaml")
    assert finish(child) == 0
    text = (tmp_path / "p.yaml").read_text(encoding="utf-8")
    assert "\x1b" not in text and "[D" not in text and "^[" not in text
    profile = yaml.safe_load(text)
    assert profile["needs"][0] == {
        "id": "replies-voice",
        "description": "Replies in our voice",
        "kind": "style",
        "prompting": "works",
    }
    assert profile["proposal"] == "prompt" and profile["name"] == "Support voice"


def send_bytes(child: pexpect.spawn, data: bytes) -> None:
    time.sleep(0.15)
    os.write(child.child_fd, data)


@pytest.mark.parametrize("term", ["dumb", "xterm"])
def test_invalid_utf8_and_escapes_are_refused(tmp_path: Path, term: str) -> None:
    child = spawn("--save", "p.yaml", cwd=tmp_path, term=term)
    child.expect("Describe need 1")
    send_bytes(child, b"Caf\xe9 menu\r")
    child.expect("not valid UTF-8")
    send_bytes(child, "Café menu\x1b\x1b[2~\r".encode())  # Esc, then Insert: not text
    if term == "dumb":
        child.expect("control characters")
        send_bytes(child, "Café menu\r".encode())
    if term == "dumb":
        answer(child, "Short id", "menu")
        answer(child, "What does this need ask", "general")
        answer(child, "Another need", "n")
        answer(child, "prompts and retrieved documents", "")
        answer(child, "The answers point to", "")
        answer(child, "A name for this profile", "")
        answer(child, "Review your answers", "")
    else:
        keys(child, "Short id", "menu\r")
        keys(child, "What does this need ask", "8", "\r")
        keys(child, "Another need", "n\r")
        keys(child, "prompts and retrieved documents", "\r")  # optional: skipped
        keys(child, "The answers point to", "\r")
        keys(child, "A name for this profile", "\r")
        keys(child, "Enter accepts", "\r")
    child.expect("Saved to p.yaml")
    assert finish(child) == 0
    profile = yaml.safe_load((tmp_path / "p.yaml").read_text(encoding="utf-8"))
    assert profile["needs"][0]["description"] == "Café menu"


def test_review_change_in_menus_keeps_every_answer(tmp_path: Path) -> None:
    child = spawn(
        "--profile",
        str(EXAMPLES / "law-firm.tunewise.yaml"),
        "--save",
        "p.yaml",
        cwd=tmp_path,
        term="xterm",
        columns=80,
    )
    keys(child, "Enter accepts", "6\r")  # bluebook's kind: the menu highlights format
    keys(child, "What does this need ask", "1", "\r")  # facts: two new questions
    keys(child, "fit in the model", "n\r")
    keys(child, "How often", "2", "\r")
    keys(child, "Enter accepts", "6\r")
    keys(child, "What does this need ask", "format", "\r")  # back: nothing is asked again
    keys(child, "Enter accepts", "\r")
    child.expect("Verdict: RAG \\+ FINE-TUNING")
    child.expect("Saved to p.yaml")
    assert finish(child) == 0
    saved = yaml.safe_load((tmp_path / "p.yaml").read_text(encoding="utf-8"))
    assert saved["needs"][1]["prompting"] == "failed" and saved["project"]["examples"] == 2400


def test_plain_skipped_gpu_then_data_stays_and_every_check(tmp_path: Path) -> None:
    child = spawn("--save", "p.yaml", cwd=tmp_path)
    answer(child, "Describe need 1", "Replies in our voice")
    answer(child, "Short id", "voice")
    answer(child, "What does this need ask", "style")
    answer(child, "prompt-engineering effort", "failed")
    answer(child, "Another need", "n")
    for expected, text in [
        ("How many high-quality", "2,400"),
        ("How good are those", "high"),
        ("Where is the product", "production"),
        ("Expected improvement", "30"),
        ("retrain the model", "n"),  # a failing check: the others are still asked
        ("held-out set", "y"),
        ("Budget", "15,000"),
        ("hosted fine-tuning provider", "y"),
        ("prompts and retrieved documents", ""),  # optional: skipped
    ]:
        answer(child, expected, text)
    answer(child, "The answers point to: prompt", "")
    answer(child, "A name for this profile", "")
    answer(child, "Review your answers", "9")  # retrain: y
    answer(child, "retrain the model", "y")
    answer(child, "preference pairs", "")  # optional, now that the need is a fine-tune
    answer(child, "Review your answers", "11")  # data_may_leave: n
    answer(child, "hosted fine-tuning provider", "n")
    answer(child, "hands-on experience", "some")  # a check reads it now
    answer(child, "Memory of the largest GPU", "24")  # required now: asked
    for _ in range(3):  # optional refinements of the self-hosted advice
        index = child.expect([r"Enter skips; \? help, < back\): ", "Review your answers"])
        if index == 1:
            break
        child.sendline("")
    child.expect(PROMPT)
    child.sendline("")
    child.expect("Saved to p.yaml")
    assert finish(child) == 0
    saved = yaml.safe_load((tmp_path / "p.yaml").read_text(encoding="utf-8"))
    assert saved["project"]["gpu_vram_gb"] == 24 and saved["project"]["examples"] == 2400


def test_a_rule_set_gap_met_in_the_questionnaire_names_the_rule_set(tmp_path: Path) -> None:
    """Regression: answers that fall in a gap of a custom rule set (`examples ≥ target` as the
    only branch) ended the questionnaire with a line naming no file."""
    from tests.small_rules import bound_by_another_answer
    from tests.small_rules import write as write_small

    rules = write_small(tmp_path, bound_by_another_answer(), "gap.yaml")
    child = spawn("--rules", "gap.yaml", cwd=tmp_path)
    answer(child, "Describe need 1", "d")
    answer(child, "Short id", "x")
    answer(child, "Another need", "n")
    answer(child, "examples", "5")
    answer(child, "target", "10")
    child.expect("no branch for examples = 5")
    line = child.before.splitlines()[-1] + child.after
    assert f"tunewise: {rules.name}: " in line, line
    assert finish(child) == 3
