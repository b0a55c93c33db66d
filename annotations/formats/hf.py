"""Hugging Face datasets: a folder written by `save_to_disk` (Dataset or DatasetDict), a parquet
file, or a folder of parquet files. Rows need `tokens` + `ner_tags` (ClassLabel names, or strings);
`text` and `spans` columns (relecture's own export) are used as they are when present.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from annotations.bio import TagError, tags_to_token_spans
from annotations.errors import InputError
from annotations.formats.base import Item
from annotations.records import Record, Span, Token
from annotations.tokenize import tokens_from_words

_DISK_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def is_hf(path: Path) -> bool:
    if path.is_file():
        return path.suffix in (".parquet", ".arrow")
    return any((path / m).exists() for m in _DISK_MARKERS) or any(path.glob("*.parquet"))


def _tables(path: Path) -> Iterator[tuple[str, Any, Any]]:
    """(split name, rows as a list of dicts source, features) for each split."""
    import datasets

    if path.is_dir() and any((path / m).exists() for m in _DISK_MARKERS):
        loaded = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            for name, ds in loaded.items():
                yield name, ds, ds.features
        else:
            yield "", loaded, loaded.features
        return
    import pyarrow.parquet as pq

    files = [path] if path.is_file() else sorted(path.glob("*.parquet"))
    for file in files:
        try:
            table = pq.read_table(file)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputError(file, 0, f"not a readable parquet file: {exc}") from None
        yield file.stem, table.to_pylist(), datasets.Features.from_arrow_schema(table.schema)


def _tag_names(features: Any, path: Path) -> list[str] | None:
    feature = features.get("ner_tags") if features is not None else None
    inner = getattr(feature, "feature", None)
    names = getattr(inner, "names", None)
    return list(names) if names else None


def read_hf(path: Path) -> Iterator[Item]:
    for split, rows, features in _tables(path):
        names = _tag_names(features, path)
        columns = set(features) if features is not None else set()
        if "text" not in columns and not {"tokens", "ner_tags"} <= columns:
            raise InputError(
                path, 0, f"needs 'tokens' and 'ner_tags' columns (has {sorted(columns)})"
            )
        for i, row in enumerate(rows):
            where = f"{path}:{split + ' ' if split else ''}row {i + 1}"
            record = _record(row, names, path, i + 1)
            if split:
                record.meta = {**(record.meta or {}), "split": split}
            yield Item(record.with_hashes(), where)


def _record(row: dict[str, Any], names: list[str] | None, path: Path, n: int) -> Record:
    words = row.get("tokens")
    tags = row.get("ner_tags")
    meta: dict[str, Any] = {}
    if isinstance(row.get("meta"), str) and row["meta"]:
        try:
            meta = orjson.loads(row["meta"])
        except orjson.JSONDecodeError:
            raise InputError(path, n, "'meta' is not a JSON string") from None
    if row.get("id") is not None:
        meta.setdefault("id", row["id"])
    annotators = row.get("annotators") or []
    annotator = annotators[0] if len(annotators) == 1 else None

    if isinstance(row.get("text"), str):
        text = row["text"]
        tokens = _locate(words, text, path, n) if words else None
    else:
        if not words:
            raise InputError(path, n, "row has no tokens")
        text, tokens = tokens_from_words(list(words), [True] * (len(words) - 1) + [False])
    if not text.strip():
        raise InputError(path, n, "empty text")

    if isinstance(row.get("spans"), list):
        spans = [Span(s["start"], s["end"], s["label"]) for s in row["spans"]]
        if tokens is not None:
            starts = {t.start: t.id for t in tokens}
            ends = {t.end: t.id for t in tokens}
            for sp in spans:
                sp.token_start, sp.token_end = starts.get(sp.start), ends.get(sp.end)
    elif tags is not None and tokens is not None:
        if tags and isinstance(tags[0], int):
            if names is None:
                raise InputError(
                    path, n, "ner_tags are integers but the dataset has no ClassLabel names"
                )
            tags = [names[t] for t in tags]
        if len(tags) != len(tokens):
            raise InputError(path, n, f"{len(tokens)} tokens but {len(tags)} ner_tags")
        try:
            entities = tags_to_token_spans(tags)
        except TagError as exc:
            raise InputError(path, n, f"token {exc.index + 1}: {exc}") from None
        spans = [Span(tokens[a].start, tokens[b].end, lab, a, b) for a, b, lab in entities]
    else:
        spans = []
    return Record(text=text, meta=meta or None, tokens=tokens, spans=spans, annotator=annotator)


def _locate(words: list[str], text: str, path: Path, n: int) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    for i, word in enumerate(words):
        at = text.find(word, pos)
        if at < 0:
            raise InputError(
                path, n, f"token {i + 1} {word!r} is not in the text after offset {pos}"
            )
        if tokens:
            tokens[-1].ws = at > tokens[-1].end and text[tokens[-1].end] == " "
        tokens.append(Token(word, at, at + len(word), i, False))
        pos = at + len(word)
    return tokens
