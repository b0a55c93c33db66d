"""One article as the French context rules read it: its words (normalised, from the record's
tokens, or the tokenizer's when it has none) and their offsets, and the spans the rules make
on them (source `rules:context-fr`)."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from annotations.records import Record, Span, Token
from annotations.suggest.normalize import normalize
from annotations.tokenize import tokenize

SOURCE = "rules:context-fr"


def capitalised(word: str) -> bool:
    return word[:1].isupper()


@dataclass
class Article:
    """One record's words (normalised, whitespace tokens left out) and their offsets."""

    text: str
    words: list[str]
    starts: list[int]
    ends: list[int]
    line_start: list[bool]

    @classmethod
    def of(cls, record: Record) -> Article:
        tokens: Sequence[Token] = (
            record.tokens if record.tokens is not None else tokenize(record.text)
        )
        text = normalize(record.text)
        kept = [t for t in tokens if text[t.start : t.end].strip()]
        line_start = []
        for k, t in enumerate(kept):
            before = text[kept[k - 1].end : t.start] if k else text[: t.start]
            line_start.append(k == 0 or "\n" in before)
        return cls(
            text,
            [text[t.start : t.end] for t in kept],
            [t.start for t in kept],
            [t.end for t in kept],
            line_start,
        )

    def span(self, a: int, b: int, label: str, source: str = SOURCE) -> Span:
        return Span(self.starts[a], self.ends[b - 1], label, source=source)

    def index(self, span: Span) -> tuple[int, int] | None:
        """The words a span covers exactly, or None when its edges are not word edges."""
        a = bisect.bisect_left(self.starts, span.start)
        b = bisect.bisect_left(self.ends, span.end)
        inside = a < len(self.starts) and b < len(self.ends) and a <= b
        if inside and self.starts[a] == span.start and self.ends[b] == span.end:
            return a, b + 1
        return None
