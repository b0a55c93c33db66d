"""Each annotator against a gold file (`relecture agree FILE... --gold GOLD`): precision, recall
and F1 overall and per label, exact or overlapping, with the kinds of error each one makes; and
the same for the suggestions the annotators were shown (how good the pre-annotations were).

An article counts for an annotator when the gold accepted it and the annotator annotated it
(latest record, not `reject`/`ignore`). Articles are matched by their text and `_input_hash`.
Errors, from the spans that do not match exactly: `label` (same characters, another label),
`boundary` (same label, overlapping), `label+boundary` (overlapping, both differ), `extra` (the
annotator's span overlaps no gold span), `missed` (a gold span nobody's span overlaps).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from annotations.agreement.spans import match_spans
from annotations.records import ArticleKey, Record
from annotations.store.latest import latest

SpanTuple = tuple[int, int, str]
EXCLUDED = ("reject", "ignore")
ERROR_KINDS = ("missed", "extra", "label", "boundary", "label+boundary")
SUGGESTIONS = "all suggestions"  # the row of every suggestion; then one row per source


@dataclass(slots=True)
class Score:
    matched: int = 0
    predicted: int = 0
    gold: int = 0

    def add(self, other: Score) -> None:
        self.matched += other.matched
        self.predicted += other.predicted
        self.gold += other.gold

    @property
    def precision(self) -> float | None:
        return self.matched / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        total = self.predicted + self.gold
        return 2 * self.matched / total if total else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "matched": self.matched,
            "predicted": self.predicted,
            "gold": self.gold,
        }


@dataclass(slots=True)
class Scored:
    """One annotator (or suggestion source) against the gold."""

    name: str
    articles: int = 0
    overall: Score = field(default_factory=Score)
    per_label: dict[str, Score] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            **self.overall.as_dict(),
            "per_label": {k: v.as_dict() for k, v in sorted(self.per_label.items())},
            "errors": {k: self.errors[k] for k in ERROR_KINDS},
        }


@dataclass(slots=True)
class GoldReport:
    match: str
    gold_articles: int
    annotators: list[Scored]
    suggestions: list[Scored]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "gold_articles": self.gold_articles,
            "annotators": {s.name: s.as_dict() for s in self.annotators},
            "suggestions": {s.name: s.as_dict() for s in self.suggestions},
            "notes": self.notes,
        }


def _spans(spans: Iterable[Any]) -> list[SpanTuple]:
    return sorted({(s.start, s.end, s.label) for s in spans})


def compare(pred: list[SpanTuple], gold: list[SpanTuple], match: str, into: Scored) -> None:
    """Add one article's comparison to `into`."""
    if match == "exact":
        matched_pred = set(pred) & set(gold)
    else:
        matched_pred = {pred[x] for x, _ in match_spans(pred, gold, same_label=True)}
    into.overall.add(Score(len(matched_pred), len(pred), len(gold)))
    for label in {s[2] for s in pred} | {s[2] for s in gold}:
        into.per_label.setdefault(label, Score()).add(
            Score(
                sum(1 for s in matched_pred if s[2] == label),
                sum(1 for s in pred if s[2] == label),
                sum(1 for s in gold if s[2] == label),
            )
        )
    exact = set(pred) & set(gold)
    rest_pred = [s for s in pred if s not in exact]
    rest_gold = [s for s in gold if s not in exact]
    pairs = match_spans(rest_pred, rest_gold, same_label=False)
    for x, y in pairs:
        a, g = rest_pred[x], rest_gold[y]
        if a[:2] == g[:2]:
            into.errors["label"] += 1
        elif a[2] == g[2]:
            into.errors["boundary"] += 1
        else:
            into.errors["label+boundary"] += 1
    into.errors["extra"] += len(rest_pred) - len(pairs)
    into.errors["missed"] += len(rest_gold) - len(pairs)


def gold_report(
    records: Iterable[Record], gold_records: Iterable[Record], match: str = "exact"
) -> GoldReport:
    gold = {
        r.article_key: _spans(r.spans or ())
        for r in latest(gold_records)
        if r.answer not in EXCLUDED
    }
    scored: dict[str, Scored] = {}
    shown: dict[ArticleKey, list[Any]] = {}  # the suggestions of each gold article
    outside = 0
    for record in latest(records):
        key = record.article_key
        if key not in gold:
            outside += 1
            continue
        if record.suggestions is not None and key not in shown:
            shown[key] = list(record.suggestions)
        if record.answer in EXCLUDED:
            continue
        name = record.annotator if record.annotator is not None else "(no annotator)"
        row = scored.setdefault(name, Scored(name))
        row.articles += 1
        compare(_spans(record.spans or ()), gold[key], match, row)
    suggestions: dict[str, Scored] = {}
    for key, spans in shown.items():
        by_source: dict[str, list[Any]] = {SUGGESTIONS: list(spans)}
        for s in spans:
            by_source.setdefault(f"source {s.source or '(none)'}", []).append(s)
        for source, items in by_source.items():
            row = suggestions.setdefault(source, Scored(source))
            row.articles += 1
            compare(_spans(items), gold[key], match, row)
    notes = []
    if outside:
        notes.append(f"{outside} annotator records are on articles the gold does not have")
    if not scored:
        notes.append("no annotator annotated an article of the gold")
    rows = sorted(suggestions.values(), key=lambda s: (s.name != SUGGESTIONS, s.name))
    return GoldReport(match, len(gold), [scored[k] for k in sorted(scored)], rows, notes)
