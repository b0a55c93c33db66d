"""Snapping character spans to tokens, with an explicit policy and a report of every change.

A span "aligns" when it starts where a token starts and ends where a token ends. When it does not:

- `split` (default): split the tokens at the span's edges, so the span is kept exactly as given;
- `expand`: grow the span to the tokens it touches;
- `contract`: shrink it to the tokens fully inside it (dropped, and reported, if none are);
- `strict`: leave it alone and report an error.

Whitespace at a span's edges is trimmed first (reported); a span of only whitespace is dropped
(reported). Nothing is ever changed or dropped without an `AlignIssue` saying so.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from dataclasses import dataclass, replace
from enum import Enum

from annotations.records import Span, Token

POLICIES = ("split", "expand", "contract", "strict")


class Policy(str, Enum):
    SPLIT = "split"
    EXPAND = "expand"
    CONTRACT = "contract"
    STRICT = "strict"


@dataclass(frozen=True, slots=True)
class AlignIssue:
    start: int
    end: int
    label: str
    message: str
    error: bool = False  # True: the span could not be used as given under the policy

    def __str__(self) -> str:
        return f"span {self.start}-{self.end} {self.label}: {self.message}"


def align(
    text: str, tokens: list[Token], spans: list[Span], policy: Policy | str = Policy.SPLIT
) -> tuple[list[Token], list[Span | None], list[AlignIssue]]:
    """Return (tokens, spans, issues): `spans[i]` is input span i with token_start/token_end set,
    possibly moved as the policy says, or None where it was dropped. Inputs are not modified."""
    policy = Policy(policy)
    issues: list[AlignIssue] = []
    trimmed: list[Span | None] = []
    for span in spans:  # issues always name the span as given (span.start, span.end)
        s, e = span.start, span.end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s == e:
            issues.append(
                AlignIssue(span.start, span.end, span.label, "only whitespace: dropped", True)
            )
            trimmed.append(None)
            continue
        if (s, e) != (span.start, span.end):
            if policy is Policy.STRICT:
                issues.append(
                    AlignIssue(span.start, span.end, span.label, "whitespace at its edge", True)
                )
                trimmed.append(span)
                continue
            issues.append(
                AlignIssue(span.start, span.end, span.label, f"whitespace at its edge: now {s}-{e}")
            )
            span = replace(span, start=s, end=e)
        trimmed.append(span)

    if policy is Policy.SPLIT:
        cuts = {b for sp in trimmed if sp is not None for b in (sp.start, sp.end)}
        tokens, split_notes = _split_tokens(tokens, cuts)
        for note in split_notes:
            issues.append(AlignIssue(note[0], note[1], "", note[2]))

    starts = {t.start: t.id for t in tokens}
    ends = {t.end: t.id for t in tokens}
    token_starts = [t.start for t in tokens]
    out: list[Span | None] = []
    for original, maybe in zip(spans, trimmed, strict=True):
        if maybe is None:
            out.append(None)
            continue
        span = maybe

        def issue(message: str, error: bool = False, o: Span = original) -> AlignIssue:
            return AlignIssue(o.start, o.end, o.label, message, error)

        ts, te = starts.get(span.start), ends.get(span.end)
        if ts is not None and te is not None and te >= ts:
            out.append(_on_tokens(span, ts, te))
            continue
        if policy in (Policy.STRICT, Policy.SPLIT):
            issues.append(issue("does not start and end on tokens", True))
            out.append(_on_tokens(span, None, None))
            continue
        if policy is Policy.EXPAND:
            first = max(bisect.bisect_right(token_starts, span.start) - 1, 0)
            if first < len(tokens) and tokens[first].end <= span.start:
                first += 1
            if first >= len(tokens) or tokens[first].start >= span.end:
                issues.append(issue("touches no token: dropped", True))
                out.append(None)
                continue
            last = max(bisect.bisect_left(token_starts, span.end) - 1, first)
        else:  # contract
            first = bisect.bisect_left(token_starts, span.start)
            last = bisect.bisect_right(token_starts, span.end) - 1
            while last >= first and tokens[last].end > span.end:
                last -= 1
            if last < first:
                issues.append(issue("no whole token inside: dropped", True))
                out.append(None)
                continue
        new = replace(
            span,
            start=tokens[first].start,
            end=tokens[last].end,
            token_start=first,
            token_end=last,
        )
        issues.append(issue(f"{policy.value}ed to {new.start}-{new.end}"))
        out.append(new)
    return tokens, out, issues


def _split_tokens(
    tokens: list[Token], cuts: set[int]
) -> tuple[list[Token], list[tuple[int, int, str]]]:
    """Split every token that has a cut strictly inside it; renumber ids (from the first token
    split on: the tokens before it are kept as they are)."""
    first = _first_cut_token(tokens, cuts)
    if first is None:
        return tokens, []
    notes: list[tuple[int, int, str]] = []
    inner = sorted(cuts)
    out: list[Token] = tokens[:first]
    changed = False
    for tok in itertools.islice(tokens, first, None):
        lo = bisect.bisect_right(inner, tok.start)
        hi = bisect.bisect_left(inner, tok.end)
        if lo >= hi:
            out.append(tok if not changed else replace(tok, id=len(out)))
            continue
        changed = True
        points = [tok.start, *inner[lo:hi], tok.end]
        notes.append((tok.start, tok.end, f"token {tok.text!r} split at {inner[lo:hi]}"))
        for a, b in itertools.pairwise(points):
            last = b == tok.end
            out.append(
                Token(
                    tok.text[a - tok.start : b - tok.start],
                    a,
                    b,
                    len(out),
                    tok.ws if last else False,
                )
            )
    return out, notes


def _first_cut_token(tokens: list[Token], cuts: set[int]) -> int | None:
    """The index of the first token with a cut strictly inside it (None: no such token), looked
    up per cut rather than per token when the tokens are in order and do not overlap (the
    usual case: a few cuts, hundreds of tokens)."""
    starts = [t.start for t in tokens]
    ends = [t.end for t in tokens]
    if not all(map(operator.le, ends[:-1], starts[1:])) or not all(map(operator.le, starts, ends)):
        inner = sorted(cuts)
        for i, tok in enumerate(tokens):
            if bisect.bisect_right(inner, tok.start) < bisect.bisect_left(inner, tok.end):
                return i
        return None
    first: int | None = None
    for cut in cuts:
        i = bisect.bisect_right(starts, cut) - 1
        if i >= 0 and starts[i] < cut < ends[i] and (first is None or i < first):
            first = i
    return first


def _on_tokens(span: Span, token_start: int | None, token_end: int | None) -> Span:
    """`replace(span, token_start=..., token_end=...)`, without its per-call introspection."""
    if type(span) is not Span:
        return replace(span, token_start=token_start, token_end=token_end)
    return Span(
        span.start,
        span.end,
        span.label,
        token_start,
        token_end,
        span.source,
        span.score,
        span.extra,
    )
