"""Curation: the review session over the annotators' versions of each article.

Spans every annotator gave are accepted when the article opens; every other candidate is pending
with its voters in its `source` (`review:alice+bruno`), and the cursor is on the first
disagreement. Accepting a span rejects the spans it overlaps; `cycle` applies the next version
of the disagreement under the cursor (what some annotators gave there, maybe nothing);
`next_open` jumps between open disagreements (a stretch with a pending span); `take_majority`
applies, in each open disagreement, the version a strict majority of the counted annotators
gave. An article is submitted only once nothing is open, and only with the scheme's labels. The
gold record's spans name their voters, or `curator`.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, replace

from annotations.curation.articles import CurationSource, Versions
from annotations.curation.candidates import Disagreement, SpanKey, Version, votes_in
from annotations.labels import LabelScheme
from annotations.records import ArticleKey, Record, Span
from annotations.review.session import FILTERS, ReviewSession
from annotations.review.state import ArticleState, ReviewSpan, Status, output_spans

CURATOR = "curator"  # the source of a gold span no annotator gave as it is


@dataclass(frozen=True, slots=True)
class Said:
    annotator: str
    answer: str | None
    spans: tuple[SpanKey, ...]  # what this annotator gave here (none: nothing)
    counted: bool


@dataclass(frozen=True, slots=True)
class Explanation:
    """What each annotator said about the span or disagreement under the cursor."""

    start: int  # characters
    end: int
    said: tuple[Said, ...]
    f1: float | None  # the article's pairwise agreement


@dataclass(frozen=True, slots=True)
class Region:
    """A disagreement and the tokens it covers in the article on screen."""

    disagreement: Disagreement
    first: int
    last: int

    def holds(self, span: ReviewSpan) -> bool:
        return self.first <= span.token_start and span.token_end <= self.last


def _key(record: Record, span: ReviewSpan) -> SpanKey:
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
        self._regions: dict[int, tuple[Record, list[Region]]] = {}
        super().__init__(source, scheme, curator, saved)

    def versions(self, i: int | None = None) -> Versions:
        return self.curation.articles[self.index if i is None else i]

    def regions(self, i: int | None = None) -> list[Region]:
        """The article's disagreements with their tokens, in text order."""
        i = self.index if i is None else i
        record = self.record_at(i)
        hit = self._regions.get(i)
        if hit is None or hit[0] is not record:
            tokens = record.tokens or []
            starts = [t.start for t in tokens]
            out = []
            for d in self.versions(i).candidates.disagreements:
                first = max(bisect.bisect_right(starts, d.start) - 1, 0)
                last = max(bisect.bisect_left(starts, d.end) - 1, first)
                out.append(Region(d, first, last))
            hit = self._regions[i] = (record, out)
        return hit[1]

    def _initial_state(self, i: int, record: Record) -> ArticleState:
        state = super()._initial_state(i, record)
        if state.answer is not None:
            return state
        agreed = {v.key for v in self.versions(i).candidates.agreed}
        spans = [
            replace(s, status=Status.ACCEPTED) if _key(record, s) in agreed else s
            for s in state.spans
        ]
        state = state.with_spans(spans)
        regions = self.regions(i)
        if regions:  # the article opens on its first disagreement
            state = replace(state, cursor=self._target(regions[0], state, record))
        return state

    def _output_spans(self, record: Record, state: ArticleState) -> list[Span]:
        kept = {s.key: s for s in output_spans(record, state)}
        for s in state.spans:
            if s.status in (Status.NEW, Status.EDITED):
                kept[_key(record, s)].source = CURATOR
        return list(kept.values())

    def span_at(self, token: int | None = None) -> ReviewSpan | None:
        """Of the live spans under the cursor, the most voted (then the longest)."""
        token = self.state.cursor if token is None else token
        covering = [s for s in self.state.spans if s.covers(token)]
        live = [s for s in covering if s.live]
        if live:
            return min(live, key=lambda s: (-votes_in(s.source), s.token_start - s.token_end))
        return covering[0] if covering else None

    def matches(self, i: int, kind: str) -> bool:
        if kind != "disputed":
            return super().matches(i, kind)
        if not self.readable(i) or self.answer_at(i) is not None:
            return False
        if i in self._states:  # opened: what is open on screen
            return bool(self.open_groups(self._states[i], i))
        return bool(self.versions(i).candidates.disagreements)

    # -- disagreements -----------------------------------------------------------------------
    def _pending_by_region(
        self, state: ArticleState, i: int | None = None
    ) -> dict[int, list[ReviewSpan]]:
        """Region number -> its pending spans (asked at every redraw: one bisect per span)."""
        regions = self.regions(i)
        firsts = [r.first for r in regions]
        out: dict[int, list[ReviewSpan]] = {}
        for s in state.spans:
            if s.status is Status.PENDING:
                n = bisect.bisect_right(firsts, s.token_start) - 1
                if n >= 0 and regions[n].holds(s):
                    out.setdefault(n, []).append(s)
        return out

    def _open(self, state: ArticleState, i: int | None = None) -> list[Region]:
        regions = self.regions(i)
        return [regions[n] for n in sorted(self._pending_by_region(state, i))]

    def open_groups(
        self, state: ArticleState | None = None, i: int | None = None
    ) -> list[list[ReviewSpan]]:
        """The pending spans of each open disagreement, in text order."""
        state = self.state if state is None else state
        found = self._pending_by_region(state, i)
        return [found[n] for n in sorted(found)]

    def _target(self, region: Region, state: ArticleState, record: Record | None = None) -> int:
        """Where Tab puts the cursor: the first span of the most voted version."""
        top = region.disagreement.versions[0].spans
        record = self.record if record is None else record
        if top:
            for s in state.spans:
                if region.holds(s) and _key(record, s) == top[0]:
                    return s.token_start
        return region.first

    def region_at(self, token: int | None = None) -> Region | None:
        token = self.state.cursor if token is None else token
        return next((r for r in self.regions() if r.first <= token <= r.last), None)

    def next_open(self, step: int = 1) -> bool:
        """Put the cursor on the next (+1) / previous (-1) open disagreement, wrapping."""
        state = self.state
        regions = self._open(state)
        if not regions:
            return False
        here = self.region_at()
        cursor = state.cursor
        if step > 0:
            after = [r for r in regions if r.first > (here.last if here else cursor - 1)]
            target = after[0] if after else regions[0]
        else:
            limit = here.first if here else cursor + 1
            before = [r for r in regions if r.first < limit]
            target = before[-1] if before else regions[-1]
        self.set_cursor(self._target(target, state))
        return True

    def disagreement_at(self, token: int | None = None) -> Disagreement | None:
        region = self.region_at(token)
        return region.disagreement if region is not None else None

    def _apply_version(
        self, region: Region, version: Version, state: ArticleState
    ) -> list[ReviewSpan]:
        """The spans with `version` chosen in `region`: its spans accepted, the region's other
        candidates rejected, the curator's own spans there kept unless they overlap."""
        record = self.record
        chosen = set(version.spans)
        candidates = {v.key for v in region.disagreement.alternatives}
        kept = [s for s in state.spans if region.holds(s) and _key(record, s) in chosen]
        out = []
        for s in state.spans:
            key = _key(record, s)
            if key in candidates and region.holds(s):
                if key in chosen:
                    out.append(replace(s, status=Status.ACCEPTED, edited=False))
                else:
                    out.append(s.rejected() if s.live else s)
            elif (s.source is None or s.status is Status.EDITED or s.edited) and any(
                k.overlaps(s.token_start, s.token_end) for k in kept
            ):
                continue  # the curator's own span (or edit) gives way to the version chosen
            else:
                out.append(s)
        return out

    def _accept_span(self) -> bool:
        """Accept the span under the cursor (a pending candidate, or one rejected before) and
        reject the live spans it overlaps (the curator's own are removed)."""
        span = self.span_at()
        if span is None or span.status not in (Status.PENDING, Status.REJECTED):
            return False
        spans = []
        status = Status.EDITED if span.edited else Status.ACCEPTED  # a revived edit stays one
        for s in self.state.spans:
            if s is span:
                spans.append(replace(s, status=status, edited=False))
            elif s.live and s.overlaps(span.token_start, span.token_end):
                if s.source is not None:
                    spans.append(s.rejected())
            else:
                spans.append(s)
        return self._commit("accept span", self.state.with_spans(spans))

    def _current_version(self, region: Region, versions: list[Version]) -> int | None:
        """Which version the region shows now (None: something there is still pending)."""
        record = self.record
        candidates = {v.key for v in region.disagreement.alternatives}
        here = [s for s in self.state.spans if region.holds(s) and _key(record, s) in candidates]
        if any(s.status is Status.PENDING for s in here):
            return None
        live = tuple(
            sorted((_key(record, s) for s in here if s.live), key=lambda k: (k[0], -k[1], k[2]))
        )
        return next((n for n, v in enumerate(versions) if v.spans == live), None)

    def cycle(self) -> bool:
        """The disagreement under the cursor: apply its next version (most voted first, then
        "none of them"; after the last, the first again)."""
        region = self.region_at()
        if region is None:
            return False
        versions = list(region.disagreement.versions)
        if all(v.spans for v in versions):
            versions.append(Version((), ()))  # none of them, even if nobody said so
        current = self._current_version(region, versions)
        n = 0 if current is None else (current + 1) % len(versions)
        state = self.state
        spans = self._apply_version(region, versions[n], state)
        after = state.with_spans(spans)
        if versions[n].spans:
            after = replace(after, cursor=self._target_of(region, versions[n], after))
        return self._commit("cycle versions", after)

    def _target_of(self, region: Region, version: Version, state: ArticleState) -> int:
        record = self.record
        first = version.spans[0]
        return next(
            (s.token_start for s in state.spans if region.holds(s) and _key(record, s) == first),
            region.first,
        )

    def take_majority(self) -> int:
        """In every open disagreement, apply the version more than half of the counted
        annotators gave (maybe "nothing"); returns how many were resolved (one undo step)."""
        counted = len(self.versions().candidates.counted)
        state = self.state
        resolved = 0
        for region in self._open(state):
            top = region.disagreement.versions[0]
            if 2 * len(top.voters) > counted:
                state = state.with_spans(self._apply_version(region, top, state))
                resolved += 1
        if resolved:
            self._commit("take the majority", state)
        return resolved

    def accept_all(self) -> bool:
        return self.take_majority() > 0

    def cannot_decide(self, answer: str) -> str | None:
        if answer != "accept":
            return None
        n = len(self._open(self.state))
        if n:
            return (
                f"{n} disagreement{'s' if n > 1 else ''} still open: Tab goes to "
                f"{'them' if n > 1 else 'it'}, A takes the majority"
            )
        foreign = sorted({s.label for s in self.state.spans if s.live} - set(self.scheme.names))
        if foreign:
            return (
                f"label{'s' if len(foreign) > 1 else ''} {', '.join(map(repr, foreign))} not in "
                f"the scheme {self.scheme.name!r}: relabel or reject those spans"
            )
        return None

    def explain(self, token: int | None = None) -> Explanation | None:
        """What each annotator said where the cursor is (a disagreement, or a span)."""
        versions = self.versions()
        c = versions.candidates
        region = self.region_at(token)
        if region is not None:
            d = region.disagreement
            start, end = d.start, d.end

            def given(a: str) -> tuple[SpanKey, ...]:
                mine = d.version_of(a)
                return mine.spans if mine is not None else ()
        else:
            span = self.span_at(token)
            if span is None:
                return None
            key = _key(self.record, span)
            start, end = key[0], key[1]
            voters = next((v.voters for v in c.agreed if v.key == key), ())

            def given(a: str) -> tuple[SpanKey, ...]:
                return (key,) if a in voters else ()

        said = tuple(
            Said(a, c.answers.get(a), given(a) if a in c.counted else (), a in c.counted)
            for a in c.annotators
        )
        return Explanation(start, end, said, versions.f1)
