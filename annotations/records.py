"""Records: one JSONL line, as typed objects (tokens, spans, the record) and back.

The shape is `schema/record.schema.json`: a superset of Prodigy's. Keys we do not model are kept
in `extra` so that reading and writing a file never loses anything.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from sys import intern
from typing import Any

import orjson

ANSWERS = ("accept", "reject", "ignore")

ArticleKey = tuple[int, str]
"""What identifies an article: its `_input_hash` and its text (`Record.article_key`). The hash
alone is not enough: Prodigy's are 32-bit and collide in real datasets, and two different texts
must never be taken for one article. The hash stays in the key so that records which never were
one article (same text, hashes that differ) are not merged either."""


def stable_hash(data: bytes) -> int:
    """A signed 53-bit hash: stable across runs and machines, exact in JavaScript too.

    Prodigy uses 32 bits, which collide almost surely in a 200k-article file; 53 bits do not.
    """
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big", signed=True) >> 11


def input_hash(text: str) -> int:
    return stable_hash(orjson.dumps({"text": text}))


def task_hash(in_hash: int, suggestions: Iterable[Span] | None) -> int:
    """The task is the text plus the spans it was presented with (its suggestions)."""
    key = [in_hash, sorted((s.start, s.end, s.label) for s in suggestions or ())]
    return stable_hash(orjson.dumps(key))


@dataclass(slots=True)
class Token:
    text: str
    start: int
    end: int
    id: int
    ws: bool | None = None
    # None, not {}, when a token has no other keys: 100k articles hold tens of millions of tokens
    extra: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "id": self.id,
        }
        if self.ws is not None:
            out["ws"] = self.ws
        if self.extra:
            out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Token:
        return _tokens([d])[0]


_TOKEN_KEYS = frozenset(("text", "start", "end", "id", "ws"))


def _tokens(dicts: list[dict[str, Any]]) -> list[Token]:
    """Tokens from their dicts (`Token.from_dict` for a whole list, in one comprehension: it runs
    for every token of every line read). Token texts are interned: words repeat, and a file of 100k articles holds 30M tokens (a
    quarter less memory, no slower; interned strings are freed when nothing uses them)."""
    keys = _TOKEN_KEYS
    return [
        Token(
            intern(d["text"]),
            d["start"],
            d["end"],
            d["id"],
            d.get("ws"),
            None if d.keys() <= keys else {k: v for k, v in d.items() if k not in keys},
        )
        for d in dicts
    ]


@dataclass(slots=True)
class Span:
    start: int
    end: int
    label: str
    token_start: int | None = None
    token_end: int | None = None  # inclusive, as in Prodigy
    source: str | None = None
    score: float | None = None
    extra: dict[str, Any] | None = None  # as for tokens: None when there is nothing else

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        if self.token_start is not None:
            out["token_start"] = self.token_start
        if self.token_end is not None:
            out["token_end"] = self.token_end
        if self.source is not None:
            out["source"] = self.source
        if self.score is not None:
            if not math.isfinite(self.score):
                raise ValueError(
                    f"span {self.start}-{self.end}: score {self.score} is not a finite number"
                )
            out["score"] = self.score
        if self.extra:
            out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Span:
        extra = (
            None if d.keys() <= _SPAN_KEYS else {k: v for k, v in d.items() if k not in _SPAN_KEYS}
        )
        return cls(
            d["start"],
            d["end"],
            d["label"],
            d.get("token_start"),
            d.get("token_end"),
            d.get("source"),
            d.get("score"),
            extra,
        )

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.label)


_SPAN_KEYS = frozenset(("start", "end", "label", "token_start", "token_end", "source", "score"))


@dataclass(slots=True, repr=False)
class Record:
    text: str
    meta: dict[str, Any] | None = None
    input_hash: int | None = None
    task_hash: int | None = None
    tokens: list[Token] | None = None
    spans: list[Span] | None = None
    suggestions: list[Span] | None = None
    answer: str | None = None
    annotator: str | None = None
    timestamp: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # JSON key -> attribute, in the order lines are written
    FIELDS = (
        ("text", "text"),
        ("meta", "meta"),
        ("_input_hash", "input_hash"),
        ("_task_hash", "task_hash"),
        ("tokens", "tokens"),
        ("spans", "spans"),
        ("suggestions", "suggestions"),
        ("answer", "answer"),
        ("_annotator_id", "annotator"),
        ("_timestamp", "timestamp"),
    )

    def __repr__(self) -> str:
        # short: Textual describes a worker by the repr of its arguments, on the UI thread (the
        # full repr of a 100k-character article with its tokens took 0.13 s)
        size = ", ".join(
            f"{len(items):,} {name}"
            for name, items in (
                ("tokens", self.tokens),
                ("spans", self.spans),
                ("suggestions", self.suggestions),
            )
            if items is not None
        )
        return (
            f"Record({len(self.text):,} chars{', ' + size if size else ''}, "
            f"input_hash={self.input_hash!r}, answer={self.answer!r}, "
            f"annotator={self.annotator!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.meta is not None:
            out["meta"] = self.meta
        if self.input_hash is not None:
            out["_input_hash"] = self.input_hash
        if self.task_hash is not None:
            out["_task_hash"] = self.task_hash
        if self.tokens is not None:
            # Token.to_dict inlined for the usual token (a third faster on 20k tokens: a submit
            # serialises its article's tokens before the next article is drawn)
            out["tokens"] = [
                {"text": t.text, "start": t.start, "end": t.end, "id": t.id, "ws": t.ws}
                if t.ws is not None and not t.extra
                else t.to_dict()
                for t in self.tokens
            ]
        if self.spans is not None:
            out["spans"] = [s.to_dict() for s in self.spans]
        if self.suggestions is not None:
            out["suggestions"] = [s.to_dict() for s in self.suggestions]
        if self.answer is not None:
            out["answer"] = self.answer
        if self.annotator is not None:
            out["_annotator_id"] = self.annotator
        if self.timestamp is not None:
            out["_timestamp"] = self.timestamp
        if self.extra:
            out.update(self.extra)
        return out

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Record:
        """Build from an already checked dict (see `annotations.checks`)."""
        tokens = d.get("tokens")
        spans = d.get("spans")
        suggestions = d.get("suggestions")
        return cls(
            text=d["text"],
            meta=d.get("meta"),
            input_hash=d.get("_input_hash"),
            task_hash=d.get("_task_hash"),
            tokens=None if tokens is None else _tokens(tokens),
            spans=None if spans is None else [Span.from_dict(s) for s in spans],
            suggestions=None if suggestions is None else [Span.from_dict(s) for s in suggestions],
            answer=d.get("answer"),
            annotator=d.get("_annotator_id"),
            timestamp=d.get("_timestamp"),
            extra={k: v for k, v in d.items() if k not in _RECORD_KEYS},
        )

    def with_hashes(self) -> Record:
        """Fill `_input_hash` / `_task_hash` when absent; hashes already there are kept (Prodigy's)."""
        if self.input_hash is None:
            self.input_hash = input_hash(self.text)
        if self.task_hash is None:
            self.task_hash = task_hash(self.input_hash, self.suggestions)
        return self

    @property
    def article_key(self) -> ArticleKey:
        """Which article this is (see `ArticleKey`): records with the same key are one article."""
        h = self.input_hash
        return (h if h is not None else input_hash(self.text), self.text)

    @property
    def key(self) -> tuple[str | None, ArticleKey]:
        """One annotator has at most one current record per article."""
        return (self.annotator, self.article_key)

    def span_text(self, span: Span) -> str:
        return self.text[span.start : span.end]


_RECORD_KEYS = frozenset(key for key, _ in Record.FIELDS)


def article_name(record: Record, fallback: str) -> str:
    """How reports name an article: its meta `doc_id` or `id`, its Label Studio task id ("task
    3", as Label Studio shows it), its `source`, `file` or `path`."""
    name = name_from_meta(record.meta)
    return fallback if name is None else name


def name_from_meta(meta: dict[str, Any] | None) -> str | None:
    """The name `article_name` finds in a record's meta, or None."""
    meta = meta or {}
    studio = meta.get("label_studio")
    task = studio.get("task") if isinstance(studio, dict) else None
    for key in ("doc_id", "id", "task", "source", "file", "path"):
        value = task if key == "task" else meta.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return f"task {value}" if key == "task" else str(value)
    return None
