"""Counts over annotation files: articles, answers, spans per label, annotators.

The records are streamed: only the latest record per annotator and article (input hash and
text, as `store.latest` keys them) is kept, and of it only its answer, annotator and label counts
(`Tally`), so memory holds a small entry per record key, not the records. Our JSONL is read on
every core (`stream.lean`); other formats through `formats.read`, one record at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotations.records import Record, input_hash
from annotations.stream.lean import PartRecords, read_files, text_digest
from annotations.stream.progress import Progress, Silent


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


def _first_counts(labels: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """(label, count) in the order each label first appears."""
    counts: dict[int, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return tuple(counts.items())


class Tally:
    """The latest record per annotator and article, reduced to what `Stats` counts."""

    def __init__(self) -> None:
        self.lines = 0
        # (annotator, hash, text digest) -> (answer, (label id, count)...)
        self.current: dict[tuple[str | None, int, int], tuple[str | None, tuple[Any, ...]]] = {}
        self.label_ids: dict[str, int] = {}

    def _label(self, name: str) -> int:
        k = self.label_ids.get(name)
        if k is None:
            k = self.label_ids[name] = len(self.label_ids)
        return k

    def add(self, record: Record) -> None:
        self.lines += 1
        h = record.input_hash if record.input_hash is not None else input_hash(record.text)
        labels = _first_counts(self._label(s.label) for s in record.spans or ())
        self.current[(record.annotator, h, text_digest(record.text))] = (record.answer, labels)

    def add_part(self, part: PartRecords) -> None:
        self.lines += part.count
        remap = [self._label(name) for name in part.labels]
        span_labels = part.spans[:, 2].tolist()
        at = 0
        for i, key in enumerate(zip(part.annotators, part.hashes, part.digests, strict=True)):
            n = int(part.span_counts[i])
            labels = _first_counts(remap[k] for k in span_labels[at : at + n])
            at += n
            self.current[key] = (part.answers[i], labels)

    def stats(self) -> Stats:
        """What `compute` says of the same records."""
        names = list(self.label_ids)
        stats = Stats(lines=self.lines, records=len(self.current))
        stats.articles = len({(h, digest) for _, h, digest in self.current})
        for (annotator, _h, _d), (answer, labels) in self.current.items():
            stats.answers[answer or "(none)"] += 1
            stats.annotators[annotator or "(none)"] += 1
            for k, n in labels:
                stats.labels[names[k]] += n
        return stats


def compute(records: Iterable[Record]) -> Stats:
    tally = Tally()
    for record in records:
        tally.add(record)
    return tally.stats()


def file_stats(
    path: Path,
    fmt: str | None = None,
    progress: Progress | None = None,
    read_options: Mapping[str, Any] | None = None,
) -> Stats:
    """`compute(item.record for item in read(path, fmt, **read_options))`, our JSONL read on
    every core."""
    tally = Tally()
    read_files(
        [path],
        fmt,
        False,
        on_part=tally.add_part,
        on_record=lambda _i, record: tally.add(record),
        progress=progress or Silent(),
        read_options=read_options,
    )
    return tally.stats()
