"""The fast way of a line with tokens (`export.lean.lean`, one msgspec decoding of its bytes)
takes a line only when the whole way (`checks.parse_record`, `prepare.prepare_row`) takes it as
it is, and then reads the same tokens, spans and meta. Lines are mutated at the JSON level and
at the byte level (duplicate keys, key order, types, unknown keys, escapes) by hypothesis."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.align import Policy
from annotations.checks import parse_record
from annotations.errors import InputError
from annotations.export.lean import Columned, Lean, lean
from annotations.export.prepare import prepare_row
from annotations.export.select import Row
from annotations.records import Record, Span
from annotations.tokenize import tokenize

LABELS = frozenset(("PER", "ORG", "LOC"))
TEXT = 'Marie Curie à Paris, "la" ville.\nRenault'


def _good_json() -> bytes:
    record = Record(
        text=TEXT, spans=[Span(0, 11, "PER"), Span(14, 19, "LOC")], meta={"n": 1}
    ).with_hashes()
    record.tokens = tokenize(TEXT)
    for span in record.spans or ():
        span.token_start = next(t.id for t in record.tokens if t.start == span.start)
        span.token_end = next(t.id for t in record.tokens if t.end == span.end)
    return record.to_json()


GOOD = _good_json()


def _good() -> dict[str, object]:
    return orjson.loads(GOOD)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 60),
    st.integers(2**63, 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _dumps(value: object) -> bytes:
    """Compact JSON as orjson writes it, integers of any size included."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    obj = _good()
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 0]))):
        where = draw(st.sampled_from(["token", "span", "top", "drop-token-key", "unknown"]))
        items = obj.get("spans" if where == "span" else "tokens")
        if where != "top" and where != "unknown":
            items = [x for x in items if isinstance(x, dict)] if isinstance(items, list) else []
            if not items:
                continue
        if where == "token":
            tok = draw(st.sampled_from(items))
            key = draw(st.sampled_from(["text", "start", "end", "id", "ws", "x"]))
            near = tok.get(key)
            if type(near) is int and draw(st.booleans()):  # off by a little: the likely slip
                tok[key] = near + draw(st.integers(-2, 2))
            else:
                tok[key] = draw(VALUES)
        elif where == "span":
            span = draw(st.sampled_from(items))
            key = draw(st.sampled_from(["start", "end", "label", "token_start", "token_end"]))
            near = span.get(key)
            if type(near) is int and draw(st.booleans()):
                span[key] = near + draw(st.integers(-2, 2))
            else:
                span[key] = draw(st.one_of(VALUES, st.sampled_from(["PER", "ORG", "MISC"])))
        elif where == "top":
            key = draw(st.sampled_from(["text", "meta", "answer", "_input_hash", "spans"]))
            obj[key] = draw(VALUES)
        elif where == "drop-token-key":
            tok = draw(st.sampled_from(items))
            tok.pop(draw(st.sampled_from(["text", "start", "end", "id", "ws"])), None)
        else:
            obj[draw(st.sampled_from(["_view_id", "extra", "_session_id"]))] = draw(VALUES)
    raw = _dumps(obj)
    trick = draw(
        st.sampled_from(["none"] * 4 + ["dup-top", "dup-token", "dup-span", "escape", "reorder"])
    )
    if trick == "dup-top":  # a key twice: orjson and msgspec both keep the last
        key = draw(st.sampled_from([b"text", b"tokens", b"spans", b"meta"]))
        raw = raw[:-1] + b',"' + key + b'":' + _dumps(draw(VALUES)) + b"}"
    elif trick == "dup-token":
        raw = raw.replace(b'"id":3,', b'"id":3,"start":' + _dumps(draw(VALUES)) + b",", 1)
    elif trick == "dup-span":  # a span's key twice, or one a span does not have
        key = draw(st.sampled_from([b"start", b"end", b"label", b"token_end", b"x"]))
        raw = raw.replace(
            b'"label":"PER"', b'"label":"PER","' + key + b'":' + _dumps(draw(VALUES)), 1
        )
    elif trick == "escape":  # the same string written otherwise
        raw = raw.replace(b'"Paris"', b'"\\u0050aris"')
    elif trick == "reorder":
        raw = raw.replace(b'{"text":"Marie","start":0,', b'{"start":0,"text":"Marie",', 1)
    return raw


