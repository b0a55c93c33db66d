"""Opening an input file safely, and naming what it holds when it is not UTF-8 text.

Every reader opens its files here. A path is `stat`ed before it is opened: a FIFO, a device or a
socket is refused (reading one blindly hangs, or reads a terminal), as are broken symbolic links,
link loops and files or folders the user may not read, each as `InputError` (`file: what is
wrong`). A folder input is walked the same way: every file a reader would read is checked.
`encoding_problem` names UTF-16/UTF-32, compressed files and archives from their first bytes,
`utf8_problem` says where a line stops being UTF-8 and whether it looks like latin-1 / cp1252.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from annotations.errors import InputError

HEAD_BYTES = 4096  # what `encoding_problem` is given: the first bytes of a file

_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_kind(mode: int) -> str | None:
    """ "a FIFO", "a socket"... for a file type nothing may read or write blindly; None else."""
    return next((name for test, name in _SPECIAL if test(mode)), None)


def _reason(path: str | Path, exc: OSError) -> InputError:
    """An OSError met while looking at or opening `path`, as the user's words."""
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            target = os.readlink(path)
            return InputError(
                path, 0, f"broken symbolic link (to {target!r}, which does not exist)"
            )
        return InputError(path, 0, "no such file or folder")
    if exc.errno == errno.ELOOP:
        return InputError(path, 0, "symbolic link loop (the link leads back to itself)")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InputError(path, 0, "permission denied (you may not read it)")
    if exc.errno == errno.ENOTDIR:
        return InputError(path, 0, "no such file or folder (a part of the path is a file)")
    if exc.errno == errno.EISDIR:
        return InputError(path, 0, "is a folder, not a file")
    return InputError(path, 0, f"cannot read: {exc.strerror or exc}")


def check_path(path: str | Path) -> os.stat_result:
    """The path's `stat` (through symbolic links) when it is a regular file or a folder the
    user may read; anything else raises `InputError`. Nothing is opened."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _reason(path, exc) from None
    special = special_kind(st.st_mode)
    if special:
        raise InputError(path, 0, f"is {special}, not a regular file")
    if stat.S_ISDIR(st.st_mode):
        if not os.access(path, os.R_OK | os.X_OK):
            raise InputError(path, 0, "permission denied (you may not list this folder)")
    elif not os.access(path, os.R_OK):
        raise InputError(path, 0, "permission denied (you may not read it)")
    return st


def check_file(path: str | Path) -> os.stat_result:
    """`check_path`, and a folder is refused too."""
    st = check_path(path)
    if stat.S_ISDIR(st.st_mode):
        raise InputError(path, 0, "is a folder, not a file")
    return st


def open_input(path: str | Path) -> BinaryIO:
    """Open a regular file for reading in binary. Checked by `stat` first, then opened without
    blocking and checked again on the open file (it may have been replaced in between)."""
    check_file(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _reason(path, exc) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise InputError(
            path, 0, f"is {special_kind(st.st_mode) or 'a folder'}, not a regular file"
        )
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_input(path: str | Path, limit: int = -1) -> bytes:
    """The file's bytes (the first `limit` of them when limit ≥ 0), opened with `open_input`."""
    with open_input(path) as fh:
        return fh.read(limit)


def files_in(folder: Path, pattern: str, recursive: bool = False) -> list[Path]:
    """The entries of `folder` matching `pattern` (also in its subfolders when `recursive`),
    sorted; folders named like the pattern are passed over, and every other match must be a
    readable regular file (a FIFO, a broken link... raises `InputError`), as must every folder
    walked."""
    check_path(folder)
    found: list[Path] = []
    for entry in _walk(folder, pattern, recursive):
        if not entry.is_dir():
            check_file(entry)
            found.append(entry)
    return sorted(found)


