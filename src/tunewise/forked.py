"""Forked workers that map one function over a stream of items, handing results back in order.

Each worker is a forked child (it inherits what the parent has loaded: the rule set, numpy)
with a pipe of its own each way. The parent hands out items as workers free up, at most
`ahead` each, so a worker never waits for the next; results come back in the order sent. A
worker reads its pipe in a thread of its own, so a large item and a large result can cross at
once without each side waiting on the other. multiprocessing's Pool was replaced by this: its
feeder and result threads cost the parent a third of a core (the 3,000 bench profiles of
`check`: the parent's CPU 0.25 s with the Pool, 0.14 s on these pipes)."""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterator
from typing import Any

_IN_WORKER = False  # set in a worker: a worker does its own work in one process


class WorkerLost(RuntimeError):
    """A worker process ended before it answered (killed, out of memory): exit 70."""


def cores(enough: bool = True) -> int:
    """How many workers to use: both cores for work `enough` to pay for a fork, where fork is
    available and this is not already a worker (work is never split twice)."""
    import multiprocessing

    if not enough or _IN_WORKER or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    found = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(found or 1, 2))


def ordered_map(
    function: Callable[[Any], Any],
    items: Iterator[Any],
    workers: int,
    *,
    ahead: int = 2,
    read_all_first: bool = False,
) -> Iterator[Any]:
    """`function(item)` for every item, in the items' order, computed by `workers` forked
    workers. With `read_all_first`, every item is taken (and handed out as workers free up)
    before the first result is given, so whatever taking them finds is known by then; else
    results come as soon as they are ready and at most a few items are taken ahead. An
    exception in a worker is raised here; a run cut short (an exception, a consumer that
    stops) stops the workers."""
    team = _Team(function, workers, ahead)
    finished = False
    try:
        yield from team.run(items, read_all_first)
        finished = True
    finally:
        team.close(finished)


class _Team:
    """The workers and the parent's ends of their pipes."""

    def __init__(self, function: Callable[[Any], Any], count: int, ahead: int) -> None:
        import multiprocessing
        from multiprocessing.connection import Connection

        context = multiprocessing.get_context("fork")
        self.ahead = ahead
        self.inboxes: list[Connection] = []  # the parent's ends: results come in here
        self.outboxes: list[Connection] = []  # ... and items go out here
        self.processes: list[Any] = []
        for _ in range(count):
            task_read, task_write = os.pipe()
            result_read, result_write = os.pipe()
            _widen(result_write)
            # what the worker must not hold: the parent's ends, its own and every earlier
            # worker's (else a worker would not see the end of its items when the parent dies)
            theirs = [task_write, result_read, *(c.fileno() for c in self.inboxes)]
            theirs += [c.fileno() for c in self.outboxes]
            process = context.Process(
                target=_serve, args=(function, task_read, result_write, theirs), daemon=True
            )
            process.start()
            os.close(task_read)
            os.close(result_write)
            self.inboxes.append(Connection(result_read, writable=False))
            self.outboxes.append(Connection(task_write, readable=False))
            self.processes.append(process)

    def run(self, items: Iterator[Any], read_all_first: bool) -> Iterator[Any]:
        import pickle
        from multiprocessing.connection import wait

        count = len(self.inboxes)
        waiting: collections.deque[Any] = collections.deque()  # taken, not yet handed out
        held: list[collections.deque[int]] = [collections.deque() for _ in range(count)]
        done: dict[int, Any] = {}  # results that came in, by item
        sent = given = 0
        taking = True
        end = object()

        def can_take() -> bool:
            # Bounded: a new item only once the last is handed out, and at most twice what the
            # workers hold between the oldest result not given yet and the newest item.
            return taking and (
                read_all_first or (not waiting and sent - given < 2 * count * self.ahead)
            )

        while True:
            if can_take():
                item = next(items, end)
                if item is end:
                    taking = False
                else:
                    waiting.append(item)
            for worker in range(count):
                while waiting and len(held[worker]) < self.ahead:
                    message = pickle.dumps(waiting.popleft(), pickle.HIGHEST_PROTOCOL)
                    try:
                        self.outboxes[worker].send_bytes(message)
                    except OSError:  # its end closed: the worker is gone
                        raise self.lost(worker) from None
                    held[worker].append(sent)
                    sent += 1
            busy = [inbox for inbox, queue in zip(self.inboxes, held, strict=True) if queue]
            if not taking and not busy and not waiting:
                break
            for inbox in wait(busy, 0 if can_take() else None) if busy else ():
                worker = self.inboxes.index(inbox)  # type: ignore[arg-type]
                try:
                    received = inbox.recv_bytes()  # type: ignore[union-attr]
                except (EOFError, OSError):  # its end closed before it answered
                    raise self.lost(worker) from None
                outcome, payload = pickle.loads(received)
                if outcome != "ok":
                    raise payload
                done[held[worker].popleft()] = payload
            while (not taking or not read_all_first) and given in done:
                yield done.pop(given)
                given += 1

    def lost(self, worker: int) -> WorkerLost:
        """What to raise when a worker ended unasked (killed by a signal, out of memory): a
        failure of this machine, never of the input, so it is not an OSError a reader would
        take for an unreadable file."""
        process = self.processes[worker]
        process.join(1)
        code = process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
        return WorkerLost(f"worker process {process.pid} ended unexpectedly ({how})")

    def close(self, finished: bool) -> None:
        """End the workers: told by the end of their items, or stopped when the run was cut
        short (an interrupt, an error, a consumer that stopped)."""
        if not finished:
            for process in self.processes:
                process.terminate()
        for connection in (*self.outboxes, *self.inboxes):
            connection.close()
        for process in self.processes:
            process.join()


def _widen(pipe: int) -> None:
    """A larger pipe where Linux allows it (1 MiB, its default limit for any user): a
    result of a megabyte crosses in a read or two instead of sixteen (measured: `data` on
    100 MB, the parent's reads 0.36 s with 64 KiB pipes, ... with 1 MiB)."""
    import contextlib
    import fcntl

    with contextlib.suppress(OSError):  # over the system's limit, or not Linux: as it is
        fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


def _quiet() -> None:
    """A worker leaves interrupts to its parent, which stops it with SIGTERM: Ctrl-C or a
    cancelled job ends the run once, with no traceback from each worker."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _serve(function: Callable[[Any], Any], tasks: int, results: int, theirs: list[int]) -> None:
    """A worker: answer each item it is sent with `function(item)`, until the parent closes its
    end. Items are read by a thread of the worker's own, always ready for the next."""
    _quiet()  # first: until then a signal would raise the parent's handler here (a traceback)
    import pickle
    import queue
    import threading
    from multiprocessing.connection import Connection

    global _IN_WORKER
    _IN_WORKER = True
    for descriptor in theirs:
        os.close(descriptor)
    inbox, outbox = Connection(tasks, writable=False), Connection(results, readable=False)
    received: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def receive() -> None:
        try:
            while True:
                received.put(inbox.recv_bytes())
        except (EOFError, OSError):
            received.put(None)

    threading.Thread(target=receive, daemon=True).start()
    while (message := received.get()) is not None:
        try:
            answer: tuple[str, Any] = ("ok", function(pickle.loads(message)))
            reply = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # a defect: the parent raises it (exit 70), as in one process
            try:
                reply = pickle.dumps(("error", exc), pickle.HIGHEST_PROTOCOL)
            except Exception:  # an exception that cannot cross: its text does
                reply = pickle.dumps(("error", RuntimeError(repr(exc))))
        outbox.send_bytes(reply)
