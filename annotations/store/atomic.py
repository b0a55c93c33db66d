"""Atomic writes: a file (`file_whole`: a converted file; `replace_file`: a draft) or a folder
(`written_whole`: an export, a trained model, a brat folder) is there whole or not at all.

A file is written to a temporary file beside it, fsync'd, renamed over the target, and the
folder fsync'd. For a folder, everything goes to a locked scratch folder beside the target first (`annotations.store.scratch`:
what a killed run left there, the next run of the same command removes). A target that exists is
refused unless `force`, and even then only when it is empty or was written by the same command
(it holds that command's marker file), so that `-o ~ --force` cannot delete a home folder. With
`force`, the new folder and the old one are swapped atomically (Linux `renameat2(RENAME_EXCHANGE)`;
elsewhere the old one is renamed aside first) and the old one is then deleted. A failure at any
point before the swap leaves the target as it was and removes the scratch folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from annotations import outputs
from annotations.errors import UsageError
from annotations.store.scratch import clean_leftovers, scratch_file, scratch_folder
from annotations.store.writer import fsync_dir


def check_target(
    out: Path,
    force: bool,
    marker: str,
    what: str,
    reads: Sequence[outputs.Input] = (),
) -> None:
    """Refuse a target that exists (without force), is a file, was not written by this command
    (it has no `marker`), is or holds one of `reads`, or lies inside an input folder."""
    outputs.check_output(out, reads, folder=True)
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir() or out.is_symlink():
        raise UsageError(f"{out} exists and is not a folder; choose another -o")
    if not force:
        raise UsageError(f"{out} exists; pass --force to replace it")
    if any(out.iterdir()) and not (out / marker).exists():
        raise UsageError(
            f"{out} is not {what} (it has no {marker}); refusing to replace it, even with --force"
        )


@contextlib.contextmanager
def written_whole(
    out: Path, command: str, notice: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """A scratch folder to fill; when the block ends without an error its files are made durable
    and it takes `out`'s place in one rename; on any error it is removed and `out` is untouched."""
    with outputs.naming_output(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(out, command, notice)
        with scratch_folder(out, command) as tmp:
            try:
                yield tmp
                make_durable(tmp)
                swap_into_place(tmp, out, command)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise


def make_durable(root: Path) -> None:
    """fsync every file and folder under `root` (before the rename makes them visible)."""
    for folder, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_into_place(tmp: Path, out: Path, command: str) -> None:
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes 0700
    parent = out.resolve().parent
    if not out.exists():
        os.rename(tmp, out)
        fsync_dir(parent)
        return
    if exchange(tmp, out):  # tmp now holds the old folder
        fsync_dir(parent)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    with scratch_folder(out, command, suffix=".old") as aside:
        os.rename(out, aside / "old")
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(aside / "old", out)
            raise
        fsync_dir(parent)
        shutil.rmtree(aside, ignore_errors=True)


def replace_file(path: Path, data: bytes) -> None:
    """`path` holds `data`, durably, or what it held before: `PATH.tmp` is written, fsync'd and
    renamed over it (for small files rewritten often by one writer: the review screens' drafts)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


@contextlib.contextmanager
def file_whole(
    out: Path, command: str, mode: int, notice: Callable[[str], None] | None = None
) -> Iterator[BinaryIO]:
    """A file object whose content becomes `out` when the block ends without an exception (a
    locked scratch file beside `out`, fsync'd and renamed over it); else `out` is as it was.
    A killed run's scratch file is removed by the next run of `command`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out, command, notice)
    with scratch_file(out, command) as (fd, tmp):
        try:
            os.fchmod(fd, mode)
            fh = os.fdopen(fd, "wb", closefd=False)  # the scratch keeps fd (and its lock)
            with fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, out)
            fsync_dir(out.resolve().parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
