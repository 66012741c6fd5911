"""Dataset inspection: formats, validity, duplicates, empty outputs, streaming, the CLI."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

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
    assert [line for line, _ in stats.problems] == [5, 6, 7, 9]
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
    assert stats.invalid == 1 and "surrogate" in stats.problems[0][1]


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
