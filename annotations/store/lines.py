"""Reading JSONL lines safely: UTF-8 BOM and CRLF handled, NUL bytes, bad UTF-8, other encodings
(named), overlong lines and invalid JSON reported as `file:line: message`. Files are opened with
`annotations.inputs.open_input` (a FIFO or a device is refused, never opened blindly).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from annotations.errors import InputError
from annotations.inputs import HEAD_BYTES, encoding_problem, open_input, utf8_problem

MAX_LINE_BYTES = 16_000_000
BOM = b"\xef\xbb\xbf"


def decode_line(raw: bytes, path: str | Path, lineno: int) -> Any:
    """Parse one JSONL line (without its newline) or raise InputError."""
    if b"\x00" in raw:
        raise InputError(
            path, lineno, f"NUL byte at column {raw.index(0) + 1} (binary or corrupt file)"
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        bad_utf8 = utf8_problem(raw)
        raise InputError(path, lineno, bad_utf8 or f"invalid JSON: {exc}") from None


def iter_raw_lines(
    fh: BinaryIO, path: str | Path, max_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | InputError]]:
    """(line number, bytes without newline) for each non-blank line; an overlong line yields an
    `InputError` in place of its bytes (and is skipped), so a caller may report it and go on."""
    lineno = 0
    while True:
        raw = fh.readline(max_bytes + 1)
        if not raw:
            return
        lineno += 1
        if lineno == 1:
            problem = encoding_problem(raw[:HEAD_BYTES])
            if problem:  # the whole file is: no line of it would read
                raise InputError(path, 0, problem)
            if raw.startswith(BOM):
                raw = raw[len(BOM) :]
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            size = len(raw)
            while raw and not raw.endswith(b"\n"):
                raw = fh.readline(1 << 20)
                size += len(raw)
            message = f"line is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for one record"
            yield lineno, InputError(path, lineno, message)
            continue
        raw = raw.rstrip(b"\r\n")
        if raw.strip():
            yield lineno, raw


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, decoded JSON) for each non-blank line of a JSONL file; errors raise."""
    with open_input(path) as fh:
        empty = True
        for lineno, raw in iter_raw_lines(fh, path):
            empty = False
            if isinstance(raw, InputError):
                raise raw
            yield lineno, decode_line(raw, path, lineno)
        if empty:
            raise InputError(path, 0, "file is empty (no records)")
