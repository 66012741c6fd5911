"""The CI gate: every status and reason, waivers, evidence, discovery, exit codes, --strict."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PASSING_PROJECT, profile_dict, run_cli
from tunewise.gate.discovery import find_profiles, is_profile_name
from tunewise.gate.judge import Gate, waiver_problems
from tunewise.ruleset.load import LoadedRules

STYLE = {"id": "tone", "kind": "style", "prompting": "failed"}
GOOD_WAIVER = {
    "reason": "Contract requires it; approved in the architecture review of May.",
    "approved_by": "jane.doe",
    "expires": (dt.date.today() + dt.timedelta(days=180)).isoformat(),  # within the horizon
}


def check_json(*paths: Path | str, strict: bool = False) -> tuple[int, dict[str, Any]]:
    args = ["check", *map(str, paths), "--format", "json"] + (["--strict"] if strict else [])
    result = run_cli(*args)
    return result.code, json.loads(result.out) if result.out else {}


def only_file(data: dict[str, Any]) -> dict[str, Any]:
    assert len(data["files"]) == 1
    file: dict[str, Any] = data["files"][0]
    return file


def messages(file: dict[str, Any]) -> str:
    return "\n".join(f["message"] for f in file["findings"])


def test_justified_fine_tune_passes(write_profile: Any) -> None:
    path = write_profile(profile_dict([STYLE], PASSING_PROJECT, proposal="fine-tune"))
    code, data = check_json(path)
    assert code == 0 and data["passed"] is True
    file = only_file(data)
    assert (file["status"], file["verdict"], file["findings"]) == ("pass", "fine-tune", [])


@pytest.mark.parametrize(
    ("need", "project", "expected"),
    [
        ({**STYLE, "prompting": "untried"}, PASSING_PROJECT, "No serious prompting effort"),
        (
            {"id": "docs", "kind": "facts", "fits_in_prompt": False, "changes": "never"},
            PASSING_PROJECT,
            "trap",
        ),
        (STYLE, {**PASSING_PROJECT, "examples": 40}, "memorise"),
        (STYLE, {**PASSING_PROJECT, "examples": 300}, "short of the 500"),
        (STYLE, {"stage": "pilot"}, "missing answers: examples"),
        (STYLE, {**PASSING_PROJECT, "data_quality": "low"}, "reproduces their mistakes"),
        (STYLE, {**PASSING_PROJECT, "stage": "prototype"}, "prototype"),
        (STYLE, {**PASSING_PROJECT, "expected_gain_pct": 12}, "below the 20%"),
        (STYLE, {**PASSING_PROJECT, "can_maintain": False}, "retraining every 3–6 months"),
        (STYLE, {**PASSING_PROJECT, "eval_plan": False}, "held-out comparison"),
        (STYLE, {**PASSING_PROJECT, "budget_usd": 100}, "does not cover the estimated"),
        (
            STYLE,
            {**PASSING_PROJECT, "ml_expertise": "none", "data_may_leave": False, "gpu_vram_gb": 48},
            "only a managed service",
        ),
        (STYLE, {**PASSING_PROJECT, "data_may_leave": False, "gpu_vram_gb": 4}, "below the 16 GB"),
    ],
)
def test_unjustified_fine_tune_fails_with_the_reason(
    write_profile: Any, need: dict[str, Any], project: dict[str, Any], expected: str
) -> None:
    path = write_profile(profile_dict([need], project, proposal="fine-tune"))
    code, data = check_json(path)
    file = only_file(data)
    assert code == 1 and data["passed"] is False and file["status"] == "fail"
    assert expected in messages(file)
    assert all(f["level"] == "error" for f in file["findings"])


def test_findings_say_what_would_change(write_profile: Any) -> None:
    project = {**PASSING_PROJECT, "examples": 300, "eval_plan": False}
    path = write_profile(profile_dict([STYLE], project, proposal="hybrid"))
    file = only_file(check_json(path)[1])
    summary = file["findings"][0]["message"]
    assert "2 fine-tuning checks fail" in summary
    assert (
        "would become fine-tuning once at least 500 good examples have been collected and once a"
        " held-out comparison with the base model is planned" in summary
    )
    assert len(file["findings"]) == 3  # the summary, then each failing check


def test_every_failing_check_is_a_finding_with_its_line(write_profile: Any) -> None:
    text = (
        "tunewise: 1\nproposal: fine-tune\nneeds:\n  - id: tone\n    kind: style\n"
        "    prompting: failed\nproject:\n  stage: prototype\n  examples: 50\n"
        "  data_quality: high\n  expected_gain_pct: 30\n  budget_usd: 9000\n"
        "  ml_expertise: some\n  can_maintain: true\n  eval_plan: true\n  data_may_leave: true\n"
    )
    file = only_file(check_json(write_profile(text))[1])
    lines = {f["rule"]: f["line"] for f in file["findings"]}
    assert lines == {"not-fine-tune": 4, "check/past-prototype": 8, "check/enough-examples": 9}


def test_prompt_or_rag_proposals_pass_and_disagreement_warns(write_profile: Any) -> None:
    agree = write_profile(profile_dict([{"id": "a", "kind": "general"}], proposal="prompt"))
    code, data = check_json(agree)
    assert code == 0 and only_file(data)["findings"] == []
    disagree = write_profile(profile_dict([{"id": "a", "kind": "general"}], proposal="rag"))
    code, data = check_json(disagree)
    file = only_file(data)
    assert code == 0 and file["status"] == "pass"
    assert file["findings"][0]["level"] == "warning" and "verdict is prompt" in messages(file)
    code, data = check_json(disagree, strict=True)
    assert code == 1 and data["passed"] is False
    absent = write_profile(profile_dict([{"id": "a", "kind": "general"}]))
    assert check_json(absent, strict=True)[0] == 0


def _waived(write_profile: Any, waiver: dict[str, str]) -> Path:
    """A fine-tune proposal the rules do not justify (prompting untried), with `waiver`."""
    need = {**STYLE, "prompting": "untried"}
    path: Path = write_profile(
        profile_dict([need], PASSING_PROJECT, proposal="fine-tune", waiver=waiver)
    )
    return path


def test_valid_waiver_reports_waived(write_profile: Any) -> None:
    path = _waived(write_profile, GOOD_WAIVER)
    code, data = check_json(path)
    file = only_file(data)
    assert code == 0 and data["passed"] is True and file["status"] == "waived"
    assert any(f"waived by jane.doe until {GOOD_WAIVER['expires']}" in n for n in file["notes"])
    text = run_cli("check", str(path)).out
    assert text.startswith("WAIVED") and "1 waived" in text


@pytest.mark.parametrize(
    ("waiver", "expected"),
    [
        ({**GOOD_WAIVER, "expires": "2020-01-31"}, "waiver expired on 2020-01-31"),
        ({**GOOD_WAIVER, "reason": "because"}, "reason is 7 visible characters; at least 30"),
        ({**GOOD_WAIVER, "approved_by": ""}, "approved_by is missing"),
        ({"reason": GOOD_WAIVER["reason"], "approved_by": "jo"}, "expires is missing"),
    ],
)
def test_bad_waiver_fails(write_profile: Any, waiver: dict[str, str], expected: str) -> None:
    path = _waived(write_profile, waiver)
    code, data = check_json(path)
    file = only_file(data)
    assert code == 1 and file["status"] == "fail" and expected in messages(file)


def test_each_waiver_problem_has_its_own_rule_id(write_profile: Any) -> None:
    # An expired waiver with a malformed approver: the expiry is waiver-expired, the approver
    # waiver-invalid (it was reported as waiver-expired too).
    path = _waived(write_profile, {**GOOD_WAIVER, "approved_by": "", "expires": "2020-01-31"})
    _, data = check_json(path)
    by_rule = {f["rule"]: f["message"] for f in only_file(data)["findings"]}
    assert "expired" in by_rule["waiver-expired"], by_rule
    assert "approved_by" in by_rule["waiver-invalid"], by_rule


def test_waiver_expiry_is_inclusive() -> None:
    waiver = {**GOOD_WAIVER, "expires": "2026-01-31"}
    assert waiver_problems(waiver, dt.date(2026, 1, 31)) == []
    assert waiver_problems(waiver, dt.date(2026, 2, 1)) == ["waiver expired on 2026-01-31"]


def _in_days(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def test_an_invisible_waiver_is_refused(write_profile: Any) -> None:
    """The issue's attack: 30 zero-width spaces as the reason, approved by a zero-width space,
    expiring 9999-12-31 — each one a failing finding, the gate fails."""
    waiver = {"reason": "\u200b" * 30, "approved_by": "\u200b", "expires": "9999-12-31"}
    code, data = check_json(_waived(write_profile, waiver))
    file = only_file(data)
    assert code == 1 and file["status"] == "fail"
    text = messages(file)
    assert "reason is 0 visible characters; at least 30" in text
    assert "approved_by '\\u200b' is not a name" in text
    assert "expires 9999-12-31 is more than 365 days ahead" in text
    assert {f["rule"] for f in file["findings"] if "waiver" in f["message"]} == {"waiver-invalid"}


@pytest.mark.parametrize(
    ("reason", "visible"),
    [
        ("\u200b\u200c\u200d\u2060\ufeff" * 10, 0),
        ("a\u202e" * 29, 29),  # bidi overrides hide nothing and count for nothing
        ("word " + " " * 40 + "word\n\t", 9),  # whitespace collapsed
        ("\u3164" * 40, 0),  # Hangul filler: a letter that prints as nothing
        ("e\u0301" * 30, 30),  # é written with a combining accent counts once
    ],
)
def test_reason_length_counts_visible_characters(reason: str, visible: int) -> None:
    from tunewise.gate.judge import visible_length

    assert visible_length(reason) == visible


@pytest.mark.parametrize(
    ("approver", "ok"),
    [
        ("jane.doe", True),
        ("jane@example.com", True),
        ("j_d-2", True),
        ("Zoë", True),
        ("cto", True),
        ("x", False),
        ("\u200b", False),
        ("jd\u200b", False),
        ("jane doe", False),
        ("..", False),
        ("<script>", False),
        ("jane\ndoe", False),
    ],
)
def test_approver_is_a_name(approver: str, ok: bool) -> None:
    from tunewise.gate.judge import approver_problem

    assert (approver_problem(approver) is None) is ok


def test_the_waiver_horizon_is_configurable(write_profile: Any) -> None:
    path = _waived(write_profile, {**GOOD_WAIVER, "expires": _in_days(400)})
    code, data = check_json(path)
    assert code == 1 and "more than 365 days ahead" in messages(only_file(data))
    result = run_cli("check", str(path), "--format", "json", "--waiver-horizon", "500")
    assert result.code == 0 and json.loads(result.out)["files"][0]["status"] == "waived"
    assert run_cli("check", str(path), "--waiver-horizon", "-1").code == 2


@pytest.mark.parametrize(("days", "expected"), [(0, "today"), (1, "in 1 day"), (14, "in 14 days")])
def test_a_waiver_about_to_expire_warns(write_profile: Any, days: int, expected: str) -> None:
    code, data = check_json(_waived(write_profile, {**GOOD_WAIVER, "expires": _in_days(days)}))
    file = only_file(data)
    assert code == 0 and file["status"] == "waived"
    (warning,) = [f for f in file["findings"] if f["rule"] == "waiver-expiring"]
    assert warning["level"] == "warning" and f"waiver expires {expected}" in warning["message"]


def test_a_waiver_far_from_expiry_does_not_warn(write_profile: Any) -> None:
    code, data = check_json(_waived(write_profile, {**GOOD_WAIVER, "expires": _in_days(15)}))
    file = only_file(data)
    assert code == 0 and file["status"] == "waived"
    assert not [f for f in file["findings"] if f["rule"] == "waiver-expiring"]


def _two_needs(write_profile: Any, scope: list[str]) -> Path:
    """A fine-tune proposal where neither need reaches fine-tuning, waived for `scope`."""
    needs = [
        {**STYLE, "id": "a", "prompting": "untried"},
        {**STYLE, "id": "b", "prompting": "works"},
    ]
    path: Path = write_profile(
        profile_dict(
            needs,
            PASSING_PROJECT,
            proposal="fine-tune",
            waiver={**GOOD_WAIVER, "needs": scope},
        )
    )
    return path


def test_a_scoped_waiver_waives_only_its_needs(write_profile: Any) -> None:
    code, data = check_json(_two_needs(write_profile, ["a"]))
    file = only_file(data)
    assert code == 1 and file["status"] == "fail"
    (scope,) = [f for f in file["findings"] if f["rule"] == "waiver-out-of-scope"]
    assert "waiver covers need a only; not the failures of b" in scope["message"]
    code, data = check_json(_two_needs(write_profile, ["a", "b"]))
    file = only_file(data)
    assert code == 0 and file["status"] == "waived"
    assert any("waived (needs a, b) by jane.doe" in n for n in file["notes"])


@pytest.mark.parametrize("command", ["advise", "check"])
def test_a_waiver_for_an_unknown_need_is_invalid_input(write_profile: Any, command: str) -> None:
    result = run_cli(command, str(_two_needs(write_profile, ["a", "c"])))
    assert result.code == 3
    assert "waiver.needs[1]: waiver scoped to an unknown need 'c'" in result.out + result.err


@pytest.mark.parametrize("command", ["advise", "check"])
def test_a_malformed_waiver_date_is_invalid_input(write_profile: Any, command: str) -> None:
    result = run_cli(command, str(_waived(write_profile, {**GOOD_WAIVER, "expires": "someday"})))
    assert result.code == 3
    assert "waiver.expires: expected a date like 2027-03-01, got 'someday'" in (
        result.out + result.err
    )


def _dataset(folder: Path, unique: int, duplicates: int = 0, bad: int = 0) -> Path:
    path = folder / "data" / "train.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) for i in range(unique)]
    rows += rows[:duplicates] + ["{not json"] * bad
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_evidence_overclaim_fails_with_both_numbers(tmp_path: Path, write_profile: Any) -> None:
    _dataset(tmp_path, 312, duplicates=40, bad=3)
    path = write_profile(
        profile_dict(
            [STYLE],
            {**PASSING_PROJECT, "examples": 2000},
            proposal="fine-tune",
            evidence={"dataset": "data/train.jsonl"},
        )
    )
    file = only_file(check_json(path)[1])
    assert file["status"] == "fail"
    assert "claims 2000 examples; the dataset has 312 valid unique records" in messages(file)


@pytest.mark.parametrize(("unique", "duplicates", "status"), [(499, 40, "fail"), (500, 40, "pass")])
def test_measured_examples_are_used_when_absent(
    tmp_path: Path, write_profile: Any, unique: int, duplicates: int, status: str
) -> None:
    _dataset(tmp_path, unique, duplicates=duplicates)
    project = {k: v for k, v in PASSING_PROJECT.items() if k != "examples"}
    project["budget_usd"] = 600
    path = write_profile(
        profile_dict(
            [STYLE], project, proposal="fine-tune", evidence={"dataset": "data/train.jsonl"}
        )
    )
    file = only_file(check_json(path)[1])
    assert file["status"] == status
    assert any(f"examples = {unique}, measured" in n for n in file["notes"])


def test_missing_dataset_fails(write_profile: Any) -> None:
    path = write_profile(
        profile_dict(
            [STYLE], PASSING_PROJECT, proposal="fine-tune", evidence={"dataset": "nope.jsonl"}
        )
    )
    file = only_file(check_json(path)[1])
    assert file["status"] == "fail" and "dataset not found" in messages(file)


def test_tree_of_profiles(tmp_path: Path, write_profile: Any) -> None:
    write_profile(profile_dict([STYLE], PASSING_PROJECT, proposal="fine-tune"), "a/tunewise.yaml")
    write_profile(
        profile_dict([{**STYLE, "prompting": "works"}], PASSING_PROJECT, proposal="fine-tune"),
        "b/c/team.tunewise.yml",
    )
    write_profile(profile_dict([{"id": "x", "kind": "general"}]), "b/other.tunewise.yaml")
    write_profile("tunewise: 1\nneeds: []\n", "node_modules/tunewise.yaml")  # skipped
    write_profile("tunewise: 1\nneeds: []\n", "notaprofile.yaml")  # wrong name
    code, data = check_json(tmp_path)
    assert code == 1
    statuses = {
        Path(f["path"]).relative_to(tmp_path).as_posix(): f["status"] for f in data["files"]
    }
    assert statuses == {
        "a/tunewise.yaml": "pass",
        "b/c/team.tunewise.yml": "fail",
        "b/other.tunewise.yaml": "pass",
    }


def test_invalid_profile_among_many(tmp_path: Path, write_profile: Any) -> None:
    write_profile(profile_dict([STYLE], PASSING_PROJECT, proposal="fine-tune"), "ok.tunewise.yaml")
    write_profile("tunewise: 1\nneeds:\n  - id: a\n    kind: nope\n", "bad.tunewise.yaml")
    code, data = check_json(tmp_path)
    assert code == 3
    statuses = {Path(f["path"]).name: f["status"] for f in data["files"]}
    assert statuses == {"bad.tunewise.yaml": "error", "ok.tunewise.yaml": "pass"}
    bad = next(f for f in data["files"] if f["status"] == "error")
    assert bad["findings"][0]["line"] == 4 and "needs[0].kind" in bad["findings"][0]["message"]


def test_a_profile_that_is_not_a_mapping_is_named_once(tmp_path: Path, write_profile: Any) -> None:
    """The file is the record's, not repeated in its message (it was: `p: error: p: ...`)."""
    path = write_profile("- a list\n", "tunewise.yaml")
    code, data = check_json(path)
    (finding,) = only_file(data)["findings"]
    assert code == 3 and finding["rule"] == "invalid-profile"
    assert finding["message"] == "a profile is a YAML mapping with 'tunewise: 1' and 'needs'"


