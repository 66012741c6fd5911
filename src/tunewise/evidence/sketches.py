"""Hashing a batch of records with numpy: exact-duplicate keys cut from the batch's bytes,
word 3-gram sketches (one-permutation MinHash, LSH band keys), and the near-duplicate index
they are looked up in. `evidence.dataset` drives it, a batch at a time (see its docstring for
why this replaced datasketch, with the figures)."""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Callable
from typing import Any

from tunewise.evidence.formats import LABEL_RUN, LABEL_SPACE, SEPARATOR

NEAR_THRESHOLD = 0.8  # Jaccard similarity of word 3-grams that makes two records near-duplicates
SHINGLE = 3
MIN_WORDS = 8  # shorter records are compared exactly only
KEEP_SHINGLES = 512  # distinct 3-gram hashes kept a record (bottom-k): Jaccard exact below it
BANDS, ROWS = 16, 6  # LSH: a pair at NEAR_THRESHOLD is missed with probability ~8e-3
BINS = BANDS * ROWS
AGREE = BINS // 2  # signature bins two records must agree on before their 3-grams are compared
# Templated records share band keys by the thousand: a key proposes at most the most recent
# SHARED_KEY_LIMIT records indexed under it, and a record's 3-grams are compared with at most
# CANDIDATE_LIMIT candidates (the most agreeing), so the search stays linear in the records.
SHARED_KEY_LIMIT = 128
CANDIDATE_LIMIT = 32
PRESENT_BITS = 26  # the near-duplicate index's filter on band keys: 2^26 bits (see NearIndex)


class Sketches:
    """The near-duplicate sketches of a batch of records, made with numpy for all at once.

    A record's words are what `text.casefold().split()` gives, but found and hashed without a
    Python call per word: the batch's case-folded text is encoded once, whitespace bytes mark
    the word boundaries, and each word of up to 32 bytes is hashed from its bytes read eight at
    a time (a longer word, rare, with blake2b). Word 3-grams are hashed inside each record only
    (never across two); `ok` marks the records of at least MIN_WORDS words. The LSH signature is
    one-permutation MinHash (BINS bins of the 3-gram hash range, each bin's smallest hash,
    empty bins filled by rotation from the next full one), cut into BANDS band keys of ROWS
    values each."""

    def __init__(self, texts: list[str]) -> None:
        import numpy as np

        count = len(texts)
        data, lengths = _batch_bytes(texts)
        firsts = _record_starts(lengths)
        starts, hashes = _word_hashes(data)
        first_word = np.searchsorted(starts, firsts)
        words = np.diff(first_word)
        self.ok = words >= MIN_WORDS
        record = np.repeat(np.arange(count, dtype=np.int32), words)
        grams = hashes[:-2] * _U(_K1) + hashes[1:-1] * _U(_K2) + hashes[2:]
        inside = (record[:-2] == record[2:]) & self.ok[record[:-2]]
        grams = (grams[inside] >> _U(32)).astype(np.uint32)
        owner = record[:-2][inside]
        signatures = _signatures(grams, owner, count)
        self.bands = _band_keys(signatures)
        self.marks = signatures.astype(np.uint8)  # a byte of each bin: a quick estimate
        self.grams = grams
        self._kept: dict[int, Any] = {}  # see `kept`
        self.offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.where(self.ok, words - 2, 0), out=self.offsets[1:])
        # The band keys in order (equal keys by row), for lookups and the index to take
        # theirs from without sorting again: a stable sort of all, once, here.
        order = np.argsort(self.bands.ravel(), kind="stable")
        self.sorted_bands = self.bands.ravel()[order]
        self.sorted_rows = order // BANDS

    def kept(self, row: int) -> Any:
        """The row's sorted distinct 3-gram hashes, the KEEP_SHINGLES smallest (bottom-k):
        sorted when first asked, for the few records compared (sorting all in the worker
        cost it 0.57 s on 100 MB, to save the parent 0.22 s)."""
        if row not in self._kept:
            self._kept[row] = _distinct(self.grams[self.offsets[row] : self.offsets[row + 1]])
        return self._kept[row]

    def sorted_bands_of(self, rows: Any) -> tuple[Any, Any]:
        """The band keys of `rows`, sorted (equal keys by row), and the row of each."""
        import numpy as np

        chosen = np.zeros(len(self.bands), dtype=bool)
        chosen[rows] = True
        pick = chosen[self.sorted_rows]
        return self.sorted_bands[pick], self.sorted_rows[pick]


