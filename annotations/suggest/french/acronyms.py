"""Acronyms and their expansions in an article: `Autorité des marchés financiers (AMF)` makes
both, and the acronym's other mentions, one ORG (MISC for a law or policy: `Politique agricole
commune`); an expansion in lowercase that is no institution's (`offre publique d'achat (OPA)`)
makes its acronym a common noun, which the refinement drops."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from functools import cache

from annotations.records import Span
from annotations.suggest.french.article import Article, capitalised
from annotations.suggest.french.words import QUOTES, Lexicon


def is_acronym(word: str) -> bool:
    """`AMF`, `DNCG`, and acronyms written as words (`Cnes`, `Cnil`)."""
    if not (2 <= len(word) <= 8 and word.isalpha() and word[0].isupper()):
        return False
    return word.isupper() or (len(word) <= 5 and not word[1:].isupper())


def _fold(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn"
    )


def spells(words: Sequence[str], acronym: str, function_words: frozenset[str]) -> bool:
    """Whether the initials of `words` spell `acronym`: every other word gives its initial (or
    its first letters), a function word its initial or nothing (`Autorité des marchés
    financiers` → AMF, `La France insoumise` → LFI)."""
    letters = _fold(acronym)
    folded = [_fold(w).replace("'", "") for w in words]

    @cache
    def fits(i: int, j: int) -> bool:
        if i == len(folded):
            return j == len(letters)
        word = folded[i]
        if not word:
            return fits(i + 1, j)
        function = words[i].lower() in function_words
        if function and fits(i + 1, j):
            return True
        k = 0
        while j + k < len(letters) and k < len(word) and word[k] == letters[j + k]:
            k += 1
            if fits(i + 1, j + k):
                return True
            if function:
                break
        return False

    return bool(words) and fits(0, 0)


def expansions(lex: Lexicon, art: Article) -> Iterator[tuple[int, int, str, str | None]]:
    """(start, end, acronym, label) for each `Expansion (ACRONYM)`; the label is None when
    the expansion is a common noun (`offre publique d'achat (OPA)`)."""
    words = art.words
    for i, w in enumerate(words):
        if w != "(" or i + 2 >= len(words) or words[i + 2] != ")":
            continue
        acronym = words[i + 1]
        if not is_acronym(acronym):
            continue
        found = _expansion(lex, words, i, acronym)
        if found is None:
            continue
        a, b = found
        head = words[a]
        if head in lex.law_heads or head in lex.event_heads:
            label: str | None = "MISC"
        elif capitalised(head) or head.lower() in lex.institution_nouns:
            label = "ORG"
        else:
            label = None
        yield a, b, acronym, label


def _expansion(
    lex: Lexicon, words: Sequence[str], paren: int, acronym: str
) -> tuple[int, int] | None:
    fw = lex.function_words
    for end in range(paren, max(paren - 3, 0), -1):
        # a place may follow the expansion: `Agence régionale de santé Occitanie (ARS)`
        if not all(capitalised(w) for w in words[end:paren]):
            break
        for start in range(end - 1, max(end - 13, -1), -1):
            w = words[start]
            if not any(c.isalpha() for c in w) or w in QUOTES:
                break
            if w.lower() in fw and not capitalised(w):
                continue  # an expansion starts with a word of its own
            if spells(words[start:end], acronym, fw):
                return start, paren
    return None


def expansion_spans(lex: Lexicon, art: Article) -> Iterator[Span]:
    """An expansion and every mention of its acronym, one entity (none for a common noun's)."""
    for a, b, acronym, label in expansions(lex, art):
        if label is None:
            continue
        yield art.span(a, b, label)
        for k, w in enumerate(art.words):
            if w == acronym:
                yield art.span(k, k + 1, label)
