"""What a killed export or convert leaves beside its output is removed by the next run of the same
command on the same output (one notice each), and only that: never a live run's, another
command's or another output's. Disk-full and permission errors while writing name the output the
user gave, never an internal temporary path, and leave what existed before byte-identical."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from annotations.cli.app import build_app
from annotations.store.scratch import clean_leftovers

REPO = Path(__file__).resolve().parents[1]
RECORD = {
    "text": "Meta recrute chez OpenAI.",
    "spans": [{"start": 0, "end": 4, "label": "ORG"}],
    "answer": "accept",
    "_annotator_id": "alice",
}
DATA = b"".join(
    orjson.dumps({**RECORD, "text": f"Meta recrute chez OpenAI ({i})."}) + b"\n" for i in range(4)
)
# a run of export (a folder) or convert (a file) that made its scratch path, wrote part of it,
# said where, and then waits to be killed
HOLD = """
import os, sys, time
from pathlib import Path
from annotations.store.scratch import scratch_file, scratch_folder
out, kind = Path(sys.argv[1]), sys.argv[2]
if kind == "export":
    with scratch_folder(out, "export") as path:
        (path / "train.jsonl").write_text("half an export")
        print(path, flush=True)
        time.sleep(120)
else:
    with scratch_file(out, "convert") as (fd, path):
        os.write(fd, b"half a file")
        print(path, flush=True)
        time.sleep(120)
