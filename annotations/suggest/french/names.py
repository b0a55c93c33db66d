"""Person names after a title: `Mme Hélène Marchetti` is PER `Hélène Marchetti` (the title stays
outside), particles stay in (`M. de Villiers` → `de Villiers`, `M. Le Meur` → `Le Meur`), and
`MM. Dupont, Durand et Martin` is three persons, and a kinship title before one word is part
of the name (`Père Noël`); where a name ends (`name_end`, which the refinement uses too) and
whether words are part of a title phrase (`garde des Sceaux`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from annotations.records import Span
from annotations.suggest.french.article import Article, capitalised
from annotations.suggest.french.words import (
    DETERMINERS,
    FUNCTION,
    HONORIFICS,
    PLURAL_TITLES,
    Lexicon,
)


def name_end(lex: Lexicon, words: Sequence[str], i: int, particle_start: bool = True) -> int:
    """The end of the name starting at word `i` (i itself when there is none): capitalised
    words, with particles and hyphens between them (`Arnaud de Villiers`, `Van den
    Berghe`, `Sablé - Maurin`), at most six words; an all-capitals word ends it (`M.
    POINCARÉ Paris`: a dateline follows), and so does an initial alone (`M. X.`)."""
    n, j, end = len(words), i, i
    while j < n and j - i < 6:
        w = words[j]
        if _name_word(w):
            j = end = j + 1
            if (w.isupper() and len(w) > 1 and j - i > 1) or (w.isupper() and len(w) > 3):
                break
        elif w in ("Le", "La") and j + 1 < n and _name_word(words[j + 1]):
            j += 1  # `Le Gall`, `Théo Le Gall`
        elif w.lower() in lex.particles and (j > i or particle_start):
            nxt = words[j + 1] if j + 1 < n else ""
            after = words[j + 2] if j + 2 < n else ""
            if _name_word(nxt):
                j += 1
            elif nxt in ("la", "le", "La", "Le") and _name_word(after):
                j += 2  # `de la Fontaine`, `de La Fontaine`
            else:
                break
        elif w in ("-", "&") and end == j > i and j + 1 < n and _name_word(words[j + 1]):
            j += 1
        else:
            break
    if end == i + 1 and len(words[i]) == 2 and words[i].endswith("."):
        return i  # an initial alone
    return end


def _name_word(word: str) -> bool:
    return (
        capitalised(word)
        and word.lower() not in DETERMINERS | FUNCTION | {"et"}
        and not word.endswith("'")
    )


def is_title(lex: Lexicon, word: str, name_words: int) -> bool:
    """Whether `word` is a title before a name of `name_words` words: a kinship title only
    before a full name (`le Père Jacques Hamel`), as before one word it is part of the name
    (`Père Noël`, `Sœur Emmanuelle`, `Dame Nature`)."""
    return word in lex.titles and (word not in lex.kinship_titles or name_words != 1)


def in_title_phrase(lex: Lexicon, words: Sequence[str], a: int, b: int) -> bool:
    for phrase in lex.title_phrases:
        m = len(phrase)
        for s in range(max(0, b - m), a + 1):
            if tuple(words[s : s + m]) == phrase and s <= a and b <= s + m:
                return True
    return False


def titled(lex: Lexicon, art: Article) -> Iterator[Span]:
    """The names after each title, as PER spans."""
    words = art.words
    for i, w in enumerate(words):
        if w not in lex.titles or i + 1 >= len(words):
            continue
        start = i + 1
        while True:
            end = name_end(lex, words, start, particle_start=w in HONORIFICS)
            if not is_title(lex, w, end - start):
                break
            if end > start and not in_title_phrase(lex, words, i, end):
                yield art.span(start, end, "PER")
            # `MM. Dupont, Durand et Martin`: one person after another
            if w not in PLURAL_TITLES or end == start or end >= len(words):
                break
            if words[end] in (",", "et") and end + 1 < len(words):
                start = end + 1
            else:
                break
