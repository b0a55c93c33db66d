"""The annotators' versions of each article across their files, found without parsing them:
JSONL files are indexed (line offsets) and each line's article and annotator are peeked from its
bytes (`annotations.store.peek`), so 10k articles × 3 annotators with their tokens open in well
under a second; an article's lines are parsed when it is opened. Other formats (brat, doccano...)
are read whole, as they are small.

`VersionIndex` is a lazy sequence of `Versions`; `index[i]` raises `InputError` (file:line)
when one of the article's lines is bad, which the review session shows and passes over.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson

from annotations.curation.articles import Versions
from annotations.curation.lazy import Lazy
from annotations.errors import InputError
from annotations.formats import annotator_name, detect, read
from annotations.records import Record, input_hash
from annotations.store.index import JsonlIndex
from annotations.store.lines import MAX_LINE_BYTES
from annotations.store.peek import peek, text_of

Ref = tuple[int, int]  # (source, line in it)
Key = tuple[int, bytes]  # input hash, the text as JSON string content


class VersionIndex(Lazy[Versions]):
    def __init__(self, paths: Sequence[Path], fmt: str | None = None) -> None:
        super().__init__()
        self.sources: list[JsonlIndex | list[Record]] = []
        self.defaults: list[str] = []  # the annotator of a record that does not say
        self.unreadable: list[InputError] = []  # lines left out: their article is unknown
        groups: dict[Key, dict[str, Ref]] = {}
        names = _annotator_names([Path(p) for p in paths])
        for path, default in zip(map(Path, paths), names, strict=True):
            n = len(self.sources)
            self.defaults.append(default)
            if (fmt or detect(path)) in ("jsonl", "prodigy"):
                index = JsonlIndex(path)
                self.sources.append(index)
                for i in range(len(index)):
                    try:
                        key, who = self._peek(index, i, default)
                    except InputError as exc:  # shown, and the rest stays workable
                        self.unreadable.append(exc)
                        continue
                    groups.setdefault(key, {})[who] = (n, i)  # later lines win
            else:
                records = [item.record for item in read(path, fmt, tokens=False)]
                self.sources.append(records)
                for i, record in enumerate(records):
                    who = record.annotator if record.annotator is not None else default
                    groups.setdefault(_key(record), {})[who] = (n, i)
        self.articles = [{a: refs[a] for a in sorted(refs)} for refs in _merged(groups)]

    def _peek(self, index: JsonlIndex, i: int, default: str) -> tuple[Key, str]:
        raw = index.raw(i)
        seen = peek(raw) if len(raw) <= MAX_LINE_BYTES else None
        if seen is not None:
            who = seen.annotator if seen.annotator is not None else default
            return (seen.input_hash, seen.text), who
        record = index[i]  # another shape: parsed (a bad line is reported here, file:line)
        return _key(record), record.annotator if record.annotator is not None else default

    def record(self, ref: Ref) -> Record:
        source, i = ref
        record = self.sources[source][i]
        if record.annotator is None:
            record.annotator = self.defaults[source]
        return record

    def __len__(self) -> int:
        return len(self.articles)

    def readable(self) -> list[Versions]:
        """Every article that can be read (the others' errors go to `unreadable`)."""
        out = []
        for i in range(len(self)):
            try:
                out.append(self[i])
            except InputError as exc:
                self.unreadable.append(exc)
        return out

    def _build(self, i: int) -> Versions:
        records = {a: self.record(ref) for a, ref in self.articles[i].items()}
        return Versions(next(iter(records.values())).text, records)


def _annotator_names(paths: list[Path]) -> list[str]:
    """Who each file's records are by when they do not say: the file's name; files of the same
    name in different folders (`x/ann.jsonl`, `y/ann.jsonl`) are told apart by their folder."""
    names = [annotator_name(p) for p in paths]
    return [
        f"{path.parent.name}/{name}" if names.count(name) > 1 else name
        for path, name in zip(paths, names, strict=True)
    ]


def _key(record: Record) -> Key:
    h = record.input_hash if record.input_hash is not None else input_hash(record.text)
    return (h, orjson.dumps(record.text)[1:-1])


def _merged(groups: dict[Key, dict[str, Ref]]) -> list[dict[str, Ref]]:
    """One group per article: texts written differently (escapes) under one hash are one
    article when they decode to the same text; different texts stay apart."""
    by_hash: dict[int, list[Key]] = {}
    for key in groups:
        by_hash.setdefault(key[0], []).append(key)
    alias: dict[Key, Key] = {}
    for keys in by_hash.values():
        if len(keys) > 1:
            first_of: dict[str, Key] = {}
            for key in keys:
                alias[key] = first_of.setdefault(text_of(key[1]), key)
    out: dict[Key, dict[str, Ref]] = {}
    for key, refs in groups.items():  # in the order articles first appeared
        target = out.setdefault(alias.get(key, key), {})
        for who, ref in refs.items():
            if who not in target or target[who] < ref:
                target[who] = ref
    return list(out.values())
