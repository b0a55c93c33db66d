"""Offset-preserving normalisation of text before a model sees it: one code point in, one out.

Typographic apostrophes and quotes become ASCII, exotic spaces become a plain space, dashes a
hyphen. The model was trained mostly on ASCII apostrophes: with `’` it tags `qu’` and `jusqu’`
as entities. Offsets in the normalised text are offsets in the original.
"""

from __future__ import annotations

_TABLE = {
    "\u2019": "'",  # ’ right single quotation mark (the French apostrophe)
    "\u2018": "'",  # ‘
    "\u02bc": "'",  # ʼ modifier letter apostrophe
    "\u2032": "'",  # ′ prime
    "\u00b4": "'",  # ´ acute accent used as apostrophe
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u2039": '"',  # ‹
    "\u203a": '"',  # ›
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space (before « ; : ! ? % in French typography)
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u2002": " ",  # en space
    "\u2003": " ",  # em space
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2212": "-",  # − minus sign
}
_TRANSLATE = str.maketrans(_TABLE)


def normalize(text: str) -> str:
    """Same length as `text`, and the same character wherever the table has no entry."""
    return text.translate(_TRANSLATE)