def _walk(folder: Path, pattern: str, recursive: bool) -> Iterator[Path]:
    if not recursive:
        yield from folder.glob(pattern)
        return

    def refuse(exc: OSError) -> None:
        raise _reason(exc.filename or folder, exc)

    for dirpath, _dirs, _files in os.walk(folder, onerror=refuse):
        yield from Path(dirpath).glob(pattern)


# --- what the bytes are ------------------------------------------------------------------

_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_MAGIC = (
    (b"\x1f\x8b", "is compressed with gzip; decompress it first (gunzip)"),
    (b"BZh", "is compressed with bzip2; decompress it first (bunzip2)"),
    (b"\xfd7zXZ\x00", "is compressed with xz; decompress it first (unxz)"),
    (b"\x28\xb5\x2f\xfd", "is compressed with zstd; decompress it first (unzstd)"),
    (b"PK\x03\x04", "is a zip archive; extract it first (unzip)"),
    (b"PK\x05\x06", "is an empty zip archive"),
    (b"PAR1", "is a Parquet file; name it .parquet or pass --format hf"),
    (b"ARROW1", "is an Arrow file; name it .arrow or pass --format hf"),
)
_EXPECTED = "expected UTF-8; save the file as UTF-8"


def encoding_problem(head: bytes) -> str | None:
    """Why a file that starts with `head` is not UTF-8 text, when its first bytes tell: a UTF-16
    or UTF-32 byte-order mark or the NUL bytes between ASCII letters that UTF-16/32 put there,
    a compressed file, an archive, a Parquet or Arrow file; None otherwise."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return f"encoded as {name} (byte-order mark), {_EXPECTED}"
    for magic, message in _MAGIC:
        # the magic numbers made of letters count only in a binary file (an article may well
        # start with "PAR1"); the others are not text at all
        if head.startswith(magic) and (not magic[:3].isalpha() or b"\x00" in head):
            return message
    sample = head[:256]
    sample = sample[: len(sample) - len(sample) % 4]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        for width, endian, zeros in (
            (4, "little-endian", (1, 2, 3)),
            (4, "big-endian", (0, 1, 2)),
            (2, "little-endian", (1,)),
            (2, "big-endian", (0,)),
        ):
            if _mostly_zero(sample, width, zeros):
                name = "UTF-32" if width == 4 else "UTF-16"
                return f"looks like {name} ({endian}, no byte-order mark), {_EXPECTED}"
    return None


def _mostly_zero(sample: bytes, width: int, zeros: tuple[int, ...]) -> bool:
    """Nine in ten of the bytes at `zeros` positions (modulo `width`) are NUL, and fewer than one
    in ten of the others: ASCII text in a wide encoding."""
    at_zero = [sample[i] for i in range(len(sample)) if i % width in zeros]
    others = [sample[i] for i in range(len(sample)) if i % width not in zeros]
    return at_zero.count(0) * 10 >= len(at_zero) * 9 and others.count(0) * 10 < len(others)


def utf8_problem(raw: bytes) -> str | None:
    """Why a line (or a whole text) is not UTF-8, with the column of the first bad byte and a
    hint when it reads as latin-1 / cp1252 (French text saved by an old editor); None if it is."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        column = exc.start - start + 1
        line = raw[start : raw.find(b"\n", exc.start) if b"\n" in raw[exc.start :] else None]
        hint = "; looks like latin-1 / cp1252?" if _reads_as_cp1252(line) else ""
        return (
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column}{hint}); "
            "save the file as UTF-8"
        )
    return None


def _reads_as_cp1252(line: bytes) -> bool:
    """Every byte above 0x7f is a letter or sign of cp1252 (latin-1's printable part included)."""
    try:
        text = line.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def utf8_error_line(raw: bytes) -> int:
    """The line number (from 1) of the first byte that is not UTF-8 in `raw` (0 if none)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return raw.count(b"\n", 0, exc.start) + 1
    return 0


def one_line(exc: BaseException) -> str:
    """A library's exception message on one line (pyarrow's and datasets' span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__
