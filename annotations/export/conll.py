"""CoNLL export (CoNLL-2003 style): `train.conll` / `dev.conll` / `test.conll`, one `token TAG`
line per token (IOB2 tags), a blank line after every sentence, and `-DOCSTART- -X- -X- O` plus a
blank line before every article.

Sentences come from the tokens we have, without a model. A sentence ends

- at a line break: a whitespace token, or text between two tokens, that holds a newline;
- after a sentence-final punctuation token (`.`, `!`, `?`, `…`, or a run of them such as `?!` or
  `...`), together with the closing quotes and brackets that follow it (`»`, `”`, `"`, `)`, `]`);

but never inside an entity: a boundary that falls within a span is not made.

Whitespace-only tokens (newlines, non-breaking spaces) are not written, since a CoNLL line cannot
hold them; a token with whitespace inside gets `_` in its place (with a warning). Reading the
file back (`formats.read`) therefore gives the same tokens (less whitespace) and the same
entities, but a text rebuilt with spaces and newlines, not the original characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from annotations.bio import spans_to_tags
from annotations.export.select import Row

CONLL_FILES = {"train": "train.conll", "dev": "dev.conll", "test": "test.conll"}
DOCSTART = "-DOCSTART- -X- -X- O"
_FINAL = re.compile(r"^[.!?…]+$")
_CLOSERS = frozenset(("»", "”", '"', ")", "]", "’", "'"))
_SPACE = re.compile(r"\s")


def sentences(
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
