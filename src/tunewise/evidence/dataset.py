"""Measure a JSONL training set in one streaming pass: formats, valid, unique, near-duplicates,
tokens, and, given a held-out set, the records the two share.

A batch of lines at a time (whole lines, about BATCH_BYTES of text), in two steps. First what
a batch says by itself (`batch_facts`): parsing and classifying, a Python call per record; the
exact-duplicate keys (the normalised text, cut out of the batch's bytes) and the near-duplicate
sketches (word 3-gram hashes, one-permutation MinHash, LSH band keys), numpy over the whole
batch. For a file of PARALLEL_BYTES or more this runs in forked workers on both cores, each
reading its blocks from the file itself. Then, in this process and in line order, what depends
on the records before (`Measure.add`): duplicates, the near-duplicate index and its lookups, the
held-out set's matches. So every count and line is what a record-by-record pass gives
(tests/evidence/test_dataset.py checks it against one, at every batch size, in one process and
on two).

Near-duplicates used datasketch's MinHash and MinHashLSH until these were measured: on a
100 MB chat JSONL (58,101 records) its per-record calls cost 3.7 s to hash (`update_batch`),
3.8 s to insert and 3.3 s to query (under cProfile), and an indexed record took ~6.5 KiB. Its
API takes one record at a time, so the batch is hashed, banded and looked up here with numpy
instead: the whole near-duplicate search then costs about 1 s on that file, and an indexed
record ~1 KiB (3-gram hashes in one array per batch, band keys in sorted runs). The LSH only
proposes candidates; each is confirmed with the Jaccard similarity of the two records' 3-gram
sets, as before. Templated records share band keys by the thousand, which made the search
quadratic (5,000 such records: 52 s with datasketch); SHARED_KEY_LIMIT and CANDIDATE_LIMIT
keep it linear (5 s, 121 near-duplicates found where comparing all candidates found 131).

Bounded whatever the file: a line over 16 MiB is skipped, a file over MAX_DATASET_BYTES is
refused, a read over the deadline stops; exact duplicates are judged against at most
MAX_DISTINCT distinct records (~80 bytes each), near-duplicates among the first NEAR_LIMIT, and a
held-out set is indexed up to HELD_OUT_LIMIT records. See README "Evidence" for the bound."""

from __future__ import annotations

import collections
import functools
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from tunewise.errors import InputError
from tunewise.evidence.formats import (
    Invalid,
    Record,
    classify,
    estimate_tokens,
)
from tunewise.evidence.sketches import (
    CANDIDATE_LIMIT,
    NEAR_THRESHOLD,
    NearIndex,
    Sketches,
    batch_pairs,
    exact_keys,
    jaccard,
    most_similar,
)
from tunewise.forked import cores
from tunewise.inputs.safeio import Block, Deadline, iter_blocks, open_regular
from tunewise.problems import Problem

MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_DATASET_BYTES = 8 * 1024**3
DEFAULT_SECONDS = 120.0
MAX_DISTINCT = 2_000_000  # exact-duplicate keys kept: ~80 bytes each, ~152 MiB at most
NEAR_LIMIT = 200_000  # records searched and indexed for near-duplicates: ~1 KiB each (2.2 at most)
HELD_OUT_LIMIT = 200_000  # held-out records indexed for overlap
SHOWN = 5
OVER_LENGTH_TOKENS = 8192  # an example longer than this is reported (common context limits)
DUPLICATE_RATE_HIGH = 0.10  # above: `data_quality: high` is contradicted
INVALID_RATE_HIGH = 0.05
# A record's near-duplicate sketch is made from its first SKETCH_CHARS characters: the numpy
# arrays of a sketch take ~35 bytes a character, so a 16 MiB line of one-letter words peaked at
# 577 MiB; cut, at 102 MiB (its exact key and tokens still read the whole record).
SKETCH_CHARS = 1 << 20
# Lines measured together (numpy works on a batch at once): about this much text, whole lines.
BATCH_BYTES = 1 << 20
# From this size a file's batches are worked out on both cores (`batch_facts` in forked
# workers; the comparisons stay in this process, in line order).
PARALLEL_BYTES = 8 << 20
_decode = json.JSONDecoder().decode  # json.loads's own decoder, without its per-call checks


