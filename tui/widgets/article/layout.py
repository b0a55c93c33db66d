"""Wrapping an article into screen lines, with every character shown literally and safely.

Control characters (ESC, BEL, C1...) become visible control pictures, format characters
(zero-width, right-to-left marks and overrides) a dim middle dot, tabs spaces: an article can
never style, move or retitle the terminal, nor shift a column. Each character keeps its offset.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rich.cells import get_character_cell_size

TAB = "    "
# characters that are drawn as themselves, one cell wide: most text (the fast path)
_NOT_PLAIN = re.compile(
    r"[^\x20-\x7e\xa1-\u02ff\u0370-\u052f\u2010-\u2027\u2030-\u205e\u20a0-\u20bf]"
)


def is_plain(text: str) -> bool:
    return _NOT_PLAIN.search(text) is None


@lru_cache(maxsize=4096)
def glyph(ch: str) -> tuple[str, int, bool]:
    """(what to draw, its width in cells, is it a stand-in) for one character of the text."""
    code = ord(ch)
    if ch == "\t":
        return TAB, len(TAB), False
    if code < 0x20:
        return chr(0x2400 + code), 1, True  # ␛ ␇ ...
    if code == 0x7F:
        return "␡", 1, True
    if 0x80 <= code < 0xA0:
        return "¤", 1, True
    category = unicodedata.category(ch)
    if category in ("Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return "·", 1, True
    width = get_character_cell_size(ch)
    if width == 0 and category.startswith("M"):
        return ch, 0, False  # combining mark: joins the previous character
    if width == 0:
        return "·", 1, True
    return ch, width, False


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
