"""Lines of our JSONL decoded by msgspec, for the passes that read millions of tokens: the
tokens as typed structs (their types checked in C), every other value as its raw JSON, which
orjson decodes as a whole read decodes it (the last of a key twice wins in both).

`typed(raw)` decodes a line with its tokens (the export's second pass: `export.lean`);
`untyped(raw)` leaves the tokens as their JSON bytes (`agree` and `stats`: the tokens of an
article met again in the next annotator's line are compared as bytes, and decoded only when
new: `stream.lean.TokenCache`); `with_columns(raw)` leaves them as bytes too and types the
spans (the HF export, whose tokens `export.token_reader` reads). Each returns None for a line it cannot take as it is (a key
it does not know, invalid JSON, a value of the wrong type): its caller then reads it the whole
way, which says what is wrong or reads it otherwise. `token_columns` is `checks._tokens_fine`
done with numpy. Nothing here decides alone what a line means.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
import orjson

I64 = npt.NDArray[np.int64]


class Token(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A token as `checks._tokens_fine` takes it: a float, a boolean or a null where an integer
    is due fails the decoding, and so does a key it does not have (msgspec would skip its value
    unread: invalid UTF-8 there would pass, which a whole read refuses)."""

    text: str
    start: int
    end: int
    id: int
    ws: bool = False


_Raw = msgspec.Raw | msgspec.UnsetType


def _raw(name: str) -> Any:
    return msgspec.field(default=msgspec.UNSET, name=name)


class _Fields(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """Every key of a record but its tokens, as raw JSON; a key not listed fails the decoding."""

    text: _Raw = _raw("text")
    meta: _Raw = _raw("meta")
    input_hash: _Raw = _raw("_input_hash")
    task_hash: _Raw = _raw("_task_hash")
    spans: _Raw = _raw("spans")
    suggestions: _Raw = _raw("suggestions")
    answer: _Raw = _raw("answer")
    annotator: _Raw = _raw("_annotator_id")
    timestamp: _Raw = _raw("_timestamp")
    session: _Raw = _raw("_session_id")
    view: _Raw = _raw("_view_id")


class _Typed(_Fields, forbid_unknown_fields=True, gc=False):
    tokens: list[Token] | msgspec.UnsetType = msgspec.UNSET


class _Untyped(_Fields, forbid_unknown_fields=True, gc=False):
    tokens: _Raw = _raw("tokens")


class SpanIn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A span on tokens, its types as `checks._spans_fine` takes them (an integer where one is
    due, not a boolean or a float; a label string; a number for a score); a key it does not
    have fails the decoding."""

    start: int
    end: int
    label: str
    token_start: int
    token_end: int
    score: int | float | msgspec.UnsetType = msgspec.UNSET
    source: str | msgspec.UnsetType = msgspec.UNSET


class _Columns(_Fields, forbid_unknown_fields=True, gc=False):
    tokens: _Raw = _raw("tokens")
    spans: list[SpanIn] | msgspec.UnsetType = msgspec.UNSET  # type: ignore[assignment]


_RAW_FIELDS = tuple(
    (name, key)
    for name, key in zip(_Fields.__struct_fields__, _Fields.__struct_encode_fields__, strict=True)
)
_COLUMNS = msgspec.json.Decoder(_Columns)
_TYPED = msgspec.json.Decoder(_Typed)
_UNTYPED = msgspec.json.Decoder(_Untyped)
TOKENS = msgspec.json.Decoder(list[Token])
_TEXT, _START, _END, _ID = (attrgetter(a) for a in ("text", "start", "end", "id"))


def _others(line: _Fields, fields: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The line's values but its tokens, decoded by orjson, under their JSON keys."""
    return {
        key: orjson.loads(memoryview(value))
        for name, key in fields
        if (value := getattr(line, name)) is not msgspec.UNSET
    }


_BUT_SPANS = tuple((name, key) for name, key in _RAW_FIELDS if name != "spans")


def _decoded(
    decoder: msgspec.json.Decoder[Any], raw: bytes, fields: tuple[tuple[str, str], ...]
) -> tuple[Any, dict[str, Any]] | None:
    """The line by `decoder` and its raw `fields` by orjson, or None when either refuses it."""
    try:
        line = decoder.decode(raw)
        return line, _others(line, fields)
    except (msgspec.DecodeError, orjson.JSONDecodeError):
        return None


def with_columns(raw: bytes) -> tuple[dict[str, Any], bytes, list[SpanIn]] | None:
    """A line with tokens as (its values but its tokens and spans, the JSON bytes of its
    tokens, its spans typed), or None (see above; a line without tokens included)."""
    decoded = _decoded(_COLUMNS, raw, _BUT_SPANS)
    if decoded is None or decoded[0].tokens is msgspec.UNSET:
        return None
    line, obj = decoded
    spans = [] if line.spans is msgspec.UNSET else line.spans
    return obj, bytes(line.tokens), spans


def typed(raw: bytes) -> tuple[dict[str, Any], list[Token] | None] | None:
    """The line as (its values but the tokens, its tokens or None), or None (see above)."""
    decoded = _decoded(_TYPED, raw, _RAW_FIELDS)
    if decoded is None:
        return None
    line, obj = decoded
    return obj, None if line.tokens is msgspec.UNSET else line.tokens


def untyped(raw: bytes) -> tuple[dict[str, Any], bytes | None] | None:
    """The line as (its values but the tokens, the JSON bytes of its tokens or None), or None."""
    decoded = _decoded(_UNTYPED, raw, _RAW_FIELDS)
    if decoded is None:
        return None
    line, obj = decoded
    return obj, None if line.tokens is msgspec.UNSET else bytes(line.tokens)


def token_columns(toks: list[Token], text: str) -> tuple[list[str], I64, I64] | None:
    """Token texts, starts and ends when `checks._tokens_fine` holds for `toks` on `text`,
    else None."""
    n = len(toks)
    texts = list(map(_TEXT, toks))
    if n == 0:
        return texts, np.zeros(0, np.int64), np.zeros(0, np.int64)
    try:
        s = np.fromiter(map(_START, toks), np.int64, n)
        e = np.fromiter(map(_END, toks), np.int64, n)
        i = np.fromiter(map(_ID, toks), np.int64, n)
    except OverflowError:  # msgspec reads integers of any size
        return None
    lengths = np.fromiter(map(len, texts), np.int64, n)
    if (
        not np.array_equal(i, np.arange(n))
        or s[0] < 0
        or e[-1] > len(text)
        or (s > e).any()
        or (s[1:] < e[:-1]).any()
        or not np.array_equal(e - s, lengths)
    ):
        return None
    # every token's text is the text at its offsets: the characters at all covered positions,
    # gathered in one go, against the token texts joined
    joined = "".join(texts)
    if joined:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        want = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
        total = len(want)
        offsets = np.zeros(n, dtype=np.int64)
        np.cumsum(lengths[:-1], out=offsets[1:])
        positions = np.arange(total, dtype=np.int64) + np.repeat(s - offsets, lengths)
        if not np.array_equal(codes[positions], want):
            return None
    return texts, s, e
