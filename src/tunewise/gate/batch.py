"""Running the gate over many profiles: found, judged in order, on both cores when large."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import itertools
import operator
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

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
    found = Found()
    listing = _Listing(profiles_in(paths, found, exclude))
    gate = Gate(rules, today, waiver_horizon_days, require_evidence=list(require_evidence))
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
    import multiprocessing

    _WORKER_GATE = gate  # forked workers inherit the loaded rule set: nothing is parsed twice
    import gc

    # What each worker would otherwise load for its first unjustified fine-tune, loaded once.
    import tunewise.whatif.search  # noqa: F401

    # Out of the collector's sight, what is loaded so far stays shared with the workers:
    # collections would otherwise write to every object and copy its page (measured: ~8%).
    gc.freeze()
    team = _Team(multiprocessing.get_context("fork"), workers)
    finished = False
    try:
        yield from map(unpacked, team.run(_chunks(itertools.chain(head, files))))
        finished = True
    finally:
        team.close(finished)


CHUNK = 32  # profiles per message to a worker and back
AHEAD = 2  # chunks a worker holds: one it judges, one waiting, so it never waits on the parent


def _chunks(paths: Iterator[str]) -> Iterator[list[str]]:
    while chunk := list(itertools.islice(paths, CHUNK)):
        yield chunk


class _Team:
    """Forked workers, each sent chunks of paths over its own pipe and answering over another,
    in the order sent; the parent searches, hands out chunks as workers free up, and puts the
    results back in order. In place of multiprocessing's Pool, whose feeder and result
    threads cost the parent a third of a core (measured over the 3,000 bench profiles: the
    parent's CPU 0.25 s with the Pool, 0.14 s with these pipes; `check` 0.07 s sooner)."""

    def __init__(self, context: Any, count: int) -> None:
        from multiprocessing.connection import Connection

        self.inboxes: list[Connection] = []  # the parent's ends: results come in here
        self.outboxes: list[Connection] = []  # ... and chunks go out here
        self.processes: list[Any] = []
        for _ in range(count):
            task_read, task_write = os.pipe()
            result_read, result_write = os.pipe()
            # what the worker must not hold: the parent's ends, its own and every earlier
            # worker's (else a worker would not see the end of its tasks when the parent dies)
            theirs = [task_write, result_read, *(c.fileno() for c in self.inboxes)]
            theirs += [c.fileno() for c in self.outboxes]
            process = context.Process(
                target=_serve, args=(task_read, result_write, theirs), daemon=True
            )
            process.start()
            os.close(task_read)
            os.close(result_write)
            self.inboxes.append(Connection(result_read, writable=False))
            self.outboxes.append(Connection(task_write, readable=False))
            self.processes.append(process)

    def run(self, chunks: Iterator[list[str]]) -> Iterator[tuple[Any, ...]]:
        """The packed results of every chunk, in order. The search (`chunks`) runs ahead of
        the workers to its end before the first result is given (see `_judge`)."""
        import pickle
        from multiprocessing.connection import wait

        waiting: list[list[str]] = []  # found, not yet handed out
        held: list[collections.deque[int]] = [collections.deque() for _ in self.inboxes]
        done: dict[int, list[tuple[Any, ...]]] = {}  # results that came in, by chunk
        sent = given = 0
        searching = True
        while True:
            if searching:
                chunk = next(chunks, None)
                if chunk is None:
                    searching = False
                else:
                    waiting.append(chunk)
            for worker, queue_ in enumerate(held):
                while waiting and len(queue_) < AHEAD:
                    self.outboxes[worker].send_bytes(pickle.dumps(waiting.pop(0)))
                    queue_.append(sent)
                    sent += 1
            busy = [inbox for inbox, queue_ in zip(self.inboxes, held, strict=True) if queue_]
            if not searching and not busy and not waiting:
                break
            for inbox in wait(busy, 0 if searching else None):
                worker = self.inboxes.index(inbox)  # type: ignore[arg-type]
                outcome, payload = pickle.loads(inbox.recv_bytes())  # type: ignore[union-attr]
                if outcome != "ok":
                    raise payload
                done[held[worker].popleft()] = payload
            while not searching and given in done:
                yield from done.pop(given)
                given += 1
        while given in done:
            yield from done.pop(given)
            given += 1

    def close(self, finished: bool) -> None:
        """End the workers: told by the end of their tasks, or stopped when the run was cut
        short (an interrupt, an error, a reader that stopped)."""
        if not finished:
            for process in self.processes:
                process.terminate()
        for connection in (*self.outboxes, *self.inboxes):
            connection.close()
        for process in self.processes:
            process.join()


def _serve(tasks: int, results: int, theirs: list[int]) -> None:
    """A worker: judge each chunk of paths it is sent and answer with their packed results,
    until the parent closes its end."""
    import pickle
    from multiprocessing.connection import Connection

    _quiet_worker()
    for descriptor in theirs:
        os.close(descriptor)
    inbox, outbox = Connection(tasks, writable=False), Connection(results, readable=False)
    while True:
        try:
            paths = pickle.loads(inbox.recv_bytes())
        except EOFError:
            return
        try:
            answer: tuple[str, Any] = ("ok", [_judge_in_worker(path) for path in paths])
            message = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a defect: the parent raises it (exit 70), as in one process
            try:
                message = pickle.dumps(("error", exc), pickle.HIGHEST_PROTOCOL)
            except Exception:  # an exception that cannot cross: its text does
                message = pickle.dumps(("error", RuntimeError(repr(exc))))
        outbox.send_bytes(message)
