"""Finding profiles in a tree by the naming convention, skipping VCS, venvs and node_modules."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "site-packages",
}


def is_profile_name(name: str) -> bool:
    lower = name.lower()
    return lower in ("tunewise.yaml", "tunewise.yml") or lower.endswith(
        (".tunewise.yaml", ".tunewise.yml")
    )


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders searched (sorted) for profiles, skipping VCS, venvs, node_modules."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(
                d for d in dirs if d not in SKIP_DIRS and not (Path(root, d, "pyvenv.cfg")).exists()
            )
            for name in sorted(files):
                if is_profile_name(name):
                    yield Path(root, name)
