"""The current state of an append-only file: the latest record per annotator and article.

An article is its `_input_hash` and its text (`Record.key`): two texts sharing a hash (Prodigy's
are 32-bit) are two articles. The table is keyed by the annotator and hash alone, and by the text
as well only for a text that meets another one under its hash: the same articles as
`Record.key`, without hashing every text (a third of an export's selection on 100k articles).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from annotations.records import Record, input_hash

P = TypeVar("P", bound=tuple[Record, Any])


def latest_items(items: Iterable[P]) -> list[P]:
    """Of (record, anything) pairs, the latest per annotator and article, in the order each
    first appeared."""
    current: dict[tuple[Any, ...], P] = {}
    for item in items:
        record = item[0]
        h = record.input_hash
        key: tuple[Any, ...] = (record.annotator, h if h is not None else input_hash(record.text))
        seen = current.get(key)
        if seen is not None and seen[0].text != record.text:
            key = (*key, record.text)
        current[key] = item  # an existing key keeps its place and takes the new item
    return list(current.values())


def latest(records: Iterable[Record]) -> list[Record]:
    """The latest record per annotator and article, in the order each first appeared."""
    return [pair[0] for pair in latest_items((r, None) for r in records)]
