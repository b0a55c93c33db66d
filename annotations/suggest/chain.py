"""Running several suggesters as one: label mapping, article-level consistency, overlap
resolution by priority, and snapping to tokens.

Priority (highest first): memory (what annotators accepted) > patterns files > French rules >
the model. Among spans of the same priority the longer wins, then the earlier. A model's labels
are mapped onto the scheme by `LABEL_MAP` (PER, ORG, LOC, MISC pass through; unknown labels are
dropped). Within one article the model's labels are made consistent: a surface gets its
majority label, a bare surname takes PER from the full name it ends (`Le Meur` from `Gérard Le
Meur`), and a surface the model found once is suggested at its other mentions too. Then a
suggester with a `refine(record, spans)` method (the French context rules) corrects the model's
spans of each article, the propagated mentions included.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar, runtime_checkable

from annotations.align import Policy, align
from annotations.labels import LabelScheme
from annotations.records import Record, Span, Token
from annotations.suggest.base import Suggester
from annotations.suggest.memory import Memory
from annotations.suggest.model import ModelSuggester
from annotations.tokenize import tokenize

LABEL_MAP: dict[str, str | None] = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "LOC": "LOC",
    "GPE": "LOC",
    "MISC": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "EVENT": "MISC",
    "MONEY": "MONEY",
    "PERCENT": "PERCENT",
    "DATE": "DATE",
    "NORP": None,
    "FAC": "LOC",
    "TIME": None,
    "QUANTITY": None,
    "ORDINAL": None,
    "CARDINAL": None,
    "LANGUAGE": None,
}

PRIORITY = ("memory", "patterns", "rules", "model")


@runtime_checkable
class Refiner(Protocol):
    """A suggester that also corrects the model's spans of an article (`french.FrenchContext`)."""

    def refine(self, record: Record, spans: list[Span]) -> list[Span]: ...


def rank(source: str | None) -> int:
    kind = (source or "").split(":", 1)[0]
    return PRIORITY.index(kind) if kind in PRIORITY else len(PRIORITY)


