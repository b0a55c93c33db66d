"""Wrapping an article into screen lines, with every character shown literally and safely.

How each character is drawn (`glyph`: control characters as visible control pictures, format
characters as a dim middle dot, tabs as spaces) is `annotations.text_safety`'s, the one definition
every other place that shows data shares: an article can never style, move or retitle the
terminal, nor shift a column. Each character keeps its offset.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from annotations.text_safety import glyph, is_plain


@dataclass(frozen=True, slots=True)
class Layout:
    """Screen lines as [start, end) character ranges of the text (newlines not included)."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.starts, offset) - 1)


def wrap(text: str, width: int) -> Layout:
    """Wrap at spaces where possible (a word longer than the line is cut)."""
    width = max(width, 8)
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for line in text.split("\n"):
        line_end = pos + len(line)
        if is_plain(line):  # one cell per character: cut at the last space that fits
            start = pos
            while line_end - start > width:
                cut = text.rfind(" ", start, start + width + 1)
                cut = cut + 1 if cut > start else start + width
                starts.append(start)
                ends.append(cut)
                start = cut
            starts.append(start)
            ends.append(line_end)
            pos = line_end + 1
            continue
        start = pos
        cells = 0
        last_space = -1
        i = pos
        while i < line_end:
            w = glyph(text[i])[1]
            if cells + w > width and i > start:
                cut = last_space + 1 if last_space >= start else i
                starts.append(start)
                ends.append(cut)
                start = cut
                cells = sum(glyph(text[k])[1] for k in range(start, i))
                last_space = -1
            if text[i] == " ":
                last_space = i
            cells += w
            i += 1
        starts.append(start)
        ends.append(line_end)
        pos = line_end + 1
    return Layout(tuple(starts), tuple(ends))
