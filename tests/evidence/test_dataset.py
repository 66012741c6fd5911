"""Dataset inspection: formats, validity, duplicates, empty outputs, streaming, the CLI."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from tunewise.evidence.dataset import measure


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_recognised_formats_and_counts(tmp_path: Path) -> None:
    rows = [
        json.dumps({"instruction": "i", "input": "x", "output": "o"}),
        json.dumps({"prompt": "p", "completion": "c"}),
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "s"},
                    {"role": "user", "content": "u"},
                    {"role": "assistant", "content": "a"},
                ]
            }
        ),
        json.dumps({"prompt": "p", "completion": "c"}),  # exact duplicate
        json.dumps({"prompt": "p2", "completion": "  "}),  # empty output
        "not json",
        json.dumps([1]),
        json.dumps({"text": "x"}),
        json.dumps({"messages": [{"role": "user", "content": "only"}]}),
        "",
    ]
    stats = measure(write(tmp_path / "d.jsonl", rows))
    assert (stats.records, stats.valid, stats.unique, stats.duplicates) == (9, 5, 4, 1)
    assert (stats.empty_outputs, stats.invalid) == (1, 3)
    assert stats.formats == {"instruction": 1, "prompt-completion": 3, "chat": 1, "text": 1}
    assert [problem.line for problem in stats.problems] == [5, 6, 7, 9]
    assert {problem.file for problem in stats.problems} == {stats.path}
    assert (stats.train, stats.validation) == (3, 1)


def test_key_order_does_not_hide_duplicates(tmp_path: Path) -> None:
    rows = ['{"prompt": "a", "completion": "b"}', '{"completion": "b", "prompt": "a"}']
    assert measure(write(tmp_path / "d.jsonl", rows)).unique == 1


def test_large_file_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for i in range(50_000):
            handle.write(json.dumps({"prompt": f"q{i % 40_000}", "completion": "a"}) + "\n")
    stats = measure(path)
    assert (stats.valid, stats.unique, stats.duplicates) == (50_000, 40_000, 10_000)


def test_data_command(tmp_path: Path) -> None:
    path = write(tmp_path / "d.jsonl", [json.dumps({"prompt": "p", "completion": "c"})] * 3)
    text = run_cli("data", str(path))
    assert text.code == 0 and "unique         1  (exact duplicates: 2;" in text.out
    data = json.loads(run_cli("data", str(path), "--format", "json").out)
    assert data["unique"] == 1 and data["split"] == {"train": 0, "validation": 1}
    missing = run_cli("data", str(tmp_path / "nope.jsonl"))
    assert missing.code == 3 and "dataset not found" in missing.err


def _chat(user: str, answer: str, **extra: object) -> str:
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": messages, **extra})


def test_duplicates_are_judged_on_training_fields_normalised(tmp_path: Path) -> None:
    # 600 copies differing only in an `id` key (and in case and spacing) are one record.
    rows = [
        _chat("Cite  Roe", "Roe v. Wade" if i % 2 else "ROE v.  wade", id=i) for i in range(600)
    ]
    stats = measure(write(tmp_path / "d.jsonl", rows))
    assert (stats.valid, stats.unique, stats.duplicates) == (600, 1, 599)


def test_near_duplicates_are_found(tmp_path: Path) -> None:
    base = " ".join(f"word{i}" for i in range(60))
    rows = [_chat("q", base), _chat("q", base + " extra"), _chat("other", "entirely different")]
    stats = measure(write(tmp_path / "d.jsonl", rows))
    assert (stats.unique, stats.near_duplicates, stats.near_pairs) == (2, 1, [(2, 1)])


def test_lone_surrogate_is_an_invalid_line(tmp_path: Path) -> None:
    rows = ['{"prompt": "a\\ud800", "completion": "b"}', _chat("q", "a")]
    stats = measure(write(tmp_path / "d.jsonl", rows))
    assert stats.invalid == 1 and "surrogate" in stats.problems[0].message


def test_tokens_and_over_length(tmp_path: Path) -> None:
    rows = [_chat("q", "x" * 400), _chat("q", "y" * 40_000)]
    stats = measure(write(tmp_path / "d.jsonl", rows))
    assert stats.max_tokens > 10_000 and stats.longest_line == 2
    assert stats.over_length == 1 and stats.over_length_lines == [2]
    assert stats.training_tokens(3) == stats.tokens * 3


def test_against_reports_exact_and_near_overlap(tmp_path: Path) -> None:
    def long(i: int) -> str:
        return " ".join(f"t{i}w{j}" for j in range(80))

    train = write(
        tmp_path / "train.jsonl",
        [_chat(f"question {i}", f"answer {i} {long(i)}") for i in range(20)],
    )
    held = write(
        tmp_path / "eval.jsonl",
        [
            _chat("Question  3", "ANSWER 3 " + long(3)),  # exact after normalising
            _chat("question 5", f"answer 5 {long(5)} more"),  # near-duplicate
            _chat("new", "unrelated text here"),
        ],
    )
    stats = measure(train, against=held)
    assert stats.overlap is not None
    assert (stats.overlap.held_out, stats.overlap.exact, stats.overlap.near) == (3, 1, 1)
    assert stats.overlap.pairs[0] == (1, 4, "exact")


def test_data_cli_strict_stdin_and_all_invalid(tmp_path: Path) -> None:
    good = write(tmp_path / "good.jsonl", [_chat("q", "a"), _chat("q2", "b")])
    assert run_cli("data", str(good), "--strict").code == 0
    dup = write(tmp_path / "dup.jsonl", [_chat("q", "a")] * 2)
    assert run_cli("data", str(dup), "--strict").code == 1
    bad = write(tmp_path / "bad.jsonl", ["nope", "{}"])
    assert run_cli("data", str(bad)).code == 3
    piped = run_cli("data", "-", "--format", "json", stdin=_chat("q", "a") + "\n")
    assert piped.code == 0 and json.loads(piped.out)["valid"] == 1
    against = run_cli("data", str(dup), "--against", str(good))
    assert "1 of 2 held-out records are also in the training set" in against.out


def test_devices_and_fifos_are_refused_fast(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        result = run_cli("data", str(path))
        assert result.code == 3 and "expected a" in result.err


def test_memory_caps_are_reported(tmp_path: Path, monkeypatch: object) -> None:
    import tunewise.evidence.dataset as evidence

    setattr_ = monkeypatch.setattr  # type: ignore[attr-defined]
    setattr_(evidence, "MAX_DISTINCT", 10)
    setattr_(evidence, "NEAR_LIMIT", 5)
    rows = [_chat(f"q{i}", " ".join(f"w{i}x{j}" for j in range(12))) for i in range(30)]
    stats = measure(write(tmp_path / "d.jsonl", rows))
    assert stats.capped and stats.near_checked == 5 and stats.unique == 30
    assert "duplicates a lower bound" in run_cli("data", str(tmp_path / "d.jsonl")).out


def test_exact_overlap_ignores_case_repeated_and_end_whitespace(tmp_path: Path) -> None:
    # Issue 14: a copy differing only in case, repeated spaces and spaces at both ends of the
    # reply (and of other fields) is an exact overlap, not a near-duplicate.
    reply = " ".join(f"word{j}" for j in range(40))
    train = write(
        tmp_path / "train.jsonl",
        [
            _chat("What is  the plan?", reply),
            json.dumps({"instruction": "Sum it", "input": "1 2", "output": reply}),
        ],
    )
    held = write(
        tmp_path / "eval.jsonl",
        [
            _chat("  what is the PLAN? ", "   " + reply.upper().replace(" ", "   ") + "  \n"),
            json.dumps({"instruction": " sum IT ", "input": "1  2\t", "output": f" {reply} "}),
        ],
    )
    stats = measure(train, against=held)
    assert stats.overlap is not None
    assert (stats.overlap.exact, stats.overlap.near) == (2, 0)
    # Fields stay apart: moving a word across a field boundary is not the same record.
    moved = write(tmp_path / "moved.jsonl", [_chat("What is the", "plan? " + reply)])
    stats = measure(train, against=moved)
    assert stats.overlap is not None and stats.overlap.exact == 0


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _planted(tmp_path: Path, planted: int = 18) -> tuple[Path, Path, int]:
    """A training set and a 200-record held-out set with `planted` near copies (one word
    changed: 3-gram Jaccard 0.85-0.9), 4 exact copies and 10 decoys (Jaccard ~0.6); the
    held-out records at Jaccard >= 0.8 with a training record, counted by brute force."""
    rng = random.Random(14)
    vocabulary = [f"w{n}" for n in range(3000)]
    train = [rng.choices(vocabulary, k=rng.randint(40, 60)) for _ in range(300)]
    held = [rng.choices(vocabulary, k=50) for _ in range(200 - planted - 14)]
    for index in range(planted):
        copy = list(train[index * 7])
        copy[len(copy) // 2] = f"changed{index}"
        held.append(copy)
    held += [list(train[index * 11 + 1]) for index in range(4)]
    for index in range(10):
        decoy = list(train[index * 13 + 2])
        for at in (8, 18, 28, 38):
            decoy[at] = f"decoy{index}x{at}"
        held.append(decoy)
    rng.shuffle(held)
    expected = sum(
        any(
            len(_shingles(h) & _shingles(t)) / len(_shingles(h) | _shingles(t)) >= 0.8
            for t in train
        )
        for h in held
    )

    def rows(records: list[list[str]]) -> list[str]:
        return [_chat(" ".join(r[:5]), " ".join(r[5:])) for r in records]

    return (
        write(tmp_path / "train.jsonl", rows(train)),
        write(tmp_path / "eval.jsonl", rows(held)),
        expected,
    )


def test_overlap_is_identical_under_any_hash_seed_and_finds_every_planted_copy(
    tmp_path: Path,
) -> None:
    # Issue 14: salted hash() made the overlap differ run to run (18 / 13 / 17 planted copies
    # found) and flip the gate; now every seed gives the same, complete answer.
    train, held, expected = _planted(tmp_path)
    assert expected == 18 + 4  # the planted near copies and exact copies, no decoy
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from tunewise.evidence.dataset import measure\n"
        "stats = measure(Path(sys.argv[1]), against=Path(sys.argv[2]))\n"
        "print(json.dumps([stats.overlap.as_dict(), stats.near_duplicates]))\n"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(train), str(held)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1, outputs
    overlap, _ = json.loads(outputs.pop())
    assert (overlap["exact"], overlap["near"]) == (4, 18)


# --- Batching (issue 14, performance): a batch at a time must give what one record at a time
# gives. The reference below is the definition, written plainly: exact duplicates on
# formats.normalise, near-duplicates by brute force over the real word 3-gram sets.


def _reference(path: Path, against: Path | None = None) -> dict[str, Any]:
    from tunewise.evidence.formats import Invalid, classify, estimate_tokens, normalise

    def parsed(file: Path) -> list[tuple[int, Any]]:
        """(line, record or None for an invalid line) for each non-blank line."""
        pieces = file.read_bytes().split(b"\n")
        if pieces and pieces[-1] == b"":
            pieces.pop()
        out: list[tuple[int, Any]] = []
        for number, raw in enumerate(pieces, 1):
            if not raw.strip():
                continue
            try:
                record = classify(json.loads(raw))
            except (ValueError, Invalid, RecursionError):
                out.append((number, None))
                continue
            out.append((number, "empty" if not record.output.strip() else record))
        return out

    def grams(record: Any) -> set[tuple[str, ...]] | None:
        words = record.varying.casefold().split()
        return _shingles(words) if len(words) >= 8 else None

    def jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
        return len(a & b) / len(a | b)

    def most_similar(mine: set[Any], index: list[tuple[int, set[Any]]]) -> int | None:
        found = [(-jaccard(theirs, mine), line) for line, theirs in index]
        found = [f for f in found if -f[0] >= 0.8]
        return min(found)[1] if found else None

    held_keys: dict[str, list[int]] = {}
    held_index: list[tuple[int, set[Any]]] = []
    if against is not None:
        seen_held: set[str] = set()
        for number, record in parsed(against):
            if record is None or record == "empty":
                continue
            key = normalise(record.text)
            held_keys.setdefault(key, []).append(number)
            if key in seen_held:
                continue
            seen_held.add(key)
            sketch = grams(record)
            if sketch is not None:
                held_index.append((number, sketch))
    out: dict[str, Any] = {"records": 0, "valid": 0, "unique": 0, "duplicates": 0, "near": 0}
    out.update(invalid=0, empty=0, pairs=[], tokens=0)
    matched: dict[int, tuple[int, str]] = {}
    seen: set[str] = set()
    index: list[tuple[int, set[Any]]] = []
    for number, record in parsed(path):
        out["records"] += 1
        if record is None or record == "empty":
            out["invalid" if record is None else "empty"] += 1
            continue
        out["valid"] += 1
        key = normalise(record.text)
        for found in held_keys.get(key, ()):
            if matched.get(found, (0, ""))[1] != "exact":
                matched[found] = (number, "exact")
        sketch = grams(record)
        if sketch is not None:
            for line, theirs in held_index:
                if jaccard(theirs, sketch) >= 0.8:
                    matched.setdefault(line, (number, "near-duplicate"))
        if key in seen:
            out["duplicates"] += 1
            continue
        seen.add(key)
        if sketch is not None:
            like = most_similar(sketch, index)
            if like is not None:
                out["near"] += 1
                out["pairs"].append((number, like))
                continue
            index.append((number, sketch))
        out["unique"] += 1
        out["tokens"] += estimate_tokens(record.text, record.messages)
    out["pairs"] = out["pairs"][:5]
    out["overlap"] = sorted(matched.items())
    return out


def _measured(path: Path, against: Path | None = None) -> dict[str, Any]:
    stats = measure(path, against=against)
    overlap = stats.overlap
    return {
        "records": stats.records,
        "valid": stats.valid,
        "unique": stats.unique,
        "duplicates": stats.duplicates,
        "near": stats.near_duplicates,
        "invalid": stats.invalid,
        "empty": stats.empty_outputs,
        "pairs": stats.near_pairs,
        "tokens": stats.tokens,
        "overlap": sorted(overlap.pairs if overlap else []),
        "overlap_counts": (overlap.exact, overlap.near) if overlap else None,
    }


_VOCABULARY = [f"v{n}" for n in range(5000)]


def _lines_from(plan: list[tuple[int, int, int]]) -> list[str]:
    """JSONL lines from a plan of (kind, pick, seed): new records, exact copies differing in
    case and spacing, near copies (a word changed or added: 3-gram Jaccard 0.9 or more), short
    records, blank and invalid lines."""
    rng = random.Random(7)
    bases: list[list[str]] = []
    lines: list[str] = []
    for kind, pick, seed in plan:
        if kind == 0 or not bases:
            words = random.Random(seed).choices(_VOCABULARY, k=60 + seed % 40)
            bases.append(words)
            lines.append(_chat(" ".join(words[:6]), " ".join(words[6:])))
        elif kind == 1:  # an exact copy, but for case and spacing
            words = bases[pick % len(bases)]
            question = "  ".join(words[:6]).upper()
            lines.append(_chat(f" {question}\n", " ".join(words[6:]) + "\t"))
        elif kind == 2:  # a near copy
            words = list(bases[pick % len(bases)])
            if seed % 2:
                words[len(words) // 2] = f"changed{seed}"
            else:
                words.append(f"added{seed}")
            lines.append(_chat(" ".join(words[:6]), " ".join(words[6:])))
        elif kind == 3:
            lines.append(_chat("short", f"reply {seed}"))
        elif kind == 4:
            lines.append("")
        else:
            lines.append(rng.choice(["not json", "{}", '{"prompt": "p", "completion": " "}']))
    return lines


_plans = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 50), st.integers(0, 10_000)), max_size=40
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(_plans, _plans, st.sampled_from([1, 90, 700, 3000, 1 << 20]))
def test_batches_give_what_one_record_at_a_time_gives(
    train_plan: list[tuple[int, int, int]],
    held_plan: list[tuple[int, int, int]],
    batch: int,
) -> None:
    # Any batch size (a near-duplicate pair, an exact copy, a held-out match on either side of
    # a batch boundary; a batch cut by its byte size) gives the reference's answer.
    import tunewise.evidence.dataset as evidence

    with tempfile.TemporaryDirectory() as folder:
        train = write(Path(folder) / "train.jsonl", _lines_from(train_plan))
        held_lines = _lines_from(held_plan)
        # The held-out set shares records with the training set: the same plan's records.
        held = write(Path(folder) / "held.jsonl", held_lines + _lines_from(train_plan)[::3])
        expected = _reference(train, held)
        with mock.patch.object(evidence, "BATCH_BYTES", batch):
            got = _measured(train, held)
    for name in ("records", "valid", "unique", "duplicates", "near", "invalid", "empty"):
        assert got[name] == expected[name], name
    assert got["pairs"] == expected["pairs"] and got["tokens"] == expected["tokens"]
    counted = expected["overlap"]
    assert got["overlap_counts"] == (
        sum(kind == "exact" for _, (_, kind) in counted),
        sum(kind != "exact" for _, (_, kind) in counted),
    )
    assert got["overlap"] == [(h, t, k) for h, (t, k) in counted[:5]]


def test_a_near_duplicate_pair_across_a_batch_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tunewise.evidence.dataset as evidence

    base = " ".join(f"word{i}" for i in range(60))
    rows = [_chat("q", base + f" filler{i}" * (i % 3)) if i != 4 else "" for i in range(4)]
    rows += [_chat("q", base + " extra"), _chat("q", base.replace("word30", "other"))]
    path = write(tmp_path / "d.jsonl", rows)
    whole = measure(path)
    for size in (1, 300, 700, 1000, 1500, 3000):  # a block of one line, two, ..., all
        monkeypatch.setattr(evidence, "BATCH_BYTES", size)
        stats = measure(path)
        assert (stats.unique, stats.near_duplicates, stats.near_pairs) == (
            whole.unique,
            whole.near_duplicates,
            whole.near_pairs,
        )
    assert whole.near_duplicates == 4 and whole.near_pairs[0] == (2, 1)


def test_a_line_longer_than_a_batch_is_one_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch is cut at BATCH_BYTES, but only between lines: a long record stays whole.
    import tunewise.evidence.dataset as evidence

    long = " ".join(f"w{i}" for i in range(20_000))
    rows = [_chat("q1", long), _chat("q2", long + " more"), _chat("q3", "short")]
    path = write(tmp_path / "d.jsonl", rows)
    monkeypatch.setattr(evidence, "BATCH_BYTES", 1000)
    stats = measure(path)
    assert (stats.records, stats.valid, stats.unique, stats.near_duplicates) == (3, 3, 2, 1)
    assert stats.max_tokens > 20_000 and stats.longest_line in (1, 2)


def test_exact_keys_are_the_hash_of_normalise() -> None:
    # The batch computes in numpy what formats.normalise says, byte for byte (its UTF-8).
    from tunewise.evidence.formats import normalise
    from tunewise.evidence.sketches import exact_keys

    pieces = [
        "a", "B", "user:", "assistant:", "chosen:", "tools:", "function_call:", " ", "  ",
        "\t", "\n", "\x1f", "\x1c", "\x1e", "\x00", "\x07", "ß", "İ", "Σ", "ﬀ", "é", "\xa0",
        "\u3000", "\x85", "x:", ":", "word", " user: ", "system:", "日本",
    ]  # fmt: skip
    # Mostly plain ASCII with single spaces too: those take the quick path, the rest numpy.
    plain = ["a", "B", "user:", "assistant:", "chosen:", " ", "\x1f", "x:", ": ", "word", "é"]
    rng = random.Random(14)
    for run in range(6000):
        choices = pieces if run % 2 else plain
        texts = [
            "".join(rng.choice(choices) for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(1, 5))
        ]
        expected = [hash(normalise(t).encode("utf-8", "surrogatepass")) for t in texts]
        assert exact_keys(texts) == expected, texts


def test_word_splitting_matches_str_split_on_every_whitespace() -> None:
    # The numpy word boundaries are str.split()'s: every code point str.isspace() calls
    # whitespace, and no other.
    from tunewise.evidence.sketches import _WIDE_SPACES, _tables

    wide = {chr(c) for c in range(128, 0x110000) if chr(c).isspace()}
    assert {w.decode() for w in _WIDE_SPACES} == wide
    space, _ = _tables()
    assert {chr(b) for b in range(128) if space[b]} == {
        chr(c) for c in range(128) if chr(c).isspace()
    }


def test_results_are_the_same_under_any_hash_seed(tmp_path: Path) -> None:
    base = " ".join(f"word{i}" for i in range(60))
    rows = [_chat(f"q{i}", base + f" tail{i}") for i in range(30)]
    rows += [_chat(f"Q{i}", base.upper() + f" TAIL{i}") for i in range(5)]
    path = write(tmp_path / "d.jsonl", rows)
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from tunewise.evidence.dataset import measure\n"
        "print(json.dumps(measure(Path(sys.argv[1]), against=Path(sys.argv[1])).as_dict()))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, str(path)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for seed in ("0", "1", "2")
    }
    assert len(outputs) == 1
    found = json.loads(outputs.pop())
    assert (found["duplicates"], found["near_duplicates"]) == (5, 29)


def test_a_near_duplicate_is_not_indexed_in_any_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # B is near A (0.84) and not indexed; C is near B (0.84) but not near A (0.71): C is
    # unique whether B came in C's batch or an earlier one.
    import tunewise.evidence.dataset as evidence

    a = [f"word{i}" for i in range(60)]
    b = a[:-5] + [f"end{i}" for i in range(5)]
    c = [f"start{i}" for i in range(5)] + b[5:]
    rows = [_chat(a[0], " ".join(a[1:])), _chat(b[0], " ".join(b[1:]))]
    rows.append(_chat(c[0], " ".join(c[1:])))
    path = write(tmp_path / "d.jsonl", rows)
    for size in (1, 400, 800, 1 << 20):  # a block of one line, two, all
        monkeypatch.setattr(evidence, "BATCH_BYTES", size)
        stats = measure(path)
        assert (stats.unique, stats.near_pairs) == (2, [(2, 1)]), size


def test_templated_records_are_searched_in_bounded_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2,000 records that each change 3 words of one 60-word template share band keys with
    # most others (3-gram Jaccard 0.6-0.7 pairwise): every record's 3-grams are compared with
    # at most CANDIDATE_LIMIT others (all of them, quadratic, took 52 s for 5,000 before).
    import tunewise.evidence.dataset as evidence
    import tunewise.evidence.sketches as sketches

    rng = random.Random(1)
    rows = []
    for _ in range(2000):
        words = [f"w{i}" for i in range(60)]
        for _ in range(3):
            words[rng.randrange(60)] = f"x{rng.randrange(10**6)}"
        rows.append(json.dumps({"prompt": words[0], "completion": " ".join(words[1:])}))
    compared = 0
    jaccard = sketches.jaccard

    def counting(first: Any, second: Any) -> float:
        nonlocal compared
        compared += 1
        return jaccard(first, second)

    monkeypatch.setattr(evidence, "jaccard", counting)  # both modules compare 3-grams
    monkeypatch.setattr(sketches, "jaccard", counting)
    stats = measure(write(tmp_path / "d.jsonl", rows))
    assert stats.unique + stats.near_duplicates == 2000 and stats.near_duplicates > 10
    assert compared <= 2000 * 2 * sketches.CANDIDATE_LIMIT


def test_openai_preference_pairs_are_valid_and_give_the_preference_signal(tmp_path: Path) -> None:
    # OpenAI's DPO format: the prompt in input.messages (no assistant turn: the answers to
    # prefer follow it), one preferred and one non-preferred assistant output.
    rows = [
        json.dumps(
            {
                "input": {
                    "messages": [
                        {"role": "system", "content": "Be brief."},
                        {"role": "user", "content": f"question {i} about the clause"},
                    ]
                },
                "preferred_output": [{"role": "assistant", "content": f"short answer {i}"}],
                "non_preferred_output": [{"role": "assistant", "content": f"rambling {i}"}],
            }
        )
        for i in range(6)
    ]
    stats = measure(write(tmp_path / "pref.jsonl", rows))
    assert stats.valid == 6 and stats.invalid == 0
    assert stats.formats == {"preference": 6} and stats.preference
    assert run_cli("data", str(tmp_path / "pref.jsonl")).code == 0


def test_stdin_cannot_be_both_the_training_and_the_held_out_set() -> None:
    result = run_cli("data", "-", "--against", "-", stdin='{"text": "a"}\n')
    assert result.code == 2 and "--against" in result.err


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM (Linux)")
def test_a_huge_record_is_sketched_from_its_beginning_in_bounded_memory(tmp_path: Path) -> None:
    # A 12 MiB line of one-letter words: its sketch reads the first SKETCH_CHARS characters only
    # (measured: 577 MiB peak before the cut, ~100 MiB after); the record is still counted whole.
    from tunewise.evidence.dataset import SKETCH_CHARS

    path = tmp_path / "huge.jsonl"
    filler = "y " * (6 << 20)
    copy = json.dumps({"text": filler + "tail"})
    path.write_text(copy + "\n" + copy + "\n", encoding="utf-8")
    # The child's own peak: VmHWM (getrusage's maxrss keeps the forking parent's peak across
    # exec, which under pytest is the suite's).
    script = (
        "import re, sys\n"
        "from pathlib import Path\n"
        "from tunewise.evidence.dataset import measure\n"
        "stats = measure(Path(sys.argv[1]))\n"
        "status = Path('/proc/self/status').read_text()\n"
        "peak = int(re.search(r'VmHWM:\\s*(\\d+)', status).group(1)) // 1024\n"
        "print(stats.valid, stats.duplicates, stats.max_tokens > 1_000_000, peak)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[:3] == ["2", "1", "True"]
    assert int(out[3]) < 300, f"peak {out[3]} MiB"
    assert len(filler) > SKETCH_CHARS


def test_held_out_overlap_beyond_the_candidate_limit_is_reported_as_a_lower_bound(
    tmp_path: Path,
) -> None:
    # One training record nearly copied by 300 held-out records (one word changed in each):
    # each training record confirms at most CANDIDATE_LIMIT held-out candidates (templated data
    # would otherwise make the search quadratic), so the count says "at least".
    from tunewise.evidence.sketches import CANDIDATE_LIMIT

    words = [f"w{i}" for i in range(60)]
    train = [json.dumps({"text": " ".join(words)})]
    train += [json.dumps({"text": f"unrelated record {i} " * 5}) for i in range(20)]
    held = []
    for i in range(300):
        copy = list(words)
        copy[30] = f"changed{i}"
        held.append(json.dumps({"text": " ".join(copy)}))
    stats = measure(
        write(tmp_path / "train.jsonl", train), against=write(tmp_path / "held.jsonl", held)
    )
    assert stats.overlap is not None and stats.overlap.capped
    assert CANDIDATE_LIMIT <= stats.overlap.near < 300
    assert stats.overlap.as_dict()["lower_bound"] is True
    out = run_cli("data", str(tmp_path / "train.jsonl"), "--against", str(tmp_path / "held.jsonl"))
    assert f"at least {stats.overlap.count} of 300 held-out records" in out.out


def test_both_cores_give_what_one_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A large file's blocks are worked out in forked workers, which read their lines from the
    # file themselves; the comparisons stay in this process. Every number, line and pair is
    # the same as in one process, whatever the block size, and so is the whole report.
    import dataclasses

    import tunewise.evidence.dataset as evidence

    plan = [(i % 6, (i * 7) % 50, i * 131 % 10_000) for i in range(400)]
    lines = _lines_from(plan)
    lines[50:50] = ["{not json", '{"text": "\\ud800 lone"}', '{"messages": []}', "   "]
    train = write(tmp_path / "train.jsonl", lines)
    held = write(tmp_path / "held.jsonl", _lines_from(plan[::-1][:120]) + lines[::9])
    expected = [
        dataclasses.asdict(measure(train)),
        dataclasses.asdict(measure(train, against=held)),
    ]
    assert expected[0]["near_duplicates"] > 10 and expected[0]["duplicates"] > 10
    assert expected[1]["overlap"]["exact"] > 10 and expected[0]["invalid"] >= 3
    forks: list[int] = []

    def both(enough: bool = True) -> int:
        forks.append(enough)
        return 2

    monkeypatch.setattr(evidence, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(evidence, "cores", both)
    for size in (700, 5000, 1 << 20):
        monkeypatch.setattr(evidence, "BATCH_BYTES", size)
        got = [dataclasses.asdict(measure(train)), dataclasses.asdict(measure(train, against=held))]
        assert got == expected, size
    assert forks  # the workers did the work


def test_a_worker_is_sent_a_place_not_the_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What crosses to a worker is (first line, offset, length, sketch?): small, whatever the
    # block, so neither side can wait on the other's pipe.
    import pickle

    import tunewise.evidence.dataset as evidence
    import tunewise.forked as forked

    sent: list[Any] = []
    real = forked.ordered_map

    def spy(function: Any, items: Any, workers: int, **options: Any) -> Any:
        def seen() -> Any:
            for item in items:
                sent.append(item)
                yield item

        return real(function, seen(), workers, **options)

    monkeypatch.setattr(forked, "ordered_map", spy)
    monkeypatch.setattr(evidence, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(evidence, "cores", lambda enough=True: 2)
    path = write(tmp_path / "d.jsonl", [_chat(f"q{i}", "a long answer " * 50) for i in range(300)])
    assert measure(path).unique == 300
    assert sent and all(len(pickle.dumps(task)) < 100 for task in sent)
    assert sent[0][0] == 1 and all(isinstance(task[2], int) for task in sent)


def test_hostile_lines_are_refused_in_plain_words(tmp_path: Path) -> None:
    # Each line is invalid, and says why in JSON's words: an encoded surrogate (which UTF-8
    # forbids: json.loads lets it through), null, nesting past the parser's depth, and a
    # preference pair whose two answers are the same (nothing to prefer).
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        b'{"prompt": "raw lone \xed\xa0\x80", "completion": "a"}',
        b"null",
        deep.encode(),
        b'{"prompt": "p", "chosen": "Same  answer", "rejected": "same answer"}',
        json.dumps(
            {
                "input": {"messages": [{"role": "user", "content": "q"}]},
                "preferred_output": [{"role": "assistant", "content": "A"}],
                "non_preferred_output": [{"role": "assistant", "content": "a"}],
            }
        ).encode(),
        b'{"prompt": "p", "chosen": "yes", "rejected": "no"}',
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    stats = measure(path)
    assert (stats.records, stats.valid, stats.invalid) == (6, 1, 5)
    said = {problem.line: problem.message for problem in stats.problems}
    assert said[1] == "not UTF-8"
    assert said[2] == "expected a JSON object, got null"
    assert said[3] == "nested too deeply"
    assert "the same" in said[4] and "the same" in said[5]
    assert all(
        "NoneType" not in message and "recursion" not in message for message in said.values()
    )


def test_nesting_is_judged_the_same_in_any_process(tmp_path: Path) -> None:
    # The JSON parser's own depth limit moves with its caller's stack (a forked worker's is
    # deeper): a fixed MAX_NESTING decides instead, before parsing; brackets in text don't count.
    from tunewise.evidence.dataset import MAX_NESTING

    lines = [
        "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
        "[" * MAX_NESTING + "]" * MAX_NESTING,
        json.dumps({"text": "[" * 5000, "meta": [[[1]]]}),
        "[" * 975 + "]" * 975,
    ]
    stats = measure(write(tmp_path / "deep.jsonl", lines))
    said = {problem.line: problem.message for problem in stats.problems}
    assert said == {
        1: "nested too deeply",
        2: "expected a JSON object, got an array",
        4: "nested too deeply",
    }
    assert stats.valid == 1


def test_stdin_partly_read_is_measured_from_where_it_stands(tmp_path: Path) -> None:
    # `{ read -r first; tunewise data train --against -; } < held.jsonl`: stdin is a file whose
    # first line is gone. Workers read the file by offset: from where stdin stands, not from 0.
    rows = [_chat(f"question {i}", f"answer {i} " + "filler words " * 60) for i in range(12_000)]
    held = write(tmp_path / "held.jsonl", rows)
    assert held.stat().st_size > 8 << 20  # large enough for both cores
    train = write(tmp_path / "train.jsonl", rows[:3])
    tunewise = f'"{sys.executable}" -m tunewise'
    command = f'{{ read -r first; {tunewise} data "{train}" --against - --format json; }}'
    with held.open("rb") as stdin:
        done = subprocess.run(
            ["sh", "-c", command], stdin=stdin, capture_output=True, text=True, check=False
        )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert (got["held_out"]["records"], got["held_out"]["invalid"]) == (11_999, 0)
    assert got["overlap"]["exact"] == 2  # rows 1 and 2; row 0 was read away


def test_a_file_changed_while_read_is_an_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tunewise.evidence.dataset as evidence
    from tunewise.errors import InputError

    path = write(tmp_path / "d.jsonl", [_chat(f"q{i}", "an answer " * 40) for i in range(300)])
    with path.open("rb") as handle:  # a worker reads what the parent read, or says it changed
        first = handle.read(1000)
        end = first.rfind(b"\n") + 1
        facts = evidence._read_facts(handle.fileno(), (1, 0, end, False, first[end - 1]))
        assert facts.records == first[:end].count(b"\n")
        with pytest.raises(evidence._Changed):
            evidence._read_facts(handle.fileno(), (1, 0, end, False, ord("x")))
        with pytest.raises(evidence._Changed):  # past the end: truncated since
            evidence._read_facts(handle.fileno(), (1, path.stat().st_size - 10, 50, False, 10))
    monkeypatch.setattr(evidence, "PARALLEL_BYTES", 1)
    monkeypatch.setattr(evidence, "cores", lambda enough=True: 2)
    monkeypatch.setattr(evidence, "BATCH_BYTES", 4096)
    real = evidence._read_facts

    def truncating(descriptor: int, task: Any) -> Any:
        if task[0] > 100:  # the file shrinks under the workers
            os.truncate(path, 5000)
        return real(descriptor, task)

    monkeypatch.setattr(evidence, "_read_facts", truncating)
    with pytest.raises(InputError, match="changed while it was read"):
        measure(path)


def test_a_pipe_is_measured_in_one_process() -> None:
    from tunewise.evidence.dataset import _shared_from

    read, write_end = os.pipe()
    try:
        with os.fdopen(read, "rb") as pipe:
            assert _shared_from(pipe) is None  # no pread: the workers could not read it
    finally:
        os.close(write_end)


def test_a_line_with_a_byte_order_mark_is_strict_utf8_too(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "a \xed\xa0\x80"}\n\xef\xbb\xbf{"text": "fine"}\n')
    stats = measure(path)
    assert (stats.valid, [(p.line, p.message) for p in stats.problems]) == (1, [(1, "not UTF-8")])
