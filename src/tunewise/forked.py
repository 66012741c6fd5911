"""Forked workers that map one function over a stream of items, handing results back in order.

Each worker is a forked child (it inherits what the parent has loaded: the rule set, numpy)
with a pipe of its own each way. The parent hands out items as workers free up, at most
`ahead` each, so a worker never waits for the next; results come back in the order sent. A
worker reads its pipe in a thread of its own, so a large item and a large result can cross at
once without each side waiting on the other. multiprocessing's Pool was replaced by this: its
feeder and result threads cost the parent a third of a core (the 3,000 bench profiles of
`check`: the parent's CPU 0.25 s with the Pool, 0.14 s on these pipes). Then multiprocessing
itself: os.fork and a length before each message do what its Process and Connection did, with
nothing to import while one core works alone (its import: 4.8 ms; `check` of those profiles
forks its first worker 4.7 ms sooner, a single profile is checked 2.7 ms sooner)."""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

_IN_WORKER = False  # set in a worker: a worker does its own work in one process
_HEAD = 8  # bytes before each message on a pipe: its length, little-endian


class WorkerLost(RuntimeError):
    """A worker process ended before it answered (killed, out of memory): exit 70."""


def cores(enough: bool = True) -> int:
    """How many workers to use: both cores for work `enough` to pay for a fork, where fork is
    available and this is not already a worker (work is never split twice)."""
    if not enough or _IN_WORKER or not hasattr(os, "fork"):
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
        self.ahead = ahead
        self.inboxes: list[int] = []  # the parent's ends: results come in here
        self.outboxes: list[int] = []  # ... and items go out here
        self.pids: list[int] = []
        self.codes: dict[int, int | None] = {}  # workers reaped: their exit codes (None: unknown)
        try:
            for _ in range(count):
                self._start(function)
        except BaseException:  # no worker started so far is left running
            self.close(False)
            raise

    def _start(self, function: Callable[[Any], Any]) -> None:
        task_read, task_write = os.pipe()
        self.outboxes.append(task_write)
        result_read = result_write = -1
        try:
            result_read, result_write = os.pipe()
            self.inboxes.append(result_read)
            # What the standard streams hold now would be written by the worker too.
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(AttributeError, ValueError):  # None, or closed
                    stream.flush()
            # Until the worker has set its own handlers, an interrupt would run the parent's
            # there (a traceback, the parent's cleanup in a copy of it): they wait meanwhile.
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:
                pid = os.fork()
                if pid == 0:
                    # what the worker must not hold: the parent's ends, its own and every
                    # earlier worker's (else it would not see the end of its items when the
                    # parent dies)
                    _work(function, task_read, result_write, self.inboxes + self.outboxes, mask)
                self.pids.append(pid)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        finally:
            for descriptor in (task_read, result_write):
                if descriptor >= 0:
                    os.close(descriptor)

    def run(self, items: Iterator[Any], read_all_first: bool) -> Iterator[Any]:
        import pickle

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
                        _send(self.outboxes[worker], message)
                    except OSError:  # its end closed: the worker is gone
                        raise self.lost(worker) from None
                    held[worker].append(sent)
                    sent += 1
            busy = [inbox for inbox, queue in zip(self.inboxes, held, strict=True) if queue]
            if not taking and not busy and not waiting:
                break
            for inbox in _ready(busy, 0 if can_take() else None) if busy else ():
                worker = self.inboxes.index(inbox)
                try:
                    received = _receive(inbox)
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
        code = self._reap(worker, 1.0)
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
        return WorkerLost(f"worker process {self.pids[worker]} ended unexpectedly ({how})")

    def close(self, finished: bool) -> None:
        """End the workers: told by the end of their items, or stopped when the run was cut
        short (an interrupt, an error, a consumer that stopped)."""
        if not finished:
            for worker, pid in enumerate(self.pids):
                if worker not in self.codes:  # not reaped: its pid is still its own
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
        for pipe in (*self.outboxes, *self.inboxes):
            os.close(pipe)
        self.outboxes = self.inboxes = []
        for worker in range(len(self.pids)):
            self._reap(worker, None)

    def _reap(self, worker: int, seconds: float | None) -> int | None:
        """The worker's exit code (minus the signal that ended it), once it has ended, waiting
        at most `seconds` (None: as long as it takes); None if it still runs."""
        if worker in self.codes:
            return self.codes[worker]
        import time

        deadline = time.monotonic() + (seconds or 0.0)
        while True:
            try:
                pid, status = os.waitpid(self.pids[worker], 0 if seconds is None else os.WNOHANG)
            except ChildProcessError:  # reaped by someone else (SIGCHLD ignored): code unknown
                self.codes[worker] = None
                return None
            if pid:
                self.codes[worker] = os.waitstatus_to_exitcode(status)
                return self.codes[worker]
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.001)


