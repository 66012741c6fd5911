"""Forked workers: results in order, defects raised here, no worker left behind, bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import children as _children
from tunewise import forked
from tunewise.forked import cores, ordered_map


def _square(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


@pytest.mark.parametrize("ahead", [1, 2, 3])
@pytest.mark.parametrize("read_all_first", [False, True])
def test_results_come_in_order_from_more_than_one_worker(ahead: int, read_all_first: bool) -> None:
    before = _children()
    found = list(
        ordered_map(_square, iter(range(200)), 2, ahead=ahead, read_all_first=read_all_first)
    )
    assert [square for square, _ in found] == [n * n for n in range(200)]
    assert len({pid for _, pid in found} - {os.getpid()}) == 2  # both workers took items
    assert _children() == before


def _broken(item: int) -> int:
    if item == 13:
        raise ZeroDivisionError(f"defect at {item}")
    return item


def test_a_defect_in_a_worker_is_raised_here_and_the_workers_stop() -> None:
    before = _children()
    with pytest.raises(ZeroDivisionError, match="defect at 13"):
        list(ordered_map(_broken, iter(range(100)), 2))
    assert _children() == before


def test_a_consumer_that_stops_stops_the_workers() -> None:
    before = _children()
    results = ordered_map(_square, iter(range(10_000)), 2)
    assert next(results)[0] == 0
    results.close()
    assert _children() == before


def test_items_are_taken_a_few_ahead_of_the_results() -> None:
    # Without read_all_first, a slow consumer holds back the reading: the items taken are
    # never more than a few ahead of the results given (a large file is never read whole).
    taken = 0

    def items() -> Iterator[int]:
        nonlocal taken
        for item in range(1_000):
            taken += 1
            yield item

    for given, (square, _) in enumerate(ordered_map(_square, items(), 2, ahead=2)):
        assert square == given * given
        assert taken - given <= 2 * 2 * 2 + 1
    assert taken == 1_000


def _nested(item: int) -> int:
    return cores()


def test_work_is_never_split_twice() -> None:
    # A worker answers its items in one process: whatever it runs asks for one core.
    assert set(ordered_map(_nested, iter(range(10)), 2)) == {1}
    assert not forked._IN_WORKER
    assert cores(enough=False) == 1


def _dies(item: int) -> int:
    if item == 5:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
    return item


def test_a_worker_that_is_killed_is_named_not_blamed_on_the_input() -> None:
    # Never a hang, never an OSError a reader would report as an unreadable file: WorkerLost,
    # an internal error (exit 70) that says what happened.
    before = _children()
    with pytest.raises(forked.WorkerLost, match="killed by signal 9"):
        list(ordered_map(_dies, iter(range(50)), 2))
    assert not isinstance(forked.WorkerLost("x"), OSError)
    assert _children() == before


def _dies_mid_answer(item: int) -> int:
    # The worker's copy of the module only: its answer for 5 is cut off after a few bytes, as
    # when a worker is killed while it writes.
    if item == 5:

        def cut(pipe: int, message: bytes) -> None:
            os.write(pipe, len(message).to_bytes(8, "little") + message[:5])
            os.kill(os.getpid(), signal.SIGKILL)

        forked._send = cut
    return item


def _exits_mid_answer(item: int) -> int:
    if item == 5:

        def cut(pipe: int, message: bytes) -> None:
            os.write(pipe, len(message).to_bytes(8, "little")[:3])
            os._exit(3)

        forked._send = cut
    return item


@pytest.mark.parametrize(
    ("function", "how"), [(_dies_mid_answer, "killed by signal 9"), (_exits_mid_answer, "exit 3")]
)
def test_a_worker_that_ends_mid_answer_is_lost_not_parsed(function: Any, how: str) -> None:
    before = _children()
    with pytest.raises(forked.WorkerLost, match=how):
        list(ordered_map(function, iter(range(50)), 2))
    assert _children() == before


def _handlers(item: int) -> tuple[Any, Any, frozenset[int]]:
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), frozenset(blocked)


def test_workers_leave_interrupts_to_the_parent() -> None:
    # A worker ignores SIGINT and dies of SIGTERM; nothing stays blocked, here or there.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    handler = signal.getsignal(signal.SIGINT)
    found = set(ordered_map(_handlers, iter(range(4)), 2))
    assert found == {(signal.SIG_IGN, signal.SIG_DFL, frozenset(mask))}
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask
    assert signal.getsignal(signal.SIGINT) is handler


def test_a_worker_holds_no_other_workers_pipe() -> None:
    # Closing one worker's items ends it, though a later worker was forked meanwhile: the later
    # one holds none of the earlier one's ends.
    before = _children()
    team = forked._Team(_square, 2, 2)
    try:
        os.close(team.outboxes.pop(0))
        assert team._reap(0, 5.0) == 0
    finally:
        team.close(False)
    assert _children() == before


def _unpicklable(item: int) -> int:
    class Local(Exception):  # a class pickle cannot find by name
        pass

    raise Local(f"local {item}")


def test_an_exception_that_cannot_cross_crosses_as_text() -> None:
    with pytest.raises(RuntimeError, match="local 0"):
        list(ordered_map(_unpicklable, iter(range(3)), 2))


_SCRIPT = """
import atexit, sys
from tunewise.forked import ordered_map
atexit.register(lambda: print("atexit"))
sys.stdout.write("before ")  # in the buffer when the workers fork
print(sum(ordered_map(abs, iter(range(-100, 0)), 2)))
"""


def test_a_worker_writes_none_of_the_parents_output_nor_runs_its_exit_handlers() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout == "before 5050\natexit\n"


# The framing: a length before each message, read whole whatever the reads return.


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()
    return read, write


def test_a_message_crosses_whole_however_the_writes_are_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Writes that take a few bytes at a time (a signal once some of it is in) go on where they
    # stopped, the length included.
    real_write, real_writev = os.write, os.writev

    def write(pipe: int, data: Any) -> int:
        return real_write(pipe, bytes(data)[:3])

    def writev(pipe: int, parts: Any) -> int:
        return real_write(pipe, b"".join(bytes(p) for p in parts)[:5])

    read, write_end = _pipe()
    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "writev", writev)
    for message in (b"", b"x", b"0123456789" * 7):
        forked._send(write_end, message)
        monkeypatch.setattr(os, "writev", real_writev)
        assert forked._receive(read) == message
        monkeypatch.setattr(os, "writev", writev)
    os.close(read)
    os.close(write_end)


def _trickle(pipe: int, data: bytes, pieces: list[int], pause: float) -> threading.Thread:
    def run() -> None:
        start = 0
        for size in pieces:
            time.sleep(pause)
            os.write(pipe, data[start : start + size])
            start += size
        os.close(pipe)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_message_split_across_reads_is_read_whole() -> None:
    # The length in three pieces, the message in many: each read returns what has come.
    message = bytes(range(256)) * 40
    data = len(message).to_bytes(8, "little") + message + (1).to_bytes(8, "little") + b"!"
    read, write = _pipe()
    thread = _trickle(write, data, [3, 4, 1, 100, 5000, 1, len(data)], 0.01)
    assert forked._receive(read) == message
    assert forked._receive(read) == b"!"
    with pytest.raises(EOFError):  # then the end, where a message would start
        forked._receive(read)
    thread.join()
    os.close(read)


def test_a_message_larger_than_the_pipe_crosses() -> None:
    message = os.urandom(3 << 20)
    read, write = _pipe()
    thread = threading.Thread(target=forked._send, args=(write, message))
    thread.start()
    assert forked._receive(read) == message
    thread.join()
    os.close(read)
    os.close(write)


@pytest.mark.parametrize("cut", [0, 3, 8, 9, 50])
def test_a_pipe_that_ends_mid_message_is_an_end_not_a_message(cut: int) -> None:
    data = (100).to_bytes(8, "little") + b"y" * 100
    read, write = _pipe()
    os.write(write, data[:cut])
    os.close(write)
    with pytest.raises(EOFError):
        forked._receive(read)
    os.close(read)


def test_a_signal_during_a_read_does_not_cut_the_message() -> None:
    # A handler that returns (EINTR): the read is taken up again, nothing lost or doubled.
    calls = []
    previous = signal.signal(signal.SIGALRM, lambda *_: calls.append(1))
    read, write = _pipe()
    try:
        message = b"after the signal" * 100
        data = len(message).to_bytes(8, "little") + message
        thread = _trickle(write, data, [4, len(data)], 0.2)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        assert forked._receive(read) == message
        thread.join()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        os.close(read)
    assert calls
