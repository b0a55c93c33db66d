"""CoNLL's sentences (`export.conll.layout`, which follows tokens one by one only where something
can happen) are the ones the token-by-token loop they replaced made, with the same warnings in
the same order, on hypothesis' token streams: whitespace tokens with and without newlines,
sentence-final runs, closers, line breaks between tokens, whitespace inside a token, and
entities over any of them. The loop is kept below as the reference."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.bio import spans_to_tags
from annotations.export.conll import DOCSTART, block, sentences
from annotations.export.lean import Lean
from annotations.export.select import Row
from annotations.records import Span

_FINAL = re.compile(r"^[.!?…]+$")
_CLOSERS = frozenset(("»", "”", '"', ")", "]", "’", "'"))
_SPACE = re.compile(r"\s")


def reference(
    row: Row, warn: Callable[[str], None] | None = None
) -> Iterator[list[tuple[str, str]]]:
    """The article's sentences as lists of (token, IOB2 tag); whitespace tokens left out.
    `row.record` is a `Record` or a `lean.Lean` (token texts and offsets as lists)."""
    record = row.record
    words = getattr(record, "token_texts", None)
    if words is not None:
        starts, ends = record.token_starts, record.token_ends  # type: ignore[attr-defined]
    else:
        tokens = record.tokens or []
        words = [t.text for t in tokens]
        starts = [t.start for t in tokens]
        ends = [t.end for t in tokens]
    text = record.text
    tags = spans_to_tags(len(words), record.spans or [])
    sentence: list[tuple[str, str]] = []
    pending = False  # a sentence-final token was seen; close before the next non-closer
    prev_end = 0
    for word, start, end, tag in zip(words, starts, ends, tags, strict=True):
        inside = tag.startswith("I-")
        newline = "\n" in text[prev_end:start]
        prev_end = end
        if not word.strip():
            if "\n" in word and not inside and sentence:
                yield sentence
                sentence, pending = [], False
            continue
        if sentence and not inside and (newline or (pending and word not in _CLOSERS)):
            yield sentence
            sentence, pending = [], False
        if _SPACE.search(word):
            if warn is not None:
                warn(
                    f"{row.where} (article {row.article}): token {start}-{end} {word!r} "
                    "has whitespace inside; written with '_' in CoNLL"
                )
            word = _SPACE.sub("_", word)
        if inside and (not sentence or sentence[-1][1][2:] != tag[2:]):
            tag = "B-" + tag[2:]  # its entity began on a whitespace token that is not written
        sentence.append((word, tag))
        if _FINAL.match(word):
            pending = True
        elif word not in _CLOSERS:
            pending = False
    if sentence:
        yield sentence


WORDS = [
    "Jean",
    "Paris",
    "a",
    "",
    " ",
    "\n",
    "\n\n",
    " \n ",
    "\xa0",
    ".",
    "...",
    "?!",
    "…",
    "!",
    "»",
    "”",
    '"',
    ")",
    "]",
    "’",
    "'",
    "«",
    "(",
    "a b",
    "x\ny",
    "M.",
    ".a.",
    "\t",
]
GAPS = ["", "", " ", " ", "\n", " \n", "\n\n"]


@st.composite
def rows(draw: st.DrawFn) -> Row:
    words = draw(st.lists(st.sampled_from(WORDS), max_size=40))
    text, starts, ends = "", [], []
    for word in words:
        text += draw(st.sampled_from(GAPS))
        starts.append(len(text))
        text += word
        ends.append(len(text))
    text += draw(st.sampled_from(GAPS)) or "."
    spans: list[Span] = []
    k = 0
    while k < len(words):
        k += draw(st.integers(0, 4))
        if k >= len(words):
            break
        last = min(len(words) - 1, k + draw(st.integers(0, 3)))
        label = draw(st.sampled_from(["PER", "LOC"]))
        spans.append(Span(starts[k], ends[last], label, k, last))
        k = last + 1
    record = Lean(text, {"source": "a.txt"}, spans, words, starts, ends)
    return Row(record, ["ann"], "x.jsonl:3", "0", 7)  # type: ignore[arg-type]


@settings(max_examples=1500, deadline=None)
@given(rows())
def test_the_same_sentences_and_warnings_as_the_token_loop(row: Row) -> None:
    got: list[str] = []
    want: list[str] = []
    new = list(sentences(row, got.append))
    assert new == list(reference(row, want.append))
    assert got == want
    lines = "".join("".join(f"{w} {t}\n" for w, t in s) + "\n" for s in new)
    assert block(row) == f"{DOCSTART}\n\n{lines}"


def test_a_sentence_ends_after_its_final_run_and_closers() -> None:
    words = ["Il", "part", "?!", "»", "Elle", "reste", "."]
    starts = [0, 3, 8, 11, 13, 18, 24]
    ends = [2, 7, 10, 12, 17, 23, 25]
    text = "Il part ?! » Elle reste ."
    row = Row(Lean(text, None, [], words, starts, ends), [], "x:1", "0", 0)  # type: ignore[arg-type]
    assert [[w for w, _ in s] for s in sentences(row)] == [words[:4], words[4:]]
