"""`align._split_tokens` looks tokens up per cut (fast path) and gives what the plain per-token
loop gives, on tokens in order and on tokens out of order or overlapping."""

from __future__ import annotations

import bisect
import itertools
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from annotations.align import _on_tokens, _split_tokens
from annotations.records import Span, Token


def _reference(
    tokens: list[Token], cuts: set[int]
) -> tuple[list[Token], list[tuple[int, int, str]]]:
    notes: list[tuple[int, int, str]] = []
    inner = sorted(cuts)
    out: list[Token] = []
    changed = False
    for tok in tokens:
        lo = bisect.bisect_right(inner, tok.start)
        hi = bisect.bisect_left(inner, tok.end)
        if lo >= hi:
            out.append(tok if not changed else replace(tok, id=len(out)))
            continue
        changed = True
        points = [tok.start, *inner[lo:hi], tok.end]
        notes.append((tok.start, tok.end, f"token {tok.text!r} split at {inner[lo:hi]}"))
        for a, b in itertools.pairwise(points):
            out.append(
                Token(
                    tok.text[a - tok.start : b - tok.start],
                    a,
                    b,
                    len(out),
                    tok.ws if b == tok.end else False,
                )
            )
    return out, notes


def _tokens(bounds: list[tuple[int, int]], ids_from: int) -> list[Token]:
    return [Token("x" * (e - s), s, e, ids_from + i, i % 2 == 0) for i, (s, e) in enumerate(bounds)]


@given(
    widths=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 5)), max_size=30),
    cuts=st.sets(st.integers(0, 120), max_size=12),
    ids_from=st.integers(0, 2),
)
def test_tokens_in_order(widths: list[tuple[int, int]], cuts: set[int], ids_from: int) -> None:
    bounds, pos = [], 0
    for gap, width in widths:
        bounds.append((pos + gap, pos + gap + width))
        pos += gap + width
    tokens = _tokens(bounds, ids_from)
    assert _split_tokens(tokens, cuts) == _reference(tokens, cuts)


@given(
    bounds=st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda p: (min(p), max(p))),
        max_size=12,
    ),
    cuts=st.sets(st.integers(0, 45), max_size=8),
)
def test_tokens_out_of_order_or_overlapping(bounds: list[tuple[int, int]], cuts: set[int]) -> None:
    tokens = _tokens(bounds, 0)
    assert _split_tokens(tokens, cuts) == _reference(tokens, cuts)


def test_a_span_put_on_tokens_is_replaced_whole() -> None:
    span = Span(1, 4, "PER", source="x", score=0.5, extra={"k": 1})
    assert _on_tokens(span, 2, 3) == replace(span, token_start=2, token_end=3)
