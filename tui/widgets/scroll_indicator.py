"""A one-column scroll indicator drawn inside a Line-API view's own strips.

Textual's scrollbars are widgets of their own: on every article change they re-render and split
the compositor's lines, which cost the review screen more than a third of its repaint time
(about 3.5 ms of 11 on a 120x40 screen). The article and the span list hide them
(`scrollbar-size-vertical: 0` in the stylesheet) and end each line with this indicator instead:
a track cell, or a thumb cell on the lines the visible part covers. The mouse wheel still scrolls.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style

TRACK = Segment(" ", Style(bgcolor="#2c313a"))
THUMB = Segment(" ", Style(bgcolor="#5c6370"))


def thumb(offset: int, view: int, total: int) -> range | None:
    """The screen rows (0-based, within the view) of the thumb when `total` lines are seen
    `view` at a time from line `offset`; None when everything fits."""
    if view <= 0 or total <= view:
        return None
    size = max(1, round(view * view / total))
    start = round(offset * (view - size) / (total - view))
    start = max(0, min(start, view - size))
    return range(start, start + size)


def cell(row: int, rows: range | None, background: Style) -> Segment:
    """The indicator's cell on screen row `row` (the view's background when all of it fits)."""
    if rows is None:
        return Segment(" ", background)
    return THUMB if row in rows else TRACK