@dataclass
class Overlap:
    """Held-out records also in the training set (exact after normalising, or near)."""

    held_out: int  # valid held-out records compared
    exact: int = 0
    near: int = 0
    pairs: list[tuple[int, int, str]] = field(default_factory=list)  # (held-out, train, kind)
    # A training record met CANDIDATE_LIMIT near held-out records at once (templated data):
    # others beyond the limit went unconfirmed, so `near` is a lower bound.
    capped: bool = False

    @property
    def count(self) -> int:
        return self.exact + self.near

    @property
    def counted(self) -> str:
        """The count as a sentence begins: "12", or "at least 12" when it is a lower bound."""
        return f"at least {self.count}" if self.capped else str(self.count)

    def as_dict(self) -> dict[str, Any]:
        return {
            "held_out": self.held_out,
            "shared": self.count,
            "exact": self.exact,
            "near": self.near,
            "lower_bound": self.capped,
            "pairs": [
                {"held_out_line": h, "training_line": t, "kind": k} for h, t, k in self.pairs
            ],
        }


@dataclass
class DatasetStats:
    path: str
    records: int = 0  # non-blank lines
    valid: int = 0
    unique: int = 0
    duplicates: int = 0
    near_duplicates: int = 0
    empty_outputs: int = 0
    invalid: int = 0
    formats: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # the first few, located
    tokens: int = 0  # over unique valid records
    max_tokens: int = 0
    longest_line: int = 0
    over_length: int = 0
    over_length_lines: list[int] = field(default_factory=list)
    near_pairs: list[tuple[int, int]] = field(default_factory=list)
    histogram: dict[int, int] = field(default_factory=dict)  # log-bucket -> count
    capped: bool = False  # more distinct records than MAX_DISTINCT: duplicates a lower bound
    near_checked: int = 0
    overlap: Overlap | None = None
    held_out: DatasetStats | None = None  # the held-out set's own numbers, with --against

    @property
    def train(self) -> int:
        return math.floor(self.unique * 0.8)

    @property
    def validation(self) -> int:
        return self.unique - self.train

    @property
    def mean_tokens(self) -> float:
        return self.tokens / self.unique if self.unique else 0.0

    @property
    def duplicate_rate(self) -> float:
        usable = self.valid
        return (self.duplicates + self.near_duplicates) / usable if usable else 0.0

    @property
    def invalid_rate(self) -> float:
        return (self.invalid + self.empty_outputs) / self.records if self.records else 0.0

    @property
    def preference(self) -> bool:
        """Mostly preference pairs (chosen/rejected): preference tuning (DPO) fits."""
        return self.valid > 0 and self.formats.get("preference", 0) * 2 > self.valid

    @property
    def problem_count(self) -> int:
        overlap = self.overlap.count if self.overlap else 0
        return (
            self.invalid
            + self.empty_outputs
            + self.duplicates
            + self.near_duplicates
            + self.over_length
            + overlap
        )

    def percentile(self, fraction: float) -> int:
        """Tokens at `fraction` of unique records (from a log histogram: within ~5 %)."""
        if not self.unique:
            return 0
        goal = fraction * self.unique
        seen = 0
        for bucket in sorted(self.histogram):
            seen += self.histogram[bucket]
            if seen >= goal:
                return min(self.max_tokens, round(2 ** ((bucket + 1) / 16)))
        return self.max_tokens

    def training_tokens(self, epochs: int) -> int:
        return self.tokens * epochs

    def as_dict(self, epochs: int = 3) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "records": self.records,
            "valid": self.valid,
            "unique": self.unique,
            "duplicates": self.duplicates,
            "near_duplicates": self.near_duplicates,
            "near_duplicates_checked": self.near_checked,
            "empty_outputs": self.empty_outputs,
            "invalid": self.invalid,
            "formats": self.formats,
            "preference_pairs": self.preference,
            "tokens": {
                "estimated_total": self.tokens,
                "mean": round(self.mean_tokens, 1),
                "p50": self.percentile(0.5),
                "p90": self.percentile(0.9),
                "p99": self.percentile(0.99),
                "max": self.max_tokens,
                "max_line": self.longest_line or None,
                "over_length": self.over_length,
                "over_length_limit": OVER_LENGTH_TOKENS,
                "epochs": epochs,
                "training_tokens": self.training_tokens(epochs),
            },
            "split": {"train": self.train, "validation": self.validation},
            "duplicates_capped": self.capped,
            "problems": [{"line": p.line, "message": p.message} for p in self.problems],
            "near_duplicate_pairs": [{"line": a, "like_line": b} for a, b in self.near_pairs],
        }
        if self.overlap is not None:
            out["overlap"] = self.overlap.as_dict()
        if self.held_out is not None:
            out["held_out"] = self.held_out.as_dict(epochs)
        return out


