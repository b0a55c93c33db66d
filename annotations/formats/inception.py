"""What INCEpTION's (and WebAnno's) export formats share: offsets in UTF-16 code units, and the
project export's folder layout.

INCEpTION is written in Java, whose strings count UTF-16 units: an emoji (U+1F60A) is two of
them, one code point (one Python character). `Utf16` turns such offsets into ours.

A project export holds `annotation/DOCUMENT/USER.tsv` (or `.json`): one folder per document,
one file per user. `documents()` reads that layout (each subfolder an article, `meta.source`,
each file in it an annotator named by the file), a folder of files (one record each; when there
are several they are taken for that layout's one document folder, the `user1.tsv`, `user2.tsv`
of a document: the file names are the annotators, as `relecture agree` names one file per
annotator, and the folder is the document), or a single file (no annotator, `meta.source` its
name).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from annotations.align import Policy
from annotations.errors import InputError
from annotations.formats.base import Item, complete
from annotations.inputs import files_in
from annotations.records import Record

log = logging.getLogger("relecture.formats")

NAMED_ENTITY = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"


class Utf16:
    """Offsets in UTF-16 units of `text` to code-point offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        # where each character beyond U+FFFF (two units) starts, in units
        self._astral: list[int] = []
        if not text.isascii():
            for i, ch in enumerate(text):
                if ord(ch) > 0xFFFF:
                    self._astral.append(i + len(self._astral))
        self.units = len(text) + len(self._astral)

    def index(self, offset: int) -> int | None:
        """The code-point offset at UTF-16 `offset`, or None when it is beyond the text or
        between the two halves of a character."""
        if not 0 <= offset <= self.units:
            return None
        before = bisect.bisect_left(self._astral, offset)
        if before and self._astral[before - 1] + 1 == offset:
            return None  # inside a surrogate pair
        return offset - before


def units(text: str) -> int:
    """The length of `text` in UTF-16 units."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass(frozen=True, slots=True)
class Document:
    file: Path
    annotator: str | None
    source: str  # meta.source: the file's name, or the document's folder in a project export


def documents(path: Path, pattern: str) -> list[Document]:
    """The files to read under `path` (see the module docstring); `[]` when there are none."""
    if path.is_file():
        return [Document(path, None, path.name)]
    files = files_in(path, pattern)
    if len(files) == 1:
        return [Document(files[0], None, files[0].name)]
    if files:  # one document's annotators: the folder is the document
        return [Document(f, f.stem, path.resolve().name) for f in files]
    return [
        Document(f, f.stem, sub.name)
        for sub in sorted(d for d in path.iterdir() if d.is_dir())
        for f in files_in(sub, pattern)
    ]


@dataclass(slots=True)
class Notes:
    """What a whole input left out, told once at its end."""

    layers: set[str]
    no_value: int = 0
    zero_width: int = 0

    def tell(self, path: Path, layer: str) -> None:
        short = layer.rsplit(".", 1)[-1]
        if self.no_value:
            log.warning(
                "%s: %d %s annotation(s) without a value ('*') not read: a span needs a label",
                path,
                self.no_value,
                short,
            )
        if self.zero_width:
            log.warning("%s: %d zero-width %s annotation(s) not read", path, self.zero_width, short)
        others = sorted(self.layers)
        if others:
            log.warning(
                "%s: layer(s) not read: %s (only %s is; --spans-key LAYER reads another span layer)",
                path,
                ", ".join(others),
                short,
            )


def read_documents(
    path: Path,
    pattern: str,
    read_one: Callable[[Document, str | None, Notes], tuple[Record, str | None]],
    policy: Policy | str,
    spans_key: str | None,
    kind: str,
) -> Iterator[Item]:
    """Every document of `path` (see `documents`) as `read_one(document, spans_key, notes)`
    reads it: the record and the layer it read (None: the file has none of it). What was left out is told once, at the end;
    a `spans_key` that no file has (a typing mistake) is an error."""
    docs = documents(path, pattern)
    if not docs:
        raise InputError(path, 0, f"folder has no {pattern.lstrip('*')} files")
    notes = Notes(set())
    found: str | None = None
    for doc in docs:
        record, layer = read_one(doc, spans_key, notes)
        found = found or layer
        yield Item(record, str(doc.file), complete(record, policy))
    if spans_key is not None and found is None:
        others = ", ".join(sorted(notes.layers)) or "none"
        raise InputError(path, 0, f"no {kind} {spans_key!r} in any file (the others: {others})")
    notes.tell(path, found or spans_key or NAMED_ENTITY)