_EMPTY = 0xFFFFFFFF
# Whitespace as str.split() sees it: ASCII (as bytes 9-13, 28-32) and these, as UTF-8 sequences
# (a test checks the list against str.isspace over every code point).
_WIDE_SPACES = tuple(
    c.encode("utf-8")
    for c in "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_K1, _K2 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F  # odd multipliers: word order matters
_K3, _K4, _K5 = 0x165667B19E3779F9, 0x27D4EB2F165667C5, 0x85EBCA77C2B2AE63


def _U(value: int) -> Any:
    import numpy as np

    return np.uint64(value)


def _mix(hashes: Any) -> Any:
    """MurmurHash3's 64-bit finaliser, in place: every input bit reaches every output bit."""
    hashes ^= hashes >> _U(33)
    hashes *= _U(0xFF51AFD7ED558CCD)
    hashes ^= hashes >> _U(33)
    hashes *= _U(0xC4CEB9FE1A85EC53)
    hashes ^= hashes >> _U(33)
    return hashes


def _batch_bytes(texts: list[str]) -> tuple[bytes, Any]:
    """The case-folded texts as UTF-8, one space around each, and each one's length in bytes;
    whitespace beyond ASCII turned into as many spaces as its bytes, so the lengths hold."""
    import numpy as np

    joined = " ".join(["", *texts, ""])
    if joined.isascii():  # ASCII case-folds as it lower-cases, a byte a character
        return joined.lower().encode("ascii"), np.fromiter(map(len, texts), np.int64, len(texts))
    encoded = [text.casefold().encode("utf-8", "surrogatepass") for text in texts]
    data = b" ".join([b"", *encoded, b""])
    for wide in _WIDE_SPACES:
        if wide in data:
            data = data.replace(wide, b" " * len(wide))
    return data, np.fromiter(map(len, encoded), np.int64, len(encoded))


def _record_starts(lengths: Any) -> Any:
    """Each record's first byte in `_batch_bytes`'s data, and the end after the last."""
    import numpy as np

    firsts = np.empty(len(lengths) + 1, dtype=np.int64)
    firsts[0] = 1
    np.cumsum(lengths + 1, out=firsts[1:])
    firsts[1:] += 1
    return firsts


def _words(octets: Any) -> Any:
    """Which bytes of `octets` are not whitespace (as str.split() sees it, byte 31 included)."""
    import numpy as np

    space, _ = _tables()
    # Bytes under 28 are rare, and of those only 9-13 are whitespace: a plain compare unless.
    return ~space[octets] if np.count_nonzero(octets < 28) else octets > 32


def _word_hashes(data: bytes) -> tuple[Any, Any]:
    """(first byte, 64-bit hash) of each run of non-whitespace bytes in `data`, which starts
    and ends with a space."""
    import numpy as np

    word = _words(np.frombuffer(data, dtype=np.uint8))
    edges = np.flatnonzero(word[1:] != word[:-1]).astype(np.int32)  # a batch is under 2 GiB
    edges += 1
    starts, ends = edges[0::2], edges[1::2]
    return starts, _hash_words(data, starts, ends)


def _hash_words(data: bytes, starts: Any, ends: Any) -> Any:
    """A 64-bit hash of each data[start:end], a function of those bytes alone."""
    import hashlib

    import numpy as np

    _, masks = _tables()
    length = ends - starts
    # Every 8 bytes from every offset (unaligned), zeros past the end: a word's bytes eight at
    # a time, those past its end masked off.
    eights = np.ndarray((len(data) + 25,), dtype="<u8", buffer=data + bytes(32), strides=(1,))
    hashes = (eights[starts] & masks[np.minimum(length, 8)]) * _U(_K1)
    for part, factor in ((1, _K2), (2, _K3), (3, _K4)):
        longer = np.flatnonzero(length > 8 * part)
        if not len(longer):
            break
        rest = masks[np.minimum(length[longer] - 8 * part, 8)]
        hashes[longer] += (eights[starts[longer] + 8 * part] & rest) * _U(factor)
    hashes += length.astype(np.uint64) * _U(_K5)
    _mix(hashes)
    for at in np.flatnonzero(length > 32).tolist():
        digest = hashlib.blake2b(data[starts[at] : ends[at]], digest_size=8).digest()
        hashes[at] = int.from_bytes(digest, "little")
    return hashes


def exact_keys(texts: list[str]) -> list[int]:
    """hash() of each text's normalised UTF-8 (see `_cut_keys`): at once for an ASCII text
    with nothing to collapse (no whitespace but single spaces, once the spaces at its fields'
    ends are dropped, and no label followed by a space), with numpy for the others."""
    keys: list[int | None] = [_plain_key(text) for text in texts]
    rest = [at for at, key in enumerate(keys) if key is None]
    if rest:
        for at, key in zip(rest, _cut_keys([texts[at] for at in rest]), strict=True):
            keys[at] = key
    return keys  # type: ignore[return-value]  # every None replaced


def _plain_key(text: str) -> int | None:
    if not text.isascii():
        return None
    folded = text.lower()  # the same as casefold() on ASCII
    if (
        "  " in folded
        or "\n" in folded
        or "\t" in folded
        or "\r" in folded
        or "\x0b" in folded
        or "\x0c" in folded
        or "\x1c" in folded
        or "\x1d" in folded
        or "\x1e" in folded
    ):
        return None
    if " \x1f" in folded or "\x1f " in folded or folded[:1] == " " or folded[-1:] == " ":
        folded = SEPARATOR.join([field.strip(" ") for field in folded.split(SEPARATOR)])
    if ": " in folded and any(map(LABEL_SPACE.match, folded.split(SEPARATOR))):
        return None
    return hash(folded.encode("ascii"))


def _cut_keys(texts: list[str]) -> list[int]:
    """hash() of each text normalised as `formats.normalise` says (fields apart, case folded,
    whitespace runs one space, field ends and the space after a field's labels dropped),
    computed for the batch at once: the normalised UTF-8 is cut out of the batch's bytes with
    numpy, and only the hashing is a call per record."""
    import numpy as np

    data, lengths = _batch_bytes(texts)
    firsts = _record_starts(lengths)
    octets = np.frombuffer(data, dtype=np.uint8)
    separator = octets == 31
    word = _words(octets)  # byte 31 (the field separator) is whitespace to it
    token = word | separator
    # A token is a run of word bytes, or one separator by itself.
    inner = slice(1, len(octets) - 1)  # data starts and ends with a space
    begins = token[inner] & (separator[inner] | ~word[:-2])
    finishes = token[inner] & (separator[inner] | ~word[2:])
    starts = np.flatnonzero(begins).astype(np.int32)  # a batch is under 2 GiB
    starts += 1
    ends = np.flatnonzero(finishes).astype(np.int32)
    ends += 2
    del begins, finishes
    record_first = np.searchsorted(starts, firsts)
    counts = np.diff(record_first)
    owner = np.repeat(np.arange(len(texts), dtype=np.int32), counts)
    is_separator = separator[starts]
    # One space between two words of the same field; none elsewhere.
    joins = ~is_separator[:-1] & ~is_separator[1:] & (owner[:-1] == owner[1:])
    opening = np.ones(len(starts), dtype=bool)  # a field's first token
    opening[1:] = is_separator[:-1] | (owner[1:] != owner[:-1])
    openings = np.flatnonzero(opening & ~is_separator)
    for at in openings[octets[ends[openings] - 1] == 58].tolist():  # ends with a colon
        while at < len(joins) and joins[at] and LABEL_RUN.fullmatch(data[starts[at] : ends[at]]):
            joins[at] = False  # "user: hello" is "user:hello"
            at += 1
    spaces = ends[:-1][joins]
    token[spaces] = True  # now: the bytes to keep
    odd = spaces[octets[spaces] != 32]  # a tab or a newline between words: one space
    if len(odd):
        octets = octets.copy()
        octets[odd] = 32
    compact = octets[token].tobytes()
    sizes = ends - starts
    sizes[:-1] += joins
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    per_record = np.bincount(owner, weights=sizes, minlength=len(texts)).astype(np.int64)
    np.cumsum(per_record, out=bounds[1:])
    return [hash(compact[a:b]) for a, b in itertools.pairwise(bounds.tolist())]


def _signatures(grams: Any, owner: Any, count: int) -> Any:
    """One-permutation MinHash of each record's 3-grams: (count, BINS) uint32, densified."""
    import numpy as np

    slot = owner * BINS + ((grams.astype(np.uint64) * _U(BINS)) >> _U(32)).astype(np.int64)
    flat = np.full(count * BINS, _EMPTY, dtype=np.uint32)
    flat[slot] = grams  # one of each bin's grams lands; the rest take the minimum
    lost = np.flatnonzero(flat[slot] != grams)
    np.minimum.at(flat, slot[lost], grams[lost])
    signature = flat.reshape(count, BINS)
    # An empty bin takes the value of the first full bin along its own fixed order of all the
    # bins (optimal densification, Shrivastava 2017): two records agree on it about as often as
    # on a full bin, independently of their other bins. (Borrowing from the next bin over, the
    # simpler rotation, made the bins of a short record agree in runs: 300,000 templated
    # records of three distinct 3-grams all shared band keys.)
    dense = signature.copy()
    empty = signature == _EMPTY
    empty &= ~empty.all(axis=1)[:, None]  # a record without 3-grams is never looked up
    rows, columns = np.nonzero(empty)
    chains = _chains()
    for step in range(BINS):
        if not len(rows):
            break
        values = signature[rows, chains[columns, step]]
        found = values != _EMPTY
        dense[rows[found], columns[found]] = values[found]
        rows, columns = rows[~found], columns[~found]
    return dense


@functools.cache
def _chains() -> Any:
    """(BINS, BINS): for each bin, every bin in a fixed pseudo-random order."""
    import numpy as np

    keys = np.arange(BINS * BINS, dtype=np.uint64) * _U(_K3) + _U(_K4)
    return np.argsort(_mix(keys).reshape(BINS, BINS), axis=1, kind="stable")


def _band_keys(signatures: Any) -> Any:
    """(count, BANDS) 64-bit keys, one per band of ROWS signature values."""
    import numpy as np

    rows = signatures.reshape(len(signatures), BANDS, ROWS).astype(np.uint64)
    keys = np.zeros(rows.shape[:2], dtype=np.uint64)
    for row in range(ROWS):
        keys += rows[:, :, row]
        keys *= _U(_K1)
    keys += np.arange(BANDS, dtype=np.uint64) * _U(_K2)
    return _mix(keys)


@functools.cache
def _tables() -> tuple[Any, Any]:
    """(whitespace bytes as str.split() sees them in ASCII, masks keeping a word's first k
    bytes of eight)."""
    import numpy as np

    space = np.zeros(256, dtype=bool)
    space[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
    masks = [(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1]
    return space, np.array(masks, dtype=np.uint64)


class NearIndex:
    """Records indexed for near-duplicate search: their lines, their 3-gram hashes (a numpy
    chunk per batch, no object per record), a byte of each signature bin, and their band keys
    in sorted runs (merged as they grow, so a lookup is a few binary searches)."""

    def __init__(self) -> None:
        import array

        import numpy as np

        self.lines = array.array("q")  # slot -> line
        self.firsts: list[int] = []  # each chunk's first slot
        self.chunks: list[tuple[Any, Any]] = []  # (3-gram hashes, each slot's offsets)
        self.marks = np.empty((1024, BINS), dtype=np.uint8)  # slot -> a byte of each bin
        self.runs: list[tuple[Any, Any]] = []  # (sorted band keys, their slots)
        # A bit per value of a band key's top PRESENT_BITS bits, set once a key indexed has
        # it: most keys looked up have no match, and most of those are answered here, without
        # a binary search in every run (measured on 400 MB of chat, 232,000 records: the
        # lookups took 1.09 s without it, 0.38 s with it). 8 MiB; at NEAR_LIMIT records, at
        # most 5% of its bits are set.
        self.present = np.zeros(1 << (PRESENT_BITS - 3), dtype=np.uint8)

    def kept(self, slot: int) -> Any:
        """The slot's sorted distinct 3-gram hashes (bottom-k)."""
        chunk = bisect.bisect_right(self.firsts, slot) - 1
        grams, offsets = self.chunks[chunk]
        at = slot - self.firsts[chunk]
        return _distinct(grams[offsets[at] : offsets[at + 1]])

    def lookup(self, sketches: Sketches, rows: Any) -> dict[int, list[int]]:
        """Each of the sketch `rows` -> the slots that share a band key with it and agree on
        enough signature bins to be worth confirming, in order."""
        import numpy as np

        if not self.runs or not len(rows):
            return {}
        queries, asking = sketches.sorted_bands_of(rows)  # each binary search starts nearer
        maybe = np.flatnonzero(_bits(self.present, queries))
        queries, asking = queries[maybe], asking[maybe]
        found_rows, found_slots = [], []
        for keys, slots in self.runs:
            low = np.searchsorted(keys, queries)
            hit = np.flatnonzero(keys[np.minimum(low, len(keys) - 1)] == queries)
            if not len(hit):
                continue
            high = np.searchsorted(keys, queries[hit], "right")
            counts = np.minimum(high - low[hit], SHARED_KEY_LIMIT)  # the most recent ones
            starts = np.repeat(high - np.cumsum(counts), counts)
            found_slots.append(slots[starts + np.arange(len(starts))])
            found_rows.append(np.repeat(asking[hit], counts))
        if not found_rows:
            return {}
        pairs = np.unique(np.concatenate(found_rows) * (1 << 32) + np.concatenate(found_slots))
        pair_rows, pair_slots = np.divmod(pairs, 1 << 32)
        return _likely(pair_rows, pair_slots, sketches.marks.__getitem__, self.marks.__getitem__)

    def add(self, lines: list[int], sketches: Sketches, rows: list[int]) -> None:
        """Index `rows` of the batch's sketches (their lines `lines`), in increasing order. A
        record of more than KEEP_SHINGLES 3-grams keeps its bottom-k only, so a slot holds at
        most 2 KiB of them."""
        import numpy as np

        first = len(self.lines)
        self.lines.extend(lines)
        chosen = np.asarray(rows, dtype=np.int64)
        parts = [sketches.grams[sketches.offsets[row] : sketches.offsets[row + 1]] for row in rows]
        parts = [part if len(part) <= KEEP_SHINGLES else _distinct(part) for part in parts]
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum([len(part) for part in parts], out=offsets[1:])
        self.firsts.append(first)
        self.chunks.append((np.concatenate(parts), offsets))
        if len(self.lines) > len(self.marks):  # grown by doubling: a copy now and then
            grown = np.empty((2 * len(self.lines), BINS), dtype=np.uint8)
            grown[:first] = self.marks[:first]
            self.marks = grown
        self.marks[first : len(self.lines)] = sketches.marks[rows]
        keys, of_rows = sketches.sorted_bands_of(chosen)
        slot_of = np.empty(len(sketches.bands), dtype=np.int32)
        slot_of[chosen] = np.arange(first, first + len(chosen), dtype=np.int32)
        self.runs.append((keys, slot_of[of_rows]))
        top = keys >> _U(64 - PRESENT_BITS)  # sorted, as the keys are
        places, starts = np.unique(top >> _U(3), return_index=True)
        bits = np.left_shift(np.uint8(1), (top & _U(7)).astype(np.uint8))
        self.present[places] |= np.bitwise_or.reduceat(bits, starts)
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            newer, older = self.runs.pop(), self.runs.pop()
            self.runs.append(_merge(older, newer))


def _bits(present: Any, keys: Any) -> Any:
    """Whether each key's top PRESENT_BITS bits are marked in `present`."""
    import numpy as np

    top = keys >> _U(64 - PRESENT_BITS)
    return (present[top >> _U(3)] >> (top & _U(7)).astype(np.uint8)) & np.uint8(1)


def _likely(
    rows: Any, others: Any, first: Callable[[Any], Any], second: Callable[[Any], Any]
) -> dict[int, list[int]]:
    """Candidate pairs (row, other; sorted) worth confirming, as row -> [other, ...]: those
    whose signature bytes (`first(rows)`, `second(others)`) agree on at least AGREE bins (a
    pair at Jaccard 0.8 agrees on about 80 % of them, templated records at 0.2 on about 20 %),
    and of those at most CANDIDATE_LIMIT a row, the most agreeing (about the most similar)."""
    import numpy as np

    agree = np.concatenate(
        [  # a slice at a time: the byte rows of a million pairs would take 200 MB
            np.count_nonzero(first(rows[at : at + 65536]) == second(others[at : at + 65536]), 1)
            for at in range(0, len(rows), 65536)
        ]
        or [np.zeros(0, dtype=np.intp)]
    )
    keep = np.flatnonzero(agree >= AGREE)
    rows, others, agree = rows[keep], others[keep], agree[keep]
    if len(rows) > CANDIDATE_LIMIT:
        order = np.lexsort((others, -agree, rows))  # by row, most agreeing first
        rows, others = rows[order], others[order]
        first_of_row = np.searchsorted(rows, rows)
        keep = np.flatnonzero(np.arange(len(rows)) - first_of_row < CANDIDATE_LIMIT)
        order = np.lexsort((others[keep], rows[keep]))
        rows, others = rows[keep][order], others[keep][order]
    return _grouped(rows, others)


def _grouped(rows: Any, others: Any) -> dict[int, list[int]]:
    """Pairs (row, other), sorted, as row -> [other, ...]."""
    found: dict[int, list[int]] = {}
    for row, other in zip(rows.tolist(), others.tolist(), strict=True):
        found.setdefault(row, []).append(other)
    return found


def _merge(older: tuple[Any, Any], newer: tuple[Any, Any]) -> tuple[Any, Any]:
    """Two sorted runs of (band key, slot) as one, equal keys in slot order: the newer run's
    entries go in after the older's equal ones (no sort, little beyond the result in memory)."""
    import numpy as np

    (old_keys, old_slots), (new_keys, new_slots) = older, newer
    places = np.searchsorted(old_keys, new_keys, side="right")
    places += np.arange(len(new_keys))
    keys = np.empty(len(old_keys) + len(new_keys), dtype=old_keys.dtype)
    slots = np.empty(len(keys), dtype=old_slots.dtype)
    from_old = np.ones(len(keys), dtype=bool)
    from_old[places] = False
    keys[places], slots[places] = new_keys, new_slots
    keys[from_old], slots[from_old] = old_keys, old_slots
    return keys, slots


def _distinct(grams: Any) -> Any:
    """Sorted distinct 3-gram hashes, the KEEP_SHINGLES smallest (np.unique is slower on a
    few hundred)."""
    import numpy as np

    ordered = np.sort(grams)
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first][:KEEP_SHINGLES]


def jaccard(first: Any, second: Any) -> float:
    """Jaccard similarity of two sorted distinct 3-gram samples: exact when neither record was
    cut to KEEP_SHINGLES, else the bottom-k estimate over the smallest of their union."""
    import numpy as np

    if len(first) < KEEP_SHINGLES and len(second) < KEEP_SHINGLES:
        both = len(np.intersect1d(first, second, assume_unique=True))
        return both / (len(first) + len(second) - both)
    union = np.union1d(first, second)[:KEEP_SHINGLES]
    shared = np.intersect1d(first, second, assume_unique=True)
    return len(np.intersect1d(union, shared, assume_unique=True)) / len(union)


def batch_pairs(sketches: Sketches, rows: list[int]) -> dict[int, list[int]]:
    """Sketch row -> the earlier rows of `rows` sharing a band key with it (and agreeing on
    enough signature bins, as index lookups)."""
    import numpy as np

    ordered, by_row = sketches.sorted_bands_of(rows)  # equal keys in row order
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return {}
    # Every position in a run of equal keys, paired with each earlier one of its run.
    run_start = np.arange(len(ordered))
    run_start[1:][same] = 0
    np.maximum.accumulate(run_start, out=run_start)
    # (at most SHARED_KEY_LIMIT of them, the nearest, as index lookups)
    earlier_count = np.minimum(np.arange(len(ordered)) - run_start, SHARED_KEY_LIMIT)
    run_start = np.arange(len(ordered)) - earlier_count
    later = np.repeat(np.arange(len(ordered)), earlier_count)
    firsts = np.repeat(run_start, earlier_count)
    steps = np.arange(len(later)) - np.repeat(
        np.cumsum(earlier_count) - earlier_count, earlier_count
    )
    pairs = np.unique(by_row[later] * (1 << 32) + by_row[firsts + steps])
    later_rows, earlier_rows = np.divmod(pairs, 1 << 32)
    apart = np.flatnonzero(later_rows != earlier_rows)
    later_rows, earlier_rows = later_rows[apart], earlier_rows[apart]
    marks = sketches.marks.__getitem__
    return _likely(later_rows, earlier_rows, marks, marks)


def most_similar(
    sketches: Sketches,
    at: int,
    near: NearIndex,
    slots: Any,
    earlier: list[int],
    numbers: list[int],
) -> int | None:
    """The line of the most similar candidate at least NEAR_THRESHOLD similar (the earliest
    line among equals): indexed slots, and sketch rows indexed earlier in this batch."""
    if not slots and not earlier:
        return None
    mine = sketches.kept(at)
    found = [(-jaccard(near.kept(slot), mine), near.lines[slot]) for slot in slots]
    found += [(-jaccard(sketches.kept(other), mine), numbers[other]) for other in earlier]
    best = min(found)
    return best[1] if -best[0] >= NEAR_THRESHOLD else None
