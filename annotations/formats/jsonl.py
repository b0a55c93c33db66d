"""Our JSONL and Prodigy's (the same shape: ours is a superset). Records come back as written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from annotations.checks import parse_record
from annotations.formats.base import Item
from annotations.labels import LabelScheme
from annotations.store.lines import iter_json_lines


def read_jsonl(path: Path, scheme: LabelScheme | None = None) -> Iterator[Item]:
    for lineno, obj in iter_json_lines(path):
        yield Item(parse_record(obj, path, lineno, scheme), f"{path}:{lineno}")
