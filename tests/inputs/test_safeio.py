"""Reading untrusted files: FIFOs, devices, folders, escapes from the project, size and time."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tunewise.errors import InputError
from tunewise.inputs.safeio import (
    Deadline,
    _read_bounded,
    iter_blocks,
    open_regular,
    project_root,
    read_bytes,
    read_text,
    resolve_inside,
)


def _message(exc: pytest.ExceptionInfo[InputError]) -> str:
    return exc.value.lines[0]


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InputError) as exc:
        read_text(fifo, "dataset")
    assert time.monotonic() - started < 2
    assert "is a FIFO (named pipe), expected a regular dataset file" in _message(exc)


def test_a_socket_is_named_for_what_it_is(tmp_path: Path) -> None:
    """Regression: opening a Unix socket fails (ENXIO), and that was all it said: "cannot read
    dataset: No such device or address"."""
    import socket

    path = tmp_path / "s.jsonl"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(InputError) as exc:
            read_text(path, "dataset")
    assert _message(exc) == f"{path}: is a socket, expected a regular dataset file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    with pytest.raises(InputError) as exc:
        open_regular(Path(device), "profile")
    assert _message(exc) == f"{device}: is a device, expected a regular profile file"


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "data.jsonl"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError) as exc:
        read_bytes(link, "dataset")
    assert "is a device" in _message(exc)


def test_a_folder_missing_file_and_nul_path(tmp_path: Path) -> None:
    with pytest.raises(InputError) as exc:
        read_text(tmp_path, "profile")
    assert "is a folder" in _message(exc)
    with pytest.raises(InputError) as exc:
        read_text(tmp_path / "absent.yaml", "profile")
    assert _message(exc).endswith("profile not found")
    with pytest.raises(InputError) as exc:
        read_text(str(tmp_path / "a\x00b"), "profile")
    assert "NUL character" in _message(exc)


def test_size_limit_and_encoding(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a" * 2049)
    with pytest.raises(InputError) as exc:
        read_bytes(big, "profile", max_bytes=2048)
    assert "larger than 2 KiB" in _message(exc)
    assert read_bytes(big, "profile", max_bytes=2049) == b"a" * 2049
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"ok\n\xff\n")
    with pytest.raises(InputError) as exc:
        read_text(bad, "profile")
    assert exc.value.problems[0].line == 2
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("\ufeffname: x\n".encode())
    assert read_text(bom, "profile") == "name: x\n"


def iter_lines(
    handle: io.BufferedIOBase | io.BytesIO | object,
    max_line: int,
    deadline: Deadline | None = None,
    size: int = 1 << 20,
) -> list[tuple[int, bytes | None]]:
    """(number, line with its newline) of every line in `iter_blocks`'s blocks, each block
    checked to be what the file holds at its offset."""
    lines: list[tuple[int, bytes | None]] = []
    for block in iter_blocks(handle, max_line, size, deadline):  # type: ignore[arg-type]
        if block.data is None:
            lines.append((block.first, None))
            continue
        pieces = block.data.split(b"\n")
        last = pieces.pop()  # b"" after a final newline, else a last line without one
        found = [piece + b"\n" for piece in pieces] + ([last] if last else [])
        lines += list(enumerate(found, block.first))
    return lines


def _one_at_a_time(data: bytes, max_line: int) -> list[tuple[int, bytes | None]]:
    """The definition, a line at a time: a line over `max_line` bytes (its newline aside) is
    skipped, given as None."""
    pieces = data.split(b"\n")
    last = pieces.pop()
    lines = [piece + b"\n" for piece in pieces] + ([last] if last else [])
    return [
        (number, None if len(line.rstrip(b"\n")) > max_line else line)
        for number, line in enumerate(lines, 1)
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from([b"\n", b"\r\n", b""]))),
    st.integers(1, 30),
    st.integers(1, 50),
)
def test_blocks_hold_every_line_whatever_the_sizes(
    plan: list[tuple[int, bytes]], max_line: int, size: int
) -> None:
    data = b"".join(b"x" * length + end for length, end in plan)
    found = []
    for block in iter_blocks(io.BytesIO(data), max_line, size):
        if block.data is not None:  # a block is what the file holds where it says
            assert data[block.offset : block.offset + len(block.data)] == block.data
        found.append(block)
    assert iter_lines(io.BytesIO(data), max_line, size=size) == _one_at_a_time(data, max_line)


def test_a_file_is_read_whole_past_short_reads_and_growth(tmp_path: Path) -> None:
    """read_bytes reads the descriptor itself (see `read_bytes`): a short read is read on,
    a file that grew since its size was taken is read on up to one byte past the limit."""
    data = io.BytesIO(b"x" * 10)

    def short(count: int) -> bytes:  # at most 3 bytes a call
        return data.read(min(count, 3))

    assert _read_bounded(short, 4, 100, "f", "profile") == b"x" * 10  # grew from 4 bytes
    data.seek(0)
    assert _read_bounded(short, 10, 6, "f", "profile") == b"x" * 7  # the limit, and one more
    data.seek(0)
    assert _read_bounded(short, 4, 5, "f", "profile") == b"x" * 6  # grew past the limit
    exact = tmp_path / "exact.yaml"
    exact.write_bytes(b"name: x\n" * 1000)
    assert read_bytes(exact, "profile", max_bytes=8000) == b"name: x\n" * 1000
    with pytest.raises(InputError):
        read_bytes(exact, "profile", max_bytes=7999)