def _whole(raw: bytes) -> Record | None:
    """The record the whole way makes of `raw`, or None when it refuses, aligns or warns."""
    try:
        record = parse_record(orjson.loads(raw), "x.jsonl", 1)
    except (InputError, orjson.JSONDecodeError):
        return None
    warned: list[str] = []
    before = [(s.start, s.end, s.label, s.token_start, s.token_end) for s in record.spans or ()]
    try:
        prepare_row(
            Row(record, ["a"], "x.jsonl:1", "0", 0),
            Policy.SPLIT,
            LABELS,
            one_tag_per_token=False,
            warn=warned.append,
        )
    except InputError:
        return None
    after = [(s.start, s.end, s.label, s.token_start, s.token_end) for s in record.spans or ()]
    if warned or before != after:
        return None
    return record


def test_the_good_line_takes_the_compiled_reader() -> None:
    fast = lean(orjson.dumps(_good()), LABELS, columns=True)
    assert isinstance(fast, Columned)
    assert _token_columns(fast)[0] == [t.text for t in tokenize(TEXT)]
    assert [(s.start, s.end, s.token_start, s.token_end) for s in fast.spans] == [
        (0, 11, 0, 1),
        (14, 19, 3, 3),
    ]


def test_the_good_line_takes_the_fast_way() -> None:
    fast = lean(orjson.dumps(_good()), LABELS)
    assert fast is not None
    assert fast.token_texts == [t.text for t in tokenize(TEXT)]
    assert [(s.start, s.end, s.token_start, s.token_end) for s in fast.spans] == [
        (0, 11, 0, 1),
        (14, 19, 3, 3),
    ]
    assert fast.meta == {"n": 1}


def _token_columns(fast: Lean | Columned) -> tuple[list[str], list[int], list[int]]:
    if isinstance(fast, Lean):
        return fast.token_texts, fast.token_starts, fast.token_ends
    cols = fast.token_columns
    texts, at = [], 0
    for size in cols.sizes.tolist():
        texts.append(cols.utf8[at : at + size].decode())
        at += size
    return texts, cols.starts.tolist(), cols.ends.tolist()


@pytest.mark.parametrize("columns", [False, True], ids=["structs", "compiled reader"])
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=mutated())
def test_the_fast_way_reads_what_the_whole_way_reads(raw: bytes, columns: bool) -> None:
    fast = lean(raw, LABELS, columns)
    if fast is None:
        return  # the whole way decides, as before
    record = _whole(raw)
    assert record is not None, raw  # the fast way took a line the whole way refuses or changes
    tokens = record.tokens or []
    assert fast.text == record.text
    assert _token_columns(fast) == (
        [t.text for t in tokens],
        [t.start for t in tokens],
        [t.end for t in tokens],
    )
    assert [(s.start, s.end, s.label, s.token_start, s.token_end) for s in fast.spans] == [
        (s.start, s.end, s.label, s.token_start, s.token_end) for s in record.spans or ()
    ]
    assert fast.meta == record.meta


def test_a_repeated_key_is_read_as_orjson_reads_it() -> None:
    """The last of a key twice wins in both readers; a copy of the tokens earlier in the line
    is not the one read."""
    good = orjson.dumps(_good())
    stale = b'{"tokens":[{"text":"X","start":0,"end":1,"id":0}],' + good[1:]
    fast = lean(stale, LABELS)
    assert fast is not None and fast.token_texts[0] == "Marie"
    bad_last = good[:-1] + b',"tokens":[{"text":"X","start":0,"end":1,"id":0}]}'
    assert lean(bad_last, LABELS) is None  # "X" is not the text at 0-1


def _with(change: str) -> bytes:
    obj = _good()
    tokens, spans = obj["tokens"], obj["spans"]
    assert isinstance(tokens, list) and isinstance(spans, list)
    if change == "same length, other letters":
        tokens[0]["text"] = "Marix"
    elif change == "tokens overlapping":  # "Curie" from the "e" of "Marie": the texts match
        tokens[1].update(start=4, text="e Curie")
    elif change == "spans out of order":
        spans.reverse()
    elif change == "span past its token":
        spans[0]["end"] = 12
    return orjson.dumps(obj)


def test_near_misses_take_the_whole_way() -> None:
    for change in (
        "same length, other letters",
        "tokens overlapping",
        "spans out of order",
        "span past its token",
    ):
        assert lean(_with(change), LABELS) is None, change
        assert lean(_with(change), LABELS, columns=True) is None, change
