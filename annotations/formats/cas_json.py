"""INCEpTION's UIMA CAS JSON (`%TYPES`, `%FEATURE_STRUCTURES`, `%VIEWS`): one document per file.

What is read, from the initial view (`_InitialView`): the text (its sofa's `sofaString`), the
`Token` annotations as the record's tokens, and the `NamedEntity` annotations (or, with
`spans_key`, the annotations of that type) as spans: `begin`/`end` in UTF-16 units, turned into
characters, and the `value` feature as the label (`identifier`, when set, kept in the span). The
document's `DocumentMetaData.documentId` becomes `meta.doc_id`. Annotations without a value and
zero-width ones are not read, and the other annotation types are named, each in one warning for
the whole input. A folder is read as `annotations.formats.inception.documents` says (a project
export: one folder per document, one file per user).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from annotations.align import Policy
from annotations.checks import is_int, type_name
from annotations.errors import InputError
from annotations.formats.base import Item
from annotations.formats.inception import (
    NAMED_ENTITY,
    Document,
    Notes,
    Utf16,
    documents,
    read_documents,
)
from annotations.inputs import read_input
from annotations.records import Record, Span, Token

TOKEN = "de.tudarmstadt.ukp.dkpro.core.api.segmentation.type.Token"
_STRUCTURE = frozenset(
    (
        TOKEN,
        "de.tudarmstadt.ukp.dkpro.core.api.segmentation.type.Sentence",
        "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData",
        "uima.tcas.DocumentAnnotation",
        "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.TagsetDescription",
        "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.TagDescription",
    )
)


def looks_like_cas_json(head: bytes) -> bool:
    """A JSON object whose first key is a CAS JSON section (`%TYPES`, `%FEATURE_STRUCTURES`,
    `%VIEWS`: they all start with `%`)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"{") and start[1:].lstrip().startswith(b'"%')


def is_cas_json(path: Path) -> bool:
    """A folder of CAS JSON files (see `annotations.formats.inception`)."""
    return any(looks_like_cas_json(read_input(doc.file, 4096)) for doc in documents(path, "*.json"))


def read_cas_json(
    path: Path, policy: Policy | str = Policy.SPLIT, spans_key: str | None = None
) -> Iterator[Item]:
    return read_documents(path, "*.json", _read_file, policy, spans_key, "annotation type")


