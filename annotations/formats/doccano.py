"""doccano sequence-labelling JSONL: `{"text", "label": [[start, end, "LABEL"], ...]}` (1.x export,
one file per user), `entities` with `start_offset`/`end_offset` (relation export, also pretty-printed),
`column_data`/`column_label` (import example) and the 1.0 `annotations` list with `user_name`
(one record per user).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotations.align import Policy
from annotations.errors import InputError
from annotations.formats.base import Item, complete
from annotations.records import Record, Span
from annotations.store.lines import iter_json_lines

_TEXT_KEYS = ("text", "data", "column_data")
_LABEL_KEYS = ("label", "labels", "column_label")
_OWN_KEYS = frozenset((*_TEXT_KEYS, *_LABEL_KEYS, "entities", "annotations", "meta", "relations"))


def looks_like_doccano(obj: Any) -> bool:
    if not isinstance(obj, dict) or any(
        k in obj for k in ("spans", "tokens", "_input_hash", "_task_hash")
    ):
        return False  # our records (and Prodigy's) may carry any extra key
    if "column_data" in obj or ("entities" in obj and "tokens" not in obj):
        return True
    if isinstance(obj.get("annotations"), list) and "text" in obj:
        return True
    labels = obj.get("label")
    return isinstance(labels, list) and "spans" not in obj and "text" in obj


def iter_objects(path: Path) -> Iterator[tuple[int, Any]]:
    """JSONL lines; a pretty-printed JSON array or object stream is read whole instead."""
    head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    first_line = head.split(b"\n", 1)[0].strip()
    if head[:1] in (b"[", b"{") and first_line in (b"[", b"{"):
        yield from _json_stream(path)
    else:
        yield from iter_json_lines(path)


def _json_stream(path: Path) -> Iterator[tuple[int, Any]]:
    import json

    text = path.read_text("utf-8-sig")
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InputError(
                path, text.count("\n", 0, exc.pos) + 1, f"invalid JSON: {exc.msg}"
            ) from None
        for obj in value if isinstance(value, list) else [value]:
            yield line, obj


def read_doccano(
    path: Path, policy: Policy | str = Policy.SPLIT, tokens: bool = True
) -> Iterator[Item]:
    for lineno, obj in iter_objects(path):
        for record in _records(obj, path, lineno):
            issues = complete(record, policy, tokens)
            yield Item(record, f"{path}:{lineno}", issues)


def _records(obj: Any, path: Path, lineno: int) -> list[Record]:
    if not isinstance(obj, dict):
        raise InputError(path, lineno, "expected a JSON object")
    text = next((obj[k] for k in _TEXT_KEYS if k in obj), None)
    if not isinstance(text, str):
        raise InputError(path, lineno, "missing 'text' (a string)")
    if not text:
        raise InputError(path, lineno, "'text' is empty")
    meta = dict(obj["meta"]) if isinstance(obj.get("meta"), dict) else {}
    meta.update({k: v for k, v in obj.items() if k not in _OWN_KEYS and k != "_annotator_id"})

    def span(s: Any, e: Any, label: Any) -> Span:
        if not (isinstance(s, int) and isinstance(e, int) and isinstance(label, str) and label):
            raise InputError(path, lineno, f"bad span [{s!r}, {e!r}, {label!r}]")
        if not 0 <= s < e <= len(text):
            raise InputError(
                path, lineno, f"span {s}-{e} {label} is out of range ({len(text)} chars)"
            )
        return Span(s, e, label)

    if isinstance(obj.get("annotations"), list):  # doccano 1.0: several users in one line
        by_user: dict[str, list[Span]] = {}
        for a in obj["annotations"]:
            user = str(a.get("user_name", a.get("user", "")))
            label = a.get("label_name", a.get("label"))
            by_user.setdefault(user, []).append(
                span(a.get("start_offset"), a.get("end_offset"), label)
            )
        return [
            Record(text=text, meta=meta, spans=spans, annotator=user or None)
            for user, spans in by_user.items()
        ] or [Record(text=text, meta=meta, spans=[])]

    if isinstance(obj.get("entities"), list):
        spans = [
            span(e.get("start_offset"), e.get("end_offset"), e.get("label"))
            for e in obj["entities"]
            if isinstance(e, dict)
        ]
    else:
        raw: Any = next((obj[k] for k in _LABEL_KEYS if k in obj), [])
        if not isinstance(raw, list):
            raise InputError(path, lineno, "'label' must be a list of [start, end, label]")
        spans = []
        for item in raw:
            if isinstance(item, str):
                raise InputError(
                    path, lineno, "labels are plain strings: a text-classification file, not spans"
                )
            if not isinstance(item, list) or len(item) != 3:
                raise InputError(path, lineno, f"label {item!r} is not [start, end, label]")
            spans.append(span(*item))
    annotator = obj.get("_annotator_id")
    return [Record(text=text, meta=meta or None, spans=spans, annotator=annotator)]