@dataclass
class _HeldOut:
    """The held-out set, indexed for the training pass to look records up in."""

    stats: DatasetStats
    keys: dict[int, list[int]]  # normalised text hash -> held-out lines
    near: NearIndex | None
    matched: dict[int, tuple[int, str]] = field(
        default_factory=dict
    )  # held-out line -> (train, kind)
    capped: bool = False  # see Overlap.capped


class Facts(NamedTuple):
    """What one batch of lines says by itself, before it is compared with anything else:
    worked out by `batch_facts`, in a worker or in this process alike."""

    records: int  # non-blank lines
    invalid: int
    empty_outputs: int
    formats: dict[str, int]
    problems: list[tuple[int, str]]  # (line, message), in line order, the first SHOWN
    numbers: list[int]  # the valid records' lines
    keys: list[int]  # ... their exact-duplicate keys
    tokens: list[int]  # ... their token estimates
    sketches: Sketches | None  # ... their near-duplicate sketches (row i: the i-th), if asked


def batch_facts(first: int, data: bytes | None, sketch: bool) -> Facts:
    """Parse and classify a block of consecutive lines (`data`, the first numbered `first`;
    None: one line over MAX_LINE_BYTES), key and count the tokens of its valid records, and
    sketch them all when asked."""
    records = invalid = empty = 0
    formats: dict[str, int] = {}
    problems: list[tuple[int, str]] = []
    numbers: list[int] = []
    valid: list[Record] = []
    lines: list[bytes | None] = [None] if data is None else list(data.split(b"\n"))
    if data and data.endswith(b"\n"):
        lines.pop()  # what follows the last newline: no line
    for number, raw in enumerate(lines, first):
        if raw is not None and (not raw or raw.isspace()):
            continue
        records += 1
        found = _parse(raw) if raw is not None else _TOO_LONG
        if isinstance(found, str):
            invalid += 1
            if len(problems) < SHOWN:
                problems.append((number, found))
            continue
        formats[found.kind] = formats.get(found.kind, 0) + 1
        if not found.output or found.output.isspace():
            empty += 1
            if len(problems) < SHOWN:
                problems.append((number, "empty output"))
            continue
        numbers.append(number)
        valid.append(found)
    sketches = None
    if sketch and valid:
        sketches = Sketches([record.varying[:SKETCH_CHARS] for record in valid])
    return Facts(
        records,
        invalid,
        empty,
        formats,
        problems,
        numbers,
        exact_keys([record.text for record in valid]) if valid else [],
        [estimate_tokens(record.text, record.messages) for record in valid],
        sketches,
    )


_TOO_LONG = f"line longer than {MAX_LINE_BYTES >> 20} MiB"


class _Row(NamedTuple):
    """A valid record of the batch in hand, waiting for its near-duplicate search."""

    number: int
    tokens: int
    duplicate: bool  # an exact duplicate: looked up in the held-out set only
    checked: bool  # searched for near-duplicates (within NEAR_LIMIT)
    sketch: int  # its row in the batch's sketches, or -1


