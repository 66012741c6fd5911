"""Measure a JSONL training set in one streaming pass: formats, valid, unique, near-duplicates,
tokens, and, given a held-out set, the records the two share.

Bounded whatever the file: a line over 16 MiB is skipped, a file over MAX_DATASET_BYTES is
refused, a read over the deadline stops; exact duplicates are judged against at most
MAX_DISTINCT distinct records (~80 bytes each), near-duplicates among the first NEAR_LIMIT, and a
held-out set is indexed up to HELD_OUT_LIMIT records. See README "Evidence" for the bound."""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from tunewise.errors import InputError
from tunewise.evidence.formats import Invalid, Record, classify, estimate_tokens, normalise
from tunewise.inputs.safeio import Deadline, iter_lines, open_regular
from tunewise.problems import Problem

MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_DATASET_BYTES = 8 * 1024**3
DEFAULT_SECONDS = 120.0
MAX_DISTINCT = 2_000_000  # exact-duplicate keys kept: ~80 bytes each, ~152 MiB at most
NEAR_LIMIT = 50_000  # records indexed for near-duplicates: ~6.5 KiB each, ~330 MiB at most
HELD_OUT_LIMIT = 200_000  # held-out records indexed for overlap
SHOWN = 5
OVER_LENGTH_TOKENS = 8192  # an example longer than this is reported (common context limits)
DUPLICATE_RATE_HIGH = 0.10  # above: `data_quality: high` is contradicted
INVALID_RATE_HIGH = 0.05
NEAR_THRESHOLD = 0.8  # Jaccard similarity of word 3-grams that makes two records near-duplicates
NUM_PERM = 96
CANDIDATE_THRESHOLD = 0.6  # the LSH's: candidates it proposes are confirmed exactly
SHINGLE = 3
MIN_WORDS = 8  # shorter records are compared exactly only
KEEP_SHINGLES = 512  # distinct 3-gram hashes kept a record (bottom-k): Jaccard exact below it


@dataclass
class Overlap:
    """Held-out records also in the training set (exact after normalising, or near)."""

    held_out: int  # valid held-out records compared
    exact: int = 0
    near: int = 0
    pairs: list[tuple[int, int, str]] = field(default_factory=list)  # (held-out, train, kind)

    @property
    def count(self) -> int:
        return self.exact + self.near

    def as_dict(self) -> dict[str, Any]:
        return {
            "held_out": self.held_out,
            "shared": self.count,
            "exact": self.exact,
            "near": self.near,
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
    problems: list[tuple[int, str]] = field(default_factory=list)
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
            "problems": [{"line": line, "message": text} for line, text in self.problems],
            "near_duplicate_pairs": [{"line": a, "like_line": b} for a, b in self.near_pairs],
        }
        if self.overlap is not None:
            out["overlap"] = self.overlap.as_dict()
        if self.held_out is not None:
            out["held_out"] = self.held_out.as_dict(epochs)
        return out