def test_no_paths_means_current_folder(
    tmp_path: Path, write_profile: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profile(profile_dict([{"id": "x", "kind": "general"}]), "tunewise.yaml")
    monkeypatch.chdir(tmp_path)
    result = run_cli("check")
    assert result.code == 0 and "PASS    tunewise.yaml" in result.out


def test_nothing_to_check_is_an_input_error(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path))
    assert result.code == 3 and "no tunewise profiles found" in result.err
    assert run_cli("check", str(tmp_path / "missing")).code == 3


def test_discovery_rules(tmp_path: Path) -> None:
    assert is_profile_name("tunewise.yml") and is_profile_name("x.tunewise.yaml")
    assert not is_profile_name("tunewise.json") and not is_profile_name("mytunewise.yaml")
    venv = tmp_path / "env"
    (venv / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (venv / "bin").mkdir()
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "pyvenv.cfg").write_text("", encoding="utf-8")
    (venv / "tunewise.yaml").write_text("", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "tunewise.yaml").write_text("", encoding="utf-8")
    assert find_profiles([tmp_path]).files == []


def test_gate_is_reusable_across_profiles(rules: LoadedRules, write_profile: Any) -> None:
    gate = Gate(rules, dt.date(2026, 1, 1))
    first = write_profile(profile_dict([STYLE], PASSING_PROJECT, proposal="fine-tune"))
    second = write_profile(
        profile_dict([STYLE], {**PASSING_PROJECT, "examples": 10}, proposal="fine-tune")
    )
    assert [gate.judge(p).status for p in (first, second, first)] == ["pass", "fail", "pass"]


