"""Running the gate over many profiles: found, judged in order, on both cores when large."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import operator
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tunewise.forked import cores, ordered_map
from tunewise.gate.discovery import Found, profiles_in
from tunewise.gate.judge import WAIVER_HORIZON_DAYS, FileResult, Gate
from tunewise.problems import Problem
from tunewise.ruleset.load import LoadedRules

PARALLEL_FROM = 400  # files; below this, starting a second process costs more than it saves
_WORKER_GATE: Gate | None = None


def _timed(gate: Gate, path: str) -> FileResult:
    started = time.perf_counter()
    result = gate.judge(Path(path))
    return replace(result, seconds=time.perf_counter() - started)


# A worker's result crosses to the parent as plain tuples, rebuilt there: pickling them is a
# third the work of pickling the dataclasses (measured over the 3,000 bench results: 0.055 s
# for dumps and loads of the records, 0.021 s of the tuples), on both sides of a busy pipe.
_PROBLEM_FIELDS = operator.attrgetter(*(f.name for f in dataclasses.fields(Problem)))
_RESULT_FIELDS = [f.name for f in dataclasses.fields(FileResult)]
_FINDINGS_AT = _RESULT_FIELDS.index("findings")
_SECONDS_AT = _RESULT_FIELDS.index("seconds")
_RESULT = operator.attrgetter(*_RESULT_FIELDS)


def packed(result: FileResult, seconds: float) -> tuple[Any, ...]:
    """`result` with its judging time as plain tuples, for `unpacked`."""
    fields = list(_RESULT(result))
    fields[_FINDINGS_AT] = tuple(map(_PROBLEM_FIELDS, result.findings))
    fields[_SECONDS_AT] = seconds
    return tuple(fields)


def unpacked(fields: tuple[Any, ...]) -> FileResult:
    """The result `packed` made `fields` of."""
    rebuilt = list(fields)
    rebuilt[_FINDINGS_AT] = tuple(Problem(*problem) for problem in fields[_FINDINGS_AT])
    return FileResult(*rebuilt)


def _judge_in_worker(path: str) -> tuple[Any, ...]:
    assert _WORKER_GATE is not None
    started = time.perf_counter()
    result = _WORKER_GATE.judge(Path(path))
    return packed(result, time.perf_counter() - started)


def workers_for(count: int) -> int:
    """Both cores for a large batch (measured: see benchmarks/)."""
    return cores(count >= PARALLEL_FROM)


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
    required_by: str = "--require-evidence",
) -> Iterator[FileResult]:
    """Judge every profile found under `paths`, yielding results in order as they come; a
    folder that cannot be read is an error result (its profiles would go unchecked). The
    folders not searched, and why, are added to `skipped`."""
    found = Found()
    listing = _Listing(profiles_in(paths, found, exclude))
    gate = Gate(
        rules,
        today,
        waiver_horizon_days,
        require_evidence=list(require_evidence),
        required_by=required_by,
    )
    judged = _judge(gate, listing, jobs)
    first = next(judged, None)  # the search has ended by then (see `_judge`)
    if skipped is not None:
        skipped.extend(found.skipped)
    for folder, reason in found.unreadable:
        message = f"folder cannot be read ({reason}): the profiles in it were not checked"
        yield FileResult(
            folder, "error", findings=(Problem(folder, message, rule="folder-unreadable"),)
        )
    for link, reason in found.refused:
        yield FileResult(link, "error", findings=(Problem(link, reason, rule="invalid-profile"),))
    if first is None:
        return
    for done, result in enumerate(itertools.chain((first,), judged), 1):
        if progress is not None:
            progress(done, listing.count)
        yield result


class _Listing:
    """The profiles as the search finds them, counted."""

    def __init__(self, files: Iterator[str]) -> None:
        self.files, self.count = files, 0

    def __iter__(self) -> Iterator[str]:
        for path in self.files:
            self.count += 1
            yield path


def _judge(gate: Gate, listing: _Listing, jobs: int | None) -> Iterator[FileResult]:
    """Results in the search's order; the first comes once the search has ended (what it
    could not read is reported first). A large batch starts its workers once PARALLEL_FROM
    profiles are found, and they judge while the search goes on (measured at 30,000 profiles:
    the workers start ~0.4 s sooner)."""
    global _WORKER_GATE
    files = iter(listing)
    head = list(itertools.islice(files, PARALLEL_FROM if jobs is None else 1))
    workers = jobs if jobs is not None else workers_for(len(head))
    if workers <= 1 or not head:
        head += files
        for path in head:
            yield _timed(gate, path)
        return
    _WORKER_GATE = gate  # forked workers inherit the loaded rule set: nothing is parsed twice
    import gc

    # What each worker would otherwise load for its first unjustified fine-tune, loaded once.
    import tunewise.whatif.search  # noqa: F401

    # Out of the collector's sight, what is loaded so far stays shared with the workers:
    # collections would otherwise write to every object and copy its page (measured: ~8%).
    gc.freeze()
    # The search runs on, ahead of the workers, to its end before the first result is given:
    # in the pool's feeder thread instead, it waited for the workers, and results piled up
    # (measured: +19 MiB at 30,000 profiles).
    chunks = _chunks(itertools.chain(head, files))
    for judged in ordered_map(_judge_chunk, chunks, workers, read_all_first=True):
        yield from map(unpacked, judged)


CHUNK = 32  # profiles per message to a worker and back


def _judge_chunk(paths: list[str]) -> list[tuple[Any, ...]]:
    return [_judge_in_worker(path) for path in paths]


def _chunks(paths: Iterator[str]) -> Iterator[list[str]]:
    while chunk := list(itertools.islice(paths, CHUNK)):
        yield chunk
