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
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate, chain, compress, count, pairwise, repeat
from operator import not_, or_

import numpy as np

from annotations.bio import spans_to_tags
from annotations.export.select import Row

CONLL_FILES = {"train": "train.conll", "dev": "dev.conll", "test": "test.conll"}
DOCSTART = "-DOCSTART- -X- -X- O"
_FINAL_CHARS = ".!?…"  # a token of these only ends a sentence
_CLOSERS = frozenset(("»", "”", '"', ")", "]", "’", "'"))
_SPACE = re.compile(r"\s")
_NEWLINE = re.compile("\n")


@dataclass(slots=True)
class Layout:
    """An article as CoNLL writes it: the tokens written (whitespace tokens left out), their
    tags, and where each sentence after the first begins (an index into `words`)."""

    words: list[str]
    tags: list[str]
    cuts: list[int]


def layout(row: Row, warn: Callable[[str], None] | None = None) -> Layout:
    """The article's sentences (see the module docstring). `row.record` is a `Record` or a
    `lean.Lean` (token texts and offsets as lists).

    Tokens are followed one by one only where something can happen: a whitespace token, a
    sentence-final one, a closer, one after a line break, and the token after each of those.
    Any other token is written in the sentence being built and leaves nothing pending, which
    the first of a run of them has already done."""
    record = row.record
    words = getattr(record, "token_texts", None)
    if words is not None:
        starts, ends = record.token_starts, record.token_ends  # type: ignore[attr-defined]
    else:
        tokens = record.tokens or []
        words = [t.text for t in tokens]
        starts = [t.start for t in tokens]
        ends = [t.end for t in tokens]
    n = len(words)
    tags = spans_to_tags(n, record.spans or [])
    blank = [not w for w in map(str.strip, words)]
    final = [not w for w in map(str.strip, words, repeat(_FINAL_CHARS, n))]
    closer = list(map(_CLOSERS.__contains__, words))
    broken = _after_break(record.text, starts, ends)
    special = list(compress(count(), map(or_, map(or_, blank, final), map(or_, closer, broken))))
    events = sorted({0, *special, *(k + 1 for k in special)} - {n}) if n else []
    written_before = list(accumulate(map(not_, blank), initial=0))
    cuts: list[int] = []
    sentence = False  # the sentence being built has a token
    pending = False  # a sentence-final token was seen: cut before the next non-closer
    for k in events:
        inside = tags[k][0] == "I"
        if blank[k]:
            if "\n" in words[k] and not inside and sentence:
                cuts.append(written_before[k])
                sentence = pending = False
            continue
        if sentence and not inside and (broken[k] or (pending and not closer[k])):
            cuts.append(written_before[k])
            pending = False
        sentence = True
        if final[k]:
            pending = True
        elif not closer[k]:
            pending = False
    keep = [k for k in range(n) if not blank[k]]
    out = Layout([words[k] for k in keep], [tags[k] for k in keep], cuts)
    _mend(row, out, [starts[k] for k in keep], [ends[k] for k in keep], warn)
    return out


def _after_break(text: str, starts: list[int], ends: list[int]) -> list[bool]:
    """Per token, whether the text between the previous token (or the start) and it holds a
    newline."""
    breaks = [m.start() for m in _NEWLINE.finditer(text)]
    if not breaks:
        return [False] * len(starts)
    at = np.array(breaks)
    before = np.searchsorted(at, starts)  # newlines before each token
    before_prev = np.searchsorted(at, [0, *ends[:-1]])  # and before the end of the previous one
    return (before != before_prev).tolist()  # type: ignore[no-any-return]


def _mend(
    row: Row,
    out: Layout,
    starts: list[int],
    ends: list[int],
    warn: Callable[[str], None] | None,
) -> None:
    """`_` for whitespace inside a written token (with a warning, in token order), and `B-` for
    an `I-` tag that opens a sentence or follows another label (its entity began on a
    whitespace token, which is not written)."""
    words, tags = out.words, out.tags
    joined = "\0".join(words)  # no NUL in a text: a separator no token holds
    found = [m.start() for m in _SPACE.finditer(joined)]
    if found:
        offsets = list(accumulate((len(w) + 1 for w in words[:-1]), initial=0))
        for j in sorted({bisect_right(offsets, at) - 1 for at in found}):
            word = words[j]
            if warn is not None:
                warn(
                    f"{row.where} (article {row.article}): token {starts[j]}-{ends[j]} "
                    f"{word!r} has whitespace inside; written with '_' in CoNLL"
                )
            words[j] = _SPACE.sub("_", word)
    opens = set(out.cuts)
    opens.add(0)
    for j, tag in enumerate(tags):
        if tag[0] == "I" and (j in opens or tags[j - 1][2:] != tag[2:]):
            tags[j] = "B-" + tag[2:]


def sentences(
    row: Row, warn: Callable[[str], None] | None = None
) -> Iterator[list[tuple[str, str]]]:
    """The article's sentences as lists of (token, IOB2 tag); whitespace tokens left out."""
    out = layout(row, warn)
    bounds = [0, *out.cuts, len(out.words)]
    for a, b in pairwise(bounds):
        if b > a:
            yield list(zip(out.words[a:b], out.tags[a:b], strict=True))


def block(row: Row, warn: Callable[[str], None] | None = None) -> str:
    """The article as the CoNLL file holds it: `-DOCSTART-`, a blank line, then each sentence's
    `token TAG` lines and a blank line."""
    out = layout(row, warn)
    n = len(out.words)
    ends = ["\n"] * n
    for cut in out.cuts:
        ends[cut - 1] = "\n\n"
    if n:
        ends[-1] = "\n\n"
    return (
        DOCSTART
        + "\n\n"
        + "".join(chain.from_iterable(zip(out.words, repeat(" ", n), out.tags, ends, strict=True)))
    )