def test_parallel_and_sequential_runs_agree(rules: LoadedRules, tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from generate import generate  # type: ignore[import-not-found]

    from tunewise.gate.batch import run_check

    generate(tmp_path, 60)
    day = dt.date(2026, 6, 1)
    sequential = list(run_check(rules, [tmp_path], day, jobs=1))
    parallel = list(run_check(rules, [tmp_path], day, jobs=2))
    assert [f.path for f in parallel] == [f.path for f in sequential]
    assert parallel == sequential
    assert {f.status for f in sequential} >= {"pass", "fail"}


def test_what_if_work_per_profile_is_bounded(write_profile: Any) -> None:
    """A profile of thousands of needs cannot hold the gate for minutes: needs with the same
    answers share one what-if search, and at most MAX_SEARCHES distinct ones are searched."""
    import time

    from tunewise.gate.judge import MAX_SEARCHES

    same = [{"id": f"n{i}", "kind": "general"} for i in range(2000)]
    path = write_profile(profile_dict(same, PASSING_PROJECT, proposal="fine-tune"))
    started = time.monotonic()
    code, data = check_json(path)
    assert code == 1 and time.monotonic() - started < 30
    summaries = {f["message"].split(": ", 1)[1] for f in only_file(data)["findings"]}
    assert len(summaries) == 1 and "No change of one or two answers" in summaries.pop()
    distinct = [{"id": f"n{i}", "kind": "general", "examples": i} for i in range(MAX_SEARCHES + 20)]
    file = only_file(
        check_json(write_profile(profile_dict(distinct, PASSING_PROJECT, proposal="fine-tune")))[1]
    )
    unsearched = [f for f in file["findings"] if "was not searched" in f["message"]]
    assert len(unsearched) == 20
    assert f"searched for {MAX_SEARCHES} distinct needs; 20 more" in " ".join(file["notes"])


def test_strict_failures_are_failures_in_every_report(write_profile: Any) -> None:
    """Regression: under --strict a pass with warnings said "pass" in JSON and markdown while
    the run failed; every report now shows and counts it as failed."""
    path = write_profile(
        profile_dict([{"id": "tone", "kind": "style", "prompting": "untried"}], proposal="rag")
    )
    result = run_cli("check", "--isolated", "--strict", "--format", "json", str(path))
    doc = json.loads(result.out)
    assert result.code == 1 and doc["passed"] is False
    assert doc["files"][0]["status"] == "fail"
    assert doc["summary"] == {"pass": 0, "fail": 1, "waived": 0, "error": 0}
    markdown = run_cli("check", "--isolated", "--strict", "--format", "markdown", str(path)).out
    assert "0 passed, 1 failed" in markdown and "✅ pass" not in markdown
    text = run_cli("check", "--isolated", "--strict", str(path)).out
    assert "FAIL (strict)" in text and "0 passed, 1 failed" in text
    plain = json.loads(run_cli("check", "--isolated", "--format", "json", str(path)).out)
    assert plain["passed"] is True and plain["files"][0]["status"] == "pass"


def test_an_undecided_profile_without_a_proposal_warns(write_profile: Any) -> None:
    """SPEC §4: profiles without a proposal pass, but an undecided verdict is a warning."""
    path = write_profile(
        profile_dict([{"id": "law", "kind": "domain", "changes": "rarely", "prompting": "failed"}])
    )
    result = run_cli("check", "--isolated", "--format", "json", str(path))
    finding = json.loads(result.out)["files"][0]["findings"][0]
    assert result.code == 0
    assert finding["rule"] == "undecided" and finding["level"] == "warning"
    assert finding["message"] == "need 'law' is undecided: missing answers: retrieval"
    assert run_cli("check", "--isolated", "--strict", str(path)).code == 1
    assert run_cli("explain", "undecided").code == 0


CHECK_FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab", "markdown")


@pytest.mark.parametrize("count", [3, 401], ids=["in-process", "forked-workers"])
def test_a_rule_set_gap_is_one_profile_s_error_and_the_others_are_judged(
    tmp_path: Path, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: one profile meeting a gap in a custom rule set ("node 'n' has no branch for
    examples = 5") ended the whole run with exit 3, and no profile was reported. That profile
    is an error result with one located finding (rule set's file and node, the profile's
    answer); every other profile is judged and reported, in every format, also when a large
    batch is judged by forked workers; exit 3, as for an invalid profile."""
    from tests.small_rules import bound_by_another_answer
    from tests.small_rules import write as write_small
    from tunewise.gate import batch

    assert (count >= batch.PARALLEL_FROM) == (count == 401)
    forked: list[int] = []
    real_map = batch.ordered_map

    def ordered_map(*args: Any, **kwargs: Any) -> Any:
        forked.append(args[2])  # the number of workers
        return real_map(*args, **kwargs)

    monkeypatch.setattr(batch, "workers_for", lambda files: 2 if files >= 400 else 1)
    monkeypatch.setattr(batch, "ordered_map", ordered_map)
    rules = write_small(tmp_path, bound_by_another_answer())  # only `examples >= target`
    folder = tmp_path / "profiles"
    folder.mkdir()
    gap = folder / "m-gap.tunewise.yaml"
    gap.write_text(
        "tunewise: 1\nneeds: [{id: x}]\nproject:\n  target: 10\n  examples: 5\n", encoding="utf-8"
    )
    # judged before and after it
    ok = [folder / f"{'az'[i % 2]}{i:03}.tunewise.yaml" for i in range(count - 1)]
    for path in ok:
        path.write_text("tunewise: 1\nneeds: [{id: x}]\nproject: {examples: 15, target: 10}\n")
    outputs = {}
    for fmt in CHECK_FORMATS:
        result = run_cli("check", str(folder), "--rules", str(rules), "--format", fmt)
        assert result.code == 3, (fmt, result.err)
        assert "no branch" not in result.err, (fmt, result.err)
        assert "rule-set-gap" in result.out and rules.name in result.out, fmt
        assert "no branch for examples = 5" in result.out and "node 'n'" in result.out, fmt
        outputs[fmt] = result.out
    assert forked == ([2] * len(CHECK_FORMATS) if count == 401 else [])
    doc = json.loads(outputs["json"])
    assert doc["summary"] == {"pass": count - 1, "fail": 0, "waived": 0, "error": 1}
    statuses = {file["path"]: file["status"] for file in doc["files"]}
    assert statuses == {str(gap): "error", **{str(p): "pass" for p in ok}}
    (failed,) = (file for file in doc["files"] if file["status"] == "error")
    (finding,) = failed["findings"]
    assert finding["rule"] == "rule-set-gap" and finding["level"] == "error"
    assert (finding["line"], finding["column"]) == (5, 13)  # at `examples: 5`
    assert f"({rules}:" in finding["message"]  # the rule set's file, at the node's line
    sarif = json.loads(outputs["sarif"])["runs"][0]
    (result,) = [r for r in sarif["results"] if r["ruleId"] == "rule-set-gap"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 13)
    assert any(rule["id"] == "rule-set-gap" for rule in sarif["tool"]["driver"]["rules"])
    (issue,) = [i for i in json.loads(outputs["gitlab"]) if i["check_name"] == "rule-set-gap"]
    assert issue["location"]["lines"]["begin"] == 5
    assert 'type="rule-set-gap"' in outputs["junit"]
    for fmt in ("text", "json", "junit", "markdown"):  # the formats that list passing files
        assert all(str(p) in outputs[fmt] or p.name in outputs[fmt] for p in ok), fmt
    assert run_cli("explain", "rule-set-gap").code == 0


def test_check_names_the_change_that_fails_a_check_on_the_way_to_fine_tuning(
    tmp_path: Any,
) -> None:
    """A custom rule set whose failing check leads to fine-tuning: the finding says what
    would make it fine-tuning (it used to say no change of one or two answers would)."""
    from tests.small_rules import fine_tune_on_fail, write

    rules = write(tmp_path, fine_tune_on_fail())
    profile = tmp_path / "tunewise.yaml"
    data = profile_dict([{"id": "n1", "description": "x"}], {"kind": True, "budget": 50})
    profile.write_text(yaml.safe_dump({**data, "proposal": "fine-tune"}), encoding="utf-8")
    result = run_cli("check", str(profile), "--rules", str(rules))
    assert result.code == 1
    assert "It would become fine-tuning with budget > 100." in result.out
    assert "No change of one or two answers" not in result.out
