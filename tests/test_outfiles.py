"""`check --output`: every target checked first, modes kept or the umask's, devices in place."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli
from tunewise.outfiles import new_file_mode

LAW = str(EXAMPLES / "law-firm.tunewise.yaml")


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_folder_target_stops_the_run_before_any_report_is_replaced(tmp_path: Path) -> None:
    """`--output` onto a folder exited 70 after the earlier reports had been replaced."""
    first = tmp_path / "first.xml"
    first.write_text("old report", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    result = run_cli("check", LAW, "-o", f"junit:{first}", "-o", f"sarif:{folder}")
    assert result.code == 2 and result.out == ""
    assert result.err.strip().splitlines() == [
        f"tunewise: --output {folder}: is a folder; give a file name"
    ]
    assert first.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.xml", "folder"]


def test_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = run_cli("check", LAW, "-o", f"junit:{tmp_path / 'no' / 'r.xml'}")
    assert result.code == 3 and len(result.err.strip().splitlines()) == 1
    assert "does not exist" in result.err


def test_the_same_file_twice_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    assert run_cli("check", LAW, "-o", f"json:{target}", "-o", f"sarif:{target}").code == 2


def test_new_reports_honour_the_umask(tmp_path: Path, umask_022: None) -> None:
    """Reports were created 0600 whatever the umask: a CI artifact others must read failed."""
    target = tmp_path / "r.sarif"
    assert run_cli("check", LAW, "-o", f"sarif:{target}").code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert new_file_mode(tmp_path / "new") == 0o644


def test_a_replaced_report_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "r.xml"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    assert run_cli("check", LAW, "-o", f"junit:{target}").code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text(encoding="utf-8").startswith("<?xml")


def test_a_link_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert run_cli("check", LAW, "-o", f"json:{link}", "-f", "text").code == 0
    assert link.is_symlink() and '"format_version"' in real.read_text(encoding="utf-8")


@pytest.mark.parametrize("device", ["/dev/stdout", "/dev/stderr"])
def test_device_paths_are_written_in_place(device: str) -> None:
    """As root, `--output /dev/stdout` replaced the device node with a regular file."""
    before = os.lstat(device)
    done = subprocess.run(
        [sys.executable, "-m", "tunewise", "check", LAW, "-f", "text", "-o", f"json:{device}"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    after = os.lstat(device)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    shown = done.stdout if device == "/dev/stdout" else done.stderr
    assert '"format_version": 2' in shown
    if device == "/dev/stdout":  # the text report first, then the JSON one, never interleaved
        assert done.stdout.index("tunewise check passed") < done.stdout.index("{\n")


def test_saved_profiles_honour_the_umask_too(tmp_path: Path, umask_022: None) -> None:
    from tunewise.outfiles import write_text_file

    target = tmp_path / "saved.tunewise.yaml"
    write_text_file(target, "tunewise: 1\n", "profile")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    target.chmod(0o600)
    write_text_file(target, "tunewise: 1\n", "profile")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
