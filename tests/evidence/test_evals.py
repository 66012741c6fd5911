"""Prompt-evaluation adapters: each tool's real-shaped file read, detected, overridden, refused."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tunewise.evidence.evals import ReportError, read_report

DATA = Path(__file__).parents[1] / "data" / "evals"


@pytest.mark.parametrize(
    ("name", "fmt", "metric", "value", "cases"),
    [
        ("promptfoo-results.json", "promptfoo", "pass rate", 0.84, 200),  # the best prompt
        ("inspect-log.json", "inspect", "accuracy", 0.7467, 150),
        ("inspect-log.eval", "inspect", "accuracy", 0.7467, 150),
        ("results_2026-11-18T10-22-41.json", "lm-eval", "exact_match,strict-match", 0.812, 500),
        ("deepeval/.latest_test_run.json", "deepeval", "pass rate", 0.75, 4),
        ("oaieval-run.jsonl", "openai-evals", "accuracy", 0.75, 4),
        ("openai-eval-run.json", "openai-evals", "pass rate", 0.925, 120),
        ("generic.json", "generic", "pass rate", 0.88, 100),
    ],
)
def test_each_tool_is_detected_and_read(
    name: str, fmt: str, metric: str, value: float, cases: int
) -> None:
    reading = read_report(DATA / name)
    assert (reading.format, reading.metric, reading.cases) == (fmt, metric, cases)
    assert reading.value == pytest.approx(value, abs=1e-4)


def test_named_metrics() -> None:
    lm = read_report(
        DATA / "results_2026-11-18T10-22-41.json", metric="exact_match,flexible-extract"
    )
    assert lm.value == pytest.approx(0.846)
    lm_task = read_report(
        DATA / "results_2026-11-18T10-22-41.json", metric="legal_citation:exact_match"
    )
    assert lm_task.metric == "exact_match,strict-match"
    named = read_report(DATA / "promptfoo-results.json", metric="bluebook_exact")
    assert named.value == pytest.approx(0.84) and named.cases == 200
    deep = read_report(
        DATA / "deepeval/.latest_test_run.json", metric="Citation Correctness [GEval]"
    )
    assert deep.value == pytest.approx(0.815) and deep.cases == 4
    inspect_stderr = read_report(DATA / "inspect-log.json", metric="stderr")
    assert inspect_stderr.value == pytest.approx(0.0356)


def test_an_lm_eval_group_counts_its_subtasks_samples(tmp_path: Path) -> None:
    """Regression: `lm_eval --tasks mmlu` reports the group `mmlu` first in `results`, with no
    `n-samples` of its own (lm-eval 0.4 counts leaf tasks only): the file was refused as
    holding "no evaluated cases". A group's cases are its subtasks', down to the leaves."""
    leaves = {"mmlu_formal_logic": 126, "mmlu_philosophy": 311, "mmlu_anatomy": 135}
    data = {
        "results": {
            "mmlu": {"acc,none": 0.71, "acc_stderr,none": 0.01, "alias": "mmlu"},
            "mmlu_humanities": {"acc,none": 0.69, "acc_stderr,none": "N/A", "alias": " - h"},
            **{leaf: {"acc,none": 0.7, "alias": f"  - {leaf}"} for leaf in leaves},
        },
        "groups": {"mmlu": {"acc,none": 0.71, "alias": "mmlu"}},
        "group_subtasks": {
            "mmlu_humanities": ["mmlu_formal_logic", "mmlu_philosophy"],
            "mmlu_stem": ["mmlu_anatomy"],
            "mmlu": ["mmlu_humanities", "mmlu_stem", "mmlu"],  # a cycle is not followed
        },
        "n-samples": {leaf: {"original": n, "effective": n} for leaf, n in leaves.items()},
        "versions": {"mmlu": 2},
    }
    path = tmp_path / "results_2026-11-18T10-22-41.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    group = read_report(path)
    assert (group.metric, group.value, group.cases) == ("acc,none", 0.71, 572)
    assert group.scope == "task mmlu"
    assert read_report(path, metric="mmlu_humanities:acc").cases == 437
    assert read_report(path, metric="mmlu_anatomy:acc").cases == 135
    # groups nested as deep as the file says are counted without recursion (it was exit 70)
    depth = 5000
    data["group_subtasks"] = {f"g{i}": [f"g{i + 1}"] for i in range(depth)}
    data["results"] = {"g0": {"acc,none": 0.5}}
    data["n-samples"] = {f"g{depth}": {"effective": 10}}
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_report(path).cases == 10


def test_format_override_and_unknown(tmp_path: Path) -> None:
    generic = tmp_path / "r.json"
    generic.write_text(json.dumps({"metric": "f1", "value": 0.7, "cases": 30}))
    assert read_report(generic, "generic").describe() == "f1 0.7 over 30 cases"
    with pytest.raises(ReportError, match="not a recognised evaluation file"):
        read_report(_write(tmp_path, {"hello": 1}))
    with pytest.raises(ReportError, match="unknown evaluation format"):
        read_report(generic, "nope")
    with pytest.raises(ReportError, match="promptfoo file lacks"):
        read_report(generic, "promptfoo")


def _write(folder: Path, data: object, name: str = "x.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"passed": 0, "total": 0}, "no evaluated cases"),
        ({"passed": 7, "total": 5}, "passed is larger than total"),
        ({"passed": True, "total": 5}, "not a count"),
        ({"metric": "f1", "value": float("nan"), "cases": 3}, "not a number|not finite|not JSON"),
        ({"eval": {}, "status": "error", "results": None}, "status is 'error'"),
        ({"object": "eval.run", "status": "in_progress", "result_counts": {}}, "in_progress"),
        # Regression: an Inspect log without scores said "the metric None" or "StopIteration"
        ({"eval": {}, "status": "success", "results": {"scores": []}}, "no scorer reports a"),
        ({"eval": {}, "results": {"scores": [{"metrics": {}}]}}, "no scorer reports a metric"),
    ],
)
def test_bad_files_are_one_clear_error(tmp_path: Path, data: object, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
    with pytest.raises(ReportError, match=message):
        read_report(path)


def test_a_deepeval_run_uploaded_to_confident_ai_says_what_is_missing(tmp_path: Path) -> None:
    """Regression: logged in to Confident AI, deepeval leaves only `{"testRunLink": ...}` in
    .latest_test_run.json; that was "not a recognised evaluation file", and with
    `format: deepeval` "holds no evaluated cases". It says the results were uploaded."""
    path = _write(tmp_path, {"testRunLink": "https://app.confident-ai.com/x"}, "latest.json")
    for fmt in (None, "deepeval"):
        with pytest.raises(ReportError, match=r"deepeval .*only the Confident AI link") as caught:
            read_report(path, fmt)
        assert "DEEPEVAL_RESULTS_FOLDER" in caught.value.problems[0].message


def test_eval_zip_without_header_and_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.eval"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("summaries.json", "[]")
    with pytest.raises(ReportError, match=r"without header\.json"):
        read_report(bad)
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\xff\xfe{")
    with pytest.raises(ReportError, match="not UTF-8"):
        read_report(junk)


def _zstd_labelled_eval(path: Path, header: bytes) -> Path:
    """An `.eval` zip whose header.json says method 93 (Zstandard), as Inspect writes them
    since 2025; its bytes are left as they are, for a stand-in decompressor to return."""
    import struct

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("_journal/start.json", "{}")
        archive.writestr("header.json", header)
    data = bytearray(path.read_bytes())
    for signature, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        found = data.find(signature)
        while found >= 0:
            struct.pack_into("<H", data, found + at, 93)
            found = data.find(signature, found + 4)
    path.write_bytes(bytes(data))
    return path


def test_a_zstandard_eval_log_is_read_or_refused_saying_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: Inspect writes `.eval` members with Zstandard (zip method 93), which zipfile
    reads only from Python 3.14: such a log was refused with "That compression method is not
    supported". A Zstandard library is used when one is installed; else the finding says what
    to do."""
    from tunewise.evidence.evals import inspect_ai

    header = (DATA / "inspect-log.json").read_bytes()
    path = _zstd_labelled_eval(tmp_path / "log.eval", header)
    seen: list[int] = []

    def stand_in(data: bytes, limit: int) -> bytes:
        seen.append(limit)
        return data[:limit]

    monkeypatch.setattr(inspect_ai, "zstd_decompressor", lambda: stand_in)
    reading = read_report(path)
    assert (reading.format, reading.cases) == ("inspect", 150)
    assert reading.value == pytest.approx(0.7467, abs=1e-4)
    assert seen == [inspect_ai.MAX_HEADER_BYTES + 1]
    monkeypatch.setattr(inspect_ai, "zstd_decompressor", lambda: None)
    with pytest.raises(ReportError, match="compressed with Zstandard") as caught:
        read_report(path)
    assert "--log-format=json" in caught.value.problems[0].message


