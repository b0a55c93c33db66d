"""Who annotated what: records grouped by article and annotator, as arrays.

`records_from_files(paths)` reads every file with `annotations.formats.read` and names the
annotator of each record: its `_annotator_id` when it has one (a brat project folder sets it to
the subfolder's name), else the file's stem (one file per annotator).

`build_corpus(records)` keeps the latest record per annotator and article (files are
append-only: the latest line wins; an article is its `_input_hash` and its text, so two texts
sharing a hash are two articles: `Record.article_key`), leaves out records answered `reject` or
`ignore` (only `accept`, or no answer, counts as annotated), and keeps the articles that at least two annotators
annotated. Spans are de-duplicated per annotator and article (the same start, end and label
twice count once) and stored as flat numpy arrays, sorted by article, start, longest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from annotations.formats import annotator_name, read
from annotations.identity import by_article, ids
from annotations.records import Record, Span, Token, article_name, input_hash
from annotations.store.latest import latest

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EXCLUDED_ANSWERS = ("reject", "ignore")


def _packed(columns: tuple[IntArray, ...]) -> IntArray | None:
    """One int64 key ordering like the columns lexicographically, or None if it would overflow."""
    lows = [int(c.min()) for c in columns]
    radixes = [int(c.max()) - lo + 1 for c, lo in zip(columns, lows, strict=True)]
    total = 1
    for r in radixes:
        total *= r
    if total >= 1 << 62:
        return None
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for c, lo, r in zip(columns, lows, radixes, strict=True):
        key *= r
        key += c - lo
    return key


def lex_order(*columns: IntArray) -> IntArray:
    """Indices that sort by the first column, then the second... (like `np.lexsort` with the
    keys reversed). The columns are packed into one int64 key when their ranges fit in 62 bits
    (ten times faster than `np.lexsort` on five keys); when the data is already sorted by all but
    the first column and the first has a small range, one stable radix sort on it is enough."""
    n = len(columns[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    head = columns[0]
    low, high = int(head.min()), int(head.max())
    if len(columns) > 1 and high - low < 1 << 16:
        rest = _packed(columns[1:])
        if rest is not None and bool(np.all(rest[1:] >= rest[:-1])):
            small = (head - low).astype(np.uint16)
            return np.argsort(small, kind="stable").astype(np.int64)
    key = _packed(columns)
    if key is None:
        return np.lexsort(columns[::-1]).astype(np.int64)
    return np.argsort(key, kind="stable").astype(np.int64)


class LabelIds(dict[str, int]):
    """Label -> index, a new index for each new label (in order of first appearance)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def __missing__(self, key: str) -> int:
        self[key] = len(self.names)
        self.names.append(key)
        return self[key]


class AgreementError(Exception):
    """Agreement cannot be computed from this input (one annotator, nothing shared...)."""


@dataclass(slots=True)
class Article:
    input_hash: int
    name: str  # meta doc_id / id / source, else the input hash (`HASH-2`: see `identity.ids`)
    text: str
    # the first annotator's tokens, when a record carries them: `Token`s, or the starts and ends
    # of those agreement counts as an (n, 2) array (`agreement.collect`, `stream.lean.counted`)
    tokens: list[Token] | npt.NDArray[np.int32] | None
    annotators: tuple[int, ...]  # indices into Corpus.annotators, ascending


@dataclass
class Corpus:
    """The articles seen by ≥ 2 annotators and every span on them, as parallel arrays."""

    annotators: list[str]  # sorted
    labels: list[str]  # sorted
    articles: list[Article]
    present: BoolArray  # (articles, annotators): annotated (accepted) by that annotator
    offset: IntArray  # start of each article in one continuum (texts end to end, one apart)
    span_article: IntArray
    span_annotator: IntArray
    span_start: IntArray  # character offsets in the article's text, end exclusive
    span_end: IntArray
    span_label: IntArray  # index into labels
    excluded: dict[str, int] = field(default_factory=dict)
    records_per_annotator: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def span_gstart(self) -> IntArray:
        return self.span_start + self.offset[self.span_article]

    @property
    def span_gend(self) -> IntArray:
        return self.span_end + self.offset[self.span_article]


def records_from_files(
    paths: Iterable[str | Path],
    fmt: str | None = None,
    tokens: bool = True,
    spans_key: str | None = None,
) -> list[Record]:
    """Every record of every file, its annotator named (`_annotator_id`, else the file's stem).
    `tokens=False`: records that come without tokens are left without (see `read`)."""
    out: list[Record] = []
    for path in map(Path, paths):
        default = annotator_name(path)
        for item in read(path, fmt, tokens=tokens, spans_key=spans_key):
            record = item.record
            if record.annotator is None:
                record.annotator = default
            out.append(record)
    return out