def _load(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(read_input(path))
    except orjson.JSONDecodeError as exc:
        raise InputError(path, exc.lineno, f"invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or "%FEATURE_STRUCTURES" not in data:
        raise InputError(
            path, 0, "not a UIMA CAS JSON file (want an object with '%FEATURE_STRUCTURES')"
        )
    return data


def _structures(data: dict[str, Any], path: Path) -> dict[int, dict[str, Any]]:
    """The feature structures by `%ID` (an array of them, or an object keyed by id)."""
    raw = data["%FEATURE_STRUCTURES"]
    if isinstance(raw, dict):
        items = list(raw.values())
    elif isinstance(raw, list):
        items = raw
    else:
        raise InputError(path, 0, f"'%FEATURE_STRUCTURES' must be an array, got {type_name(raw)}")
    out: dict[int, dict[str, Any]] = {}
    for n, fs in enumerate(items, 1):
        if (
            not isinstance(fs, dict)
            or not is_int(fs.get("%ID"))
            or not isinstance(fs.get("%TYPE"), str)
        ):
            raise InputError(
                path,
                0,
                f"feature structure {n}: want an object with an integer '%ID' and a '%TYPE'",
            )
        out[fs["%ID"]] = fs
    return out


def _supertypes(data: dict[str, Any]) -> dict[str, str]:
    types = data.get("%TYPES")
    if not isinstance(types, dict):
        return {}
    return {
        name: t["%SUPER_TYPE"]
        for name, t in types.items()
        if isinstance(t, dict) and isinstance(t.get("%SUPER_TYPE"), str)
    }


def _is_a(name: str, wanted: str, supers: dict[str, str]) -> bool:
    seen: set[str] = set()
    while name not in seen:
        if name == wanted or name.rsplit(".", 1)[-1] == wanted:
            return True
        seen.add(name)
        if name not in supers:
            return False
        name = supers[name]
    return False


def _sofa(data: dict[str, Any], structures: dict[int, dict[str, Any]], path: Path) -> int:
    views = data.get("%VIEWS")
    if isinstance(views, dict) and isinstance(views.get("_InitialView"), dict):
        sofa = views["_InitialView"].get("%SOFA")
        if is_int(sofa) and sofa in structures:
            return sofa
    sofas = [i for i, fs in structures.items() if fs["%TYPE"] == "uima.cas.Sofa"]
    if len(sofas) != 1:
        raise InputError(
            path, 0, f"cannot tell the document's text: {len(sofas)} sofas and no _InitialView"
        )
    return sofas[0]


def _read_file(doc: Document, spans_key: str | None, notes: Notes) -> tuple[Record, str | None]:
    path = doc.file
    data = _load(path)
    structures = _structures(data, path)
    supers = _supertypes(data)
    sofa_id = _sofa(data, structures, path)
    text = structures[sofa_id].get("sofaString")
    if not isinstance(text, str):
        raise InputError(
            path, 0, "the document's text is not in the file (its sofa has no sofaString)"
        )
    if not text.strip():
        raise InputError(path, 0, "the document's text is empty")
    views = data.get("%VIEWS")
    view = views.get("_InitialView") if isinstance(views, dict) else None
    members = view.get("%MEMBERS") if isinstance(view, dict) else None
    indexed = set(members) if isinstance(members, list) else None
    wanted = spans_key or NAMED_ENTITY
    to_cp = Utf16(text)

    def offsets(fs: dict[str, Any]) -> tuple[int, int]:
        begin, end = fs.get("begin", 0), fs.get("end", 0)
        s = to_cp.index(begin) if is_int(begin) else None
        e = to_cp.index(end) if is_int(end) else None
        if s is None or e is None or e < s:
            raise InputError(
                path,
                0,
                f"{fs['%TYPE'].rsplit('.', 1)[-1]} %ID {fs['%ID']}: offsets {begin!r}-{end!r} are "
                f"not within the text ({to_cp.units} UTF-16 units)",
            )
        return s, e

    tokens: list[tuple[int, int]] = []
    spans: list[Span] = []
    meta: dict[str, Any] = {"source": doc.source}
    has_type = False
    for fs_id, fs in structures.items():
        if fs.get("@sofa") != sofa_id or (indexed is not None and fs_id not in indexed):
            continue
        kind = fs["%TYPE"]
        if kind.endswith("DocumentMetaData") and isinstance(fs.get("documentId"), str):
            meta["doc_id"] = fs["documentId"]
        if _is_a(kind, TOKEN, supers):
            tokens.append(offsets(fs))
        elif _is_a(kind, wanted, supers):
            has_type = True
            s, e = offsets(fs)
            label = fs.get("value")
            if not isinstance(label, str) or not label:
                notes.no_value += 1
            elif s == e:
                notes.zero_width += 1
            else:
                ident = fs.get("identifier")
                extra = {"identifier": ident} if isinstance(ident, str) and ident else None
                spans.append(Span(s, e, label, extra=extra))
        elif ("begin" in fs or "end" in fs) and kind not in _STRUCTURE:
            notes.layers.add(kind)
    spans.sort(key=lambda sp: sp.start)
    record = Record(
        text=text,
        meta=meta,
        tokens=_tokens(sorted(tokens), text, path) if tokens else None,
        spans=spans,
        annotator=doc.annotator,
    )
    return record, wanted if has_type else None


def _tokens(offsets: list[tuple[int, int]], text: str, path: Path) -> list[Token]:
    out: list[Token] = []
    for s, e in offsets:
        if s == e:
            continue
        if out and s < out[-1].end:
            raise InputError(path, 0, f"Token annotations overlap at {s}-{e}")
        out.append(Token(text[s:e], s, e, len(out), text.startswith(" ", e)))
    return out
