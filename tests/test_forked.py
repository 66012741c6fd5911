"""Forked workers: results in order, defects raised here, no worker left behind, bounded."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator

import pytest

from tunewise import forked
from tunewise.forked import cores, ordered_map


def _children() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


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
