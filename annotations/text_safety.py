"""Data shown literally: the one definition of how a character from data reaches a terminal.

Every string that comes from a file or the command line (article text, labels, span sources,
annotator ids, scheme names, file names, and the messages that quote them) is data. Control
characters (ESC, BEL, C1...) become visible control pictures, format characters (zero-width,
right-to-left marks and overrides) a middle dot, tabs spaces: data can never style, move or
retitle the terminal, nor shift a column. The review screen draws articles with `glyph`; every
other place that shows data uses `safe_text` (a `str`) or `literal` (a Rich `Text`, never read as
markup), so `[bold]` is shown as typed and a stray `[/]` is just two characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rich.cells import get_character_cell_size
from rich.style import Style
from rich.text import Text

TAB = "    "
# characters that are drawn as themselves, one cell wide: most text (the fast path)
_NOT_PLAIN = re.compile(
    r"[^\x20-\x7e\xa1-\u02ff\u0370-\u052f\u2010-\u2027\u2030-\u205e\u20a0-\u20bf]"
)


def is_plain(text: str) -> bool:
    """Every character of `text` is drawn as itself, one cell wide."""
    return _NOT_PLAIN.search(text) is None


@lru_cache(maxsize=4096)
def glyph(ch: str) -> tuple[str, int, bool]:
    """(what to draw, its width in cells, is it a stand-in) for one character of the text."""
    code = ord(ch)
    if ch == "\t":
        return TAB, len(TAB), False
    if code < 0x20:
        return chr(0x2400 + code), 1, True  # ␛ ␇ ␊ ...
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


def safe_text(text: str) -> str:
    """`text` with control and format characters as visible stand-ins, as the article view
    draws them (a newline is `␊`: what is shown on one line stays on one line)."""
    return text if is_plain(text) else "".join(glyph(ch)[0] for ch in text)


def literal(value: object, style: str | Style = "") -> Text:
    """`value` as a Rich `Text` drawn literally: never markup, no control character."""
    return Text(safe_text(str(value)), style=style)


def safe_json(text: str) -> str:
    """A JSON document (one line of `--json` output) with every character the terminal would
    not show as itself written as a `\\uXXXX` escape: the same JSON, nothing for a terminal to
    obey. (JSON encoders escape C0 controls already; DEL, C1 and format characters they leave.)"""
    if is_plain(text):
        return text
    out = []
    for ch in text:
        if ch != "\n" and glyph(ch)[2]:
            code = ord(ch)
            if code > 0xFFFF:  # outside the BMP: a surrogate pair, as JSON writes it
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
