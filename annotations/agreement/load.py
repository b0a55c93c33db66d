"""Who annotated what: records grouped by article (`_input_hash`) and annotator, as arrays.

`records_from_files(paths)` reads every file with `annotations.formats.read` and names the
annotator of each record: its `_annotator_id` when it has one (a brat project folder sets it to
the subfolder's name), else the file's stem (one file per annotator).

`build_corpus(records)` keeps the latest record per (annotator, `_input_hash`) (files are
append-only: the latest line wins), leaves out records answered `reject` or `ignore` (only
`accept`, or no answer, counts as annotated), and keeps the articles that at least two annotators
annotated. Spans are de-duplicated per annotator and article (the same start, end and label
twice count once) and stored as flat numpy arrays, sorted by article, start, longest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from annotations.formats import read
from annotations.records import Record, Token, input_hash
from annotations.store.latest import latest

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EXCLUDED_ANSWERS = ("reject", "ignore")


class AgreementError(Exception):
    """Agreement cannot be computed from this input (one annotator, nothing shared...)."""


@dataclass(slots=True)
class Article:
    input_hash: int
    name: str  # meta doc_id / id / source, else the input hash
    text: str
    tokens: list[Token] | None  # the first annotator's tokens, when a record carries them
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


def records_from_files(paths: Iterable[str | Path], fmt: str | None = None) -> list[Record]:
    """Every record of every file, its annotator named (`_annotator_id`, else the file's stem)."""
    out: list[Record] = []
    for path in map(Path, paths):
        default = path.stem if path.is_file() else path.name
        for item in read(path, fmt):
            record = item.record
            if record.annotator is None:
                record.annotator = default
            out.append(record)
    return out


def _article_name(record: Record, in_hash: int) -> str:
    meta = record.meta or {}
    for key in ("doc_id", "id", "source", "file", "path"):
        value = meta.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return str(in_hash)


def build_corpus(records: Iterable[Record]) -> Corpus:
    """Group records by article and annotator (see the module docstring). Raises
    `AgreementError` when there are fewer than two annotators or no article two of them share."""
    excluded: Counter[str] = Counter()
    by_article: dict[int, dict[str, Record]] = {}
    per_annotator: Counter[str] = Counter()
    for record in latest(records):
        name = record.annotator if record.annotator is not None else "(no annotator)"
        if record.answer in EXCLUDED_ANSWERS:
            excluded[record.answer] += 1
            continue
        per_annotator[name] += 1
        h = record.input_hash if record.input_hash is not None else input_hash(record.text)
        by_article.setdefault(h, {})[name] = record

    names = sorted(per_annotator)
    if len(names) < 2:
        found = f"only {names[0]!r}" if names else "none"
        skipped = sum(excluded.values())
        extra = f" ({skipped} rejected/ignored records left out)" if skipped else ""
        raise AgreementError(
            f"agreement needs at least two annotators; found {found}{extra}. A record's "
            "annotator is its _annotator_id, else its file's name: give one file per annotator"
        )
    shared = {h: recs for h, recs in by_article.items() if len(recs) >= 2}
    single = len(by_article) - len(shared)
    if not shared:
        counts = ", ".join(f"{n}: {per_annotator[n]}" for n in names)
        raise AgreementError(
            "no article was annotated by two annotators (articles are matched by _input_hash; "
            f"accepted articles per annotator: {counts})"
        )
    excluded["single_annotator_articles"] = single

    index = {n: i for i, n in enumerate(names)}
    n_art = len(shared)
    present = np.zeros((n_art, len(names)), dtype=bool)
    lengths = np.zeros(n_art, dtype=np.int64)
    articles: list[Article] = []
    starts: list[int] = []
    ends: list[int] = []
    labs: list[str] = []
    sizes: list[int] = []  # spans per (article, annotator) record, in the order below
    owners: list[tuple[int, int]] = []
    texts_differ = 0
    for a, (h, recs) in enumerate(shared.items()):
        ordered = sorted(recs.items(), key=lambda kv: index[kv[0]])
        first = ordered[0][1]
        text = first.text
        tokens = next((r.tokens for _, r in ordered if r.tokens is not None), None)
        ids = tuple(index[n] for n, _ in ordered)
        articles.append(Article(h, _article_name(first, h), text, tokens, ids))
        lengths[a] = len(text)
        for name, rec in ordered:
            i = index[name]
            present[a, i] = True
            if rec.text != text:
                texts_differ += 1
            unique = {(s.start, s.end, s.label) for s in rec.spans or ()}
            if unique:
                st, en, lb = zip(*unique, strict=True)
                starts.extend(st)
                ends.extend(en)
                labs.extend(lb)
                sizes.append(len(unique))
                owners.append((a, i))
    labels = sorted(set(labs))
    label_index = {lab: i for i, lab in enumerate(labels)}
    owner = np.array(owners, dtype=np.int64).reshape(-1, 2)
    size = np.array(sizes, dtype=np.int64)
    span_article = np.repeat(owner[:, 0], size)
    span_annotator = np.repeat(owner[:, 1], size)
    span_start = np.array(starts, dtype=np.int64)
    span_end = np.array(ends, dtype=np.int64)
    span_label = np.array([label_index[x] for x in labs], dtype=np.int64)
    ok = (span_start >= 0) & (span_start < span_end) & (span_end <= lengths[span_article])
    bad_spans = int(len(ok) - ok.sum())
    order = np.lexsort((span_label, span_annotator, -span_end, span_start, span_article))
    order = order[ok[order]]
    used = np.unique(span_label[order])  # labels only seen on left-out spans are dropped
    remap = np.zeros(len(labels), dtype=np.int64)
    remap[used] = np.arange(len(used))
    labels = [labels[i] for i in used]
    offsets = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    notes: list[str] = []
    if bad_spans:
        notes.append(f"{bad_spans} spans empty or outside their text were left out")
    if texts_differ:
        notes.append(
            f"{texts_differ} records share an _input_hash with a different text; "
            "the first annotator's text is used"
        )
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
