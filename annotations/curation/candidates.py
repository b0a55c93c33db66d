"""What several annotators said about one article, as the curator meets it.

Spans every counted annotator gave identically are *agreed*. Every other span is a *candidate*
carrying its voters. Candidates that overlap, chained, make one *disagreement* over that stretch of
text. What each annotator gave there (all their spans in it, maybe none) is their *version*; the
annotators who gave the same spans share one version, and the versions are what the curator
chooses between (one annotator's "Brasil, Cuba y Rusia" against two annotators' "Brasil", "Cuba",
"Rusia"; a lone span against "nothing"). Annotators who answered `reject` or `ignore` are shown
but not counted: they neither vote for a span nor against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SpanKey = tuple[int, int, str]  # character start, end (exclusive), label


@dataclass(frozen=True, slots=True)
class Vote:
    start: int
    end: int
    label: str
    voters: tuple[str, ...]  # in the annotators' order

    @property
    def key(self) -> SpanKey:
        return (self.start, self.end, self.label)

    def source(self) -> str:
        """How a gold span records who had it: `review:alice+bruno`."""
        return REVIEW_SOURCE + "+".join(self.voters)


REVIEW_SOURCE = "review:"


def votes_in(source: str | None) -> int:
    """How many annotators a candidate's `source` names (0: not a candidate)."""
    if source is None or not source.startswith(REVIEW_SOURCE):
        return 0
    return source.count("+") + 1


@dataclass(frozen=True, slots=True)
class Version:
    """The spans some annotators gave in a disagreement's stretch of text (maybe none)."""

    spans: tuple[SpanKey, ...]  # in text order
    voters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Disagreement:
    alternatives: tuple[Vote, ...]  # every candidate span here, most voted first
    start: int  # the characters the candidates cover, together
    end: int
    versions: tuple[Version, ...]  # most voted first; the empty one when somebody gave nothing

    def version_of(self, annotator: str) -> Version | None:
        return next((v for v in self.versions if annotator in v.voters), None)


@dataclass(frozen=True, slots=True)
class Candidates:
    annotators: tuple[str, ...]  # everyone who saw the article
    counted: tuple[str, ...]  # those whose spans count (not rejected / ignored)
    answers: Mapping[str, str | None]
    agreed: tuple[Vote, ...]
    disagreements: tuple[Disagreement, ...]

    @property
    def unanimous(self) -> bool:
        """Nothing to resolve: two annotators or more, all of them counted (none rejected or
        ignored the article), and no disagreement."""
        return len(self.counted) >= 2 and self.counted == self.annotators and not self.disagreements


def gather(
    spans: Mapping[str, Sequence[SpanKey]],
    answers: Mapping[str, str | None],
    excluded: Sequence[str] = ("reject", "ignore"),
) -> Candidates:
    """Group the annotators' spans of one article (`spans`: annotator -> its spans, in the
    order the annotators should be listed)."""
    annotators = tuple(spans)
    counted = tuple(a for a in annotators if answers.get(a) not in excluded)
    voters: dict[SpanKey, list[str]] = {}
    for annotator in counted:
        for key in dict.fromkeys(spans[annotator]):  # the same span twice counts once
            voters.setdefault(key, []).append(annotator)
    votes = [Vote(s, e, label, tuple(who)) for (s, e, label), who in voters.items()]
    everyone = len(counted)
    agreed = sorted(
        (v for v in votes if len(v.voters) == everyone and everyone >= 1), key=_position
    )
    open_votes = sorted((v for v in votes if len(v.voters) < everyone), key=_position)
    return Candidates(
        annotators,
        counted,
        dict(answers),
        tuple(agreed),
        tuple(_clusters(open_votes, counted)),
    )


def _position(vote: Vote) -> tuple[int, int, str]:
    return (vote.start, -vote.end, vote.label)


def _clusters(votes: list[Vote], counted: tuple[str, ...]) -> list[Disagreement]:
    """Overlapping candidates, chained (a overlaps b overlaps c: one disagreement)."""
    out: list[Disagreement] = []
    group: list[Vote] = []
    end = -1
    for vote in votes:  # sorted by start: a sweep
        if group and vote.start >= end:
            out.append(_disagreement(group, counted))
            group = []
        group.append(vote)
        end = max(end, vote.end) if len(group) > 1 else vote.end
    if group:
        out.append(_disagreement(group, counted))
    return out


def _disagreement(group: list[Vote], counted: tuple[str, ...]) -> Disagreement:
    ranked = sorted(group, key=lambda v: (-len(v.voters), v.start, -v.end, v.label))
    by_spans: dict[tuple[SpanKey, ...], list[str]] = {}
    for annotator in counted:
        mine = tuple(sorted((v.key for v in group if annotator in v.voters), key=_key_order))
        by_spans.setdefault(mine, []).append(annotator)
    versions = sorted(
        (Version(spans, tuple(who)) for spans, who in by_spans.items()),
        key=lambda v: (-len(v.voters), not v.spans, [_key_order(k) for k in v.spans]),
    )
    return Disagreement(
        tuple(ranked), min(v.start for v in group), max(v.end for v in group), tuple(versions)
    )


def _key_order(key: SpanKey) -> tuple[int, int, str]:
    return (key[0], -key[1], key[2])
