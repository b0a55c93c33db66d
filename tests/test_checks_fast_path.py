"""The one-pass checks that read files fast (`_tokens_fine`, `_spans_fine`) say "fine" exactly
when the detailed checks, which word the messages, find nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from annotations.checks import _span_problems, _spans_fine, _token_messages, _tokens_fine

TEXT = "Meta recrute chez OpenAI, à Paris."
WORDS = [(0, 4), (5, 12), (13, 17), (18, 24), (24, 25), (26, 27), (28, 33), (33, 34)]
ODD = st.one_of(st.none(), st.booleans(), st.integers(-3, 40), st.floats(0, 1), st.text(max_size=3))


def spoil(draw: st.DrawFn, items: list[Any]) -> list[Any]:
    """Right as built, or with exactly one thing wrong: a value of any JSON type in one field, a
    key missing, or an item that is not an object (one defect, so none hides another)."""
    if not items or draw(st.booleans()):
        return items
    i = draw(st.integers(0, len(items) - 1))
    how = draw(st.sampled_from(("value", "missing", "item")))
    if how == "item":
        items[i] = draw(ODD)
        return items
    key = draw(st.sampled_from(sorted(items[i])))
    if how == "missing":
        del items[i][key]
    else:
        items[i][key] = draw(ODD)
    return items


@st.composite
def token_lists(draw: st.DrawFn) -> list[Any]:
    words = WORDS[: draw(st.integers(0, len(WORDS)))]
    tokens = [{"text": TEXT[s:e], "start": s, "end": e, "id": i} for i, (s, e) in enumerate(words)]
    return spoil(draw, tokens)


@st.composite
def span_lists(draw: st.DrawFn) -> list[Any]:
    spans: list[Any] = []
    for _ in range(draw(st.integers(0, 4))):
        ts = draw(st.integers(0, len(WORDS) - 1))
        te = draw(st.integers(ts, len(WORDS) - 1))
        span: dict[str, Any] = {"start": WORDS[ts][0], "end": WORDS[te][1], "label": "ORG"}
        if draw(st.booleans()):
            span["token_start"], span["token_end"] = ts, te
        for key, value in (("score", 0.5), ("source", "model")):
            if draw(st.booleans()):
                span[key] = value
        spans.append(span)
    return spoil(draw, spans)


@given(token_lists())
def test_tokens_fine_is_no_message(tokens: list[Any]) -> None:
    assert _tokens_fine(tokens, TEXT) == (not _token_messages(tokens, TEXT))


@given(span_lists(), st.booleans())
def test_spans_fine_is_no_message(spans: list[Any], with_tokens: bool) -> None:
    tokens = [{"text": TEXT[s:e], "start": s, "end": e, "id": i} for i, (s, e) in enumerate(WORDS)]
    known = tokens if with_tokens else None
    detailed = all(
        isinstance(span, dict) and not _span_problems(span, "spans[1]", len(TEXT), known)
        for span in spans
    )
    assert _spans_fine(spans, len(TEXT), known) == detailed
