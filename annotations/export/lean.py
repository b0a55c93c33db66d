"""The fast way of a line with tokens into an export: decoded in one go and taken apart with
numpy, without a `Token` object (or a dict) per token.

A line of 300 tokens costs ~1.7 ms as a `Record` (`checks._tokens_fine` and `Token` objects,
per token in Python), ~0.5 ms as orjson's dicts taken apart, and ~0.25 ms here: msgspec decodes
the tokens into typed structs and every other value as raw JSON that orjson decodes
(`stream.decoded`), so a line reads as a whole read reads it.
`lean(raw, ...)` returns a `Lean` only when the line is one that the whole way
(`checks.parse_record`, `Record.from_dict`, `prepare.prepare_row`) would take as it is: valid, on
its tokens, spans in order, not overlapping, labelled from the list. For anything else (a key
it does not know included) it returns None, and the line takes the whole way, which gives the
same message or the same alignment and warnings as before: this path decides nothing alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from annotations.checks import problems
from annotations.records import Span
from annotations.stream.decoded import token_columns, typed


@dataclass(slots=True)
class Lean:
    """What the HF batch builder reads of a record (`hf.build_batch`)."""

    text: str
    meta: dict[str, Any] | None
    spans: list[Span]
    token_texts: list[str]
    token_starts: list[int]
    token_ends: list[int]


def lean(raw: bytes, allowed: frozenset[str]) -> Lean | None:
    """The line `raw` (its bytes, as read) as a `Lean`, or None (see the module docstring)."""
    if b'"tokens"' not in raw:
        return None
    decoded = typed(raw)
    if decoded is None:
        return None  # the whole way says why, or reads it otherwise
    obj, toks = decoded
    text = obj.get("text")
    if not toks or type(text) is not str or problems(obj):
        return None
    checked = token_columns(toks, text)
    if checked is None:
        return None
    texts, s, e = checked
    starts, ends = s.tolist(), e.tolist()
    if not _on_tokens(obj.get("suggestions"), starts, ends, None, False):
        return None  # the whole read checks suggestions against the tokens too
    spans = obj.get("spans")
    if not _on_tokens(spans, starts, ends, allowed, True):
        return None
    return Lean(
        text,
        obj.get("meta"),
        [
            Span(sp["start"], sp["end"], sp["label"], sp["token_start"], sp["token_end"])
            for sp in spans or ()
        ],
        texts,
        starts,
        ends,
    )


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
