"""Curation: the review session over the annotators' versions of each article.

Spans every annotator gave are accepted when the article opens; every other candidate is pending
with its voters in its `source` (`review:alice+bruno`). Accepting an alternative rejects the
others it overlaps; `cycle` steps through the alternatives of the disagreement under the cursor
(and "none of them"); `next_open` jumps between open disagreements; `take_majority` resolves each
open disagreement whose most voted alternative has a strict majority. An article is submitted
only once nothing is open. The gold record's spans name their voters, or `curator`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from annotations.curation.articles import CurationSource, Versions
from annotations.curation.candidates import Disagreement, Vote
from annotations.labels import LabelScheme
from annotations.records import ArticleKey, Record, Span
from annotations.review.session import FILTERS, ReviewSession
from annotations.review.state import ArticleState, ReviewSpan, Status, output_spans

CURATOR = "curator"  # the source of a gold span no annotator gave as it is


@dataclass(frozen=True, slots=True)
class Said:
    annotator: str
    answer: str | None
    what: Vote | None  # what this annotator gave here; None: nothing (or not counted)
    counted: bool


@dataclass(frozen=True, slots=True)
class Explanation:
    """What each annotator said about the span or disagreement under the cursor."""

    start: int  # characters
    end: int
    said: tuple[Said, ...]
    f1: float | None  # the article's pairwise agreement


def _key(record: Record, span: ReviewSpan) -> tuple[int, int, str]:
    tokens = record.tokens or []
    return (tokens[span.token_start].start, tokens[span.token_end].end, span.label)


class CurationSession(ReviewSession):
    FILTERS = {**FILTERS, "disputed": "Articles with a disagreement still open"}

    def __init__(
        self,
        source: CurationSource,
        scheme: LabelScheme,
        curator: str,
        saved: Mapping[ArticleKey, Record] | None = None,
    ) -> None:
        self.curation = source
        super().__init__(source, scheme, curator, saved)

    def versions(self, i: int | None = None) -> Versions:
        return self.curation.articles[self.index if i is None else i]

    def _initial_state(self, i: int, record: Record) -> ArticleState:
        state = super()._initial_state(i, record)
        if state.answer is not None:
            return state
        agreed = {v.key for v in self.versions(i).candidates.agreed}
        spans = [
            replace(s, status=Status.ACCEPTED) if _key(record, s) in agreed else s
            for s in state.spans
        ]
        return state.with_spans(spans)

    def _output_spans(self, record: Record, state: ArticleState) -> list[Span]:
        kept = {s.key: s for s in output_spans(record, state)}
        for s in state.spans:
            if s.status in (Status.NEW, Status.EDITED):
                kept[_key(record, s)].source = CURATOR
        return list(kept.values())

    def matches(self, i: int, kind: str) -> bool:
        if kind != "disputed":
            return super().matches(i, kind)
        if self.answer_at(i) is not None:
            return False
        if i in self._states:  # opened: what is open on screen
            return bool(self.open_groups(self._states[i]))
        return bool(self.versions(i).candidates.disagreements)

    # -- disagreements -----------------------------------------------------------------------
    def open_groups(self, state: ArticleState | None = None) -> list[list[ReviewSpan]]:
        """The open disagreements: chains of overlapping pending spans, in text order."""
        state = self.state if state is None else state
        groups: list[list[ReviewSpan]] = []
        end = -1
        for span in state.spans:  # sorted by start
            if span.status is not Status.PENDING:
                continue
            if groups and span.token_start <= end:
                groups[-1].append(span)
                end = max(end, span.token_end)
            else:
                groups.append([span])
                end = span.token_end
        return groups

    def next_open(self, step: int = 1) -> bool:
        """Put the cursor on the next (+1) / previous (-1) open disagreement, wrapping."""
        groups = self.open_groups()
        if not groups:
            return False
        cursor = self.state.cursor
        starts = [g[0].token_start for g in groups]
        if step > 0:
            target = next((s for s in starts if s > cursor), starts[0])
        else:
            inside = next(
                (g[0].token_start for g in groups if any(s.covers(cursor) for s in g)), None
            )
            before = [s for s in starts if s < (inside if inside is not None else cursor + 1)]
            target = before[-1] if before else starts[-1]
        self.set_cursor(target)
        return True

    def disagreement_at(self, token: int | None = None) -> Disagreement | None:
        """The annotators' disagreement that covers the token (default: the cursor)."""
        token = self.state.cursor if token is None else token
        tokens = self.record.tokens or []
        if not 0 <= token < len(tokens):
            return None
        at = tokens[token]
        return next(
            (
                d
                for d in self.versions().candidates.disagreements
                if d.start < at.end and at.start < d.end
            ),
            None,
        )

    def _alternatives(self, d: Disagreement) -> list[ReviewSpan]:
        """The state's spans that are the disagreement's alternatives, most voted first."""
        rank = {v.key: n for n, v in enumerate(d.alternatives)}
        record = self.record
        found = [s for s in self.state.spans if _key(record, s) in rank]
        return sorted(found, key=lambda s: rank[_key(record, s)])

    def _choose(self, chosen: ReviewSpan | None, group: list[ReviewSpan], what: str) -> bool:
        """Accept `chosen` (None: none of them) and reject every other span of `group` and
        every live span overlapping the chosen one."""
        spans = []
        for s in self.state.spans:
            if s is chosen:
                spans.append(replace(s, status=Status.ACCEPTED, edited=False))
            elif s in group or (
                chosen is not None and s.live and s.overlaps(chosen.token_start, chosen.token_end)
            ):
                spans.append(s.rejected() if s.live else s)
            else:
                spans.append(s)
        return self._commit(what, self.state.with_spans(spans))

    def _accept_span(self) -> bool:
        span = self.span_at()
        if span is None or span.status not in (Status.PENDING, Status.REJECTED):
            return False
        overlapping = [
            s
            for s in self.state.spans
            if s is not span and s.live and s.overlaps(span.token_start, span.token_end)
        ]
        if span.status is Status.PENDING and not overlapping:
            return self._set_status(span, Status.ACCEPTED, "accept span")
        return self._choose(span, overlapping, "accept alternative")

    def cycle(self) -> bool:
        """The disagreement under the cursor: accept its next alternative (after the last:
        none of them; then the first again)."""
        d = self.disagreement_at()
        if d is None:
            return False
        alternatives = self._alternatives(d)
        if not alternatives:
            return False
        current = next((n for n, s in enumerate(alternatives) if s.status is Status.ACCEPTED), None)
        if current is None and all(not s.live for s in alternatives):
            current = len(alternatives)  # "none" was chosen: start again
        n = 0 if current is None or current >= len(alternatives) else current + 1
        chosen = alternatives[n] if n < len(alternatives) else None
        if chosen is not None:
            self.set_cursor(min(max(self.state.cursor, chosen.token_start), chosen.token_end))
        return self._choose(chosen, alternatives, "cycle alternatives")

    def take_majority(self) -> int:
        """Resolve every open disagreement whose most voted alternative has more than half of
        the counted annotators; returns how many were resolved (one undo step)."""
        counted = len(self.versions().candidates.counted)
        record, state = self.record, self.state
        votes = {v.key: v for d in self.versions().candidates.disagreements for v in d.alternatives}
        spans = list(state.spans)
        resolved = 0
        for group in self.open_groups(state):
            ranked = sorted(
                group, key=lambda s: -len(votes[k].voters) if (k := _key(record, s)) in votes else 0
            )
            top = ranked[0]
            top_vote = votes.get(_key(record, top))
            if top_vote is None or 2 * len(top_vote.voters) <= counted:
                continue
            resolved += 1
            for n, s in enumerate(spans):
                if s is top:
                    spans[n] = replace(s, status=Status.ACCEPTED)
                elif s in group or (s.live and s.overlaps(top.token_start, top.token_end)):
                    spans[n] = s.rejected() if s.live else s
        if resolved:
            self._commit("take the majority", state.with_spans(spans))
        return resolved

    def accept_all(self) -> bool:
        return self.take_majority() > 0

    def cannot_decide(self, answer: str) -> str | None:
        n = len(self.open_groups())
        if answer != "accept" or not n:
            return None
        return (
            f"{n} disagreement{'s' if n > 1 else ''} still open: Tab goes to "
            f"{'them' if n > 1 else 'it'}, A takes the majority"
        )

    def explain(self, token: int | None = None) -> Explanation | None:
        """What each annotator said where the cursor is (a disagreement, or a span)."""
        versions = self.versions()
        c = versions.candidates
        d = self.disagreement_at(token)
        if d is not None:
            start, end, here = d.start, d.end, list(d.alternatives)
        else:
            span = self.span_at(token)
            if span is None:
                return None
            key = _key(self.record, span)
            start, end = key[0], key[1]
            here = [v for v in c.agreed if v.key == key]
        said = tuple(
            Said(
                a,
                c.answers.get(a),
                next((v for v in here if a in v.voters), None),
                a in c.counted,
            )
            for a in c.annotators
        )
        return Explanation(start, end, said, versions.f1)
