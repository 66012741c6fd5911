"""The walk, tested without I/O: SPEC §2 policy, every threshold at its boundary, the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CHECK_ORDER, PASSING_PROJECT, profile_dict, run_cli
from tests.small_rules import bound_by_another_answer, leaf, scaled_by_an_answer
from tests.small_rules import write as write_small
from tunewise.engine.evaluator import FAIL, UnknownScope, outcomes_for
from tunewise.engine.walk import decide, filled, verdict_of, walk_need
from tunewise.inputs.profile import NeedAnswers
from tunewise.ruleset.load import LoadedRules, load_rules


def walk(rules: LoadedRules, need: dict[str, Any], **project: Any) -> Any:
    return walk_need(rules, {**PASSING_PROJECT, **project, **need}, "n")


FAILED_STYLE = {"kind": "style", "prompting": "failed"}


def failed(result: Any) -> set[str]:
    return {c.id for c in result.failed_checks}


@pytest.mark.parametrize(
    ("need", "approach", "leaf"),
    [
        ({"kind": "general"}, "prompt", "general-prompt"),
        ({"kind": "facts", "fits_in_prompt": True}, "prompt", "facts-in-prompt"),
        (
            {"kind": "facts", "fits_in_prompt": False, "changes": "realtime"},
            "rag",
            "facts-live",
        ),
        ({"kind": "facts", "fits_in_prompt": False, "changes": "often"}, "rag", "facts-rag-index"),
        (
            {"kind": "facts", "fits_in_prompt": False, "changes": "rarely"},
            "rag",
            "facts-rag-static",
        ),
        ({"kind": "facts", "fits_in_prompt": False, "changes": "never"}, "rag", "facts-rag-static"),
        ({"kind": "domain", "changes": "often"}, "rag", "domain-rag-moving"),
        ({"kind": "domain", "changes": "realtime"}, "rag", "domain-rag-moving"),
        (
            {"kind": "domain", "changes": "never", "prompting": "untried"},
            "prompt",
            "prompting-untried",
        ),
        (
            {"kind": "domain", "changes": "rarely", "prompting": "works"},
            "prompt",
            "prompting-works",
        ),
        (
            {"kind": "domain", "changes": "rarely", "prompting": "failed", "retrieval": "untried"},
            "rag",
            "domain-retrieval-untried",
        ),
        (
            {"kind": "domain", "changes": "rarely", "prompting": "failed", "retrieval": "failed"},
            "fine-tune",
            "fine-tune-domain",
        ),
        (
            {"kind": "format", "prompting": "failed", "structured_outputs": "untried"},
            "prompt",
            "structured-untried",
        ),
        (
            {"kind": "format", "prompting": "failed", "structured_outputs": "not-applicable"},
            "fine-tune",
            "fine-tune-justified",
        ),
        ({"kind": "cost", "prompting": "untried"}, "prompt", "cost-untried"),
        ({"kind": "cost", "prompting": "works"}, "prompt", "cost-works"),
    ]
    + [
        ({"kind": k, "prompting": "untried"}, "prompt", "prompting-untried")
        for k in ("style", "format", "vocabulary", "behavior")
    ]
    + [
        ({"kind": k, "prompting": "works"}, "prompt", "prompting-works")
        for k in ("style", "format", "vocabulary", "behavior")
    ]
    + [
        ({"kind": k, "prompting": "failed"}, "fine-tune", "fine-tune-justified")
        for k in ("style", "vocabulary", "behavior", "cost")
    ],
)
def test_policy(rules: LoadedRules, need: dict[str, Any], approach: str, leaf: str) -> None:
    result = walk(rules, need)
    assert (result.approach, result.leaf) == (approach, leaf)
    assert result.reasons and all(r.sources for r in result.reasons)


def test_facts_never_reach_the_fine_tuning_checks(rules: LoadedRules) -> None:
    result = walk(rules, {"kind": "facts", "fits_in_prompt": False, "changes": "never"})
    assert result.checks == []
    assert "trap" in result.reasons[0].text


@pytest.mark.parametrize(
    ("answers", "check", "passes"),
    [
        ({"examples": 500}, "enough-examples", True),
        ({"examples": 499}, "enough-examples", False),
        ({"expected_gain_pct": 20}, "worth-the-gain", True),
        ({"expected_gain_pct": 19.99}, "worth-the-gain", False),
        ({"data_quality": "mixed"}, "data-quality", True),
        ({"data_quality": "unknown"}, "data-quality", False),
        ({"data_quality": "low"}, "data-quality", False),
        ({"stage": "pilot"}, "past-prototype", True),
        ({"stage": "prototype"}, "past-prototype", False),
        ({"can_maintain": False}, "can-maintain", False),
        ({"eval_plan": False}, "has-eval-plan", False),
        # budget: compute (hosted, size unknown: $3 per million tokens × examples × 800 tokens
        # × 3 epochs) + $500 of people's time; the cost bands only warn
        ({"examples": 1000, "budget_usd": 507.2}, "within-budget", True),
        ({"examples": 1000, "budget_usd": 507.19}, "within-budget", False),
        ({"examples": 5000, "budget_usd": 536}, "within-budget", True),
        ({"examples": 5000, "budget_usd": 535.99}, "within-budget", False),
        ({"examples": 5000, "budget_usd": 2000, "model_params_b": 8}, "within-budget", True),
        ({"ml_expertise": "none", "data_may_leave": True}, "safe-platform", True),
        (
            {"ml_expertise": "none", "data_may_leave": False, "gpu_vram_gb": 80},
            "safe-platform",
            False,
        ),
        (
            {"ml_expertise": "some", "data_may_leave": False, "gpu_vram_gb": 80},
            "safe-platform",
            True,
        ),
        # QLoRA floor: 0.6 GB per billion parameters + 2 GB; 16 GB when size unknown
        ({"data_may_leave": False, "model_params_b": 8, "gpu_vram_gb": 6.8}, "gpu-fits", True),
        ({"data_may_leave": False, "model_params_b": 8, "gpu_vram_gb": 6.79}, "gpu-fits", False),
        ({"data_may_leave": False, "model_params_b": 70, "gpu_vram_gb": 48}, "gpu-fits", True),
        ({"data_may_leave": False, "gpu_vram_gb": 16}, "gpu-fits", True),
        ({"data_may_leave": False, "gpu_vram_gb": 15.9}, "gpu-fits", False),
        ({"data_may_leave": True, "gpu_vram_gb": 1}, "gpu-fits", True),
    ],
)
def test_check_boundaries(
    rules: LoadedRules, answers: dict[str, Any], check: str, passes: bool
) -> None:
    result = walk(rules, FAILED_STYLE, **answers)
    assert (check not in failed(result)) is passes
    assert result.approach == ("fine-tune" if passes else "prompt")


def test_every_failing_check_is_reported_at_once(rules: LoadedRules) -> None:
    result = walk(
        rules,
        FAILED_STYLE,
        examples=50,
        data_quality="low",
        stage="prototype",
        expected_gain_pct=5,
        can_maintain=False,
        eval_plan=False,
        budget_usd=0,
        ml_expertise="none",
        data_may_leave=False,
        gpu_vram_gb=4,
    )
    assert len(failed(result)) == 9
    assert result.approach == "prompt"
    texts = " ".join(r.text for r in result.reasons)
    assert "memorise" in texts and "too small to pay" in texts


def test_messages_name_the_severity(rules: LoadedRules) -> None:
    assert "memorise" in walk(rules, FAILED_STYLE, examples=99).reasons[1].text
    assert "memorise" not in walk(rules, FAILED_STYLE, examples=100).reasons[1].text
    assert "too small" in walk(rules, FAILED_STYLE, expected_gain_pct=9.9).reasons[1].text
    assert "too small" not in walk(rules, FAILED_STYLE, expected_gain_pct=10).reasons[1].text


def test_fallback_by_kind(rules: LoadedRules) -> None:
    domain = {"kind": "domain", "changes": "never", "prompting": "failed", "retrieval": "failed"}
    assert walk(rules, domain, examples=10).approach == "rag"
    for kind in ("style", "vocabulary", "behavior", "cost"):
        assert walk(rules, {"kind": kind, "prompting": "failed"}, examples=10).approach == "prompt"


def test_warning_for_mixed_or_unknown_quality(rules: LoadedRules) -> None:
    assert any(
        "curate" in w.text or "duplicates" in w.text
        for w in walk(rules, FAILED_STYLE, data_quality="mixed").warnings
    )
    quality = [
        w for w in walk(rules, FAILED_STYLE, data_quality="high").warnings if "quality" in w.text
    ]
    assert quality == []


def test_undecided_lists_every_missing_answer(rules: LoadedRules) -> None:
    result = walk_need(rules, {**FAILED_STYLE, "stage": "pilot"}, "n")
    assert result.approach is None
    assert result.missing == [q for q in CHECK_ORDER if q != "stage"]
    only_kind = walk_need(rules, {}, "n")
    assert only_kind.missing == ["kind"]


def test_a_known_failure_decides_despite_missing_answers(rules: LoadedRules) -> None:
    result = walk_need(rules, {**FAILED_STYLE, "stage": "prototype"}, "n")
    assert result.approach == "prompt" and result.missing == []


def test_gpu_memory_is_required_only_when_data_stays(rules: LoadedRules) -> None:
    stays = walk_need(rules, {**PASSING_PROJECT, **FAILED_STYLE, "data_may_leave": False}, "n")
    assert stays.missing == ["gpu_vram_gb"]
    leaves = walk_need(rules, {**PASSING_PROJECT, **FAILED_STYLE}, "n")
    assert leaves.approach == "fine-tune"


def test_the_walk_takes_each_check_status_from_the_evaluator(
    rules: LoadedRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One place decides pass/fail/unknown: a verdict the evaluator gives is the status the
    explaining walk reports, with the texts for it."""
    answers = {**PASSING_PROJECT, **FAILED_STYLE}
    compiled = outcomes_for(rules.model, rules.params).compiled_checks["can-maintain"]
    assert walk_need(rules, answers, "n").approach == "fine-tune"
    monkeypatch.setattr(compiled, "verdict", lambda answers: FAIL)
    result = walk_need(rules, answers, "n")
    failed = [c for c in result.checks if c.status == "fail"]
    assert [c.id for c in failed] == ["can-maintain"] and failed[0].message is not None
    assert result.approach == "prompt"