def test_over_long_lines_are_skipped_in_bounded_chunks() -> None:
    data = b'{"a": 1}\n' + b"x" * 5000 + b"\n" + b'{"b": 2}\n' + b"y" * 3000
    lines = list(iter_lines(io.BytesIO(data), max_line=100))
    assert lines == [(1, b'{"a": 1}\n'), (2, None), (3, b'{"b": 2}\n'), (4, None)]


def test_over_long_lines_are_skipped_on_a_pipe_too() -> None:
    # A pipe cannot seek: the rest of a long line is read up to its newline, never sought past.
    import os
    import threading

    data = b'{"a": 1}\n' + b"x" * (3 << 20) + b"\n" + b'{"b": 2}\n'
    read_end, write_end = os.pipe()

    def feed() -> None:
        with open(write_end, "wb") as sink:
            sink.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    with open(read_end, "rb") as pipe:
        lines = list(iter_lines(pipe, max_line=1 << 20))
    writer.join()
    assert lines == [(1, b'{"a": 1}\n'), (2, None), (3, b'{"b": 2}\n')]


def test_a_deadline_stops_a_long_read(tmp_path: Path) -> None:
    deadline = Deadline(tmp_path / "d.jsonl", "dataset", 0.0)
    time.sleep(0.01)
    data = b"x\n" * 5000
    with pytest.raises(InputError) as exc:
        list(iter_lines(io.BytesIO(data), max_line=100, deadline=deadline))
    assert "took over 0 s" in _message(exc)


def test_resolve_inside_the_project(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("{}\n")
    assert (
        resolve_inside(tmp_path, "data/train.jsonl", "dataset")
        == (tmp_path / "data" / "train.jsonl").resolve()
    )
    (tmp_path / "etc").symlink_to("/etc")
    for escape in ("../outside.jsonl", "/etc/passwd", "etc/passwd"):
        with pytest.raises(InputError) as exc:
            resolve_inside(tmp_path, escape, "evidence.dataset", origin="p.tunewise.yaml")
        assert "resolves outside the project root" in _message(exc)
        assert _message(exc).startswith("p.tunewise.yaml: ")


def test_project_root_is_the_nearest_repository_or_config(tmp_path: Path) -> None:
    nested = tmp_path / "repo" / "team" / "ml"
    nested.mkdir(parents=True)
    profile = nested / "p.tunewise.yaml"
    profile.write_text("tunewise: 1\n")
    assert project_root(profile) == nested.resolve()
    (tmp_path / "repo" / ".git").mkdir()
    assert project_root(profile) == (tmp_path / "repo").resolve()
    (tmp_path / "repo" / "team" / "pyproject.toml").write_text("[tool.tunewise]\nstrict = true\n")
    assert project_root(profile) == (tmp_path / "repo" / "team").resolve()


# --- every command that reads a profile, a rule set or a case file, end to end -------------

HOSTILE = ["fifo", "/dev/zero", "folder", "link to /dev/zero"]
READERS = {
    "advise PROFILE": lambda p: ["advise", p],
    "advise --rules": lambda p: ["advise", str(EXAMPLE), "--rules", p],
    "check PROFILE": lambda p: ["check", p],
    "check --rules": lambda p: ["check", str(EXAMPLE), "--rules", p],
    "rules lint": lambda p: ["rules", "lint", p],
    "rules show": lambda p: ["rules", "show", p],
    "rules test": lambda p: ["rules", "test", p],
    "ask --profile": lambda p: ["ask", "--profile", p],
}
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "law-firm.tunewise.yaml"


def _hostile(tmp_path: Path, kind: str) -> str:
    if kind == "fifo":
        os.mkfifo(tmp_path / "x.tunewise.yaml")
        return str(tmp_path / "x.tunewise.yaml")
    if kind == "folder":
        (tmp_path / "x.yaml").mkdir()
        return str(tmp_path / "x.yaml")
    if kind == "link to /dev/zero":
        (tmp_path / "x.tunewise.yaml").symlink_to("/dev/zero")
        return str(tmp_path / "x.tunewise.yaml")
    return kind


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("reader", sorted(READERS))
def test_no_command_hangs_on_a_special_file(tmp_path: Path, reader: str, kind: str) -> None:
    """A FIFO, a device or a folder where a file is read: one clear line, exit 3, at once —
    run as a real process with a time limit, since a hang is the failure."""
    import subprocess
    import sys

    if kind.startswith("/dev/") and not os.path.exists(kind):
        pytest.skip(f"no {kind} here")
    path = _hostile(tmp_path, kind)
    if reader == "check PROFILE" and kind == "folder":
        pytest.skip("a folder is searched for profiles: covered by the discovery tests")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tunewise", *READERS[reader](path)],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert time.monotonic() - started < 20
    assert done.returncode == 3, (done.stdout, done.stderr)
    shown = done.stdout + done.stderr
    assert "Traceback" not in shown
    expected = {
        "fifo": "FIFO (named pipe)",
        "/dev/zero": "a device",
        "link to /dev/zero": "a device",
        "folder": "folder",
    }[kind]
    assert expected in shown, shown
