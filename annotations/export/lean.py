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

For the HF export (`columns=True`), the tokens are first read by `token_reader`, compiled code
that gives their texts as UTF-8 bytes (a `Columned`, ~0.08 ms a line); a token list it does not
take as it is goes to msgspec's structs as above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from annotations.checks import problems, span_fine
from annotations.export.token_reader import Tokens
from annotations.export.token_reader import read as read_tokens
from annotations.records import Span
from annotations.stream.decoded import SpanIn, token_columns, typed, with_columns


@dataclass(slots=True)
class Lean:
    """What the batch builders read of a record (`hf.build_batch`, CoNLL, DocBin)."""

    text: str
    meta: dict[str, Any] | None
    spans: list[Span]
    token_texts: list[str]
    token_starts: list[int]
    token_ends: list[int]


@dataclass(slots=True)
class Columned:
    """A `Lean` whose tokens `token_reader` read: their texts as one UTF-8 buffer, which the HF
    batch builder makes its Arrow column of (`hf.build_batch`)."""

    text: str
    meta: dict[str, Any] | None
    spans: list[Span]
    token_columns: Tokens


def lean(raw: bytes, allowed: frozenset[str], columns: bool = False) -> Lean | Columned | None:
    """The line `raw` (its bytes, as read) as a `Lean`, or None (see the module docstring).
    `columns`: as a `Columned` when the compiled reader takes its tokens (the HF export)."""
    if b'"tokens"' not in raw:
        return None
    if columns:
        fast = _columned(raw, allowed)
        if fast is not None:
            return fast
    decoded = typed(raw)
    if decoded is None:
        return None  # the whole way says why, or reads it otherwise
    obj, toks = decoded
    text = obj.get("text")
    if not toks or type(text) is not str:
        return None
    checked = token_columns(toks, text)
    if checked is None:
        return None
    texts, s, e = checked
    starts, ends = s.tolist(), e.tolist()
    spans = _checked_spans(obj, starts, ends, allowed)
    if spans is None:
        return None
    return Lean(text, obj.get("meta"), spans, texts, starts, ends)


def _columned(raw: bytes, allowed: frozenset[str]) -> Columned | None:
    decoded = with_columns(raw)
    if decoded is None:
        return None
    obj, tokens_json, typed_spans = decoded
    text = obj.get("text")
    if type(text) is not str:
        return None
    tokens = read_tokens(tokens_json, text)
    if tokens is None:
        return None
    starts, ends = tokens.starts.tolist(), tokens.ends.tolist()
    if _checked_spans(obj, starts, ends, allowed) is None:
        return None  # the record but its spans (which `obj` does not hold), its suggestions
    spans = _typed_spans(typed_spans, len(text), starts, ends, allowed)
    if spans is None:
        return None
    return Columned(text, obj.get("meta"), spans, tokens)


def _typed_spans(
    spans: list[SpanIn], n_chars: int, starts: list[int], ends: list[int], allowed: frozenset[str]
) -> list[Span] | None:
    """`_checked_spans`' spans, from msgspec's structs (their types checked by msgspec)."""
    out: list[Span] = []
    n = len(starts)
    prev_start = prev_end = -1
    for span in spans:
        start, end, label, ts, te = (
            span.start,
            span.end,
            span.label,
            span.token_start,
            span.token_end,
        )
        if not (0 <= start < end <= n_chars and label and 0 <= ts <= te < n):
            return None
        if starts[ts] != start or ends[te] != end:
            return None
        if start < prev_start or start < prev_end or label not in allowed:
            return None
        prev_start, prev_end = start, end
        out.append(Span(start, end, label, ts, te))
    return out


def _checked_spans(
    obj: dict[str, Any], starts: list[int], ends: list[int], allowed: frozenset[str]
) -> list[Span] | None:
    """The record's spans when `checks.problems` finds nothing wrong with the record and, as
    `prepare.is_ready` would find them, its spans are on its tokens, in order, not overlapping
    and labelled from `allowed`, and its suggestions' token indices (where given) cover them;
    else None. The spans are checked here in one pass, as strictly as `checks._spans_fine`
    checks them (and `problems` checks the rest of the record)."""
    spans = obj.get("spans")
    suggestions = obj.get("suggestions")
    if (spans is not None and type(spans) is not list) or (
        suggestions is not None and type(suggestions) is not list
    ):
        return None
    rest = {k: v for k, v in obj.items() if k != "spans" and k != "suggestions"}
    if problems(rest):
        return None
    n_chars = len(obj["text"])
    n = len(starts)
    for span in suggestions or ():
        if not span_fine(span, n_chars):
            return None
        ts = span.get("token_start")
        te = span.get("token_end")
        if ts is None and te is None:
            continue
        if type(ts) is not int or type(te) is not int or not 0 <= ts <= te < n:
            return None
        if starts[ts] != span["start"] or ends[te] != span["end"]:
            return None  # the whole read checks suggestions against the tokens too
    out: list[Span] = []
    prev_end = -1
    for span in spans or ():
        if not span_fine(span, n_chars):
            return None
        start, end, label = span["start"], span["end"], span["label"]
        ts = span.get("token_start")
        te = span.get("token_end")
        if type(ts) is not int or type(te) is not int or not 0 <= ts <= te < n:
            return None
        if starts[ts] != start or ends[te] != end:
            return None
        if start < prev_end or (out and start < out[-1].start) or label not in allowed:
            return None
        prev_end = end
        out.append(Span(start, end, label, ts, te))
    return out


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
