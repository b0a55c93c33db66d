"""The compiled token reader (`export.token_reader`) reads a token list exactly as msgspec's
structs and `decoded.token_columns` read it, or leaves it to them: on hypothesis' texts (quotes,
backslashes, control characters, accents, characters beyond the BMP), written as orjson writes
them, with every character escaped (`ensure_ascii`), with spaces, with keys in another order,
and mutated (offsets and ids off by a little, numbers written otherwise, keys missing, twice or
unknown). It takes every list our files hold as written."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import msgspec
import numpy as np
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.export.token_reader import Tokens, read
from annotations.stream.decoded import TOKENS, token_columns

CHARS = st.sampled_from(list('ab à"\\\n\t\x01/é€😀日 .'))


@st.composite
def texts_and_tokens(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    text = "".join(draw(st.lists(CHARS, min_size=1, max_size=30)))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=12))) | {0, len(text)})
    tokens = []
    for a, b in pairwise(cuts):
        if draw(st.integers(0, 4)) == 0:
            continue  # text between tokens
        tok: dict[str, Any] = {"text": text[a:b], "start": a, "end": b, "id": len(tokens)}
        if draw(st.booleans()):
            tok["ws"] = draw(st.booleans())
        tokens.append(tok)
    return text, tokens


def _slow(raw: bytes, text: str) -> tuple[list[str], list[int], list[int]] | None:
    try:
        found = token_columns(TOKENS.decode(raw), text)
    except msgspec.DecodeError:
        return None
    if found is None or not found[0]:
        return None
    texts, s, e = found
    return texts, s.tolist(), e.tolist()


def _texts(tokens: Tokens) -> list[str]:
    out, at = [], 0
    for size in tokens.sizes.tolist():
        out.append(tokens.utf8[at : at + size].decode())
        at += size
    return out


def _same(raw: bytes, text: str) -> Tokens | None:
    fast = read(raw, text)
    if fast is not None:
        slow = _slow(raw, text)
        assert slow is not None, raw  # taken here, refused by msgspec's reading
        assert _texts(fast) == slow[0]
        assert fast.starts.tolist() == slow[1]
        assert fast.ends.tolist() == slow[2]
        assert fast.sizes.dtype == np.int32
    return fast


def _writings(tokens: list[dict[str, Any]]) -> dict[str, bytes]:
    return {
        "orjson": orjson.dumps(tokens),
        "ascii": json.dumps(tokens, ensure_ascii=True, separators=(",", ":")).encode(),
        "spaced": json.dumps(tokens, ensure_ascii=False, indent=1).replace("\n", " ").encode(),
        "reordered": orjson.dumps([dict(reversed(list(t.items()))) for t in tokens]),
    }


@settings(max_examples=400, deadline=None)
@given(texts_and_tokens())
def test_every_writing_reads_as_msgspec_reads_it(case: tuple[str, list[dict[str, Any]]]) -> None:
    text, tokens = case
    for how, raw in _writings(tokens).items():
        fast = _same(raw, text)
        if how == "orjson" and tokens:
            assert fast is not None, raw  # what our files hold is read here


NUMBERS = st.sampled_from(["-0", "0.0", "1e0", "01", "-1", "1.5", "true", "null", '"1"', "9" * 25])


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    text, tokens = draw(texts_and_tokens())
    if tokens:
        tok = draw(st.sampled_from(tokens))
        change = draw(st.sampled_from(["near", "shift", "letters", "drop", "extra", "ws"]))
        key = draw(st.sampled_from(["start", "end", "id"]))
        if change == "near":
            tok[key] += draw(st.integers(-2, 2))
        elif change == "shift":  # the same length elsewhere: the text must be compared
            step = draw(st.integers(-2, 2))
            tok["start"] += step
            tok["end"] += step
        elif change == "letters":
            tok["text"] = "".join(
                draw(st.lists(CHARS, min_size=len(tok["text"]), max_size=len(tok["text"])))
            )
        elif change == "drop":
            tok.pop(draw(st.sampled_from(["text", "start", "end", "id", "ws"])), None)
        elif change == "extra":
            tok["x"] = 1
        else:
            tok["ws"] = draw(st.sampled_from([None, 0, "yes"]))
    raw = orjson.dumps(tokens)
    trick = draw(st.sampled_from(["none", "number", "twice", "text"]))
    if trick == "number" and b'"start":' in raw:  # a number written otherwise
        at = raw.index(b'"start":') + len(b'"start":')
        end = at
        while raw[end : end + 1].isdigit():
            end += 1
        raw = raw[:at] + draw(NUMBERS).encode() + raw[end:]
    elif trick == "twice" and raw.startswith(b'[{"text"'):
        raw = raw.replace(b'{"text"', b'{"id":0,"text"', 1)
    elif trick == "text" and raw.startswith(b'[{"text":"'):
        raw = raw.replace(b'[{"text":"', b'[{"text":"\\u00e9', 1)
    return raw, text


@settings(max_examples=600, deadline=None)
@given(mutated())
def test_mutated_lists_read_as_msgspec_reads_them_or_are_left_to_it(
    case: tuple[bytes, str],
) -> None:
    _same(*case)


def test_escapes_and_surrogate_pairs_are_compared_as_characters() -> None:
    text = 'a"b\\c\n😀'
    tokens = [{"text": ch, "start": i, "end": i + 1, "id": i} for i, ch in enumerate(text)]
    raw = json.dumps(tokens, ensure_ascii=True).encode()
    assert b"\\ud83d\\ude00" in raw
    fast = _same(raw, text)
    assert fast is not None and _texts(fast) == list(text)
    lone = raw.replace(b"\\ud83d\\ude00", b"\\ud83d")  # half a pair: not this reader's to read
    assert read(lone, text) is None
    wrong = raw.replace(b'"\\n"', b'"\\t"')  # same length, another character
    assert read(wrong, text) is None


def test_token_texts_over_an_arrow_string_column_are_refused_not_wrapped(
    monkeypatch: Any,
) -> None:
    import pytest

    import annotations.export.hf as hf
    from annotations.errors import UsageError

    monkeypatch.setattr(hf, "MAX_STRING_BYTES", 10)
    sizes = [np.array([4, 4], np.int32), np.array([4], np.int32)]
    with pytest.raises(UsageError, match="over the 10"):
        hf._strings([b"abcdefgh", b"ijkl"], sizes)
    monkeypatch.setattr(hf, "MAX_STRING_BYTES", 12)
    column = hf._strings([b"abcdefgh", b"ijkl"], sizes)
    assert column.to_pylist() == ["abcd", "efgh", "ijkl"]
