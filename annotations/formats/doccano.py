"""doccano sequence-labelling JSONL: `{"text", "label": [[start, end, "LABEL"], ...]}` (1.x export,
one file per user), `entities` with `start_offset`/`end_offset` (relation export, also pretty-printed),
`column_data`/`column_label` (import example) and the 1.0 `annotations` list with `user_name`
(one record per user).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from annotations.align import Policy
from annotations.checks import is_int, nesting_problem, type_name
from annotations.errors import InputError
from annotations.formats.base import Item, complete
from annotations.formats.txt import read_text_file
from annotations.inputs import read_input
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
    head = read_input(path, 4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    first_line = head.split(b"\n", 1)[0].strip()
    if head[:1] in (b"[", b"{") and first_line in (b"[", b"{"):
        yield from json_values(path)
    else:
        yield from iter_json_lines(path)


class _NotJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def json_values(path: Path) -> Iterator[tuple[int, Any]]:
    """The values of a pretty-printed file, each with the line it starts on: the elements of a
    top-level array one by one (so that a message names the record's line), other values whole.
    As strict as the JSONL reader: NaN and Infinity, lone surrogates, integers beyond 64 bits
    and nesting too deep to write back are refused."""
    text = read_text_file(path, normalise_newlines=False)
    pos, line, counted = 0, 1, 0

    def skip(at: int) -> int:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        return at

    def line_at(at: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, at)
        counted = at
        return line

    def value_at(at: int) -> tuple[int, Any, int]:
        start = line_at(at)
        try:
            value, end = _DECODER.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise InputError(path, line_at(exc.pos), f"invalid JSON: {exc.msg}") from None
        except _NotJson as exc:
            raise InputError(path, start, f"invalid JSON: {exc}") from None
        except RecursionError:
            raise InputError(path, start, "invalid JSON: nested too deeply to read") from None
        try:
            orjson.dumps(value)  # what convert and export will write
        except (TypeError, orjson.JSONEncodeError) as exc:
            why = str(exc)
            if "surrogates" in why:
                why = "a string holds a lone surrogate (an escape like \\ud800 alone)"
            elif "64-bit" in why:
                why = "an integer is out of range (over 64 bits)"
            elif "ecursion" in why:
                why = "nested too deeply (over 254 levels)"
            raise InputError(path, start, f"invalid JSON: {why}") from None
        return start, value, end

    pos = skip(0)
    while pos < len(text):
        if text[pos] == "[":  # an array of records: each element on its own line number
            pos = skip(pos + 1)
            closed = text.startswith("]", pos)
            while not closed:
                start, value, pos = value_at(pos)
                yield start, value
                pos = skip(pos)
                if text.startswith(",", pos):
                    pos = skip(pos + 1)
                elif text.startswith("]", pos):
                    closed = True
                else:
                    raise InputError(path, line_at(pos), "invalid JSON: expected ',' or ']'")
            pos += 1
        else:
            start, value, pos = value_at(pos)
            yield start, value
        pos = skip(pos)


def read_doccano(
    path: Path, policy: Policy | str = Policy.SPLIT, tokens: bool = True
) -> Iterator[Item]:
    empty = True
    for lineno, obj in iter_objects(path):
        empty = False
        for record in _records(obj, path, lineno):
            issues = complete(record, policy, tokens)
            yield Item(record, f"{path}:{lineno}", issues)
    if empty:
        raise InputError(path, 0, "no records (the file holds an empty JSON array)")


def _records(obj: Any, path: Path, lineno: int) -> list[Record]:
    if not isinstance(obj, dict):
        raise InputError(path, lineno, f"expected a JSON object, got {type_name(obj)}")
    text = next((obj[k] for k in _TEXT_KEYS if k in obj), None)
    if not isinstance(text, str):
        raise InputError(path, lineno, "missing 'text' (a string)")
    if not text:
        raise InputError(path, lineno, "'text' is empty")
    if "\x00" in text:
        raise InputError(
            path, lineno, f"'text' contains a NUL character at offset {text.index(chr(0))}"
        )
    annotator = obj.get("_annotator_id")
    if annotator is not None and not isinstance(annotator, str):
        raise InputError(
            path, lineno, f"'_annotator_id' must be a string, got {type_name(annotator)}"
        )
    meta = dict(obj["meta"]) if isinstance(obj.get("meta"), dict) else {}
    meta.update({k: v for k, v in obj.items() if k not in _OWN_KEYS and k != "_annotator_id"})
    deep = nesting_problem(meta)
    if deep:
        raise InputError(path, lineno, f"'meta' is {deep}")

    def span(where: str, s: Any, e: Any, label: Any) -> Span:
        if not (is_int(s) and is_int(e)):
            raise InputError(
                path,
                lineno,
                f"{where}: start and end must be integers, got {type_name(s)} {_shown(s)} "
                f"and {type_name(e)} {_shown(e)}",
            )
        if not isinstance(label, str) or not label:
            raise InputError(
                path, lineno, f"{where}: the label must be a non-empty string, got {_shown(label)}"
            )
        if not 0 <= s < e <= len(text):
            raise InputError(
                path,
                lineno,
                f"{where}: span {s}-{e} {label!r} is out of range ({len(text)} characters)",
            )
        return Span(s, e, label)

    def objects(key: str) -> list[dict[str, Any]]:
        for i, item in enumerate(obj[key], 1):
            if not isinstance(item, dict):
                raise InputError(
                    path, lineno, f"{key}[{i}]: expected an object, got {type_name(item)}"
                )
        return list(obj[key])

    if isinstance(obj.get("annotations"), list):  # doccano 1.0: several users in one line
        by_user: dict[str, list[Span]] = {}
        for i, a in enumerate(objects("annotations"), 1):
            key = "user_name" if "user_name" in a else "user"
            user = a.get(key, "")
            if not (isinstance(user, str) or is_int(user)):
                raise InputError(
                    path,
                    lineno,
                    f"annotations[{i}]: {key!r} must be a string, got {type_name(user)}",
                )
            label = a.get("label_name", a.get("label"))
            by_user.setdefault(str(user), []).append(
                span(f"annotations[{i}]", a.get("start_offset"), a.get("end_offset"), label)
            )
        return [
            Record(text=text, meta=meta, spans=spans, annotator=user or None)
            for user, spans in by_user.items()
        ] or [Record(text=text, meta=meta, spans=[])]

    if isinstance(obj.get("entities"), list):
        spans = [
            span(f"entities[{i}]", e.get("start_offset"), e.get("end_offset"), e.get("label"))
            for i, e in enumerate(objects("entities"), 1)
        ]
    else:
        key = next((k for k in _LABEL_KEYS if k in obj), "label")
        raw: Any = obj.get(key, [])
        if not isinstance(raw, list):
            raise InputError(path, lineno, f"{key!r} must be a list of [start, end, label]")
        spans = []
        for i, item in enumerate(raw, 1):
            if isinstance(item, str):
                raise InputError(
                    path, lineno, "labels are plain strings: a text-classification file, not spans"
                )
            if not isinstance(item, list) or len(item) != 3:
                raise InputError(
                    path, lineno, f"{key}[{i}]: {_shown(item)} is not [start, end, label]"
                )
            spans.append(span(f"{key}[{i}]", *item))
    return [Record(text=text, meta=meta or None, spans=spans, annotator=annotator)]


def _shown(value: Any, limit: int = 60) -> str:
    """A value from the file as it is written there (JSON), cut short."""
    try:
        shown = orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
