"""The near-duplicate index: its filter on band keys answers most misses without a search."""

from __future__ import annotations

import random

import numpy as np

from tunewise.evidence.sketches import NearIndex, Sketches, _bits


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(f"w{rng.randrange(100_000)}" for _ in range(40)) for _ in range(count)]


def test_the_filter_passes_every_key_indexed_and_few_others() -> None:
    index = NearIndex()
    indexed = Sketches(_texts(1, 2_000))
    for start in range(0, 2_000, 500):  # four batches, four runs (some merged)
        rows = list(range(start, start + 500))
        index.add(rows, indexed, rows)
    assert _bits(index.present, indexed.bands.ravel()).all()  # never a match lost
    others = Sketches(_texts(2, 2_000)).bands.ravel()
    assert _bits(index.present, others).mean() < 0.01  # 32,000 keys of 2^26 bits
    # and a lookup finds a copy of an indexed record, and nothing for unrelated ones
    again = Sketches([_texts(1, 2_000)[7], *_texts(3, 3)])
    found = index.lookup(again, np.arange(4))
    assert found == {0: [7]}