def build_corpus(records: Iterable[Record]) -> Corpus:
    """Group records by article and annotator (see the module docstring). Raises
    `AgreementError` when there are fewer than two annotators or no article two of them share."""
    excluded: Counter[str] = Counter({answer: 0 for answer in EXCLUDED_ANSWERS})
    kept: list[tuple[Record, str]] = []
    per_annotator: Counter[str] = Counter()
    for record in latest(records):
        name = record.annotator if record.annotator is not None else "(no annotator)"
        if record.answer in EXCLUDED_ANSWERS:
            excluded[record.answer] += 1
            continue
        per_annotator[name] += 1
        kept.append((record, name))
    groups = by_article(kept)

    names = sorted(per_annotator)
    need_two_annotators(names, excluded)
    # (the article's id: `HASH`, `HASH-2` for a second text under a hash; annotator -> record)
    shared = [
        (article_id, recs)
        for article_id, recs in zip(
            ids(groups), ({name: r for r, name in group} for group in groups), strict=True
        )
        if len(recs) >= 2
    ]
    need_shared(shared, names, per_annotator)
    excluded["single_annotator_articles"] = len(groups) - len(shared)

    index = {n: i for i, n in enumerate(names)}
    n_art = len(shared)
    present = np.zeros((n_art, len(names)), dtype=bool)
    lengths = np.zeros(n_art, dtype=np.int64)
    articles: list[Article] = []
    # per span, through C-level map/attrgetter: no Python frame per span
    get_start, get_end, get_label = attrgetter("start"), attrgetter("end"), attrgetter("label")
    label_ids = LabelIds()
    span_lists: list[list[Span]] = []
    sizes: list[int] = []  # spans per (article, annotator) record
    owner_article: list[int] = []
    owner_annotator: list[int] = []
    for a, (article_id, recs) in enumerate(shared):
        ordered = sorted(recs.items(), key=lambda kv: index[kv[0]])
        first = ordered[0][1]
        h = first.input_hash if first.input_hash is not None else input_hash(first.text)
        text = first.text
        tokens = next((r.tokens for _, r in ordered if r.tokens is not None), None)
        who = tuple(index[n] for n, _ in ordered)
        articles.append(Article(h, article_name(first, article_id), text, tokens, who))
        lengths[a] = len(text)
        for name, rec in ordered:
            i = index[name]
            present[a, i] = True
            spans = rec.spans
            if spans:
                span_lists.append(spans)
                sizes.append(len(spans))
                owner_article.append(a)
                owner_annotator.append(i)
    size = np.array(sizes, dtype=np.int64)
    n = int(size.sum())
    return assemble(
        names,
        per_annotator,
        excluded,
        articles,
        present,
        lengths,
        span_article=np.repeat(np.array(owner_article, dtype=np.int64), size),
        span_annotator=np.repeat(np.array(owner_annotator, dtype=np.int64), size),
        span_start=np.fromiter(map(get_start, chain.from_iterable(span_lists)), np.int64, n),
        span_end=np.fromiter(map(get_end, chain.from_iterable(span_lists)), np.int64, n),
        span_label=np.fromiter(
            map(label_ids.__getitem__, map(get_label, chain.from_iterable(span_lists))),
            np.int64,
            n,
        ),
        label_names=label_ids.names,
    )


def need_two_annotators(names: list[str], excluded: Counter[str]) -> None:
    if len(names) < 2:
        found = f"only {names[0]!r}" if names else "none"
        skipped = sum(excluded.values())
        extra = f" ({skipped} rejected/ignored records left out)" if skipped else ""
        raise AgreementError(
            f"agreement needs at least two annotators; found {found}{extra}. A record's "
            "annotator is its _annotator_id, else its file's name: give one file per annotator"
        )


def need_shared(shared: list[Any], names: list[str], per_annotator: Counter[str]) -> None:
    if not shared:
        counts = ", ".join(f"{n}: {per_annotator[n]}" for n in names)
        raise AgreementError(
            "no article was annotated by two annotators (articles are matched by _input_hash "
            f"and text; accepted articles per annotator: {counts})"
        )


def invalid_spans_note(n: int) -> str:
    return f"{n} spans empty or outside their text were left out"


def assemble(
    names: list[str],
    per_annotator: Counter[str],
    excluded: Counter[str],
    articles: list[Article],
    present: BoolArray,
    lengths: IntArray,
    *,
    span_article: IntArray,
    span_annotator: IntArray,
    span_start: IntArray,
    span_end: IntArray,
    span_label: IntArray,
    label_names: list[str],
) -> Corpus:
    """The corpus from its articles and every kept record's spans (label: index into
    `label_names`): spans empty or outside their text left out, the rest de-duplicated and
    sorted (see the module docstring), labels renumbered in name order."""
    ok = (span_start >= 0) & (span_start < span_end) & (span_end <= lengths[span_article])
    bad_spans = int(len(ok) - ok.sum())
    # sorted by article, start, longest first; the same span twice from one annotator counts once
    order = lex_order(span_article, span_start, -span_end, span_annotator, span_label)
    order = order[ok[order]]
    keys = (span_article, span_start, span_end, span_annotator, span_label)
    dup = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        dup[1:] = np.all([k[order[1:]] == k[order[:-1]] for k in keys], axis=0)
    order = order[~dup]
    used = np.unique(span_label[order])  # labels only seen on left-out spans are dropped
    by_name = sorted(used.tolist(), key=lambda k: label_names[k])
    labels = [label_names[k] for k in by_name]
    remap = np.zeros(max(len(label_names), 1), dtype=np.int64)
    remap[by_name] = np.arange(len(by_name))
    offsets = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    notes: list[str] = []
    if bad_spans:
        notes.append(invalid_spans_note(bad_spans))
    excluded["invalid_spans"] = bad_spans
    return Corpus(
        annotators=names,
        labels=labels,
        articles=articles,
        present=present,
        offset=offsets,
        span_article=span_article[order],
        span_annotator=span_annotator[order],
        span_start=span_start[order],
        span_end=span_end[order],
        span_label=remap[span_label[order]],
        excluded=dict(excluded),
        records_per_annotator={n: per_annotator[n] for n in names},
        notes=notes,
    )
