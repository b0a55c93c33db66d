"""Counts over annotation files: articles, answers, spans per label, annotators."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from annotations.identity import by_article
from annotations.records import Record
from annotations.store.latest import latest


@dataclass
class Stats:
    lines: int = 0
    records: int = 0  # current records: latest per annotator and article
    articles: int = 0  # distinct articles (`Record.article_key`)
    answers: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    annotators: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "records": self.records,
            "articles": self.articles,
            "answers": dict(self.answers),
            "spans": sum(self.labels.values()),
            "spans_per_label": dict(self.labels.most_common()),
            "annotators": dict(self.annotators.most_common()),
        }


def compute(records: Iterable[Record]) -> Stats:
    stats = Stats()
    all_records = list(records)
    stats.lines = len(all_records)
    current = latest(all_records)
    stats.records = len(current)
    stats.articles = len(by_article((r, None) for r in current))
    for r in current:
        stats.answers[r.answer or "(none)"] += 1
        stats.annotators[r.annotator or "(none)"] += 1
        for span in r.spans or ():
            stats.labels[span.label] += 1
    return stats