def test_a_check_whose_scope_is_unknown_waits_for_the_scope_alone(rules: LoadedRules) -> None:
    """gpu-fits applies when the data stays: until that is answered, the check is unknown,
    needs only that answer, and has not read what its requirement reads."""
    answers = {**PASSING_PROJECT, **FAILED_STYLE}
    del answers["data_may_leave"]
    compiled = outcomes_for(rules.model, rules.params).compiled_checks["gpu-fits"]
    verdict = compiled.verdict(answers)
    assert isinstance(verdict, UnknownScope) and verdict.missing == ("data_may_leave",)
    result = walk_need(rules, answers, "n")
    gpu = next(c for c in result.checks if c.id == "gpu-fits")
    assert gpu.status == "unknown" and gpu.missing == ["data_may_leave"]
    assert "data_may_leave" in result.used and "max_seq_tokens" not in result.used


@pytest.mark.parametrize(
    ("vram", "params", "technique"),
    [
        # self-hosted: LoRA 7B = 2.2 × 7 + 3 = 18.4 GB, with a 15% margin 21.16 GB;
        # QLoRA 7B = 0.6 × 7 + 2 = 6.2 GB; never a full fine-tune
        (120.5, 7, "lora"),
        (21.16, 7, "lora"),
        (21.15, 7, "qlora"),
        (6.2, 7, "qlora"),
        (24, None, "lora"),
    ],
)
def test_technique(rules: LoadedRules, vram: Any, params: Any, technique: str) -> None:
    extra = {k: v for k, v in (("gpu_vram_gb", vram), ("model_params_b", params)) if v is not None}
    extra.update(data_may_leave=False, ml_expertise="strong")
    result = walk(rules, FAILED_STYLE, **extra)
    assert {a.id: a.value for a in result.advice}["technique"] == technique


