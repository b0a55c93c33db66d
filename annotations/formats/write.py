"""Writing records as our JSONL, Prodigy JSONL, doccano JSONL or Label Studio JSON, atomically:
a temporary file beside the target, fsync'd, then renamed. An existing target is refused unless
`force`. brat standoff is a folder: `annotations.formats.brat_write`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from annotations import outputs
from annotations.errors import UsageError
from annotations.formats.brat_write import write_brat
from annotations.formats.labelstudio_write import write_labelstudio
from annotations.labels import LabelScheme
from annotations.outputs import naming_output
from annotations.records import Record
from annotations.store import atomic

WRITE_FORMATS = ("jsonl", "prodigy", "doccano", "labelstudio", "brat")


def to_prodigy(record: Record) -> dict[str, Any]:
    out = record.to_dict()
    out.pop("suggestions", None)
    out.setdefault("_view_id", "ner_manual")
    return out


def to_doccano(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": record.text,
        "label": [[s.start, s.end, s.label] for s in record.spans or ()],
    }
    if record.meta:
        out["meta"] = record.meta
    if record.annotator is not None:
        out["_annotator_id"] = record.annotator
    return out


_SERIALISERS: dict[str, Callable[[Record], dict[str, Any]]] = {
    "jsonl": Record.to_dict,
    "prodigy": to_prodigy,
    "doccano": to_doccano,
}
# formats written as one document rather than a line per record: (records, file) -> records read
_DOCUMENTS: dict[str, Callable[[Iterable[Record], BinaryIO], int]] = {
    "labelstudio": write_labelstudio,
}


def _file_mode(out: Path) -> int:
    """The replaced file's mode, or what a plain open() would give (mkstemp makes 0600)."""
    try:
        return out.stat().st_mode & 0o7777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_records(
    records: Iterable[Record],
    out: str | Path,
    fmt: str = "jsonl",
    force: bool = False,
    notice: Callable[[str], None] | None = None,
    scheme: LabelScheme | None = None,
    reads: Sequence[outputs.Input] = (),
) -> int:
    """Write all records to `out` or nothing at all. Returns the number written. `notice` is
    told of each leftover of a killed run that is removed (see `annotations.store.scratch`).
    `brat` writes a folder (`annotations.formats.brat_write`: `scheme` gives its labels, `reads`
    the inputs it must not replace)."""
    out = Path(out)
    if fmt == "brat":
        return write_brat(records, out, scheme, force=force, notice=notice, reads=reads)
    if fmt not in _SERIALISERS and fmt not in _DOCUMENTS:
        raise UsageError(f"cannot write {fmt!r} (one of {', '.join(WRITE_FORMATS)})")
    if out.exists() and not force:
        raise UsageError(f"{out} exists; pass --force to replace it")
    count = 0
    with naming_output(out), atomic.file_whole(out, "convert", _file_mode(out), notice) as fh:
        if fmt in _DOCUMENTS:
            count = _DOCUMENTS[fmt](records, fh)
        else:
            serialise = _SERIALISERS[fmt]
            for record in records:
                fh.write(orjson.dumps(serialise(record)))
                fh.write(b"\n")
                count += 1
    return count