def _send(pipe: int, message: bytes) -> None:
    """`message` after its length, whole: a write cut short (a signal once some of it is in)
    goes on where it stopped. One writev: the message is not copied behind its length."""
    head = len(message).to_bytes(_HEAD, "little")
    written = os.writev(pipe, (head, message))
    while written < _HEAD:
        written += os.write(pipe, head[written:])
    body = memoryview(message)
    written -= _HEAD
    while written < len(body):
        written += os.write(pipe, body[written:])


def _receive(pipe: int) -> bytearray:
    """The next message whole, however many reads it takes; EOFError if the pipe ends first,
    even mid-message (its writer died): never a hang on a message that will not come, never
    part of one."""
    return _exactly(pipe, int.from_bytes(_exactly(pipe, _HEAD), "little"))


def _exactly(pipe: int, size: int) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    done = 0
    while done < size:
        count = os.readv(pipe, (view[done:],))
        if not count:
            raise EOFError(f"the pipe ended {size - done} bytes short")
        done += count
    return buffer


def _ready(pipes: list[int], timeout: int | None) -> list[int]:
    """Those of `pipes` with something to read, or ended; waiting at most `timeout` ms (None:
    until one is). poll, not select: no limit on the descriptors' numbers."""
    import select

    poller = select.poll()
    for pipe in pipes:
        poller.register(pipe, select.POLLIN)
    return [pipe for pipe, _ in poller.poll(timeout)]


def _quiet() -> None:
    """A worker leaves interrupts to its parent, which stops it with SIGTERM: Ctrl-C or a
    cancelled job ends the run once, with no traceback from each worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _work(
    function: Callable[[Any], Any],
    tasks: int,
    results: int,
    theirs: list[int],
    mask: Iterable[int],
) -> NoReturn:
    """A worker's whole life, from the fork: it never returns into the parent's code, and ends
    by os._exit, so the parent's atexit handlers and buffers (a report file's) stay the
    parent's. What the worker printed itself is flushed first."""
    code = 1
    try:
        _quiet()  # first, while the signals still wait (see _Team._start)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _serve(function, tasks, results, theirs)
        code = 0
    except BrokenPipeError:  # the parent is gone: nobody to tell
        pass
    except BaseException:  # a fault of the worker itself: the parent reports it lost
        with contextlib.suppress(BaseException):
            import traceback

            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


def _serve(function: Callable[[Any], Any], tasks: int, results: int, theirs: list[int]) -> None:
    """A worker: answer each item it is sent with `function(item)`, until the parent closes its
    end. Items are read by a thread of the worker's own, always ready for the next."""
    import pickle
    import threading

    # _queue's, as queue.SimpleQueue is: `queue` would be imported in each worker (~1 ms).
    from _queue import SimpleQueue

    global _IN_WORKER
    _IN_WORKER = True
    for descriptor in theirs:
        os.close(descriptor)
    received: SimpleQueue[bytearray | None] = SimpleQueue()

    def receive() -> None:
        try:
            while True:
                received.put(_receive(tasks))
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
        _send(results, reply)
