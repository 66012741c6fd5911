"""Inspect AI logs: the JSON log (`--log-format=json`) and the zipped `.eval` log's header.json.

Read from inspect_ai's log/_log.py (EvalLog: `status`, `eval`, `results.{total_samples,
completed_samples, scores[].{name, scored_samples, metrics{name: {value}}}}`) and
log/_recorders/eval.py (the `.eval` zip holds `header.json`, the log without samples)."""

from __future__ import annotations

import io
from typing import Any

from tunewise.evidence.eval_tools import name_of
from tunewise.evidence.evals import MAX_REPORT_BYTES, Reading, count, number
from tunewise.problems import Problem

NAME = name_of(__name__)
MAX_HEADER_BYTES = 16 * 1024 * 1024


def detect(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("eval"), dict)
        and ("results" in data or "status" in data)
    )


def read(data: Any, metric: str | None) -> Reading:
    status = data.get("status", "success")
    if status != "success":
        raise ValueError(f"the log's status is {status!r}, not 'success'")
    results = data["results"]
    if not isinstance(results, dict):
        raise ValueError("the log has no results")
    for score in results["scores"]:
        metrics = score["metrics"]
        name = metric if metric is not None else _default(metrics)
        if name is not None and name in metrics:
            value = number(metrics[name]["value"], f"metrics.{name}.value")
            cases = score.get("scored_samples") or results.get("completed_samples") or 0
            scorer = score.get("name") or score.get("scorer") or ""
            return Reading(NAME, name, value, count(cases, "samples"), f"scorer {scorer}")
    if metric is None:
        raise ValueError("no scorer reports a metric (the log's results hold no scores)")
    raise ValueError(f"no scorer reports the metric {metric!r}")


def _default(metrics: dict[str, Any]) -> str | None:
    for preferred in ("accuracy", "mean"):
        if preferred in metrics:
            return preferred
    return next(iter(metrics), None)


ZSTD_METHOD = 93  # the zip compression method number of Zstandard


def eval_header(raw: bytes, name: str) -> Any:
    """The `header.json` of an `.eval` zip, read with a size bound (a zip bomb stops there).

    Inspect compresses the members with Zstandard (method 93) since 2025, which `zipfile`
    reads only from Python 3.14; before that, `backports.zstd` or `zstandard` is used when
    installed (none is a dependency), else the file is refused saying how to read it."""
    import json
    import zipfile

    from tunewise.evidence.evals import ReportError

    data = raw[:MAX_REPORT_BYTES]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("header.json")
            try:
                with archive.open(info) as member:
                    text = member.read(MAX_HEADER_BYTES + 1)
            except NotImplementedError:
                if info.compress_type != ZSTD_METHOD or info.flag_bits & 0x1:
                    raise
                text = _zstd_member(data, info, name)
    except KeyError:
        raise ReportError(
            Problem(name, "zip file without header.json: not an Inspect .eval log")
        ) from None
    except ReportError:
        raise
    except Exception as exc:  # a damaged zip: zipfile, zlib and the codecs raise many kinds
        detail = str(exc) or f"it is damaged ({type(exc).__name__})"
        raise ReportError(Problem(name, f"cannot read the .eval zip: {detail}")) from None
    if len(text) > MAX_HEADER_BYTES:
        raise ReportError(Problem(name, "header.json in the .eval log is over 16 MiB"))
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ReportError(Problem(name, "header.json in the .eval log is not JSON")) from None


def _zstd_member(data: bytes, info: Any, name: str) -> bytes:
    """A Zstandard-compressed member's first MAX_HEADER_BYTES + 1 bytes, decompressed by
    whichever decompressor is installed."""
    import struct

    from tunewise.evidence.evals import ReportError

    start = info.header_offset
    if data[start : start + 4] != b"PK\x03\x04":
        raise OSError("bad local header for header.json")
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    begin = start + 30 + name_len + extra_len
    compressed = data[begin : begin + info.compress_size]
    decompress = zstd_decompressor()
    if decompress is None:
        raise ReportError(
            Problem(
                name,
                "the .eval log is compressed with Zstandard, which this Python reads only "
                "from 3.14: install backports.zstd (or zstandard), or write the log with "
                "`inspect eval ... --log-format=json`",
            )
        )
    try:
        text: bytes = decompress(compressed, MAX_HEADER_BYTES + 1)
    except Exception as exc:  # each library has its own error class for a corrupt frame
        raise OSError(f"header.json is not valid Zstandard data ({exc})") from None
    return text


def zstd_decompressor() -> Any:
    """`(data, limit) -> at most limit bytes`, from the first Zstandard library installed:
    the standard library's (Python 3.14), its backport, or `zstandard`."""
    import importlib

    for module in ("compression.zstd", "backports.zstd"):
        try:
            std = importlib.import_module(module)
        except ImportError:
            continue
        return lambda data, limit: bytes(std.ZstdDecompressor().decompress(data, limit))
    try:
        zstandard = importlib.import_module("zstandard")
    except ImportError:
        return None

    def read(data: bytes, limit: int) -> bytes:
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            return bytes(reader.read(limit))

    return read