class Measure:
    """One streaming pass over a training set (and the held-out set it is compared with), a
    batch of lines at a time: what each batch says by itself (`batch_facts`: parsing, exact
    keys, tokens, sketches; on both cores for a large file), then, batch after batch in line
    order, what depends on the records before it (duplicates, the near-duplicate index, the
    held-out set's lookups), so the result is the one a record-by-record pass gives."""

    def __init__(self, path: str, *, near: bool = True, index: bool = False) -> None:
        self.stats = DatasetStats(path)
        self.seen: set[int] = set()
        self.near = NearIndex() if near else None
        self.held_out: _HeldOut | None = None
        self.keys: dict[int, list[int]] | None = {} if index else None  # a held-out set's lookups

    def sketching(self) -> bool:
        """Whether the next batch needs sketches: while records are still searched for
        near-duplicates, or looked up in a held-out set. Asked when the batch is handed out,
        maybe before the batches ahead of it are added: it can only err towards sketching."""
        held = self.held_out
        if held is not None and held.near is not None:
            return True
        return self.near is not None and self.stats.near_checked < NEAR_LIMIT

    def add(self, facts: Facts) -> None:
        """Add what the next batch says (see `batch_facts`), comparing its records with those
        before them."""
        stats, seen, keys, held = self.stats, self.seen, self.keys, self.held_out
        stats.records += facts.records
        stats.invalid += facts.invalid
        stats.empty_outputs += facts.empty_outputs
        for kind, count in facts.formats.items():
            stats.formats[kind] = stats.formats.get(kind, 0) + count
        for number, message in facts.problems[: max(0, SHOWN - len(stats.problems))]:
            stats.problems.append(Problem(stats.path, message, number))
        if not facts.numbers:
            return
        searching = self.near is not None
        held_near = held is not None and held.near is not None
        rows: list[_Row] = []
        for at, (number, key, tokens) in enumerate(
            zip(facts.numbers, facts.keys, facts.tokens, strict=True)
        ):
            stats.valid += 1
            if keys is not None and stats.valid <= HELD_OUT_LIMIT:
                keys.setdefault(key, []).append(number)  # every copy in the held-out set
            if held is not None:
                for found in held.keys.get(key, ()):
                    if held.matched.get(found, (0, ""))[1] != "exact":  # exact wins over near
                        held.matched[found] = (number, "exact")
            duplicate = key in seen
            checked = False
            if duplicate:
                stats.duplicates += 1
                if not held_near:
                    continue
            else:
                if len(seen) < MAX_DISTINCT:
                    seen.add(key)
                else:
                    stats.capped = True
                if searching and stats.near_checked < NEAR_LIMIT:
                    stats.near_checked += 1
                    checked = True
            sketch = at if checked or held_near else -1
            if sketch >= 0 and facts.sketches is None:  # `sketching` said no: it cannot be
                raise RuntimeError(f"line {number} needs a sketch its batch was not given")
            rows.append(_Row(number, tokens, duplicate, checked, sketch))
        if rows:
            self._settle(rows, facts.sketches, facts.numbers)

    def _settle(self, rows: list[_Row], sketches: Sketches | None, numbers: list[int]) -> None:
        """Near-duplicates (of held-out records, and among the training records) and the
        tokens of the batch's valid records, in line order (`numbers`: each sketch row's
        line)."""
        import numpy as np

        held = self.held_out
        held_near = held.near if held is not None else None
        near, stats = self.near, self.stats
        from_held: dict[int, list[int]] = {}
        from_index: dict[int, list[int]] = {}
        in_batch: dict[int, list[int]] = {}
        if sketches is not None:
            ok = sketches.ok
            if held_near is not None:
                sketched = np.array([row.sketch for row in rows], dtype=np.intp)
                from_held = held_near.lookup(sketches, sketched[ok[sketched]])
            searched = [row.sketch for row in rows if row.checked and ok[row.sketch]]
            if near is not None and searched:
                from_index = near.lookup(sketches, np.array(searched))
                in_batch = batch_pairs(sketches, searched)
        added: list[int] = []  # sketch rows this batch indexes, in line order
        indexed: set[int] = set()
        unique: list[_Row] = []
        for row in rows:
            at = row.sketch
            if held_near is not None and held is not None and sketches is not None and at >= 0:
                slots = from_held.get(at)
                if slots:
                    mine = sketches.kept(at)
                    confirmed = 0
                    for slot in slots:
                        if jaccard(held_near.kept(slot), mine) >= NEAR_THRESHOLD:
                            confirmed += 1
                            line = held_near.lines[slot]
                            held.matched.setdefault(line, (row.number, "near-duplicate"))
                    if confirmed >= CANDIDATE_LIMIT:
                        held.capped = True
            if row.duplicate:
                continue
            if row.checked and near is not None and sketches is not None and sketches.ok[at]:
                earlier = [other for other in in_batch.get(at, ()) if other in indexed]
                like = most_similar(sketches, at, near, from_index.get(at, ()), earlier, numbers)
                if self.keys is not None or like is None:  # a held-out set indexes them all
                    added.append(at)
                    indexed.add(at)
                if like is not None:
                    stats.near_duplicates += 1
                    if len(stats.near_pairs) < SHOWN:
                        stats.near_pairs.append((row.number, like))
                    continue
            unique.append(row)
        if added and near is not None and sketches is not None:
            near.add([numbers[at] for at in added], sketches, added)
        if unique:
            self._count_unique(unique)

    def _count_unique(self, rows: list[_Row]) -> None:
        """Count the batch's unique records and their tokens."""
        stats = self.stats
        tokens = [row.tokens for row in rows]
        stats.unique += len(rows)
        stats.tokens += sum(tokens)
        most = max(tokens)
        if most > stats.max_tokens:  # the first line of the most tokens
            stats.max_tokens, stats.longest_line = most, rows[tokens.index(most)].number
        log2 = math.log2
        buckets = collections.Counter([int(log2(t) * 16) if t > 0 else 0 for t in tokens])
        for bucket, count in buckets.items():
            stats.histogram[bucket] = stats.histogram.get(bucket, 0) + count
        if most > OVER_LENGTH_TOKENS:
            over = [row.number for row in rows if row.tokens > OVER_LENGTH_TOKENS]
            stats.over_length += len(over)
            stats.over_length_lines += over[: max(0, SHOWN - len(stats.over_length_lines))]

    def finish(self) -> DatasetStats:
        held = self.held_out
        if held is not None:
            overlap = Overlap(held.stats.valid, capped=held.capped)
            for line in sorted(held.matched):
                train, kind = held.matched[line]
                if kind == "exact":
                    overlap.exact += 1
                else:
                    overlap.near += 1
                if len(overlap.pairs) < SHOWN:
                    overlap.pairs.append((line, train, kind))
            self.stats.overlap = overlap
        return self.stats


