"""What every reader yields (`Item`), and `complete()`: tokens, aligned spans and hashes for
records that came from a format without them."""

from __future__ import annotations

from dataclasses import dataclass, field

from annotations.align import AlignIssue, Policy, align
from annotations.records import Record
from annotations.tokenize import tokenize


@dataclass(slots=True)
class Item:
    record: Record
    where: str  # "file:line" (or "file:row N", "file") for messages
    issues: list[AlignIssue] = field(default_factory=list)


def complete(
    record: Record, policy: Policy | str = Policy.SPLIT, tokens_needed: bool = True
) -> list[AlignIssue]:
    """Add spaCy French tokens if missing, snap spans and suggestions to them, fill hashes.
    `tokens_needed=False`: a record without tokens only gets its hashes (whoever reads it
    tokenises and aligns it when it needs to: the review screens, article by article)."""
    if record.tokens is None and not tokens_needed:
        record.with_hashes()
        return []
    tokens = record.tokens if record.tokens is not None else tokenize(record.text)
    spans = record.spans or []
    suggestions = record.suggestions or []
    tokens, aligned, issues = align(record.text, tokens, spans + suggestions, policy)
    record.tokens = tokens
    if record.spans is not None:
        record.spans = [s for s in aligned[: len(spans)] if s is not None]
    if record.suggestions is not None:
        record.suggestions = [s for s in aligned[len(spans) :] if s is not None]
    record.with_hashes()
    return issues
