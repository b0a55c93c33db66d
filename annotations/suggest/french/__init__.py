"""French context rules: what a name's surroundings in the article say about it.

Plain Python over the record's tokens (no spaCy), in small modules:
- `words`: the words the rules know (closed classes, and `data/french-words.json`);
- `article`: one article's words and offsets, and the spans made on them;
- found in the text alone by `FrenchContext.suggest` (source `rules:context-fr`): `names`
  (a title before a name), `acronyms` (an expansion before its acronym), `works` (a quoted
  title by a work noun);
- `refinement`: `FrenchContext.refine`, the correction of the model's spans of one article.
"""

from __future__ import annotations

from collections.abc import Sequence

from annotations.records import Record, Span
from annotations.suggest.french import refinement
from annotations.suggest.french.acronyms import expansion_spans
from annotations.suggest.french.article import SOURCE, Article
from annotations.suggest.french.names import titled
from annotations.suggest.french.words import lexicon
from annotations.suggest.french.works import work_titles

__all__ = ["FrenchContext"]


class FrenchContext:
    name = SOURCE

    def __init__(self) -> None:
        self.lex = lexicon()

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        lex, out = self.lex, []
        for record in records:
            art = Article.of(record)
            spans = list(titled(lex, art)) + list(expansion_spans(lex, art))
            out.append(spans + list(work_titles(lex, art)))
        return out

    def refine(self, record: Record, spans: list[Span]) -> list[Span]:
        return refinement.refine(self.lex, record, spans)
