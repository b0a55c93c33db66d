"""Fitting a one-line status into a width: each part has a priority and a few forms (preferred
first, usually longest first); the most important parts take their preferred form that still fits,
less important ones get a shorter form or are left out. A form is never cut: what cannot be
whole is not shown. Pure functions on `Text`, tested without a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text

SEPARATOR = "  "


@dataclass(frozen=True, slots=True)
class Part:
    priority: int  # 0 first; parts of equal priority go in display order
    forms: tuple[Text, ...]  # what to show, preferred first


def choose(parts: Sequence[Part], width: int, separator: str = SEPARATOR) -> dict[int, int]:
    """{part index: form index} of the parts shown. In priority order, each part takes its first
    form that fits in what the more important ones left (with a separator if not alone)."""
    gap = Text(separator).cell_len
    chosen: dict[int, int] = {}
    used = 0
    for i in sorted(range(len(parts)), key=lambda i: parts[i].priority):
        extra = gap if chosen else 0
        for k, form in enumerate(parts[i].forms):
            if used + extra + form.cell_len <= width:
                chosen[i] = k
                used += extra + form.cell_len
                break
    return chosen


def fit(parts: Sequence[Part], width: int, separator: str = SEPARATOR) -> Text:
    """The chosen forms in display order, joined by `separator`: never wider than `width`."""
    chosen = choose(parts, width, separator)
    return Text(separator).join(parts[i].forms[k] for i, k in sorted(chosen.items()))
