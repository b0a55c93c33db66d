"""Which format a path holds, and `read()` that dispatches to the right reader."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

from annotations.align import Policy
from annotations.errors import InputError, UsageError
from annotations.formats.base import Item
from annotations.formats.brat import is_brat, read_brat
from annotations.formats.cas_json import is_cas_json, looks_like_cas_json, read_cas_json
from annotations.formats.conll import looks_like_tag, read_conll
from annotations.formats.docbin import is_docbin, looks_like_docbin, read_docbin
from annotations.formats.doccano import looks_like_doccano, read_doccano
from annotations.formats.hf import is_hf, read_hf
from annotations.formats.jsonl import read_jsonl
from annotations.formats.labelstudio import is_labelstudio, read_labelstudio
from annotations.formats.txt import read_txt
from annotations.formats.webanno_tsv import is_webanno, looks_like_webanno, read_webanno
from annotations.inputs import (
    HEAD_BYTES,
    check_path,
    encoding_problem,
    open_input,
    read_input,
    utf8_problem,
)
from annotations.labels import LabelScheme
from annotations.store.lines import BOM, MAX_LINE_BYTES, decode_line

READ_FORMATS = (
    *("jsonl", "prodigy", "doccano", "brat", "conll", "hf", "txt", "labelstudio"),
    *("webanno", "cas-json", "docbin"),
)
SPAN_KEY_FORMATS = ("webanno", "cas-json", "docbin")  # what `--spans-key` chooses spans of
_CONLL_SUFFIXES = (".conll", ".conllu", ".bio", ".iob", ".iob2", ".bioes", ".tsv")


def detect(path: Path) -> str:
    """The format of a file or folder, from its name and first bytes. A path that is not a
    readable regular file or folder (a FIFO, a device, a broken link...) is refused before
    anything is opened, as is a file in another encoding than UTF-8 (named)."""
    if stat.S_ISDIR(check_path(path).st_mode):
        if is_hf(path):
            return "hf"
        if is_brat(path):
            return "brat"
        for name, test in (
            ("webanno", is_webanno),
            ("cas-json", is_cas_json),
            ("docbin", is_docbin),
        ):
            if test(path):
                return name
        return "txt"  # read_txt says so if there is no .txt in it
    if is_hf(path):
        return "hf"
    head = read_input(path, HEAD_BYTES)
    if path.suffix == ".spacy" or looks_like_docbin(head):
        return "docbin"
    problem = encoding_problem(head)
    if problem:
        raise InputError(path, 0, problem)
    if looks_like_webanno(head):
        return "webanno"
    if looks_like_cas_json(head):
        return "cas-json"
    if path.suffix == ".ann":
        return "brat"
    if path.suffix in _CONLL_SUFFIXES:
        return "conll"
    if path.suffix == ".txt":
        return "conll" if _looks_like_conll(path) else "txt"
    if path.suffix.lower() == ".json" and is_labelstudio(path):
        return "labelstudio"
    return _sniff(path)


def _first_line(path: Path) -> bytes:
    """The first non-blank line, whole (a doccano line may hold a long article)."""
    with open_input(path) as fh:
        for raw in iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""):
            line = raw.removeprefix(BOM).strip()
            if line:
                return line
    return b""


def _looks_like_conll(path: Path, sample: int = 20) -> bool:
    """Every one of the first non-blank lines is `token ... TAG` (CoNLL files named .txt)."""
    seen = 0
    with open_input(path) as fh:
        for raw in fh:
            cols = raw.removeprefix(BOM).decode("utf-8", "replace").split()
            if not cols:
                continue
            if cols[0] != "-DOCSTART-" and not (2 <= len(cols) <= 10 and looks_like_tag(cols[-1])):
                return False
            seen += 1
            if seen == sample:
                break
    return seen > 0


def _sniff(path: Path) -> str:
    first = _first_line(path)
    if not first:
        raise InputError(path, 0, "file is empty (no records)")
    if first.startswith((b"{", b"[")):
        if first in (b"{", b"["):
            return "doccano"  # pretty-printed JSON: only doccano's relation export looks like this
        try:
            obj = decode_line(first, path, 1)
        except InputError:
            return "jsonl"  # the JSONL reader reports the error with its line
        return "doccano" if looks_like_doccano(obj) else "jsonl"
    cols = first.decode("utf-8", "replace").split()
    if cols and (cols[0] == "-DOCSTART-" or (len(cols) >= 2 and looks_like_tag(cols[-1]))):
        return "conll"
    raise InputError(
        path,
        1,
        utf8_problem(first)
        or "cannot tell the format; pass --format (" + "|".join(READ_FORMATS) + ")",
    )


def annotator_name(path: Path) -> str:
    """Who a file's records are by when they do not say: the file's stem, or a folder's name
    (doccano and per-user folders name the annotator that way)."""
    return path.stem if path.is_file() else path.name


def read(
    path: str | Path,
    fmt: str | None = None,
    *,
    policy: Policy | str = Policy.SPLIT,
    scheme: LabelScheme | None = None,
    tokens: bool = True,
    spans_key: str | None = None,
) -> Iterator[Item]:
    """Yield every record in `path`. Bad input raises `InputError` (file:line: message).
    `tokens=False`: articles from formats without tokens (text, brat, doccano) come without
    them (the review screens tokenise the article they show, so that they open before the
    tokenizer has loaded). `spans_key`: which spans a DocBin (span group) or an INCEpTION file
    (layer) gives instead of its named entities."""
    path = Path(path)
    check_path(path)
    fmt = fmt or detect(path)
    if spans_key is not None and fmt not in SPAN_KEY_FORMATS:
        raise UsageError(
            f"{path}: --spans-key is for {', '.join(SPAN_KEY_FORMATS)} input, not {fmt}"
        )
    if fmt == "webanno":
        return read_webanno(path, policy, spans_key)
    if fmt == "cas-json":
        return read_cas_json(path, policy, spans_key)
    if fmt == "docbin":
        return read_docbin(path, policy, spans_key)
    if fmt in ("jsonl", "prodigy"):
        return read_jsonl(path, scheme)
    if fmt == "doccano":
        return read_doccano(path, policy, tokens)
    if fmt == "brat":
        return read_brat(path, policy, tokens)
    if fmt == "conll":
        return read_conll(path)
    if fmt == "hf":
        return read_hf(path)
    if fmt == "txt":
        return read_txt(path, tokens)
    if fmt == "labelstudio":
        return read_labelstudio(path, policy, tokens)
    raise InputError(path, 0, f"unknown format {fmt!r} (one of {', '.join(READ_FORMATS)})")
