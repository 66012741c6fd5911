"""`tunewise data` output: what the dataset holds and what is wrong with it."""

from __future__ import annotations

import json

from tunewise.escaping import visible
from tunewise.evidence.dataset import DUPLICATE_RATE_HIGH, MAX_DISTINCT, NEAR_LIMIT, DatasetStats


def render_dataset(stats: DatasetStats, output_format: str, epochs: int = 3) -> str:
    if output_format == "json":
        return json.dumps(stats.as_dict(epochs), indent=2) + "\n"
    return "\n".join(_text(stats, epochs)) + "\n"


def _text(stats: DatasetStats, epochs: int, title: str = "Dataset") -> list[str]:
    formats = (
        ", ".join(f"{name} {count}" for name, count in sorted(stats.formats.items())) or "none"
    )
    near = f"near-duplicates: {stats.near_duplicates}"
    if stats.near_checked >= NEAR_LIMIT:
        near += f", searched among the first {NEAR_LIMIT:,} records"
    lines = [
        f"{title} {visible(stats.path)}",
        f"  records        {stats.records}",
        f"  valid          {stats.valid}",
        f"  unique         {stats.unique}  (exact duplicates: {stats.duplicates}; {near})",
        f"  empty outputs  {stats.empty_outputs}",
        f"  invalid lines  {stats.invalid}",
        f"  formats        {formats}"
        + ("  (preference pairs: preference tuning such as DPO fits)" if stats.preference else ""),
        f"  tokens         ~{stats.tokens:,} estimated; per example mean {stats.mean_tokens:.0f}, "
        f"p50 {stats.percentile(0.5)}, p90 {stats.percentile(0.9)}, "
        f"p99 {stats.percentile(0.99)}, max {stats.max_tokens}"
        + (f" (line {stats.longest_line})" if stats.longest_line else ""),
    ]
    if title == "Dataset":  # a held-out set is not trained on
        lines += [
            f"  training       ~{stats.training_tokens(epochs):,} tokens at {epochs} epochs",
            f"  80/20 split    {stats.train} train / {stats.validation} validation "
            "(unique records)",
        ]
    if stats.over_length:
        shown = ", ".join(map(str, stats.over_length_lines))
        lines.append(
            f"  over-length    {stats.over_length} examples over 8192 tokens (lines {shown})"
        )
    if stats.duplicate_rate > DUPLICATE_RATE_HIGH:
        lines.append(
            f"  duplicate rate {stats.duplicate_rate:.0%}: over {DUPLICATE_RATE_HIGH:.0%}, "
            "contradicts data_quality: high"
        )
    if stats.capped:
        lines.append(
            f"  note           over {MAX_DISTINCT:,} distinct records: duplicates a lower bound"
        )
    if stats.problems:
        lines.append("  problems (first few):")
        lines += [f"    line {p.line}: {visible(p.message)}" for p in stats.problems]
    if stats.near_pairs:
        lines.append("  near-duplicates (first few):")
        lines += [f"    line {a} is like line {b}" for a, b in stats.near_pairs]
    if stats.overlap is not None:
        overlap = stats.overlap
        lines.append(
            f"  overlap        {overlap.counted} of {overlap.held_out} held-out records are "
            f"also in the training set ({overlap.exact} exact, {overlap.near} near-duplicates)"
        )
        lines += [
            f"    held-out line {h} = training line {t}" + (" (near)" if k != "exact" else "")
            for h, t, k in overlap.pairs
        ]
    if stats.held_out is not None:
        lines += _text(stats.held_out, epochs, "Held-out set")
    return lines
