"""Claims against evidence: one reading for advise and check, every kind of evidence, safe paths."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PASSING_PROJECT, profile_dict, run_cli

DATA = Path(__file__).parents[1] / "data" / "evals"
STYLE = {"id": "tone", "kind": "style", "prompting": "failed"}


def _chat(user: str, answer: str) -> str:
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": messages})


def _long(i: int) -> str:
    return " ".join(f"t{i}w{j}" for j in range(30))


def project_dir(tmp_path: Path, unique: int = 600, duplicates: int = 0) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "data").mkdir()
    rows = [_chat(f"question {i}", _long(i)) for i in range(unique)]
    rows += rows[:duplicates]
    (root / "data" / "train.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def write(root: Path, data: dict[str, Any], name: str = "p.tunewise.yaml") -> Path:
    path = root / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def check(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run_cli("check", str(path), "--format", "json", *extra)
    data = json.loads(result.out) if result.out else {}
    return result.code, data["files"][0] if data else {}


def messages(file: dict[str, Any]) -> str:
    return "\n".join(f["message"] for f in file["findings"])


def prompting(report: str, target: float) -> dict[str, Any]:
    return {"report": report, "target": target}


@pytest.mark.parametrize(
    ("report", "fmt"),
    [
        ("promptfoo-results.json", "promptfoo"),
        ("inspect-log.json", "inspect"),
        ("inspect-log.eval", "inspect"),
        ("results_2026-11-18T10-22-41.json", "lm-eval"),
        ("deepeval/.latest_test_run.json", "deepeval"),
        ("oaieval-run.jsonl", "openai-evals"),
        ("openai-eval-run.json", "openai-evals"),
        ("generic.json", "generic"),
    ],
)
def test_prompting_claims_against_each_tool(tmp_path: Path, report: str, fmt: str) -> None:
    root = project_dir(tmp_path)
    target = root / "evals" / Path(report).name
    target.parent.mkdir()
    shutil.copy(DATA / report, target)
    relative = f"evals/{target.name}"

    def run(claim: str | None, goal: float) -> tuple[int, dict[str, Any]]:
        need = {"id": "tone", "kind": "style", **({"prompting": claim} if claim else {})}
        evidence = {"dataset": "data/train.jsonl", "prompting": prompting(relative, goal)}
        project = {**PASSING_PROJECT, "examples": 600}
        return check(
            write(root, profile_dict([need], project, proposal="fine-tune", evidence=evidence))
        )

    # Claimed failed, the file meets a low target: the claim falls, quoting both numbers.
    code, file = run("failed", 0.5)
    assert code == 1 and file["status"] == "fail"
    found = [f for f in file["findings"] if f["rule"] == "evidence-prompting-contradicted"]
    assert found and "meeting the target 0.5" in found[0]["message"] and fmt in found[0]["message"]
    assert " cases" in found[0]["message"] and found[0]["line"] is not None
    # Claimed failed and the file is below a high target: the claim stands.
    code, file = run("failed", 0.99)
    assert code == 0, messages(file)
    # Claimed works below target: a warning.
    code, file = run("works", 0.99)
    assert any(f["rule"] == "evidence-prompting-below-target" for f in file["findings"])
    # No claim: the evidence answers (failed below the target: a fine-tune is justified).
    code, file = run(None, 0.99)
    assert code == 0 and any("prompting = failed" in n for n in file["notes"])


def test_advise_and_check_read_the_same_evidence(tmp_path: Path) -> None:
    root = project_dir(tmp_path, unique=600)
    project = {k: v for k, v in PASSING_PROJECT.items() if k != "examples"}
    shutil.copy(DATA / "generic.json", root / "evals.json")
    need = {"id": "tone", "kind": "style"}
    evidence = {"dataset": "data/train.jsonl", "prompting": prompting("evals.json", 0.95)}
    path = write(root, profile_dict([need], project, proposal="fine-tune", evidence=evidence))
    advice = run_cli("advise", str(path), "--format", "json")
    assert advice.code == 0, advice.out + advice.err
    data = json.loads(advice.out)
    assert data["needs"][0]["approach"] == "fine-tune"
    code, file = check(path)
    assert code == 0 and file["verdict"] == data["verdict"] == "fine-tune"


def test_duplicates_contradict_high_quality(tmp_path: Path) -> None:
    root = project_dir(tmp_path, unique=700, duplicates=300)  # 30 % duplicates
    evidence = {"dataset": "data/train.jsonl"}
    path = write(
        root, profile_dict([STYLE], PASSING_PROJECT, proposal="fine-tune", evidence=evidence)
    )
    code, file = check(path)
    assert code == 1
    found = [f for f in file["findings"] if f["rule"] == "evidence-quality-contradicted"]
    assert found and "300 of 1000 valid records (30%)" in found[0]["message"]
    assert found[0]["line"] is not None


def test_eval_set_overlap_fails_with_count_and_pairs(tmp_path: Path) -> None:
    root = project_dir(tmp_path, unique=600)
    held = [_chat(f"Question  {i}", _long(i).upper()) for i in range(10)]  # exact, normalised
    held += [_chat(f"question {i}", _long(i) + " extra") for i in range(10, 12)]  # near
    held += [_chat(f"fresh {i}", f"new answer number {i} " * 3) for i in range(188)]
    (root / "data" / "heldout.jsonl").write_text("\n".join(held) + "\n", encoding="utf-8")
    evidence = {"dataset": "data/train.jsonl", "eval_set": "data/heldout.jsonl"}
    project = {**PASSING_PROJECT, "examples": 600}
    path = write(root, profile_dict([STYLE], project, proposal="fine-tune", evidence=evidence))
    code, file = check(path)
    assert code == 1
    found = [f for f in file["findings"] if f["rule"] == "evidence-eval-overlap"]
    assert (
        found and "12 of 200 held-out records are also in the training set" in found[0]["message"]
    )
    assert "held-out line 1 = training line 1" in found[0]["message"]


def test_require_evidence_each_kind(tmp_path: Path) -> None:
    root = project_dir(tmp_path, unique=600)
    rows = [_chat(f"fresh {i}", f"new answer number {i} " * 3) for i in range(50)]
    (root / "data" / "heldout.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.copy(DATA / "generic.json", root / "evals.json")
    full = {
        "dataset": "data/train.jsonl",
        "eval_set": "data/heldout.jsonl",
        "prompting": prompting("evals.json", 0.95),
    }
    project = {**PASSING_PROJECT, "examples": 600}
    all_kinds = "dataset,prompting,eval_set"
    path = write(root, profile_dict([STYLE], project, proposal="fine-tune", evidence=full))
    code, file = check(path, "--require-evidence", all_kinds)
    assert code == 0, messages(file)
    for kind in ("dataset", "prompting", "eval_set"):
        evidence = {k: v for k, v in full.items() if k != kind}
        if kind == "dataset":
            evidence.pop("eval_set")
        path = write(root, profile_dict([STYLE], project, proposal="fine-tune", evidence=evidence))
        code, file = check(path, "--require-evidence", kind)
        assert code == 1 and any(f["rule"] == "evidence-required" for f in file["findings"])
        assert f"evidence.{kind}" in messages(file)
    assert run_cli("check", str(path), "--require-evidence", "datasets").code == 2


def test_need_evidence_overrides_the_projects(tmp_path: Path) -> None:
    root = project_dir(tmp_path, unique=600)
    small = [_chat(f"q {i}", _long(i + 5000)) for i in range(40)]
    (root / "data" / "small.jsonl").write_text("\n".join(small) + "\n", encoding="utf-8")
    project = {k: v for k, v in PASSING_PROJECT.items() if k != "examples"}
    need = {**STYLE, "evidence": {"dataset": "data/small.jsonl"}}
    path = write(
        root,
        profile_dict(
            [need], project, proposal="fine-tune", evidence={"dataset": "data/train.jsonl"}
        ),
    )
    code, file = check(path)
    assert code == 1 and any("examples = 40, measured" in n for n in file["notes"])


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "symlink-out", "nul", "outside"])
def test_hostile_evidence_paths_are_one_located_finding(tmp_path: Path, kind: str) -> None:
    root = project_dir(tmp_path)
    relative = {
        "fifo": "data/pipe.jsonl",
        "device": "data/zero.jsonl",
        "folder": "data",
        "symlink-out": "data/etc",
        "nul": "data/a\x00b",
        "outside": "../../etc/passwd",
    }[kind]
    if kind == "fifo":
        os.mkfifo(root / relative)
    elif kind == "device":
        os.symlink("/dev/zero", root / relative)  # resolves outside: refused before opening
    elif kind == "symlink-out":
        os.symlink("/etc", root / relative)
    project = {**PASSING_PROJECT, "examples": 600}
    path = write(
        root, profile_dict([STYLE], project, proposal="fine-tune", evidence={"dataset": relative})
    )
    started = time.monotonic()
    code, file = check(path)
    assert time.monotonic() - started < 10
    found = [f for f in file["findings"] if f["rule"] == "evidence-unreadable"]
    assert code == 1 and len(found) == 1 and found[0]["line"] is not None
    assert "\n" not in found[0]["message"]


def test_a_path_up_from_the_profile_inside_the_project_root_is_read(tmp_path: Path) -> None:
    """Regression: the path was first confined to the profile's own folder, so a profile in
    `teams/a/` of a repository could not name `../../data/train.jsonl`, which is inside the
    project root (SPEC §4: the root is the nearest folder above holding `.git`)."""
    root = project_dir(tmp_path)
    (root / "teams" / "a").mkdir(parents=True)
    evidence = {"dataset": "../../data/train.jsonl"}
    project = {k: v for k, v in PASSING_PROJECT.items() if k != "examples"}  # measured: 600
    data = profile_dict([STYLE], project, proposal="fine-tune", evidence=evidence)
    code, file = check(write(root / "teams" / "a", data))
    assert code == 0 and file["status"] == "pass", file
    assert not [f for f in file["findings"] if f["rule"] == "evidence-unreadable"]
    outside = {"dataset": "../../../outside.jsonl"}
    (tmp_path / "outside.jsonl").write_text(_chat("q", _long(1)) + "\n", encoding="utf-8")
    data = profile_dict([STYLE], project, proposal="fine-tune", evidence=outside)
    code, file = check(write(root / "teams" / "a", data, "q.tunewise.yaml"))
    assert code == 1 and "resolves outside the project root" in messages(file)


@pytest.mark.parametrize("held_out", ["", "\n\n", "not json\n{}\n"])
def test_an_empty_or_invalid_held_out_set_is_no_held_out_set(tmp_path: Path, held_out: str) -> None:
    """Regression: an empty (or wholly invalid) eval_set counted as "present and disjoint":
    it satisfied --require-evidence eval_set and passed the gate, so `: > heldout.jsonl` was
    enough. It is a finding, and no held-out evidence."""
    root = project_dir(tmp_path)
    (root / "data" / "heldout.jsonl").write_text(held_out, encoding="utf-8")
    project = {k: v for k, v in PASSING_PROJECT.items() if k != "examples"}
    evidence = {"dataset": "data/train.jsonl", "eval_set": "data/heldout.jsonl"}
    data = profile_dict([STYLE], project, proposal="fine-tune", evidence=evidence)
    path = write(root, data)
    code, file = check(path, "--require-evidence", "eval_set")
    rules = [f["rule"] for f in file["findings"]]
    assert code == 1 and "evidence-eval-set-invalid" in rules and "evidence-required" in rules
    assert "no valid held-out record" in messages(file)
    del data["project"]["eval_plan"]  # nor does it answer eval_plan for advise
    advised = run_cli("advise", str(write(root, data)), "--format", "json")
    assert "eval_plan" in json.loads(advised.out)["missing"], advised.out


def test_advise_names_the_need_an_evidence_warning_is_about(tmp_path: Path) -> None:
    """Regression: advise showed every contradiction under "evidence:", so with two needs'
    evidence nobody could tell whose claim the file contradicts."""
    root = project_dir(tmp_path, unique=600, duplicates=300)
    (root / "evals").mkdir()
    shutil.copy(DATA / "generic.json", root / "evals" / "generic.json")  # pass rate 0.88
    project = {k: v for k, v in PASSING_PROJECT.items() if k != "examples"}
    needs = [
        {**STYLE, "id": "alpha", "evidence": {"prompting": prompting("evals/generic.json", 0.8)}},
        {
            "id": "beta",
            "kind": "format",
            "prompting": "failed",
            "evidence": {"dataset": "data/train.jsonl"},
        },
    ]
    path = write(root, profile_dict(needs, project, proposal="fine-tune"))
    advised = json.loads(run_cli("advise", str(path), "--format", "json").out)
    contradictions = [w for w in advised["warnings"] if "claims prompting" in w]
    quality = [w for w in advised["warnings"] if "data_quality is high" in w]
    assert len(contradictions) == 1 and contradictions[0].startswith("alpha: "), advised
    assert len(quality) == 1 and quality[0].startswith("beta: "), advised


def test_dev_zero_inside_the_root_is_refused(tmp_path: Path) -> None:
    # A project root of / (a profile there) must still refuse the device itself.
    from tunewise.errors import InputError
    from tunewise.evidence.dataset import measure

    with pytest.raises(InputError, match="device"):
        measure(Path("/dev/zero"))


def test_every_rule_id_emitted_is_documented() -> None:
    import re

    from tunewise.gate.rule_ids import FIXED

    source = (Path(__file__).parents[2] / "src" / "tunewise" / "gate" / "claims.py").read_text()
    emitted = set(re.findall(r'"(evidence-[a-z-]+)"', source)) - {"evidence-measured"}  # notes
    assert emitted <= set(FIXED)
    for rule in emitted:
        assert run_cli("explain", rule).code == 0


def test_a_percent_style_target_for_a_pass_rate_fails_closed(tmp_path: Path) -> None:
    # Issue 14: target 90 against a pass rate of 0.92 was never met, so `prompting: failed`
    # passed unchecked; now the target is refused at its key and the gate fails.
    root = project_dir(tmp_path)
    (root / "evals.json").write_text('{"passed": 92, "total": 100}', encoding="utf-8")
    evidence = {"dataset": "data/train.jsonl", "prompting": prompting("evals.json", 90)}
    project = {**PASSING_PROJECT, "examples": 600}
    path = write(root, profile_dict([STYLE], project, proposal="fine-tune", evidence=evidence))
    code, file = check(path)
    assert code == 1 and file["status"] == "fail", messages(file)
    found = [f for f in file["findings"] if f["rule"] == "evidence-target-not-fraction"]
    assert len(found) == 1 and found[0]["level"] == "error"
    assert "target 90 is above 1: a pass rate is a fraction, write 0.9" in found[0]["message"]
    assert found[0]["line"] is not None
    assert run_cli("explain", "evidence-target-not-fraction").code == 0
    # The same target as a fraction is judged as before: 0.92 meets 0.9, the claim falls.
    evidence["prompting"] = prompting("evals.json", 0.9)
    path = write(root, profile_dict([STYLE], project, proposal="fine-tune", evidence=evidence))
    code, file = check(path)
    assert code == 1 and not any(
        f["rule"] == "evidence-target-not-fraction" for f in file["findings"]
    )
    assert any(f["rule"] == "evidence-prompting-contradicted" for f in file["findings"])
    # A named metric on another scale (a 0-100 score) may have a target above 1: judged.
    score = '{"metric": "score", "value": 93, "cases": 50}'
    (root / "evals.json").write_text(score, encoding="utf-8")
    evidence["prompting"] = prompting("evals.json", 90)
    path = write(root, profile_dict([STYLE], project, proposal="fine-tune", evidence=evidence))
    code, file = check(path)
    assert not any(f["rule"] == "evidence-target-not-fraction" for f in file["findings"])
    assert any(f["rule"] == "evidence-prompting-contradicted" for f in file["findings"])


def test_evidence_answers_make_a_new_profile_and_leave_the_read_one_as_it_was() -> None:
    """What the evidence measured fills only unanswered questions, in a new profile: the
    profile that was read is never patched (advise and check both build on the new one)."""
    from tunewise.gate.claims import EvidenceReading, NeedEvidence, answered
    from tunewise.inputs.profile import NeedAnswers, Profile

    need = NeedAnswers("tone", "", {"kind": "style", "prompting": "failed"})
    profile = Profile([need], {"examples": 40})
    reading = EvidenceReading(
        project={"examples": 900, "data_quality": "high"},
        needs=[NeedEvidence(answers={"prompting": "works", "eval_plan": True})],
    )
    filled = answered(profile, reading)
    assert filled.project == {"examples": 40, "data_quality": "high"}  # the profile's own wins
    assert filled.needs[0].answers == {"kind": "style", "prompting": "failed", "eval_plan": True}
    assert profile.project == {"examples": 40}
    assert need.answers == {"kind": "style", "prompting": "failed"}


def test_a_note_on_one_needs_evidence_names_that_need(tmp_path: Path) -> None:
    """Regression: "examples = 40, measured in ..." and "prompting = failed: ..." said nothing of
    which need they answered for; the project's own evidence still speaks for the project."""
    root = project_dir(tmp_path, unique=600)
    small = [_chat(f"q {i}", _long(i + 5000)) for i in range(40)]
    (root / "data" / "small.jsonl").write_text("\n".join(small) + "\n", encoding="utf-8")
    (root / "evals").mkdir()
    shutil.copy(DATA / "generic.json", root / "evals" / "generic.json")  # pass rate 0.88
    project = {k: v for k, v in PASSING_PROJECT.items() if k != "examples"}
    needs = [
        {**STYLE, "id": "alpha", "evidence": {"dataset": "data/small.jsonl"}},
        {
            **STYLE,
            "id": "beta",
            "prompting": None,
            "evidence": {"prompting": prompting("evals/generic.json", 0.9)},
        },
    ]
    needs[1] = {k: v for k, v in needs[1].items() if v is not None}
    path = write(
        root,
        profile_dict(
            needs, project, proposal="fine-tune", evidence={"dataset": "data/train.jsonl"}
        ),
    )
    advised = json.loads(run_cli("advise", str(path), "--format", "json").out)
    _, file = check(path)
    for said in (file["notes"], [note["text"] for note in advised["notes"]]):
        assert any(n.startswith("alpha: examples = 40, measured in data/small.jsonl") for n in said)
        assert any(n.startswith("examples = 600, measured in data/train.jsonl") for n in said)
        assert any(n.startswith("beta: prompting = failed: evals/generic.json") for n in said)


def test_a_path_of_spaces_is_shown_quoted(tmp_path: Path) -> None:
    """Regression: `dataset: "   "` was reported as 'evidence.dataset    : dataset not found'."""
    root = project_dir(tmp_path)
    path = write(
        root,
        profile_dict(
            [STYLE], dict(PASSING_PROJECT), proposal="fine-tune", evidence={"dataset": "   "}
        ),
    )
    code, file = check(path)
    assert code == 1 and "evidence.dataset '   ': " in messages(file)
