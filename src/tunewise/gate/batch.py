"""Running the gate over many profiles: found, judged in order, on both cores when large."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from tunewise.gate.discovery import find_profiles
from tunewise.gate.judge import WAIVER_HORIZON_DAYS, FileResult, Gate
from tunewise.problems import Problem
from tunewise.ruleset.load import LoadedRules

PARALLEL_FROM = 400  # files; below this, starting a second process costs more than it saves
_WORKER_GATE: Gate | None = None


def _timed(gate: Gate, path: str) -> FileResult:
    started = time.perf_counter()
    result = gate.judge(Path(path))
    return replace(result, seconds=time.perf_counter() - started)


def _judge_in_worker(path: str) -> FileResult:
    assert _WORKER_GATE is not None
    return _timed(_WORKER_GATE, path)


def _quiet_worker() -> None:
    """A worker leaves interrupts to its parent, which stops it with SIGTERM: Ctrl-C or a
    cancelled job ends the run once, with no traceback from each worker."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def workers_for(count: int) -> int:
    """Both cores for a large batch, where fork is available (measured: see benchmarks/)."""
    import multiprocessing

    if count < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, 2))


def run_check(
    rules: LoadedRules,
    paths: Iterable[Path],
    today: dt.date | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    waiver_horizon_days: int = WAIVER_HORIZON_DAYS,
    skipped: list[tuple[str, str]] | None = None,
    exclude: Sequence[str] = (),
    require_evidence: Sequence[str] = (),
) -> Iterator[FileResult]:
    """Judge every profile found under `paths`, yielding results in order as they come; a
    folder that cannot be read is an error result (its profiles would go unchecked). The
    folders not searched, and why, are added to `skipped`."""
    found = find_profiles(paths, exclude)
    if skipped is not None:
        skipped.extend(found.skipped)
    for folder, reason in found.unreadable:
        message = f"folder cannot be read ({reason}): the profiles in it were not checked"
        yield FileResult(
            folder, "error", findings=(Problem(folder, message, rule="folder-unreadable"),)
        )
    for link, reason in found.refused:
        yield FileResult(link, "error", findings=(Problem(link, reason, rule="invalid-profile"),))
    files = found.files
    gate = Gate(rules, today, waiver_horizon_days, require_evidence=list(require_evidence))
    for done, result in enumerate(_judge(gate, files, jobs), 1):
        if progress is not None:
            progress(done, len(files))
        yield result


def _judge(gate: Gate, files: list[str], jobs: int | None) -> Iterator[FileResult]:
    global _WORKER_GATE
    workers = jobs if jobs is not None else workers_for(len(files))
    if workers <= 1:
        for path in files:
            yield _timed(gate, path)
        return
    import multiprocessing

    _WORKER_GATE = gate  # forked workers inherit the loaded rule set: nothing is parsed twice
    import gc

    # What each worker would otherwise load for its first unjustified fine-tune, loaded once.
    import tunewise.whatif.search  # noqa: F401

    # Out of the collector's sight, what is loaded so far stays shared with the workers:
    # collections would otherwise write to every object and copy its page (measured: ~8%).
    gc.freeze()
    with multiprocessing.get_context("fork").Pool(workers, initializer=_quiet_worker) as pool:
        yield from pool.imap(_judge_in_worker, files, chunksize=32)
