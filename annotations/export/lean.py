"""The fast way of a line with tokens into an export: decoded in one go and taken apart with
numpy, without a `Token` object (or a dict) per token.

A line of 300 tokens costs ~1.7 ms as a `Record` (`checks._tokens_fine` and `Token` objects,
per token in Python), ~0.5 ms as orjson's dicts taken apart, and ~0.25 ms here: msgspec decodes
the tokens into typed structs (the types are checked in C) and every other value as raw JSON that
orjson decodes, so a line reads as a whole read reads it (the last of a key twice wins in both).
`lean(raw, ...)` returns a `Lean` only when the line is one that the whole way
(`checks.parse_record`, `Record.from_dict`, `prepare.prepare_row`) would take as it is: valid, on
its tokens, spans in order, not overlapping, labelled from the list. For anything else (a key
it does not know included) it returns None, and the line takes the whole way, which gives the
same message or the same alignment and warnings as before: this path decides nothing alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import orjson

from annotations.checks import problems
from annotations.records import Span


@dataclass(slots=True)
class Lean:
    """What the HF batch builder reads of a record (`hf.build_batch`)."""

    text: str
    meta: dict[str, Any] | None
    spans: list[Span]
    token_texts: list[str]
    token_starts: list[int]
    token_ends: list[int]


class _Token(msgspec.Struct, gc=False):
    """A token as `checks._tokens_fine` takes it: the types are msgspec's to check (a float, a
    boolean or a null where an integer is due fails the decoding); other keys are skipped."""

    text: str
    start: int
    end: int
    id: int
    ws: bool = False


_Raw = msgspec.Raw | msgspec.UnsetType


def _raw(name: str) -> Any:
    return msgspec.field(default=msgspec.UNSET, name=name)


class _Line(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A line with tokens in one decoding: the tokens typed, every other value as its raw JSON
    (decoded by orjson, as a whole read decodes it). A key this does not know sends the line
    the whole way."""

    tokens: list[_Token] | msgspec.UnsetType = msgspec.UNSET
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


_RAW_FIELDS = tuple(
    (name, key)
    for name, key in zip(_Line.__struct_fields__, _Line.__struct_encode_fields__, strict=True)
    if name != "tokens"
)
_DECODER = msgspec.json.Decoder(_Line)
_TEXT, _START, _END, _ID = (attrgetter(a) for a in ("text", "start", "end", "id"))


def lean(raw: bytes, allowed: frozenset[str]) -> Lean | None:
    """The line `raw` (its bytes, as read) as a `Lean`, or None (see the module docstring)."""
    if b'"tokens"' not in raw:
        return None
    try:
        line = _DECODER.decode(raw)
        obj = {
            key: orjson.loads(memoryview(value))
            for name, key in _RAW_FIELDS
            if (value := getattr(line, name)) is not msgspec.UNSET
        }
    except (msgspec.DecodeError, orjson.JSONDecodeError):
        return None  # the whole way says why, or reads it otherwise
    toks = line.tokens
    text = obj.get("text")
    if not toks or type(text) is not str or problems(obj):
        return None
    checked = _tokens(toks, text)
    if checked is None:
        return None
    texts, starts, ends = checked
    if not _on_tokens(obj.get("suggestions"), starts, ends, None, False):
        return None  # the whole read checks suggestions against the tokens too
    spans = obj.get("spans")
    if not _on_tokens(spans, starts, ends, allowed, True):
        return None
    return Lean(
        text,
        obj.get("meta"),
        [
            Span(s["start"], s["end"], s["label"], s["token_start"], s["token_end"])
            for s in spans or ()
        ],
        texts,
        starts,
        ends,
    )


def _tokens(toks: list[_Token], text: str) -> tuple[list[str], list[int], list[int]] | None:
    """Token texts, starts and ends when `checks._tokens_fine` holds for `toks`, else None."""
    n = len(toks)
    texts = list(map(_TEXT, toks))
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
    return texts, s.tolist(), e.tolist()


def _on_tokens(
    spans: Any, starts: list[int], ends: list[int], allowed: frozenset[str] | None, strict: bool
) -> bool:
    """`prepare.is_ready` for checked span dicts (`strict`: in order, not overlapping, labelled
    from `allowed`), or, for suggestions, only that token indices, where given, cover them."""
    if spans is None:
        return True
    n = len(starts)
    prev_start = prev_end = -1
    for span in spans:
        ts = span.get("token_start")
        te = span.get("token_end")
        start = span["start"]
        if ts is None and te is None and not strict:
            continue
        if ts is None or te is None or not 0 <= ts <= te < n:
            return False
        if starts[ts] != start or ends[te] != span["end"]:
            return False
        if strict:
            if start < prev_start or start < prev_end:
                return False
            if allowed is not None and span["label"] not in allowed:
                return False
            prev_start, prev_end = start, span["end"]
    return True


def plain(obj: Any, allowed: frozenset[str]) -> Lean | None:
    """A line without tokens as a `Lean`, on spaCy's French tokens, when every span starts and
    ends on them (what `formats.complete` would then do: tokenise, and set the token indices
    without a change or a message); else None (the whole way aligns and reports)."""
    if type(obj) is not dict or obj.get("tokens") is not None or problems(obj):
        return None
    from spacy.attrs import IDX, LENGTH

    from annotations.tokenize import french_tokenizer

    text: str = obj["text"]
    table = french_tokenizer().make_doc(text).to_array([IDX, LENGTH])
    starts_a = table[:, 0]
    ends_a = starts_a + table[:, 1]
    spans = obj.get("spans") or []
    found: list[Span] = []
    if spans:
        s = np.fromiter((sp["start"] for sp in spans), np.int64, len(spans))
        e = np.fromiter((sp["end"] for sp in spans), np.int64, len(spans))
        ts = np.searchsorted(starts_a, s)
        te = np.searchsorted(ends_a, e)
        n = len(starts_a)
        if (ts >= n).any() or (te >= n).any():
            return None
        if not (np.array_equal(starts_a[ts], s) and np.array_equal(ends_a[te], e)):
            return None
        for sp, a, b in zip(spans, ts.tolist(), te.tolist(), strict=True):
            if text[sp["start"]].isspace() or text[sp["end"] - 1].isspace():
                return None  # trimmed, with a warning, by the whole way
            found.append(Span(sp["start"], sp["end"], sp["label"], a, b))
        found.sort(key=lambda sp: (sp.start, sp.end))  # as `prepare_row` sorts them
        prev_end = -1
        for sp in found:
            if sp.start < prev_end or sp.label not in allowed:
                return None  # an error, said by the whole way
            prev_end = sp.end
    starts = starts_a.tolist()
    ends = ends_a.tolist()
    texts = [text[a:b] for a, b in zip(starts, ends, strict=True)]
    return Lean(text, obj.get("meta"), found, texts, starts, ends)