@pytest.mark.parametrize(
    ("answers", "hosting"),
    [
        ({"data_may_leave": False, "gpu_vram_gb": 24}, "self-hosted"),
        ({"ml_expertise": "none"}, "hosted"),
        ({"ml_expertise": "strong"}, "hosted"),
    ],
)
def test_hosting(rules: LoadedRules, answers: dict[str, Any], hosting: str) -> None:
    advice = {a.id: a for a in walk(rules, FAILED_STYLE, **answers).advice}
    assert advice["hosting"].value == hosting


@pytest.mark.parametrize(
    ("examples", "tokens", "low"),
    [(500, "1,200,000", "$500"), (1000, "2,400,000", "$2,000"), (5000, "12,000,000", "$10,000")],
)
def test_cost_estimate(rules: LoadedRules, examples: int, tokens: str, low: str) -> None:
    advice = {a.id: a for a in walk(rules, FAILED_STYLE, examples=examples).advice}
    text = advice["cost"].reason.text
    assert tokens in text and low in text and "in total" in text


@pytest.mark.parametrize(
    ("approaches", "verdict"),
    [
        (["rag", "fine-tune"], "hybrid"),
        (["fine-tune", "prompt"], "fine-tune"),
        (["rag", "prompt"], "rag"),
        (["prompt"], "prompt"),
        (["rag", None], "undecided"),
        (["fine-tune", "rag", "prompt"], "hybrid"),
        ([], "undecided"),
    ],
)
def test_verdict(approaches: list[Any], verdict: str) -> None:
    assert verdict_of(approaches) == verdict


