"""spaCy DocBin files (`.spacy`, as `spacy train` reads them and `relecture export --format spacy`
writes them; `annotations.export.docbin` is the writer): a file, or a folder of them.

Each Doc is one record: its text, its tokens (text, `idx`, trailing whitespace) as the record's
tokens, and `doc.ents` as spans; with `spans_key` (`--spans-key KEY`), the span group
`doc.spans[KEY]` instead (it may overlap). `doc.user_data` entries with a string key and a JSON
value are kept in `meta`; the others (spaCy's extension attributes, whose keys are tuples, and
values JSON cannot hold) are dropped, with one warning for the whole input. A DocBin holds no
annotator and no answer: the records come without them (several files given to `agree` are
named after the files, as for every format).

A file that is not a DocBin, a truncated one, or one this spaCy cannot read (another DocBin
version, attribute ids another spaCy version numbered) is one `file: ...` error.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from annotations.align import Policy
from annotations.checks import nesting_problem
from annotations.errors import InputError
from annotations.formats.base import Item, complete
from annotations.inputs import files_in, one_line, read_input
from annotations.records import Record, Span, Token

log = logging.getLogger("relecture.formats")

_KEYS = ("attrs", "tokens", "spaces", "lengths", "strings")


def looks_like_docbin(head: bytes) -> bool:
    """zlib-compressed msgpack whose map holds a DocBin's keys (a file not named `.spacy`)."""
    if len(head) < 2 or head[0] != 0x78:
        return False
    try:
        data = zlib.decompressobj().decompress(head, 256)
    except zlib.error:
        return False
    return bool(data) and (0x80 <= data[0] <= 0x8F or data[0] in (0xDE, 0xDF)) and b"attrs" in data


def is_docbin(path: Path) -> bool:
    """A folder holding `.spacy` files."""
    return bool(files_in(path, "*.spacy"))


def _message(data: bytes, path: Path) -> dict[Any, Any]:
    """The DocBin's msgpack map, checked enough for spaCy to read it without surprises."""
    import srsly  # type: ignore[import-untyped]

    inflate = zlib.decompressobj()
    try:
        raw = inflate.decompress(data)
    except zlib.error:
        raise InputError(path, 0, "not a spaCy DocBin (.spacy) file: not zlib-compressed") from None
    if not inflate.eof:
        raise InputError(path, 0, "truncated DocBin: the compressed data ends early")
    try:
        msg: Any = srsly.msgpack_loads(raw)
    except Exception:
        raise InputError(path, 0, "not a spaCy DocBin: the data is not msgpack") from None
    missing = [k for k in _KEYS if not isinstance(msg, dict) or k not in msg]
    if missing:
        raise InputError(path, 0, f"not a spaCy DocBin: no {', '.join(map(repr, missing))}")
    return dict(msg)


def _spacy_version() -> str:
    from importlib.metadata import version

    return version("spacy")


def _check_version(msg: dict[Any, Any], path: Path) -> None:
    from spacy.attrs import IDS
    from spacy.tokens import DocBin

    theirs, ours = msg.get("version"), DocBin().version
    if theirs is not None and theirs != ours:
        raise InputError(
            path,
            0,
            f"DocBin format version {theirs!r}: this spaCy ({_spacy_version()}) reads version "
            f"{ours!r} (written by another spaCy version?)",
        )
    attrs = msg["attrs"]
    known = set(IDS.values())
    unknown = [a for a in attrs if a not in known] if isinstance(attrs, list) else [attrs]
    if unknown:
        raise InputError(
            path,
            0,
            f"the DocBin's token attributes {unknown[:5]} are not ones this spaCy "
            f"({_spacy_version()}) knows (written by another spaCy version?)",
        )


def _docs(path: Path) -> list[Any]:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    data = read_input(path)
    _check_version(_message(data, path), path)
    try:
        return list(DocBin().from_bytes(data).get_docs(Vocab()))
    except Exception as exc:
        raise InputError(
            path, 0, f"this spaCy ({_spacy_version()}) cannot read the DocBin: {one_line(exc)}"
        ) from None


class _Dropped:
    def __init__(self) -> None:
        self.user_data = 0
        self.unlabelled = 0
        self.groups: set[str] = set()  # span groups not read (without spans_key)


def _meta(doc: Any, file: Path, n: int, dropped: _Dropped) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, value in doc.user_data.items():
        try:  # through JSON: msgpack gives tuples for arrays
            kept = orjson.loads(orjson.dumps(value)) if isinstance(key, str) else None
        except (TypeError, orjson.JSONEncodeError):
            kept = None
        if kept is None or nesting_problem(kept):
            dropped.user_data += 1
        else:
            meta[key] = kept
    meta.setdefault("source", file.name)
    meta.setdefault("doc", n)
    return meta


def read_docbin(
    path: Path, policy: Policy | str = Policy.SPLIT, spans_key: str | None = None
) -> Iterator[Item]:
    files = [path] if path.is_file() else files_in(path, "*.spacy")
    if not files:
        raise InputError(path, 0, "folder has no .spacy files")
    dropped = _Dropped()
    keys_seen: set[str] = set()
    for file in files:
        for n, doc in enumerate(_docs(file), 1):
            keys_seen.update(doc.spans.keys())
            if spans_key is None:
                chosen = doc.ents
                if not chosen:
                    dropped.groups.update(k for k, g in doc.spans.items() if len(g))
            else:
                chosen = doc.spans.get(spans_key, ())
            spans = []
            for ent in chosen:
                if ent.label_:
                    spans.append(Span(ent.start_char, ent.end_char, ent.label_))
                else:
                    dropped.unlabelled += 1
            text = doc.text
            if not text:
                raise InputError(file, 0, f"doc {n} has no text")
            tokens = [
                Token(t.text, t.idx, t.idx + len(t.text), t.i, bool(t.whitespace_)) for t in doc
            ]
            record = Record(
                text=text, meta=_meta(doc, file, n, dropped), tokens=tokens, spans=spans
            )
            yield Item(record, f"{file}:doc {n}", complete(record, policy))
    if spans_key is not None and spans_key not in keys_seen:
        found = ", ".join(sorted(keys_seen)) or "none"
        raise InputError(path, 0, f"no doc has a span group {spans_key!r} (span groups: {found})")
    _tell(path, dropped)


def _tell(path: Path, dropped: _Dropped) -> None:
    if dropped.user_data:
        log.warning(
            "%s: %d user_data entr%s not kept (not a string key with a JSON value: spaCy "
            "extension attributes...)",
            path,
            dropped.user_data,
            "y" if dropped.user_data == 1 else "ies",
        )
    if dropped.unlabelled:
        log.warning("%s: %d spans without a label not read", path, dropped.unlabelled)
    if dropped.groups:
        log.warning(
            "%s: docs without doc.ents have span groups (%s): --spans-key KEY reads one",
            path,
            ", ".join(sorted(dropped.groups)),
        )
