"""Checks of one decoded JSON line against the record contract, with messages a user can act on.

`problems(obj)` lists everything wrong; `parse_record(obj, path, line)` returns a `Record` or
raises `InputError` with the first problem. The label scheme, when given, adds unknown-label and
overlap checks.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, TypeGuard

from annotations.errors import InputError
from annotations.labels import LabelScheme
from annotations.records import ANSWERS, Record

_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_SHAPED = frozenset(("text", "tokens", "spans", "suggestions"))  # checked item by item below
MAX_NESTING = 200  # orjson writes at most 255 levels: a record's free-form values stay under


def nesting_problem(value: Any, limit: int = MAX_NESTING) -> str | None:
    """Why a free-form JSON value could be read but not written back (orjson reads 1024 levels
    and writes 255), or None."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return f"nested more than {limit} levels deep (it could not be written back)"
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values() if isinstance(v, dict | list)]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item if isinstance(v, dict | list)]
    return None


def problems(obj: Any, scheme: LabelScheme | None = None, check_labels: bool = True) -> list[str]:
    if not isinstance(obj, dict):
        return [f"expected a JSON object, got {type_name(obj)}"]
    out: list[str] = []
    text = obj.get("text")
    if "text" not in obj:
        return ["missing 'text'"]
    if not isinstance(text, str):
        return [f"'text' must be a string, got {type_name(text)}"]
    if not text:  # whitespace-only is kept: Prodigy writes such records
        return ["'text' is empty"]
    if "\x00" in text:
        out.append(f"'text' contains a NUL character at offset {text.index(chr(0))}")
    n = len(text)
    for key, kind in (("meta", dict), ("_annotator_id", str)):
        if key in obj and not isinstance(obj[key], kind):
            out.append(f"'{key}' must be {_JSON_TYPES[kind]}, got {type_name(obj[key])}")
    for key in ("_input_hash", "_task_hash", "_timestamp"):
        if key in obj and not is_int(obj[key]):
            out.append(f"'{key}' must be an integer, got {type_name(obj[key])}")
    if "answer" in obj and obj["answer"] not in ANSWERS:
        out.append(f"'answer' must be one of {', '.join(ANSWERS)}, got {obj['answer']!r}")
    for key, value in obj.items():  # free-form values (meta, keys we do not model)
        if key not in _SHAPED and isinstance(value, dict | list):
            deep = nesting_problem(value)
            if deep:
                out.append(f"'{key}' is {deep}")

    tokens = obj.get("tokens")
    n_tokens = None
    if tokens is not None:
        if not isinstance(tokens, list):
            out.append(f"'tokens' must be an array, got {type_name(tokens)}")
            tokens = None
        else:
            tok_problems = _token_problems(tokens, text)
            out += tok_problems
            n_tokens = None if tok_problems else len(tokens)

    for key in ("spans", "suggestions"):
        spans = obj.get(key)
        if spans is None:
            continue
        if not isinstance(spans, list):
            out.append(f"'{key}' must be an array, got {type_name(spans)}")
            continue
        good: list[Any] = []
        fine = _spans_fine(spans, n, tokens if n_tokens is not None else None)
        for i, span in enumerate(spans, 1):
            if fine:  # nothing to report but labels
                good.append(span)
                if check_labels and scheme is not None and span["label"] not in scheme:
                    out.append(
                        f"{key}[{i}]: unknown label {span['label']!r} "
                        f"(scheme {scheme.name}: {', '.join(scheme.names)})"
                    )
                continue
            where = f"{key}[{i}]"
            if not isinstance(span, dict):
                out.append(f"{where}: expected an object, got {type_name(span)}")
                continue
            sp = _span_problems(span, where, n, tokens if n_tokens is not None else None)
            out += sp
            if not sp:
                good.append(span)
                if check_labels and scheme is not None and span["label"] not in scheme:
                    out.append(
                        f"{where}: unknown label {span['label']!r} "
                        f"(scheme {scheme.name}: {', '.join(scheme.names)})"
                    )
        if key == "spans" and scheme is not None and not scheme.allow_overlap:
            out += _overlaps(good, text)
    return out


def _tokens_fine(tokens: list[Any], text: str) -> bool:
    """The common case of `_token_problems` (nothing wrong) in one tight pass: a token file has
    hundreds of tokens per line, and this runs for every one of them when a file is read."""
    prev_end = 0
    n = len(text)
    for i, tok in enumerate(tokens):
        if type(tok) is not dict:
            return False
        s = tok.get("start")
        e = tok.get("end")
        t = tok.get("text")
        if (
            type(s) is not int
            or type(e) is not int
            or type(t) is not str
            or type(tok.get("id")) is not int
            or tok["id"] != i
            or type(tok.get("ws", False)) is not bool
            or not prev_end <= s <= e <= n
            or e - s != len(t)
            or not text.startswith(t, s)
        ):
            return False
        prev_end = e
    return True