def test_decide_combines_needs_and_notes(rules: LoadedRules) -> None:
    needs = [
        NeedAnswers("docs", "", {"kind": "facts", "fits_in_prompt": False, "changes": "often"}),
        NeedAnswers("fmt", "", FAILED_STYLE),
    ]
    decision = decide(rules, needs, PASSING_PROJECT)
    assert decision.verdict == "hybrid"
    assert any("evaluate" in n.text for n in decision.notes)
    assert decision.next_steps and all(s.sources for s in decision.next_steps)


def test_parameters_move_thresholds() -> None:
    strict = load_rules(None, ["min_examples=1000", "min_gain_pct=40"])
    result = walk(strict, FAILED_STYLE, examples=900)
    assert failed(result) == {"enough-examples", "worth-the-gain"}
    loose = load_rules(None, ["min_examples=200"])
    assert walk(loose, FAILED_STYLE, examples=250, budget_usd=502).approach == "fine-tune"
    assert walk(loose, FAILED_STYLE, examples=250, budget_usd=501).approach == "prompt"


def test_walk_is_deterministic(rules: LoadedRules) -> None:
    first = walk(rules, FAILED_STYLE, examples=300)
    assert all(walk(rules, FAILED_STYLE, examples=300) == first for _ in range(3))


def test_a_scaled_value_waits_for_an_unanswered_factor(tmp_path: Path, write_profile: Any) -> None:
    """Regression: `size × rate` with rate unanswered crashed every evaluator (exit 70)."""
    rules = write_small(tmp_path, scaled_by_an_answer())
    profile = write_profile(
        profile_dict([{"id": "x"}], {"size": 7, "vram": 24}, proposal="fine-tune")
    )
    advised = run_cli("advise", str(profile), "--rules", str(rules), "--format", "json")
    assert advised.code == 4, advised.err
    assert json.loads(advised.out)["needs"][0]["missing"] == ["rate"]
    checked = run_cli("check", str(profile), "--rules", str(rules))
    assert checked.code == 1 and "missing answers: rate" in checked.out
    assert run_cli("rules", "lint", str(rules)).code == 0
    answered = write_profile(profile_dict([{"id": "x"}], {"size": 7, "vram": 24, "rate": 2}))
    assert run_cli("advise", str(answered), "--rules", str(rules)).code == 0
    # Regression: with size unanswered too, only size was listed, and rate came up only once
    # size was answered; every missing answer is listed at once (SPEC §2).
    both = write_profile(profile_dict([{"id": "x"}], {"vram": 24}))
    advised = run_cli("advise", str(both), "--rules", str(rules), "--format", "json")
    assert json.loads(advised.out)["needs"][0]["missing"] == ["size", "rate"]


def test_a_bound_on_an_unanswered_question_leaves_the_need_undecided(
    tmp_path: Path, write_profile: Any
) -> None:
    """Regression: a branch `range: {ge: {answer: target}}` without a target did not take the
    answer, so the walk went on to the next branch (`otherwise`: decided without the target)
    or found none ("no branch", exit 3). It waits for the target, as a check does."""
    data = bound_by_another_answer()
    ask = data["tree"]["nodes"][0]
    ask["branches"] = [
        {"range": {"ge": {"answer": "target"}}, "goto": "ft"},
        {"otherwise": True, "goto": "done"},
    ]
    data["tree"]["nodes"].append(leaf("ft", "fine-tune"))
    rules = write_small(tmp_path, data)
    for project in ({"examples": 5}, {"examples": 500}):
        profile = write_profile(profile_dict([{"id": "x"}], project, proposal="fine-tune"))
        advised = run_cli("advise", str(profile), "--rules", str(rules), "--format", "json")
        assert advised.code == 4, advised.out + advised.err
        assert json.loads(advised.out)["needs"][0]["missing"] == ["target"]
        checked = run_cli("check", str(profile), "--rules", str(rules))
        assert checked.code == 1 and "missing answers: target" in checked.out, checked.out
    only = write_small(tmp_path, bound_by_another_answer(), "only.yaml")
    profile = write_profile(profile_dict([{"id": "x"}], {"examples": 5}))
    advised = run_cli("advise", str(profile), "--rules", str(only), "--format", "json")
    assert advised.code == 4, advised.err
    assert json.loads(advised.out)["needs"][0]["missing"] == ["target"]


