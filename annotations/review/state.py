"""Immutable review state: spans with a status, the token cursor and selection, the answer.

States are frozen values, so undo and redo keep whole states and a change never aliases another.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from annotations.records import Record, Span


class Status(str, Enum):
    PENDING = "pending"  # suggested, not yet decided (counts as accepted on submit)
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # a suggestion turned down; kept visible, left out of the output
    EDITED = "edited"  # a suggestion relabelled or resized
    NEW = "new"  # created by the annotator


@dataclass(frozen=True, slots=True)
class ReviewSpan:
    token_start: int
    token_end: int  # inclusive
    label: str
    status: Status
    source: str | None = None
    score: float | None = None
    edited: bool = False  # a rejected span that had been edited: brought back, it is EDITED again

    @property
    def live(self) -> bool:
        return self.status is not Status.REJECTED

    def covers(self, token: int) -> bool:
        return self.token_start <= token <= self.token_end

    def overlaps(self, start: int, end: int) -> bool:
        return self.token_start <= end and start <= self.token_end

    def rejected(self) -> ReviewSpan:
        return replace(self, status=Status.REJECTED, edited=self.status is Status.EDITED)


@dataclass(frozen=True, slots=True)
class ArticleState:
    spans: tuple[ReviewSpan, ...] = ()
    cursor: int = 0
    anchor: int | None = None  # selection from anchor to cursor, when set
    answer: str | None = None  # accept / reject / ignore once decided

    @property
    def selection(self) -> tuple[int, int] | None:
        if self.anchor is None:
            return None
        return (min(self.anchor, self.cursor), max(self.anchor, self.cursor))

    def with_spans(self, spans: list[ReviewSpan]) -> ArticleState:
        return replace(self, spans=tuple(sorted(spans, key=lambda s: (s.token_start, s.token_end))))


def initial_state(record: Record) -> ArticleState:
    """A fresh article: its suggestions pending (or, when it has an answer, its saved spans
    accepted and the suggestions it left out rejected)."""
    decided = record.answer is not None
    spans = record.spans if decided else (record.suggestions or record.spans)
    status = Status.ACCEPTED if decided else Status.PENDING
    review = [
        ReviewSpan(
            s.token_start,
            s.token_end,
            s.label,
            status if s.source else Status.NEW,
            s.source,
            s.score,
        )
        for s in spans or ()
        if s.token_start is not None and s.token_end is not None
    ]
    if decided:  # what was suggested and left out was rejected: still shown, struck
        kept = {(s.start, s.end, s.label) for s in spans or ()}
        review += [
            ReviewSpan(s.token_start, s.token_end, s.label, Status.REJECTED, s.source, s.score)
            for s in record.suggestions or ()
            if (s.start, s.end, s.label) not in kept
            and s.token_start is not None
            and s.token_end is not None
        ]
    return ArticleState(answer=record.answer).with_spans(review)


def output_spans(record: Record, state: ArticleState) -> list[Span]:
    """The spans to save: every live span (pending ones count as accepted)."""
    tokens = record.tokens or []
    return [
        Span(
            tokens[s.token_start].start,
            tokens[s.token_end].end,
            s.label,
            s.token_start,
            s.token_end,
            s.source if s.status in (Status.PENDING, Status.ACCEPTED) else None,
            s.score if s.status in (Status.PENDING, Status.ACCEPTED) else None,
        )
        for s in state.spans
        if s.live
    ]
