"""The articles to curate: every annotator's latest version of each article, grouped by the
article (its text: two texts sharing an `_input_hash` stay two articles), with what they said
gathered into agreed spans and disagreements, and the article's pairwise agreement.

`CurationSource` is a lazy sequence of `Record`s for the review session: article i's record is
built (tokens aligned, candidates as suggestions) only when the curator opens it, so a corpus of
10k articles opens at once; the ordering (`--order worst`) needs only character offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from annotations.curation.candidates import Candidates, SpanKey, Vote, gather
from annotations.curation.lazy import Lazy
from annotations.records import ArticleKey, Record, Span, article_name, input_hash

REVIEW_KEY = "_review"  # the provenance object of a gold record


@dataclass(slots=True)
class Versions:
    """One article as each annotator left it (their latest record), in the annotators' order."""

    text: str
    records: dict[str, Record]
    candidates: Candidates = field(init=False)
    f1: float | None = field(init=False)  # mean pairwise F1 of the counted annotators

    @property
    def name(self) -> str:
        """The article's name from its meta (as `relecture agree` names it), else ""."""
        return article_name(next(iter(self.records.values())), "")

    def __post_init__(self) -> None:
        spans = {a: _keys(self.text, r.spans or ()) for a, r in self.records.items()}
        self.candidates = gather(spans, {a: r.answer for a, r in self.records.items()})
        self.f1 = pairwise_f1({a: spans[a] for a in self.candidates.counted})


def _keys(text: str, spans: Iterable[Span]) -> list[SpanKey]:
    """The spans as (start, end, label), whitespace at their edges trimmed (as the tokens will
    trim them), spans of only whitespace or beyond the text left out."""
    out = []
    for s in spans:
        start, end = max(s.start, 0), min(s.end, len(text))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            out.append((start, end, s.label))
    return out


def pairwise_f1(spans: dict[str, list[SpanKey]]) -> float | None:
    """Mean over annotator pairs of exact-match F1 = 2·|A∩B| / (|A| + |B|) (both empty: 1);
    None with fewer than two annotators."""
    pairs = list(combinations(spans.values(), 2))
    if not pairs:
        return None
    total = 0.0
    for a, b in pairs:
        sa, sb = set(a), set(b)
        total += 1.0 if not sa and not sb else 2 * len(sa & sb) / (len(sa) + len(sb))
    return total / len(pairs)


def group_versions(records: Iterable[Record]) -> list[Versions]:
    """Latest record per (annotator, article), grouped by article in the order articles first
    appear; annotators listed in sorted order."""
    by_article: dict[ArticleKey, dict[str, Record]] = {}
    for record in records:
        who = record.annotator if record.annotator is not None else "(no annotator)"
        by_article.setdefault(record.article_key, {})[who] = record  # later lines win
    return [
        Versions(text, {a: recs[a] for a in sorted(recs)})
        for (_h, text), recs in by_article.items()
    ]


def order(articles: Sequence[Versions], how: str) -> Sequence[Versions]:
    """`input`: as they came; `worst`: least agreed first (unscored articles last; this reads
    every article)."""
    if how == "input":
        return articles
    if how == "worst":
        return sorted(articles, key=lambda v: (v.f1 is None, v.f1 if v.f1 is not None else 0.0))
    raise ValueError(f"unknown order {how!r}: expected input or worst")


def to_record(versions: Versions) -> Record:
    """The record the curator opens: the text and tokens of the first version that has tokens,
    the agreed spans and every candidate as suggestions (`source` naming the voters), and the
    annotators' answers under `_review`."""
    first = next(iter(versions.records.values()))
    tokened = next((r for r in versions.records.values() if r.tokens), first)
    c = versions.candidates
    votes: list[Vote] = [*c.agreed, *(v for d in c.disagreements for v in d.alternatives)]
    suggestions = [Span(v.start, v.end, v.label, source=v.source()) for v in votes]
    suggestions.sort(key=lambda s: (s.start, -s.end, s.label))
    return Record(
        text=versions.text,
        meta=first.meta,
        input_hash=first.input_hash if first.input_hash is not None else input_hash(first.text),
        tokens=tokened.tokens,
        suggestions=suggestions,
        extra={REVIEW_KEY: review_info(versions)},
    )


def review_info(versions: Versions) -> dict[str, object]:
    """Who saw the article and what each one answered (the gold record's provenance)."""
    return {
        "annotators": list(versions.records),
        "answers": {a: r.answer for a, r in versions.records.items()},
    }


class CurationSource(Lazy[Record]):
    """Article i as a `Record` (see `to_record`), built on first use."""

    def __init__(self, articles: Sequence[Versions]) -> None:
        super().__init__()
        self.articles = articles

    def __len__(self) -> int:
        return len(self.articles)

    def _build(self, i: int) -> Record:
        return to_record(self.articles[i])
