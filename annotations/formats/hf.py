"""Hugging Face datasets: a folder written by `save_to_disk` (Dataset or DatasetDict), a parquet
file, or a folder of parquet files. Rows need `tokens` + `ner_tags` (ClassLabel names, or strings);
`text` and `spans` columns (relecture's own export) are used as they are when present.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from annotations.bio import TagError, tags_to_token_spans
from annotations.checks import is_int, nesting_problem, type_name
from annotations.errors import InputError
from annotations.formats.base import Item
from annotations.inputs import check_file, files_in, one_line, read_input
from annotations.records import Record, Span, Token
from annotations.tokenize import tokens_from_words

_DISK_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def is_hf(path: Path) -> bool:
    if path.is_file():
        return path.suffix in (".parquet", ".arrow")
    return any(os.path.lexists(path / m) for m in _DISK_MARKERS) or any(path.glob("*.parquet"))


def _check_saved(path: Path) -> None:
    """What `load_from_disk` will read is checked first, so that a bad file is named: the
    marker files are readable JSON objects, and the splits a `dataset_dict.json` lists are
    folders holding readable regular files."""
    for name in _DISK_MARKERS:
        marker = path / name
        if not os.path.lexists(marker):
            continue
        try:
            data = orjson.loads(read_input(marker))
        except orjson.JSONDecodeError as exc:
            raise InputError(marker, exc.lineno, f"invalid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise InputError(marker, 0, f"expected a JSON object, got {type_name(data)}")
        if name == "dataset_dict.json":
            splits = data.get("splits")
            if not isinstance(splits, list) or not all(isinstance(x, str) for x in splits):
                raise InputError(marker, 0, "'splits' must be a list of split names")
            for split in splits:
                folder = path / split
                if not folder.is_dir() or "/" in split or split in ("", ".", ".."):
                    raise InputError(
                        marker,
                        0,
                        f"split {split!r} is listed but there is no folder {split!r} beside it",
                    )
                _check_saved(folder)
                files_in(folder, "*")


def _tables(path: Path) -> Iterator[tuple[str, Any, Any]]:
    """(split name, rows as a list of dicts source, features) for each split."""
    import datasets

    if path.is_dir() and any(os.path.lexists(path / m) for m in _DISK_MARKERS):
        _check_saved(path)
        files_in(path, "*")
        try:
            loaded = datasets.load_from_disk(str(path))
        except Exception as exc:  # datasets and pyarrow raise many types for a bad folder
            raise InputError(
                path, 0, f"not a readable Hugging Face dataset: {one_line(exc)}"
            ) from None
        if isinstance(loaded, datasets.DatasetDict):
            for name, ds in loaded.items():
                yield name, _rows(ds, path), ds.features
        else:
            yield "", _rows(loaded, path), loaded.features
        return
    import pyarrow.parquet as pq

    files = [path] if path.is_file() else files_in(path, "*.parquet")
    for file in files:
        check_file(file)
        try:
            table = pq.read_table(file)
            features = datasets.Features.from_arrow_schema(table.schema)
            rows = table.to_pylist()
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise InputError(file, 0, f"not a readable parquet file: {one_line(exc)}") from None
        yield file.stem, rows, features


def _rows(dataset: Any, path: Path) -> Iterator[Any]:
    """A saved dataset's rows; a failure to read one (a damaged .arrow file) is an InputError."""
    rows = iter(dataset)
    n = 0
    while True:
        n += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise InputError(path, 0, f"cannot read row {n}: {one_line(exc)}") from None
        yield row


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
    def bad(message: str) -> InputError:
        return InputError(path, n, message)

    words = row.get("tokens")
    tags = row.get("ner_tags")
    if words is not None and not (
        isinstance(words, list) and all(isinstance(w, str) for w in words)
    ):
        raise bad(f"'tokens' must be a list of strings, got {_column_type(words)}")
    meta: dict[str, Any] = {}
    if row.get("meta") is not None:
        if not isinstance(row["meta"], str):
            raise bad(f"'meta' must be a JSON string, got {type_name(row['meta'])}")
        if row["meta"]:
            try:
                meta = orjson.loads(row["meta"])
            except orjson.JSONDecodeError:
                raise bad("'meta' is not a JSON string") from None
            if not isinstance(meta, dict):
                raise bad(f"'meta' must be a JSON object, got {type_name(meta)}")
            deep = nesting_problem(meta)
            if deep:
                raise bad(f"'meta' is {deep}")
    if row.get("id") is not None:
        meta.setdefault("id", row["id"])
    annotators = row.get("annotators") or []
    if not (isinstance(annotators, list) and all(isinstance(a, str) for a in annotators)):
        raise bad(f"'annotators' must be a list of strings, got {_column_type(annotators)}")
    annotator = annotators[0] if len(annotators) == 1 else None

    if row.get("text") is not None:
        text = row["text"]
        if not isinstance(text, str):
            raise bad(f"'text' must be a string, got {type_name(text)}")
        tokens = _locate(words, text, path, n) if words else None
    else:
        if not words:
            raise bad("row has no tokens")
        text, tokens = tokens_from_words(list(words), [True] * (len(words) - 1) + [False])
    if not text.strip():
        raise bad("empty text")
    if "\x00" in text:
        raise bad(f"'text' contains a NUL character at offset {text.index(chr(0))}")

    if isinstance(row.get("spans"), list):
        spans = [_span(sp, i, text, bad) for i, sp in enumerate(row["spans"], 1)]
        if tokens is not None:
            starts = {t.start: t.id for t in tokens}
            ends = {t.end: t.id for t in tokens}
            for sp in spans:
                sp.token_start, sp.token_end = starts.get(sp.start), ends.get(sp.end)
    elif row.get("spans") is not None:
        raise bad(f"'spans' must be a list, got {type_name(row['spans'])}")
    elif tags is not None and tokens is not None:
        if not isinstance(tags, list):
            raise bad(f"'ner_tags' must be a list, got {type_name(tags)}")
        if any(is_int(t) for t in tags):
            if names is None:
                raise bad("ner_tags are integers but the dataset has no ClassLabel names")
            for i, t in enumerate(tags, 1):
                if not is_int(t) or not 0 <= t < len(names):
                    raise bad(
                        f"ner_tags[{i}]: {_shown(t)} is not a tag index "
                        f"(0-{len(names) - 1}: {', '.join(names)})"
                    )
            tags = [names[t] for t in tags]
        elif not all(isinstance(t, str) for t in tags):
            raise bad(f"'ner_tags' must be tag names or indices, got {_column_type(tags)}")
        if len(tags) != len(tokens):
            raise bad(f"{len(tokens)} tokens but {len(tags)} ner_tags")
        try:
            entities = tags_to_token_spans(tags)
        except TagError as exc:
            raise bad(f"token {exc.index + 1}: {exc}") from None
        spans = [Span(tokens[a].start, tokens[b].end, lab, a, b) for a, b, lab in entities]
    else:
        spans = []
    return Record(text=text, meta=meta or None, tokens=tokens, spans=spans, annotator=annotator)


def _span(sp: Any, i: int, text: str, bad: Callable[[str], InputError]) -> Span:
    """One entry of a `spans` column, strictly: integer offsets (no booleans) inside the text."""
    where = f"spans[{i}]"
    if not isinstance(sp, dict):
        raise bad(f"{where}: expected an object, got {type_name(sp)}")
    for key in ("start", "end", "label"):
        if sp.get(key) is None:
            raise bad(f"{where}: missing {key!r}")
    s, e, label = sp["start"], sp["end"], sp["label"]
    if not (is_int(s) and is_int(e)):
        raise bad(f"{where}: start and end must be integers, got {type_name(s)} and {type_name(e)}")
    if not isinstance(label, str) or not label:
        raise bad(f"{where}: the label must be a non-empty string, got {_shown(label)}")
    if not 0 <= s < e <= len(text):
        raise bad(f"{where}: span {s}-{e} {label!r} is out of range ({len(text)} characters)")
    return Span(s, e, label)


def _column_type(values: Any) -> str:
    if isinstance(values, list):
        kinds = sorted({type_name(v) + "s" for v in values})
        return f"a list of {' and '.join(kinds)}" if kinds else "an empty list"
    return type_name(values)


def _shown(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else repr(value[:40])


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
