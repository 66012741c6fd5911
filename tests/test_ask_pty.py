"""`tunewise ask` through a real pseudo-terminal (pexpect), as a person would use it: plain
numbered prompts (`TERM=dumb`, as screen readers use), then the full terminal with line editing
and arrow-key menus."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pexpect
import pytest
import yaml
from tests.conftest import EXAMPLES

PROMPT = r"\): |\]: |back: "  # prompts end "(...): ", "[default]: " or "... < back: "


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
        ("hands-on experience", "some"),
        ("hosted fine-tuning provider", "y"),
        ("largest GPU", "24"),
        ("Size of the base model", "8"),
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
