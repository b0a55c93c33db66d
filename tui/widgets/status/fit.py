"""Fitting a one-line status into a width: each part has a priority and a few forms (preferred
first, usually longest first); the most important parts take their preferred form that still fits,
less important ones get a shorter form or are left out. A form is never cut: what cannot be
whole is not shown. Pure functions, tested without a terminal; only the chosen forms become `Text`
(a status line is drawn after many keys: building every form as `Text` cost ~0.4 ms)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

SEPARATOR = "  "

Piece = tuple[str, Style | str]  # text and its style (a label colour may be a string)
Form = tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class Part:
    priority: int  # 0 first; parts of equal priority go in display order
    forms: tuple[Form, ...]  # what to show, preferred first


def plain(form: Form) -> str:
    return "".join(text for text, _style in form)


def choose(parts: Sequence[Part], width: int, separator: str = SEPARATOR) -> dict[int, int]:
    """{part index: form index} of the parts shown. In priority order, each part takes its first
    form that fits in what the more important ones left (with a separator if not alone)."""
    gap = cell_len(separator)
    chosen: dict[int, int] = {}
    used = 0
    for i in sorted(range(len(parts)), key=lambda i: parts[i].priority):
        extra = gap if chosen else 0
        for k, form in enumerate(parts[i].forms):
            cells = cell_len(plain(form))
            if used + extra + cells <= width:
                chosen[i] = k
                used += extra + cells
                break
    return chosen


def fit(parts: Sequence[Part], width: int, separator: str = SEPARATOR) -> Text:
    """The chosen forms in display order, joined by `separator`: never wider than `width`."""
    text = Text()
    for n, (i, k) in enumerate(sorted(choose(parts, width, separator).items())):
        if n:
            text.append(separator)
        for piece, style in parts[i].forms[k]:
            text.append(piece, style)
    return text
