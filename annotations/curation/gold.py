"""The gold file of a curation: the records a curator writes (provenance under `_review`), the
unanimous articles `--auto-accept` writes without showing them, and what a GOLD file already
holds when curation resumes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from annotations.curation.articles import REVIEW_KEY, Versions, review_info
from annotations.curation.index import VersionIndex
from annotations.formats import read
from annotations.records import ArticleKey, Record, Span, input_hash


def load_versions(paths: Iterable[Path], fmt: str | None = None) -> VersionIndex:
    """Every annotator's latest version of every article of the inputs (annotators named as
    `relecture agree` names them), read lazily, without tokenising anything yet."""
    return VersionIndex(list(paths), fmt)


def saved_gold(path: Path, curator: str) -> dict[ArticleKey, Record]:
    """The curator's latest gold record per article in GOLD (empty when there is none yet)."""
    if not path.exists() or not path.stat().st_size:
        return {}
    return {
        item.record.key[1]: item.record
        for item in read(path, "jsonl")
        if item.record.annotator == curator
    }


@dataclass(frozen=True, slots=True)
class AutoAccepted:
    written: list[Record]  # the gold records to write now
    earlier: int  # unanimous articles already in GOLD
    left: list[Versions]  # the articles to curate on screen


def auto_accept(
    articles: Iterable[Versions],
    saved: Mapping[ArticleKey, Record],
    curator: str,
    clock: Callable[[], float] = time.time,
) -> AutoAccepted:
    """`--auto-accept`: every unanimous article not in GOLD yet is written without being shown
    (this reads every article)."""
    written, left, earlier = [], [], 0
    for versions in articles:
        if not versions.candidates.unanimous:
            left.append(versions)
            continue
        record = unanimous_gold(versions, curator, clock)
        if record.article_key in saved:
            earlier += 1
        else:
            written.append(record)
    return AutoAccepted(written, earlier, left)


def unanimous_gold(
    versions: Versions, curator: str, clock: Callable[[], float] = time.time
) -> Record:
    """The gold record of an article every annotator annotated identically (`--auto-accept`)."""
    first = next(iter(versions.records.values()))
    spans = [Span(v.start, v.end, v.label, source=v.source()) for v in versions.candidates.agreed]
    return Record(
        text=versions.text,
        meta=first.meta,
        input_hash=first.input_hash if first.input_hash is not None else input_hash(first.text),
        spans=spans,
        answer="accept",
        annotator=curator,
        timestamp=int(clock()),
        extra={REVIEW_KEY: {**review_info(versions), "auto_accepted": True}},
    ).with_hashes()
