"""The current state of an append-only file: the latest record per annotator and input hash."""

from __future__ import annotations

from collections.abc import Iterable

from annotations.records import Record


def latest(records: Iterable[Record]) -> list[Record]:
    """Latest record per (annotator, `_input_hash`), in the order each key first appeared."""
    current: dict[tuple[str | None, int], Record] = {}
    for record in records:
        current[record.key] = record  # an existing key keeps its place and takes the new record
    return list(current.values())
