"""Titles of works: a quoted title after or before a work noun (`le court métrage « Ferraille »`,
`« Ferraille », son premier film`) is a MISC, and so are its other mentions."""

from __future__ import annotations

from collections.abc import Iterator

from annotations.records import Span
from annotations.suggest.french.article import Article, capitalised
from annotations.suggest.french.words import QUOTES, SENTENCE_END, Lexicon


def work_titles(lex: Lexicon, art: Article) -> Iterator[Span]:
    words = art.words
    titles: set[tuple[str, ...]] = set()
    for i, w in enumerate(words):
        if w not in QUOTES:
            continue
        close = next((j for j in range(i + 1, min(i + 14, len(words))) if words[j] in QUOTES), None)
        if close is None or close == i + 1 or not capitalised(words[i + 1]):
            continue
        before = [x.lower() for x in words[max(0, i - 3) : i]]
        after = [x.lower() for x in words[close + 1 : close + 5]]
        noun_before = any(x in lex.work_nouns for x in before[-3:]) and not any(
            x in SENTENCE_END for x in before
        )
        noun_after = bool(after) and after[0] == "," and any(x in lex.work_nouns for x in after[1:])
        if noun_before or noun_after:
            titles.add(tuple(words[i + 1 : close]))
    for title in titles:
        m = len(title)
        for k in range(len(words) - m + 1):
            if tuple(words[k : k + m]) == title:
                yield art.span(k, k + m, "MISC")