class _Near:
    """Near-duplicate search with datasketch's MinHash LSH (imported only when used).

    Deterministic whatever PYTHONHASHSEED: words are hashed with CRC-32, never Python's salted
    hash(). The LSH only proposes candidates (at CANDIDATE_THRESHOLD: a pair at NEAR_THRESHOLD
    is missed with probability ~8e-3, at 0.85 ~5e-4;
    lower floods it with candidates on templated records); each is confirmed with the exact Jaccard
    of the two records' 3-gram sets. One MinHash object is refilled for every record (building
    one per record costs more than hashing it)."""

    def __init__(self) -> None:
        from datasketch import MinHash, MinHashLSH

        self.minhash = MinHash(num_perm=NUM_PERM, seed=7, hashfunc=int)
        self.lsh = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=NUM_PERM)
        self.shingles: dict[int, Any] = {}  # indexed line -> its sorted distinct 3-gram hashes

    def sketch(self, text: str) -> Any:
        """The record's 3-gram hashes and MinHash values, or None for a short record. The
        3-grams are hashed with numpy from per-word CRC-32s; a record with more than
        KEEP_SHINGLES distinct 3-grams keeps the smallest (a deterministic bottom-k sample), so
        a long record costs little more than a short one."""
        import numpy as np

        words = text.casefold().split()
        if len(words) < MIN_WORDS:
            return None  # too short to be "nearly" anything: exact duplicates cover it
        encoded = (zlib.crc32(word.encode("utf-8", "surrogatepass")) for word in words)
        hashes = np.fromiter(encoded, dtype=np.uint64, count=len(words))
        hashes = hashes[:-2] * np.uint64(_K1) + hashes[1:-1] * np.uint64(_K2) + hashes[2:]
        folded = (hashes ^ (hashes >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
        kept = np.unique(folded.astype(np.uint32))[:KEEP_SHINGLES]  # sorted: the bottom-k
        self.minhash.clear()
        self.minhash.update_batch(kept.tolist())
        return kept, self.minhash.hashvalues.copy()

    def find_all(self, sketch: Any) -> list[int]:
        """The lines of indexed records at least NEAR_THRESHOLD similar, most similar first."""
        kept, values = sketch
        self.minhash.hashvalues = values
        found = []
        for line in self.lsh.query(self.minhash):
            similarity = _jaccard(self.shingles[line], kept)
            if similarity >= NEAR_THRESHOLD:
                found.append((-similarity, int(line)))
        return [line for _, line in sorted(found)]

    def find(self, sketch: Any) -> int | None:
        """The line of the most similar indexed record at least NEAR_THRESHOLD similar."""
        found = self.find_all(sketch)
        return found[0] if found else None

    def add(self, line: int, sketch: Any) -> None:
        kept, values = sketch
        self.shingles[line] = kept
        self.minhash.hashvalues = values
        self.lsh.insert(line, self.minhash, check_duplication=False)


def _jaccard(first: Any, second: Any) -> float:
    """Jaccard similarity of two sorted distinct 3-gram samples: exact when neither record was
    cut to KEEP_SHINGLES, else the bottom-k estimate over the smallest of their union."""
    import numpy as np

    if len(first) < KEEP_SHINGLES and len(second) < KEEP_SHINGLES:
        both = len(np.intersect1d(first, second, assume_unique=True))
        return both / (len(first) + len(second) - both)
    union = np.union1d(first, second)[:KEEP_SHINGLES]
    shared = np.intersect1d(first, second, assume_unique=True)
    return len(np.intersect1d(union, shared, assume_unique=True)) / len(union)


_K1, _K2 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F  # odd multipliers: word order matters


@dataclass
class _HeldOut:
    """The held-out set, indexed for the training pass to look records up in."""

    stats: DatasetStats
    keys: dict[int, list[int]]  # normalised text hash -> held-out lines
    near: _Near | None
    matched: dict[int, tuple[int, str]] = field(
        default_factory=dict
    )  # held-out line -> (train, kind)


class Measure:
    """One streaming pass over a training set (and the held-out set it is compared with)."""

    def __init__(self, path: str, *, near: bool = True, index: bool = False) -> None:
        self.stats = DatasetStats(path)
        self.seen: set[int] = set()
        self.near = _Near() if near else None
        self.held_out: _HeldOut | None = None
        self.keys: dict[int, list[int]] | None = {} if index else None  # a held-out set's lookups

    def line(self, number: int, raw: bytes | None) -> None:
        stats = self.stats
        if raw is None:
            stats.records += 1
            self._problem(number, f"line longer than {MAX_LINE_BYTES >> 20} MiB")
            return
        if not raw.strip():
            return
        stats.records += 1
        record = self._parse(number, raw)
        if record is None:
            return
        stats.formats[record.kind] = stats.formats.get(record.kind, 0) + 1
        if not record.output.strip():
            stats.empty_outputs += 1
            if len(stats.problems) < SHOWN:
                stats.problems.append((number, "empty output"))
            return
        stats.valid += 1
        key = hash(normalise(record.text))
        if self.keys is not None and stats.valid <= HELD_OUT_LIMIT:
            self.keys.setdefault(key, []).append(number)  # every copy in the held-out set
        held = self.held_out
        sketch = None
        if held is not None:
            sketch = self._compare(held, number, key, record)
        if key in self.seen:
            stats.duplicates += 1
            return
        if len(self.seen) < MAX_DISTINCT:
            self.seen.add(key)
        else:
            stats.capped = True
        if self.near is not None and stats.near_checked < NEAR_LIMIT:
            stats.near_checked += 1
            if sketch is None:
                sketch = self.near.sketch(record.varying)
            if sketch is not None:
                like = self.near.find(sketch)
                if self.keys is not None:
                    self.near.add(number, sketch)  # a held-out set: every record is looked up
                if like is not None:
                    stats.near_duplicates += 1
                    if len(stats.near_pairs) < SHOWN:
                        stats.near_pairs.append((number, like))
                    return
                if self.keys is None:
                    self.near.add(number, sketch)
        stats.unique += 1
        tokens = estimate_tokens(record.text, record.messages)
        stats.tokens += tokens
        if tokens > stats.max_tokens:
            stats.max_tokens, stats.longest_line = tokens, number
        bucket = int(math.log2(tokens) * 16) if tokens > 0 else 0
        stats.histogram[bucket] = stats.histogram.get(bucket, 0) + 1
        if tokens > OVER_LENGTH_TOKENS:
            stats.over_length += 1
            if len(stats.over_length_lines) < SHOWN:
                stats.over_length_lines.append(number)

    def _parse(self, number: int, raw: bytes) -> Record | None:
        import json

        try:
            data = json.loads(raw)
        except UnicodeDecodeError:
            self._problem(number, "not UTF-8")
            return None
        except (ValueError, RecursionError) as exc:
            self._problem(number, f"not valid JSON ({str(exc).split(':')[0]})")
            return None
        try:
            record = classify(data)
        except Invalid as exc:
            self._problem(number, str(exc))
            return None
        except RecursionError:
            self._problem(number, "nested too deeply")
            return None
        if (b"\\ud" in raw or b"\\uD" in raw) and _has_lone_surrogate(record.text):
            self._problem(
                number, "text holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff)"
            )
            return None
        return record

    def _compare(self, held: _HeldOut, number: int, key: int, record: Record) -> Any:
        """Mark every held-out record this training record copies (exact) or nearly copies."""
        for found in held.keys.get(key, ()):
            if held.matched.get(found, (0, ""))[1] != "exact":  # exact wins over near
                held.matched[found] = (number, "exact")
        if held.near is None:
            return None
        sketch = held.near.sketch(record.varying)
        for like in held.near.find_all(sketch) if sketch is not None else ():
            held.matched.setdefault(like, (number, "near-duplicate"))
        return sketch

    def _problem(self, number: int, message: str) -> None:
        self.stats.invalid += 1
        if len(self.stats.problems) < SHOWN:
            self.stats.problems.append((number, message))

    def finish(self) -> DatasetStats:
        held = self.held_out
        if held is not None:
            overlap = Overlap(held.stats.valid)
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


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _lines(
    handle: BinaryIO, what: str, path: str, seconds: float | None, max_bytes: int
) -> Iterator[tuple[int, bytes | None]]:
    deadline = Deadline(path, what, seconds) if seconds else None
    read = 0
    for number, raw in iter_lines(handle, MAX_LINE_BYTES, deadline):
        read += len(raw) if raw is not None else MAX_LINE_BYTES
        if read > max_bytes:
            raise InputError(
                Problem(path, f"{what} is larger than {max_bytes >> 30} GiB; refusing to read on")
            )
        yield number, raw


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
        for number, raw in _lines(handle, what, name, seconds, max_bytes):
            measure.line(number, raw)
            if progress is not None and number % 4096 == 0 and size:
                progress(handle.tell(), size)
    except OSError as exc:
        raise InputError(Problem(name, f"cannot read {what}: {exc.strerror or exc}")) from None
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
