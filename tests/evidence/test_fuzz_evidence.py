"""Any evidence file: a measurement or a clear error, never a crash (hypothesis)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tunewise.errors import TunewiseError
from tunewise.evidence.dataset import measure
from tunewise.evidence.evals import ReportError, read_data

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "messages",
        "role",
        "content",
        "prompt",
        "completion",
        "chosen",
        "rejected",
        "text",
        "conversations",
        "from",
        "value",
        "instruction",
        "output",
        "history",
        "weight",
        "tools",
        "input",
        "preferred_output",
        "non_preferred_output",
        "tool_calls",
    ]
)
_records = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(_records.map(json.dumps), st.binary(max_size=40)), max_size=12))
def test_any_dataset_measures(lines: list[Any]) -> None:
    raw = b"\n".join(line.encode() if isinstance(line, str) else line for line in lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "d.jsonl"
        path.write_bytes(raw)
        try:
            stats = measure(path, against=path)
        except TunewiseError:
            return
        assert stats.valid + stats.invalid + stats.empty_outputs == stats.records
        assert stats.unique + stats.duplicates + stats.near_duplicates == stats.valid


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    _json,
    st.sampled_from(
        [None, "promptfoo", "inspect", "lm-eval", "deepeval", "openai-evals", "generic"]
    ),
    st.none() | st.text(max_size=8),
)
def test_any_report_reads_or_is_one_error(data: Any, fmt: str | None, metric: str | None) -> None:
    try:
        reading = read_data(data, "r.json", fmt, metric)
    except ReportError as exc:
        assert "\n" not in str(exc)
        return
    assert reading.cases > 0