def resolve_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Keep a non-overlapping subset: by priority, then length, then position; except that a
    span containing another of the same label wins over it whatever their priorities (the model's
    `Jack Altman` PER over the memory's `Altman` PER)."""
    spans = [
        s
        for s in spans
        if not any(
            o.label == s.label
            and o.start <= s.start
            and s.end <= o.end
            and (o.end - o.start) > (s.end - s.start)
            for o in spans
        )
    ]
    chosen: list[Span] = []
    taken: list[tuple[int, int]] = []
    for span in sorted(spans, key=lambda s: (rank(s.source), -(s.end - s.start), s.start)):
        if all(span.end <= a or span.start >= b for a, b in taken):
            chosen.append(span)
            taken.append((span.start, span.end))
    return sorted(chosen, key=lambda s: s.start)


def make_consistent(text: str, spans: list[Span]) -> list[Span]:
    """Article-level consistency of one suggester's spans (see the module docstring)."""
    by_surface: dict[str, Counter[str]] = defaultdict(Counter)
    for s in spans:
        by_surface[text[s.start : s.end]][s.label] += 1
    majority = {surface: c.most_common(1)[0][0] for surface, c in by_surface.items()}
    surnames = {
        " ".join(words[k:])
        for surface, label in majority.items()
        if label == "PER" and len(words := surface.split()) > 1
        for k in range(1, len(words))
        if words[k][:1].isupper()  # `Le Meur` and `Meur`, not `de Villiers`
    }
    out = []
    for s in spans:
        surface = text[s.start : s.end]
        label = "PER" if surface in surnames else majority[surface]
        out.append(replace(s, label=label))
    return out


def propagate(
    text: str, tokens_starts: set[int], tokens_ends: set[int], spans: list[Span]
) -> list[Span]:
    """Suggest a surface at its other mentions (on token boundaries) with the same label."""
    found = {(s.start, s.end) for s in spans}
    extra = []
    seen: dict[str, Span] = {}
    for s in spans:
        surface = text[s.start : s.end]
        if surface[:1].isupper() and len(surface) > 1:
            seen.setdefault(surface, s)
    for surface, model_span in seen.items():
        at = text.find(surface)
        while at >= 0:
            end = at + len(surface)
            if (at, end) not in found and at in tokens_starts and end in tokens_ends:
                extra.append(replace(model_span, start=at, end=end))
            at = text.find(surface, at + 1)
    return spans + extra


@dataclass
class Chain:
    suggesters: list[Suggester]
    scheme: LabelScheme | None = None

    @property
    def memory(self) -> Memory | None:
        return next((s for s in self.suggesters if isinstance(s, Memory)), None)

    @property
    def refiners(self) -> list[Refiner]:
        return [s for s in self.suggesters if isinstance(s, Refiner)]

    def _map(self, span: Span) -> Span | None:
        if self.scheme is not None and span.label in self.scheme:
            return span
        mapped = LABEL_MAP.get(span.label)
        if mapped is None or (self.scheme is not None and mapped not in self.scheme):
            return None
        return replace(span, label=mapped)

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        """Suggestions for each record: mapped, resolved, snapped to the record's tokens."""
        for record in records:
            if record.tokens is None:
                record.tokens = tokenize(record.text)
        found = [(s.name, s.suggest(records)) for s in self.suggesters]
        return self._combine(records, found)

    def _combine(
        self, records: Sequence[Record], found: list[tuple[str, list[list[Span]]]]
    ) -> list[list[Span]]:
        per_record: list[list[Span]] = [[] for _ in records]
        # a model relecture trained learnt the curators' conventions: the rules do not correct it
        learnt = {s.name for s in self.suggesters if getattr(s, "keeps_edges", False)}
        for name, spans_per_record in found:
            for i, spans in enumerate(spans_per_record):
                record = records[i]
                if record.tokens is None:
                    record.tokens = tokenize(record.text)
                mapped = [m for s in spans if (m := self._map(s)) is not None]
                if name != getattr(self.memory, "name", None):
                    mapped = self._not_rejected(record, mapped)
                if rank(name) == PRIORITY.index("model"):
                    mapped = make_consistent(record.text, mapped)
                    mapped = propagate(
                        record.text,
                        {t.start for t in record.tokens},
                        {t.end for t in record.tokens},
                        mapped,
                    )
                    for refiner in self.refiners if name not in learnt else ():
                        mapped = refiner.refine(record, mapped)  # last: it sees the propagated
                    mapped = self._not_rejected(record, mapped)  # it adds names too
                per_record[i] += mapped
        out = []
        for record, spans in zip(records, per_record, strict=True):
            assert record.tokens is not None
            _, snapped, _ = align(
                record.text, record.tokens, resolve_overlaps(spans), Policy.EXPAND
            )
            out.append(resolve_overlaps([s for s in snapped if s is not None]))
        return out

    def _not_rejected(self, record: Record, spans: list[Span]) -> list[Span]:
        """The spans whose surface annotators did not reject (all of them without a memory)."""
        memory, tokens = self.memory, record.tokens
        if memory is None or not spans or tokens is None:
            return spans
        starts = [t.start for t in tokens]
        return [
            s
            for s in spans
            if not memory.rejects(record.text[s.start : s.end], _words(tokens, starts, s))
        ]

    def apply(self, records: Sequence[Record]) -> None:
        """Store suggestions in each record and pre-fill its spans with them."""
        self._store(records, self.suggest(records))

    def stream(self, records: Iterable[Record], batch_size: int = 64) -> Iterator[list[Record]]:
        """Apply the chain to a stream of records, yielding them in batches, in order. The model
        runs as one `nlp.pipe` over the whole stream (its workers start once)."""
        model = next((s for s in self.suggesters if isinstance(s, ModelSuggester)), None)
        others = [s for s in self.suggesters if s is not model]
        pairs: Iterable[tuple[Record, list[Span] | None]] = (
            model.stream(records) if model is not None else ((r, None) for r in records)
        )
        for chunk in _chunks(pairs, batch_size):
            batch = [record for record, _ in chunk]
            for record in batch:
                if record.tokens is None:
                    record.tokens = tokenize(record.text)
            found = [(s.name, s.suggest(batch)) for s in others]
            if model is not None:
                found.append((model.name, [spans or [] for _, spans in chunk]))
            self._store(batch, self._combine(batch, found))
            yield batch

    @staticmethod
    def _store(records: Sequence[Record], suggestions: list[list[Span]]) -> None:
        for record, spans in zip(records, suggestions, strict=True):
            record.suggestions = spans
            record.spans = [replace(s) for s in spans]
            record.task_hash = None  # the task is the text with these suggestions
            record.with_hashes()


def _words(tokens: Sequence[Token], starts: list[int], span: Span) -> list[str]:
    """The texts of the tokens a span touches (what it covers once snapped to them)."""
    a = max(bisect.bisect_right(starts, span.start) - 1, 0)
    b = bisect.bisect_left(starts, span.end)
    return [t.text for t in tokens[a:b]]


T = TypeVar("T")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
