"""Dataset inspection: formats, validity, duplicates, empty outputs, streaming, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

from tunewise.evidence import measure


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
    assert (stats.records, stats.valid, stats.unique, stats.duplicates) == (9, 4, 3, 1)
    assert (stats.empty_outputs, stats.invalid) == (1, 4)
    assert stats.formats == {"instruction": 1, "prompt-completion": 3, "chat": 1}
    assert [line for line, _ in stats.problems] == [5, 6, 7, 8, 9]
    assert (stats.train, stats.validation) == (2, 1)


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
    assert text.code == 0 and "unique         1  (exact duplicates: 2)" in text.out
    data = json.loads(run_cli("data", str(path), "--format", "json").out)
    assert data["unique"] == 1 and data["split"] == {"train": 0, "validation": 1}
    missing = run_cli("data", str(tmp_path / "nope.jsonl"))
    assert missing.code == 3 and "dataset not found" in missing.err
