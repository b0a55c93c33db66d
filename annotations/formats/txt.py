"""Plain text: one article per `.txt` file, a file or a folder of them; id = the file name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotations.errors import InputError
from annotations.formats.base import Item, complete
from annotations.inputs import (
    HEAD_BYTES,
    encoding_problem,
    files_in,
    read_input,
    utf8_error_line,
    utf8_problem,
)
from annotations.records import Record
from annotations.store.lines import BOM


def read_text_file(path: Path, normalise_newlines: bool = True) -> str:
    """UTF-8 text (BOM dropped; CRLF -> LF unless offsets refer to the raw file). Errors: file:line,
    another encoding named (UTF-16, latin-1...)."""
    raw = read_input(path)
    problem = encoding_problem(raw[:HEAD_BYTES])
    if problem:
        raise InputError(path, 0, problem)
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    if b"\x00" in raw:
        at = raw.index(0)
        raise InputError(path, raw.count(b"\n", 0, at) + 1, "NUL byte (binary or corrupt file)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        line = utf8_error_line(raw)
        raise InputError(path, line, utf8_problem(raw) or "not valid UTF-8") from None
    return text.replace("\r\n", "\n") if normalise_newlines else text


def txt_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    files = files_in(path, "*.txt", recursive=True)
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
