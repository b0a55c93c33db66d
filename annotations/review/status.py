"""What the status line says about the review: a plain value the screen fills and the status bar
renders (the bar decides what fits; nothing here knows about terminals)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from annotations.labels import LabelScheme
from annotations.review.state import ArticleState


@dataclass(frozen=True, slots=True)
class StatusInfo:
    annotator: str
    index: int  # 0-based; shown as index + 1
    total: int
    reviewed: int
    answer: str | None  # the article's decision, None while in progress
    changed: bool  # decided, but edited since: not saved until submitted again
    counts: tuple[tuple[str, int], ...]  # live spans per label, in scheme order
    model: str  # "loading" | "ready" | "off" | "failed"
    waiting: tuple[str, ...]  # suggesters still coming for this article
    saved_at: float | None  # epoch seconds of the last durable write (decision or draft)
    filter: str  # "all" | "unreviewed" | "flagged" | "rejected"
    held: int  # keys waiting for the article to be ready
    note: str  # the last message (a refusal, "undone: ...")
    model_label: str = ""  # the model in the loop: "v2 F1 0.71" (`--update-every`)
    training: str = ""  # what the loop is doing: "training v3…", why it waits


def label_counts(state: ArticleState, scheme: LabelScheme) -> tuple[tuple[str, int], ...]:
    """Live spans per label of the scheme, in its order, labels without spans left out."""
    counts = Counter(s.label for s in state.spans if s.live)
    return tuple((label.name, counts[label.name]) for label in scheme.labels if counts[label.name])
