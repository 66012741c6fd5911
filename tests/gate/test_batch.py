"""Running the gate over many profiles: the parallel run is the sequential one, in order."""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import children
from tunewise.gate import batch
from tunewise.gate.batch import packed, run_check, unpacked
from tunewise.gate.discovery import find_profiles
from tunewise.gate.judge import FileResult
from tunewise.problems import Problem
from tunewise.ruleset.load import LoadedRules

DAY = dt.date(2026, 6, 1)


def _generate(folder: Path, count: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from generate import generate  # type: ignore[import-not-found]

    generate(folder, count)


def _lock(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(path) == name:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def progress(seen: list[tuple[int, int]]) -> Any:
    """A progress callback noting each (done, total) it is given."""
    return lambda done, total: seen.append((done, total))


def test_a_result_crosses_from_a_worker_unchanged() -> None:
    """Workers send plain tuples (`packed`); the parent rebuilds the very result."""
    result = FileResult(
        "a/tunewise.yaml",
        "waived",
        verdict="prompt",
        proposal="fine-tune",
        findings=(
            Problem("a/tunewise.yaml", "m", 3, 5, ("needs", 0, "kind"), "check/x", "warning"),
            Problem("a/tunewise.yaml", "n"),
        ),
        notes=("waived by someone",),
        waiver={"reason": "r", "approved_by": "jane", "expires": "2026-07-01"},
    )
    back = unpacked(packed(result, 0.25))
    assert back == result and back.seconds == 0.25
    assert back.findings == result.findings and type(back.findings) is tuple
    assert unpacked(packed(FileResult("b", "pass"), 1.0)) == replace(
        FileResult("b", "pass"), seconds=1.0
    )


def test_workers_judge_while_the_search_goes_on(
    rules: LoadedRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large batch starts its workers once PARALLEL_FROM profiles are found; the rest of
    the search feeds them. Results, their order, the folders skipped or unreadable (reported
    first) and the progress totals are those of the sequential run."""
    monkeypatch.setattr(batch, "PARALLEL_FROM", 20)
    monkeypatch.setattr(batch, "workers_for", lambda count: 2 if count >= 20 else 1)
    _generate(tmp_path, 80)
    (tmp_path / ".git").mkdir()
    (tmp_path / "team-03" / "locked").mkdir()
    _lock(monkeypatch, "locked")
    runs: dict[str, Any] = {}
    for name, jobs in (("sequential", 1), ("parallel", None)):
        skipped: list[tuple[str, str]] = []
        seen: list[tuple[int, int]] = []
        found = run_check(rules, [tmp_path], DAY, jobs, progress(seen), skipped=skipped)
        runs[name] = (list(found), skipped, seen)
    results, skipped, seen = runs["parallel"]
    assert runs["parallel"] == runs["sequential"]
    assert results[0].status == "error" and results[0].path == str(tmp_path / "team-03/locked")
    assert [r.path for r in results[1:]] == find_profiles([tmp_path]).files
    assert skipped == [(str(tmp_path / ".git"), "version control")]
    assert seen == [(done, 80) for done in range(1, 81)]


def test_a_small_batch_is_judged_in_this_process(
    rules: LoadedRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below PARALLEL_FROM profiles no worker starts (the search has ended by then)."""
    _generate(tmp_path, 5)

    def no_fork() -> int:
        raise AssertionError("a worker was started for 5 profiles")

    monkeypatch.setattr(os, "fork", no_fork)
    assert len(list(run_check(rules, [tmp_path], DAY))) == 5


def _parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "PARALLEL_FROM", 20)
    monkeypatch.setattr(batch, "workers_for", lambda count: 2 if count >= 20 else 1)


def test_a_defect_in_a_worker_is_raised_in_the_parent(
    rules: LoadedRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception while judging reaches the parent (exit 70 there, as in one
    process), and the workers are stopped: none is left running."""
    _parallel(monkeypatch)
    _generate(tmp_path, 80)

    def broken(self: Any, path: Path) -> FileResult:
        raise ZeroDivisionError(f"defect judging {path.name}")

    monkeypatch.setattr(batch.Gate, "judge", broken)
    before = children()
    with pytest.raises(ZeroDivisionError, match=r"defect judging tunewise\.yaml"):
        list(run_check(rules, [tmp_path], DAY))
    assert children() == before


def test_a_reader_that_stops_early_stops_the_workers(
    rules: LoadedRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer that stops after the first result (an interrupt, a closed pipe) leaves no
    worker behind and does not wait for the rest of the batch."""
    _parallel(monkeypatch)
    _generate(tmp_path, 200)
    before = children()
    found = run_check(rules, [tmp_path], DAY)
    first = next(found)
    assert first.path.endswith("tunewise.yaml")
    found.close()
    assert children() == before


def test_chunks_cross_in_order_whatever_their_size(
    rules: LoadedRules, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of one profile, or larger than each worker's share, come back in order."""
    _parallel(monkeypatch)
    _generate(tmp_path, 45)
    expected = [r.path for r in run_check(rules, [tmp_path], DAY, 1)]
    for size in (1, 7, 64):
        monkeypatch.setattr(batch, "CHUNK", size)
        assert [r.path for r in run_check(rules, [tmp_path], DAY)] == expected, size