def test_a_damaged_eval_zip_is_one_clear_error(tmp_path: Path) -> None:
    """Regression: a damaged `.eval` zip raised what zipfile and zlib raise (zlib.error,
    ValueError "negative seek value", UnicodeDecodeError, EOFError): exit 70, or click's
    "Aborted!" with exit 1. It is one evidence-unreadable finding."""
    import random

    good = tmp_path / "good.eval"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_journal/start.json", "{}")
        archive.writestr("header.json", (DATA / "inspect-log.json").read_text(encoding="utf-8"))
    source = good.read_bytes()
    shuffle = random.Random(5)
    for attempt in range(400):
        damaged = bytearray(source)
        for _ in range(shuffle.randint(1, 4)):
            damaged[shuffle.randrange(len(damaged))] = shuffle.randrange(256)
        path = tmp_path / f"{attempt}.eval"
        path.write_bytes(bytes(damaged))
        try:
            read_report(path)
        except ReportError as exc:
            assert exc.problems[0].message, attempt


def test_every_adapter_is_in_the_one_table_and_named_by_it() -> None:
    """`eval_tools.ADAPTERS` is the one list of `format:` names: every adapter module in the
    package is in it, and each takes its NAME from it."""
    import importlib

    from tunewise.evidence import evals
    from tunewise.evidence.eval_tools import ADAPTERS, FORMAT_NAMES

    folder = Path(evals.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    assert modules == set(ADAPTERS.values())
    for name, module in ADAPTERS.items():
        assert name == importlib.import_module(f"tunewise.evidence.evals.{module}").NAME
    assert tuple(ADAPTERS) == FORMAT_NAMES and evals.formats() == list(FORMAT_NAMES)


def test_the_profile_schema_does_not_load_the_evaluation_readers() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from tunewise.inputs.profile import evidence_schema; evidence_schema(); "
        "print('tunewise.evidence.evals' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
