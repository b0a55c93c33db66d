"""The one-column scroll indicator the article and span list draw in place of Textual's scrollbars."""

from __future__ import annotations

import pytest
from rich.style import Style

from tui.widgets.scroll_indicator import THUMB, TRACK, cell, thumb


@pytest.mark.parametrize(
    "offset,view,total,expected",
    [
        (0, 10, 10, None),  # everything fits
        (0, 10, 3, None),
        (0, 0, 50, None),  # no room at all
        (0, 10, 20, range(0, 5)),  # half visible: half the track
        (10, 10, 20, range(5, 10)),  # at the end: the thumb touches the bottom
        (0, 10, 1000, range(0, 1)),  # never thinner than one row
        (990, 10, 1000, range(9, 10)),
        (495, 10, 1000, range(4, 5)),  # the middle
        (5000, 10, 1000, range(9, 10)),  # past the end (a stale offset): clamped
    ],
)
def test_thumb(offset: int, view: int, total: int, expected: range | None) -> None:
    assert thumb(offset, view, total) == expected


def test_cells() -> None:
    background = Style(bgcolor="#101010")
    assert cell(3, None, background).style == background
    assert cell(3, range(2, 4), background) is THUMB
    assert cell(4, range(2, 4), background) is TRACK
