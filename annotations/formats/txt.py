"""Plain text: one article per `.txt` file, a file or a folder of them; id = the file name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotations.errors import InputError
from annotations.formats.base import Item, complete
from annotations.records import Record
from annotations.store.lines import BOM


def read_text_file(path: Path, normalise_newlines: bool = True) -> str:
    """UTF-8 text (BOM dropped; CRLF -> LF unless offsets refer to the raw file). Errors: file:line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(path, 0, f"cannot read: {exc.strerror}") from None
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    if b"\x00" in raw:
        at = raw.index(0)
        raise InputError(path, raw.count(b"\n", 0, at) + 1, "NUL byte (binary or corrupt file)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            path, line, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n") if normalise_newlines else text


def txt_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*.txt") if p.is_file())
    if not files:
        raise InputError(path, 0, "folder has no .txt files")
    return files


def read_txt(path: Path, tokens: bool = True) -> Iterator[Item]:
    for file in txt_files(path):
        text = read_text_file(file)
        if not text.strip():
            raise InputError(file, 1, "empty article (the file has no text)")
        name = str(file.relative_to(path)) if path.is_dir() else file.name
        record = Record(text=text, meta={"source": name})
        if tokens:
            complete(record)
        else:
            record.with_hashes()
        yield Item(record, str(file))
