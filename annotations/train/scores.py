"""Exact-match scores of suggestions against curated spans: precision, recall and F1 per label
and overall (micro), over the labels the data uses (spans of other labels are left out on both
sides: a scheme's DATE rules are not wrong on data that never marks dates)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from annotations.agreement.gold import Score
from annotations.records import Record, Span

ALL = "all"


@dataclass
class Scores:
    by_label: dict[str, Score] = field(default_factory=dict)
    overall: Score = field(default_factory=Score)
    sources: Counter[str] = field(default_factory=Counter)  # true positives by suggester

    @property
    def f1(self) -> float:
        return self.overall.f1 or 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            ALL: self.overall.as_dict(),
            "labels": {label: s.as_dict() for label, s in self.by_label.items()},
            "matched_by_source": dict(self.sources.most_common()),
        }


def score(
    gold: Sequence[Record], predicted: Sequence[Sequence[Span]], labels: Sequence[str]
) -> Scores:
    """Scores of `predicted[i]` against `gold[i].spans`, over `labels`."""
    keep = set(labels)
    out = Scores({label: Score() for label in labels})
    for record, spans in zip(gold, predicted, strict=True):
        truth = {s.key for s in record.spans or () if s.label in keep}
        guessed = {s.key: s for s in spans if s.label in keep}
        for key, span in guessed.items():
            hit = key in truth
            out.by_label[key[2]].predicted += 1
            out.by_label[key[2]].matched += hit
            if hit:
                out.sources[(span.source or "").split(":", 1)[0] or "?"] += 1
        for key in truth:
            out.by_label[key[2]].gold += 1
    for s in out.by_label.values():
        out.overall.add(s)
    return out


def blank_copies(records: Sequence[Record]) -> list[Record]:
    """The records as a suggester sees them: text and tokens, no spans."""
    return [Record(text=r.text, tokens=r.tokens, meta=r.meta) for r in records]


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def side_by_side(columns: dict[str, Scores], labels: Sequence[str]) -> list[str]:
    """A plain-text table: one row per label and `all`, P/R/F1 per column."""
    names = list(columns)
    head = f"{'label':<10}" + "".join(f"{name[:26]:>28}" for name in names)
    sub = f"{'':<10}" + "".join(f"{'P':>10}{'R':>9}{'F1':>9}" for _ in names)
    rows = [head, sub]
    for label in [*labels, ALL]:
        cells = ""
        for name in names:
            s = columns[name].overall if label == ALL else columns[name].by_label[label]
            cells += f"{fmt(s.precision):>10}{fmt(s.recall):>9}{fmt(s.f1):>9}"
        rows.append(f"{label:<10}{cells}")
    return rows