def test_what_would_change_skips_made_up_answers_no_branch_takes(
    tmp_path: Path, write_profile: Any
) -> None:
    """Regression: with `examples ≥ target` as the only branch, a profile that takes it exited
    3 ("no branch for examples = 9"): the what-if search tried a smaller count, which falls in
    the gap `rules lint` reports as "cannot prove". A made-up answer in a gap is no option."""
    rules = write_small(tmp_path, bound_by_another_answer())
    profile = write_profile(profile_dict([{"id": "x"}], {"examples": 15, "target": 10}))
    advised = run_cli("advise", str(profile), "--rules", str(rules), "--format", "json")
    assert advised.code == 0, advised.err
    assert json.loads(advised.out)["needs"][0]["approach"] == "prompt"
    gap = write_profile(profile_dict([{"id": "x"}], {"examples": 5, "target": 10}))
    refused = run_cli("advise", str(gap), "--rules", str(rules))
    assert refused.code == 3 and "has no branch for examples = 5" in refused.err
    # Regression: the line named neither the rule set's file nor the profile
    (line,) = refused.err.strip().splitlines()
    assert line.startswith(f"tunewise: {rules}: ") and str(gap) in line, line
    # check: that profile is an error result, its finding at the answer (tests/gate/test_judge)
    checked = run_cli("check", str(gap), "--rules", str(rules))
    assert checked.code == 3 and checked.err == "", checked.err
    assert f"{gap}:" in checked.out and "has no branch for examples = 5" in checked.out
    assert f"{rules}:" in checked.out and "[rule-set-gap]" in checked.out


def test_advise_walks_each_need_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch, write_profile: Any
) -> None:
    """Hardening: advise re-walked every need per unanswered question (2,000 needs: 19 s)."""
    from tunewise.engine import walk as engine

    walks = 0
    real = engine._Walk.__init__

    def counting(self: Any, *args: Any) -> None:
        nonlocal walks
        walks += 1
        real(self, *args)

    monkeypatch.setattr(engine._Walk, "__init__", counting)
    for count in (50, 500):
        walks = 0
        needs = [{"id": f"n{i}", "kind": "style"} for i in range(count)]
        assert run_cli("advise", str(write_profile(profile_dict(needs)))).code == 4
        assert walks <= 2 * count + 2, (count, walks)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_gates_walk_is_the_explaining_walk_without_its_advice(data: Any) -> None:
    """`advice=False` (the gate) leaves out warnings, next steps, advice and the estimate;
    the path, the outcome, the checks' verdicts and messages and the reasons are those of the
    full walk, texts included."""
    from tests.condition_forms import answer_sets
    from tunewise.errors import RuleSetError

    rules = load_rules()
    answers = data.draw(answer_sets(rules))
    try:
        full = walk_need(rules, answers, "n", "d")
    except RuleSetError:
        return
    brief = walk_need(rules, answers, "n", "d", advice=False)
    assert (brief.approach, brief.leaf, brief.path, brief.missing) == (
        full.approach,
        full.leaf,
        full.path,
        full.missing,
    )
    assert brief.reasons == full.reasons
    assert [(c.id, c.status, c.message, c.missing) for c in brief.checks] == [
        (c.id, c.status, c.message, c.missing) for c in full.checks
    ]
    assert not (brief.warnings or brief.next_steps or brief.advice or brief.estimate)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_text_filled_later_is_the_explaining_walk_s(data: Any) -> None:
    """`filled` on a walk made without explaining gives every reason and check message the
    explaining walk gives (the gate fills only those it shows)."""
    from tests.condition_forms import answer_sets

    rules = load_rules()
    answers = data.draw(answer_sets(rules))
    from tunewise.errors import RuleSetError

    try:
        explained = walk_need(rules, answers, advice=False)
    except RuleSetError:  # a wrong kind of answer no branch takes: not what this is about
        return
    bare = walk_need(rules, answers, explain=False, advice=False)
    assert [filled(rules, answers, r.text) for r in bare.reasons] == [
        r.text for r in explained.reasons
    ]
    for plain, full in zip(bare.checks, explained.checks, strict=True):
        assert (plain.status, plain.message is None) == (full.status, full.message is None)
        if plain.message is not None and full.message is not None:
            assert filled(rules, answers, plain.message.text) == full.message.text