def _parse(raw: bytes) -> Record | str:
    """The record a line holds, or why it holds none."""
    if _too_deep(raw):
        return "nested too deeply"
    try:
        # json.loads of bytes, but strict where it lets encoded surrogates (\xed\xa0\x80) through
        if raw[0] in _NOT_PLAIN_UTF8 or raw[1:2] == b"\x00":  # a byte-order mark, UTF-16/32
            data = _decode(raw.decode(json.detect_encoding(raw)))
        else:
            data = _decode(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "not UTF-8"
    except RecursionError:
        return "nested too deeply"
    except ValueError as exc:
        return f"not valid JSON ({str(exc).split(':')[0]})"
    try:
        record = classify(data)
    except Invalid as exc:
        return str(exc)
    except RecursionError:
        return "nested too deeply"
    if (b"\\ud" in raw or b"\\uD" in raw) and _has_lone_surrogate(record.text):
        return "text holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)"
    return record


# Arrays and objects one inside another: no training record comes near. The JSON parser's own
# limit depends on how deep its caller already is (a forked worker's stack differs from one
# process's, so a line at 975 levels was valid in one and invalid in the other); this one does
# not.
MAX_NESTING = 200
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def _too_deep(raw: bytes) -> bool:
    """Whether a line's arrays and objects nest deeper than MAX_NESTING (decided before
    parsing: only a line with that many brackets is measured, strings left out)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_NESTING:
        return False
    import numpy as np

    octets = np.frombuffer(_STRING.sub(b"", raw), dtype=np.uint8)
    steps = np.zeros(len(octets), dtype=np.int64)
    steps[(octets == 0x5B) | (octets == 0x7B)] = 1  # [ {
    steps[(octets == 0x5D) | (octets == 0x7D)] = -1  # ] }
    return bool(len(steps)) and int(np.cumsum(steps).max()) > MAX_NESTING


_NOT_PLAIN_UTF8 = frozenset({0x00, 0xEF, 0xFE, 0xFF})  # first bytes json.detect_encoding weighs


def _reuse_freed_memory() -> None:
    """Keep freed memory for the next batch instead of handing it back to the system at once.

    glibc trims its heap and maps big blocks afresh by default, so every batch's numpy
    temporaries page-faulted anew: ~420,000 minor faults and 1.0 s of system time on 100 MB
    (0.1 s with these settings, the peak unchanged). Linux with glibc only; elsewhere nothing."""
    import sys

    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: free memory kept before trimming
    mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD: smaller blocks come from the heap


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _blocks(
    handle: BinaryIO, what: str, path: str, seconds: float | None, max_bytes: int
) -> Iterator[Block]:
    deadline = Deadline(path, what, seconds) if seconds else None
    for block in iter_blocks(handle, MAX_LINE_BYTES, BATCH_BYTES, deadline):
        if block.offset + (len(block.data) if block.data is not None else 0) > max_bytes:
            raise InputError(
                Problem(path, f"{what} is larger than {max_bytes >> 30} GiB; refusing to read on")
            )
        yield block


class _Changed(Exception):
    """A worker found the file other than the parent had read it."""


def _read_facts(descriptor: int, task: tuple[int, int, bytes | int | None, bool, int]) -> Facts:
    """`batch_facts` of a task whose lines may still be in the file: (first line, offset, the
    lines, their length to read there, or None for an over-long line; whether to sketch; the
    block's last byte, to tell a file changed since the parent read it)."""
    first, offset, data, sketch, last = task
    if isinstance(data, int):
        length, data = data, os.pread(descriptor, data, offset)
        if len(data) != length or data[-1] != last:  # truncated or rewritten meanwhile
            raise _Changed(offset)
    return batch_facts(first, data, sketch)


def _shared_from(handle: BinaryIO) -> int | None:
    """Where the unread part of `handle` starts in its file, if other processes can read it
    there (os.pread); None for a pipe, or a file that refuses pread (some FUSE files)."""
    try:
        start = os.lseek(handle.fileno(), 0, os.SEEK_CUR)
        os.pread(handle.fileno(), 1, start)
    except (OSError, ValueError):
        return None
    return start


def _open(path: Path, what: str, max_bytes: int) -> BinaryIO:
    handle = open_regular(path, what)
    size = os.fstat(handle.fileno()).st_size
    if size > max_bytes:
        handle.close()
        raise InputError(
            Problem(str(path), f"{what} is {size >> 20} MiB, over the {max_bytes >> 30} GiB bound")
        )
    return handle


def _run(
    measure: Measure,
    source: Path | BinaryIO,
    what: str,
    progress: Callable[[int, int], None] | None,
    seconds: float | None,
    max_bytes: int,
) -> None:
    if isinstance(source, Path):
        handle = _open(source, what, max_bytes)
        name = str(source)
    else:
        handle, name, seconds = source, "-", None  # a pipe the user chose: no deadline
    try:
        size = os.fstat(handle.fileno()).st_size if isinstance(source, Path) else 0
        # A file other processes can read where its unread part starts (stdin may be a file
        # partly read already), large enough to pay for the workers.
        start = _shared_from(handle) if size >= PARALLEL_BYTES else None
        workers = cores(start is not None and size - start >= PARALLEL_BYTES)
        blocks = _blocks(handle, what, name, seconds, max_bytes)
        # A task asks `sketching` as it is handed out (a generator), so never too late.
        found: Iterator[Facts]
        if workers > 1 and start is not None:
            from tunewise.forked import ordered_map

            # Workers read their lines from the file themselves: only a block's place crosses.
            tasks = (
                (
                    b.first,
                    start + b.offset,
                    len(b.data) if b.data else b.data,
                    measure.sketching(),
                    b.data[-1] if b.data else 0,
                )
                for b in blocks
            )
            found = ordered_map(functools.partial(_read_facts, handle.fileno()), tasks, workers)
        else:
            found = (batch_facts(b.first, b.data, measure.sketching()) for b in blocks)
        for facts in found:
            measure.add(facts)
            if progress is not None and size:
                progress(handle.tell(), size)
    except OSError as exc:
        raise InputError(Problem(name, f"cannot read {what}: {exc.strerror or exc}")) from None
    except _Changed:
        message = f"the {what} changed while it was read (truncated or rewritten): read it again"
        raise InputError(Problem(name, message)) from None
    finally:
        if isinstance(source, Path):
            handle.close()


def measure(
    source: Path | BinaryIO,
    progress: Callable[[int, int], None] | None = None,
    *,
    against: Path | None = None,
    seconds: float | None = DEFAULT_SECONDS,
    max_bytes: int = MAX_DATASET_BYTES,
    label: str | None = None,
) -> DatasetStats:
    """Measure a training set (a path, or an open binary stream such as stdin); with
    `against`, measure that held-out set first and report the records the two share."""
    name = label or (str(source) if isinstance(source, Path) else "-")
    _reuse_freed_memory()
    held: _HeldOut | None = None
    if against is not None:
        index = Measure(str(against), index=True)
        _run(index, against, "held-out set", None, seconds, max_bytes)
        held = _HeldOut(index.finish(), index.keys or {}, index.near)
    pass_ = Measure(name)
    pass_.held_out = held
    _run(pass_, source, "dataset", progress, seconds, max_bytes)
    stats = pass_.finish()
    if held is not None:
        stats.held_out = held.stats
    return stats