"""
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(build_app(), [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_bytes(DATA)
    return path


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Any]:
    """Start runs that hold a scratch path; each is SIGKILLed (and reaped) by `kill`."""
    procs: list[subprocess.Popen[str]] = []

    def start(out: Path, kind: str) -> tuple[subprocess.Popen[str], Path]:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(out), kind],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        return proc, Path(proc.stdout.readline().strip())

    yield start
    for proc in procs:
        kill(proc)


def kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()  # reaped: its pid is gone (a zombie would still count as alive)
    if proc.stdout is not None:
        proc.stdout.close()


def export(data: Path, out: Path, *more: str) -> tuple[int, str]:
    return run("export", data, "-o", out, "-f", "jsonl", *more)


def test_a_killed_exports_folder_is_removed_by_the_next_export(
    data: Path, tmp_path: Path, holder: Any
) -> None:
    out = tmp_path / "ds"
    proc, left = holder(out, "export")
    assert left.name.startswith(f".ds.relecture-export-{proc.pid}-") and left.is_dir()
    code, output = export(data, out)  # the run is alive: its folder is not touched
    assert code == 0, output
    assert left.is_dir() and "leftover" not in output
    kill(proc)
    code, output = export(data, out, "--force")
    assert code == 0, output
    assert f"removed leftover temporary folder {left} from an interrupted export\n" in output
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl", "ds"]


def test_a_killed_converts_file_is_removed_by_the_next_convert(
    data: Path, tmp_path: Path, holder: Any
) -> None:
    out = tmp_path / "out.jsonl"
    proc, left = holder(out, "convert")
    assert left.is_file() and left.name.startswith(f".out.jsonl.relecture-convert-{proc.pid}-")
    assert run("convert", data, "-o", out)[0] == 0
    assert left.read_bytes() == b"half a file"  # alive: kept
    kill(proc)
    code, output = run("convert", data, "-o", out, "--force")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == f"removed leftover temporary file {left} from an interrupted convert"
    assert not left.exists() and out.read_bytes().count(b"\n") == 4


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


def test_only_its_own_leftovers_are_removed(data: Path, tmp_path: Path) -> None:
    pid = dead_pid()
    others = [
        tmp_path / f".ds.relecture-convert-{pid}-abcdefgh.tmp",  # another command's
        tmp_path / f".other.relecture-export-{pid}-abcdefgh.tmp",  # another output's
        tmp_path / ".ds.abcdefgh.tmp",  # not ours to judge: no pid, no lock
        tmp_path / f".ds.relecture-export-{pid}-abc.tmp",  # not the pattern
    ]
    for path in others:
        path.mkdir()
    mine = tmp_path / f".ds.relecture-export-{pid}-abcdefgh.tmp"
    mine.mkdir()
    (mine / "train.jsonl").write_text("half")
    code, output = export(data, tmp_path / "ds")
    assert code == 0, output
    assert output.count("removed leftover") == 1 and not mine.exists()
    assert all(p.is_dir() for p in others)


def test_a_live_process_without_the_lock_is_still_left_alone(tmp_path: Path) -> None:
    # the moment between making the path and locking it, or a file system without flock
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        left = tmp_path / f".ds.relecture-export-{proc.pid}-abcdefgh.tmp"
        left.mkdir()
        assert clean_leftovers(tmp_path / "ds", "export", print) == 0 and left.is_dir()
    finally:
        proc.kill()
        proc.wait()
    assert clean_leftovers(tmp_path / "ds", "export") == 1 and not left.exists()


def test_an_earlier_export_set_aside_is_put_back_when_the_new_one_never_came(
    tmp_path: Path,
) -> None:
    # killed between renaming DIR aside and renaming the new folder into its place
    out = tmp_path / "ds"
    aside = tmp_path / f".ds.relecture-export-{dead_pid()}-abcdefgh.old"
    (aside / "old").mkdir(parents=True)
    (aside / "old" / "train.jsonl").write_text("the earlier export")
    said: list[str] = []
    assert clean_leftovers(out, "export", said.append) == 1
    assert (out / "train.jsonl").read_text() == "the earlier export" and not aside.exists()
    assert said[0] == f"restored {out} from {aside}, set aside by an interrupted export"


# -- disk full, permission: the message names the output ---------------------------------------
@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync of a regular file fails as on a full disk (delayed allocation fails there); the
    error, like the kernel's, names no file."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def only_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


def test_disk_full_in_convert_names_the_output(data: Path, tmp_path: Path, disk_full: None) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"before\n")
    code, output = run("convert", data, "-o", out, "--force")
    assert code == 1
    assert only_line(output) == f"error: {out}: cannot write: No space left on device"
    assert out.read_bytes() == b"before\n"
    assert sorted(os.listdir(tmp_path)) == ["data.jsonl", "out.jsonl"]


def test_disk_full_in_export_names_the_output(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "ds"
    assert export(data, out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "")))
    code, output = export(data, out, "--force")
    assert code == 1
    assert only_line(output) == f"error: {out}: cannot write: No space left on device"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ["data.jsonl", "ds"]


def test_disk_full_in_suggest_names_the_output_and_keeps_it_whole(
    data: Path, tmp_path: Path, disk_full: None
) -> None:
    out = tmp_path / "out.jsonl"
    first = orjson.dumps({**RECORD, "text": "Meta recrute chez OpenAI (0)."}) + b"\n"
    out.write_bytes(first)  # resumed: the next append fails
    code, output = run("suggest", data, "-o", out, "--model", "none")
    assert code == 1
    assert output.strip().splitlines()[-1] == f"error: {out}: No space left on device"
    assert out.read_bytes() == first  # the part written before the failure was cut off


def test_permission_denied_names_the_output_not_the_temporary_path(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder where nothing can be created, faked (chmod does not stop root)."""

    def denied(suffix: str = "", prefix: str = "", dir: str = "") -> Any:
        name = os.path.join(dir, f"{prefix}abcdefgh{suffix}")
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    hint = f"Permission denied (the folder {tmp_path} must be writable)"
    code, output = run("convert", data, "-o", tmp_path / "out.jsonl")
    assert (
        code == 1 and only_line(output) == f"error: {tmp_path / 'out.jsonl'}: cannot write: {hint}"
    )
    code, output = export(data, tmp_path / "ds")
    assert code == 1 and only_line(output) == f"error: {tmp_path / 'ds'}: cannot write: {hint}"


@pytest.mark.skipif(os.geteuid() == 0, reason="chmod does not restrict root")
def test_a_read_only_output_folder_is_named(data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        for args in (
            ("convert", data, "-o", folder / "out.jsonl"),
            ("export", data, "-o", folder / "ds", "-f", "jsonl"),
            ("suggest", data, "-o", folder / "out.jsonl", "--model", "none"),
        ):
            code, output = run(*args)
            line = output.strip().splitlines()[-1]
            assert code == 1 and line.startswith(f"error: {args[3]}: ") and ".tmp" not in line
            assert "Permission denied" in line and os.listdir(folder) == []
    finally:
        folder.chmod(0o755)
