"""Temporary files and folders of the commands that write whole outputs (export, convert), named
so that a later run of the same command on the same output finds what a killed run left behind
and removes it, and only that.

A scratch path of output `OUT` made by command `CMD` is `.OUT.relecture-CMD-PID-XXXXXXXX.tmp`
(`.old` for an earlier export set aside) beside OUT. While its run is alive it holds an advisory
lock (`flock`) on it, released by the kernel when the process dies, however it dies. A leftover
is removed only when its lock can be taken and its process is gone (the pid check covers the
moment between creating the path and locking it, and file systems without `flock`); a run still
alive is never touched, even when another user or machine runs it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

STEM_MAX = 120  # characters of OUT's name kept in a scratch name (file names stop at 255 bytes)
_NAME = re.compile(
    r"\.(?P<stem>.+)\.relecture-(?P<cmd>[a-z]+)-(?P<pid>\d+)-[a-z0-9_]{8}\.(tmp|old)"
)


def _prefix(out: Path, command: str) -> str:
    return f".{out.name[:STEM_MAX]}.relecture-{command}-{os.getpid()}-"


def is_scratch(path: Path, out: Path) -> bool:
    """Whether `path` is a scratch path of `out` (of any command), or lies inside one."""
    for p in (path, *path.parents):
        m = _NAME.fullmatch(p.name)
        if m and m["stem"] == out.name[:STEM_MAX] and _same_folder(p.parent, out.parent):
            return True
    return False


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _lock(fd: int) -> bool | None:
    """Take the lock without waiting: True, False when someone holds it, None if the file
    system does not lock (then the pid alone decides)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


@contextlib.contextmanager
def scratch_folder(out: Path, command: str, suffix: str = ".tmp") -> Iterator[Path]:
    """A new locked scratch folder beside `out`, locked until the block ends (the folder may
    have been renamed meanwhile: the lock goes with it). The caller removes or renames it."""
    path = Path(tempfile.mkdtemp(prefix=_prefix(out, command), suffix=suffix, dir=out.parent))
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _lock(fd)
        yield path
    finally:
        os.close(fd)


@contextlib.contextmanager
def scratch_file(out: Path, command: str) -> Iterator[tuple[int, Path]]:
    """A new locked scratch file beside `out`: its descriptor (open for writing; closed when
    the block ends, which releases the lock) and its path. The caller renames or removes it."""
    fd, name = tempfile.mkstemp(prefix=_prefix(out, command), suffix=".tmp", dir=out.parent)
    try:
        _lock(fd)
        yield fd, Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier process with our pid (a container restarted); we hold ours
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OverflowError:
        return False
    return True


def clean_leftovers(
    out: Path, command: str, notice: Callable[[str], None] | None = None, what: str = ""
) -> int:
    """Remove the scratch paths `command` left beside `out` in runs that were killed, with one
    notice each (`removed leftover temporary folder X from an interrupted export`). An `.old`
    folder is an earlier export set aside just before the new one took its place: when `out` is
    missing (the run died between the two renames), it is put back instead. Returns how many."""
    what = what or command
    try:
        entries = list(os.scandir(out.parent))
    except OSError:
        return 0
    count = 0
    for entry in entries:
        m = _NAME.fullmatch(entry.name)
        if not m or m["cmd"] != command or m["stem"] != out.name[:STEM_MAX]:
            continue
        path = out.parent / entry.name
        if _remove_if_dead(path, int(m["pid"]), out, what, notice):
            count += 1
    return count


def _remove_if_dead(
    path: Path, pid: int, out: Path, what: str, notice: Callable[[str], None] | None
) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False  # gone meanwhile (another run cleaned it), or a symlink: not ours
    try:
        locked = _lock(fd)
        if locked is False or _alive(pid):
            return False
        folder = os.path.isdir(path)
        kind = "folder" if folder else "file"
        if path.suffix == ".old" and (path / "old").is_dir() and not os.path.lexists(out):
            os.rename(path / "old", out)
            _say(notice, f"restored {out} from {path}, set aside by an interrupted {what}")
        if folder:
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        if os.path.lexists(path):
            return False
        _say(notice, f"removed leftover temporary {kind} {path} from an interrupted {what}")
        return True
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.EACCES, errno.EPERM, errno.EROFS, errno.EBUSY):
            raise
        return False
    finally:
        os.close(fd)


def _say(notice: Callable[[str], None] | None, message: str) -> None:
    if notice is not None:
        notice(message)
