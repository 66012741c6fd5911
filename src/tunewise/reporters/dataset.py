"""`tunewise data` output: what the dataset holds and what is wrong with it."""

from __future__ import annotations

import json

from tunewise.escaping import visible
from tunewise.evidence import DatasetStats


def render_dataset(stats: DatasetStats, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(stats.as_dict(), indent=2) + "\n"
    formats = (
        ", ".join(f"{name} {count}" for name, count in sorted(stats.formats.items())) or "none"
    )
    lines = [
        f"Dataset {visible(str(stats.path))}",
        f"  records        {stats.records}",
        f"  valid          {stats.valid}",
        f"  unique         {stats.unique}  (exact duplicates: {stats.duplicates})",
        f"  empty outputs  {stats.empty_outputs}",
        f"  invalid lines  {stats.invalid}",
        f"  formats        {formats}",
        f"  80/20 split    {stats.train} train / {stats.validation} validation (unique records)",
    ]
    if stats.problems:
        lines.append("  problems (first few):")
        lines += [f"    line {line}: {visible(message)}" for line, message in stats.problems]
    return "\n".join(lines) + "\n"