def _token_problems(tokens: list[Any], text: str) -> list[str]:
    return [] if _tokens_fine(tokens, text) else _token_messages(tokens, text)


def _token_messages(tokens: list[Any], text: str) -> list[str]:
    """What is wrong with the first token that is wrong (at most one message)."""
    prev_end = 0
    for i, tok in enumerate(tokens):
        where = f"tokens[{i + 1}]"
        if not isinstance(tok, dict):
            return [f"{where}: expected an object, got {type_name(tok)}"]
        s, e, t = tok.get("start"), tok.get("end"), tok.get("text")
        if not (is_int(s) and is_int(e) and isinstance(t, str) and is_int(tok.get("id"))):
            return [f"{where}: needs integer 'start', 'end', 'id' and string 'text'"]
        if tok.get("ws") is not None and not isinstance(tok["ws"], bool):
            return [f"{where}: 'ws' must be a boolean, got {type_name(tok['ws'])}"]
        if tok["id"] != i:
            return [f"{where}: 'id' is {tok['id']}, expected {i} (tokens are numbered in order)"]
        if not 0 <= s <= e <= len(text) or s < prev_end:
            return [f"{where}: offsets {s}-{e} are out of order or beyond the text"]
        if text[s:e] != t:
            return [f"{where}: text {t!r} does not match the text at {s}-{e} ({text[s:e]!r})"]
        prev_end = e
    return []


def span_fine(span: Any, n: int) -> bool:
    """The common case of `_span_problems` for one span, its token indices aside (`n`: the
    text's length)."""
    if type(span) is not dict:
        return False
    s = span.get("start")
    e = span.get("end")
    label = span.get("label")
    if type(s) is not int or type(e) is not int or type(label) is not str or not label:
        return False
    if not 0 <= s < e <= n:
        return False
    if "score" in span and type(span["score"]) not in (int, float):
        return False
    return "source" not in span or type(span["source"]) is str


def _spans_fine(spans: list[Any], n: int, tokens: list[Any] | None) -> bool:
    """The common case of `_span_problems` (nothing wrong with any span) in one tight pass."""
    for span in spans:
        if not span_fine(span, n):
            return False
        s = span["start"]
        e = span["end"]
        ts = span.get("token_start")
        te = span.get("token_end")
        if ts is None and te is None:
            continue
        if type(ts) is not int or type(te) is not int or not 0 <= ts <= te:
            return False
        if tokens is not None and (
            te >= len(tokens) or tokens[ts]["start"] != s or tokens[te]["end"] != e
        ):
            return False
    return True


def _span_problems(span: dict[str, Any], where: str, n: int, tokens: list[Any] | None) -> list[str]:
    s, e, label = span.get("start"), span.get("end"), span.get("label")
    if not is_int(s) or not is_int(e):
        return [f"{where}: 'start' and 'end' must be integers"]
    if not isinstance(label, str) or not label:
        return [f"{where}: 'label' must be a non-empty string"]
    if e <= s:
        return [f"{where}: end ({e}) must be after start ({s})"]
    if s < 0 or e > n:
        return [f"{where}: {s}-{e} is out of range (the text has {n} characters)"]
    if "score" in span and not (is_int(span["score"]) or isinstance(span["score"], float)):
        return [f"{where}: 'score' must be a number"]
    if "source" in span and not isinstance(span["source"], str):
        return [f"{where}: 'source' must be a string"]
    ts, te = span.get("token_start"), span.get("token_end")
    if ts is None and te is None:
        return []
    if not is_int(ts) or not is_int(te) or te < ts or ts < 0:
        return [f"{where}: 'token_start'/'token_end' must be integers with token_end ≥ token_start"]
    if tokens is not None:
        if te >= len(tokens):
            return [f"{where}: token_end {te} is beyond the last token ({len(tokens) - 1})"]
        if tokens[ts]["start"] != s or tokens[te]["end"] != e:
            return [
                f"{where}: tokens {ts}-{te} cover {tokens[ts]['start']}-{tokens[te]['end']}, "
                f"not the span's {s}-{e}"
            ]
    return []


def _overlaps(spans: list[dict[str, Any]], text: str) -> list[str]:
    out = []
    ordered = sorted(spans, key=lambda sp: (sp["start"], sp["end"]))
    for a, b in itertools.pairwise(ordered):
        if b["start"] < a["end"]:
            out.append(
                f"overlapping spans: {a['start']}-{a['end']} {a['label']} {text[a['start'] : a['end']]!r}"
                f" and {b['start']}-{b['end']} {b['label']} {text[b['start'] : b['end']]!r}"
            )
    return out


def parse_record(
    obj: Any, path: str | Path | None, line: int, scheme: LabelScheme | None = None
) -> Record:
    found = problems(obj, scheme)
    if found:
        raise InputError(path, line, found[0])
    return Record.from_dict(obj)
