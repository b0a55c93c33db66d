"""The refinement of the model's spans of one article (`FrenchContext.refine`):
- titles leave the span (a span that started with one is a PER; `Père Noël` keeps its kinship
  title); a span inside a title phrase (`garde des Sceaux`, `président de la République`) or
  made of titles only is dropped;
- dropped too: a common-noun acronym alone (`OPA`, `TGV`, and any acronym the article expands
  in lowercase: `offre publique d'achat (OPA)`), a demonym naming people (`les Allemands`; not
  a country, `la Suisse`), a heading word (`Santé` at a line's start when the article also
  writes `santé`);
- labels from the context: a name after a type noun is what the noun says (`la banque X`,
  `le studio bordelais X` → ORG; `le cinéaste japonais X`, `son porte-parole, X` → PER), after a
  feminine demonym (`la toulousaine X`) an ORG, after a territory's noun (`la commune de X`)
  a LOC, unless the model says PER or ORG; a name holding a designator (`Berthier BTP`) or
  starting with an institution head (`Cour de cassation`) is an ORG, with an event or law head
  (`Salon de l'agriculture`, `Règlement général...`) a MISC; an acronym the model calls a person
  or a place (`KHNP`, `RN`) is an ORG; `RC Lens` in the article makes its bare `Lens` the club;
- a span running past the expansion of an acronym the article uses is cut to it (`Réseau de
  transport d'électricité plaide` with `RTE`).
A name the type noun announces and the model missed is added (source `rules:context-fr`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from annotations.records import Record, Span
from annotations.suggest.french.acronyms import expansions, is_acronym, spells
from annotations.suggest.french.article import Article, capitalised
from annotations.suggest.french.names import in_title_phrase, is_title, name_end
from annotations.suggest.french.words import (
    COMPOUNDS,
    COUNTRY_ACRONYMS,
    DETERMINERS,
    FUNCTION,
    PLACE_LIKE_HEADS,
    Lexicon,
)

LOCATIVES = frozenset(["à", "en", "vers", "depuis", "via"])  # `à Messine`, `en Lorraine`


def refine(lex: Lexicon, record: Record, spans: list[Span]) -> list[Span]:
    art = Article.of(record)
    words = art.words
    common = set(lex.common_acronyms)
    common.update(acr for _a, _b, acr, label in expansions(lex, art) if label is None)
    used = {w for w in words if is_acronym(w) and w.isupper() and w not in common}
    lower = {w for w in words if w.islower()}
    clubs = _club_places(lex, words)
    out: list[Span] = []
    covered: list[tuple[int, int]] = []
    for span in spans:
        where = art.index(span)
        if where is None:
            out.append(span)
            continue
        a, b = where
        label = span.label
        while a < b:
            if a + 1 < b and words[a + 1] == "-":
                break  # `Mère-Henry`, `Père-Lachaise`: a name, no title
            if is_title(lex, words[a], b - a - 1):
                label = "PER"
            elif not (words[a] in lex.demonyms and b - a > 1):
                break
            a += 1
        # `Le Cristal du long métrage`, `La Commission européenne` opening a sentence
        if b - a > 1 and words[a] in ("Le", "La", "Les", "L'") and words[a + 1] in lex.heads:
            a += 1
        if a == b or in_title_phrase(lex, words, a, b) or _office_domain(lex, words, a, b):
            continue
        surface = tuple(words[a:b])
        if b - a == 1 and (
            surface[0] in common or _people(lex, words, a) or _heading(art, a, lower)
        ):
            continue
        if b - a == 1 and a and words[a - 1] in lex.titles:
            label = "PER"
        else:
            label = _relabel(lex, words, a, b, label, clubs)
        b = _cut(lex, words, a, b, used)
        out.append(replace(span, start=art.starts[a], end=art.ends[b - 1], label=label))
        covered.append((a, b))
    out += _announced(lex, art, covered)
    return out


def _office_domain(lex: Lexicon, words: Sequence[str], a: int, b: int) -> bool:
    """`ministre de la Culture`, `ministres européens de l'Espace`: one capitalised word
    after an office and its `de`, which names the office's domain, not an entity."""
    if b - a != 1 or a < 2:
        return False
    k = a - 1
    if words[k] in ("la", "l'", "les"):
        k -= 1
    if k < 1 or words[k] not in ("de", "d'", "des", "du"):
        return False
    k -= 1
    if words[k].islower() and k and words[k].lower() not in lex.office_nouns:
        k -= 1  # an adjective between: `ministres européens de l'Espace`
    return words[k].lower() in lex.office_nouns


def _people(lex: Lexicon, words: Sequence[str], a: int) -> bool:
    """A demonym alone that names people, no entity: a plural (`les Allemands`), or a singular
    anywhere but right after a preposition of place, where it is a place's name that a
    demonym's form spells (`à Messine`; the countries and regions the lexicon knows are no
    demonyms at all: `la Suisse`, `l'Argentine`)."""
    word = words[a]
    if word in lex.plural_demonyms:
        return True
    return word in lex.demonyms and not (a and words[a - 1].lower() in LOCATIVES)


def _heading(art: Article, a: int, lower: set[str]) -> bool:
    """A capitalised common noun opening a line, written in lowercase elsewhere in the
    article: a heading or rubric word (`FOOTBALL`, `Santé`). Not at a sentence's start,
    where a name may be a common noun too (`Total a annoncé… au total`)."""
    word = art.words[a]
    return art.line_start[a] and word.lower() != word and word.lower() in lower


def _club_places(lex: Lexicon, words: Sequence[str]) -> set[str]:
    """`Lens` when the article names `RC Lens` (or `Toulouse FC`)."""
    clubs = set()
    for k in range(len(words) - 1):
        if words[k] in lex.club_designators and capitalised(words[k + 1]):
            clubs.add(words[k + 1])
        after = words[k + 1] in lex.club_designators
        if after and capitalised(words[k]) and words[k].lower() not in DETERMINERS | FUNCTION:
            clubs.add(words[k])
    return clubs


def _context_label(lex: Lexicon, words: Sequence[str], a: int) -> str | None:
    """What the words before a name say it is: `la banque X`, `le studio bordelais X`
    (ORG), `le cinéaste japonais X`, `son porte-parole, X` (PER), `la toulousaine X` (ORG),
    `la commune de X` (LOC: a territory's noun, never a facility's, `l'usine de X` naming
    its owner as often as its place)."""
    k = a - 1
    if k >= 1 and words[k] in ("de", "d'", "du") and _noun(words, k - 1) in lex.place_nouns:
        return "LOC"
    comma = k >= 0 and words[k] == ","
    if comma:
        k -= 1
    skipped = 0
    while k >= 0 and skipped < 3:
        w, noun = words[k], _noun(words, k)
        if w in lex.titles:
            return "PER"
        if not comma and noun in lex.org_nouns:
            return "ORG"
        if noun in lex.person_nouns:
            return "PER"
        if not comma and w in lex.feminine_demonyms and k and words[k - 1] in ("la", "l'"):
            return "ORG"
        if not w.islower() or w in FUNCTION or w in DETERMINERS:
            return None
        k, skipped = k - 1, skipped + 1
    return None


def _noun(words: Sequence[str], k: int) -> str:
    """The word ending at `k`, with the word before it when the two make one noun that the
    tokenizer split (`start - up`, `jeune pousse`)."""
    w = words[k].lower()
    if k >= 2 and words[k - 1] == "-":
        return f"{words[k - 2].lower()}-{w}"
    if k >= 1 and words[k - 1].islower():
        pair = f"{words[k - 1].lower()} {w}"
        if pair in COMPOUNDS:
            return pair
    return w


def _relabel(
    lex: Lexicon, words: Sequence[str], a: int, b: int, label: str, clubs: set[str]
) -> str:
    head = words[a]
    if a and words[a - 1] in lex.titles:
        return "PER"
    evidence = _context_label(lex, words, a)
    if evidence == "PER" and b - a >= 2 and label in ("PER", "MISC", "LOC"):
        return "PER"
    if evidence == "ORG" and label in ("PER", "MISC", "LOC"):
        return "ORG"
    if evidence == "LOC" and label == "MISC":
        return "LOC"  # a place noun's name may be its municipality or a person: PER, ORG stay
    if b - a >= 2 and any(w in lex.designators for w in words[a + 1 : b]):
        return "ORG"
    if head in lex.event_heads or head in lex.law_heads:
        return "MISC"
    if head in lex.institution_heads and head not in PLACE_LIKE_HEADS and label != "ORG":
        return "ORG"
    if b - a == 1 and head in clubs:
        return "ORG"
    acronym = is_acronym(head) and head.isupper() and head not in COUNTRY_ACRONYMS
    if b - a == 1 and label in ("PER", "LOC") and acronym:
        return "ORG"
    return label


def _cut(lex: Lexicon, words: Sequence[str], a: int, b: int, used: set[str]) -> int:
    """The end of the longest proper prefix of the span that spells an acronym the article
    uses, or the span's own end."""
    if b - a < 3 or not used:
        return b
    for end in range(b - 1, a + 1, -1):
        if capitalised(words[end - 1]) and end - 1 > a:
            continue  # no cut inside a run of names (`Banque Delorme | Privatbank`)
        prefix = words[a:end]
        if words[end - 1].lower() in lex.function_words:
            continue
        if any(spells(prefix, acronym, lex.function_words) for acronym in used):
            return end
    return b


def _announced(lex: Lexicon, art: Article, covered: list[tuple[int, int]]) -> Iterator[Span]:
    """Names a type noun announces that the model did not find."""
    words, taken = art.words, [False] * len(art.words)
    for a, b in covered:
        for k in range(a, b):
            taken[k] = True
    for i, w in enumerate(words):
        if taken[i] or not capitalised(w) or w.lower() in DETERMINERS | FUNCTION:
            continue
        if i and (capitalised(words[i - 1]) or words[i - 1] in ("-", "&")):
            continue  # not the start of a name
        label = _context_label(lex, words, i)
        if label is None or words[i - 1] in lex.titles:
            continue
        end = name_end(lex, words, i, particle_start=False)
        if end == i or any(taken[k] for k in range(i, end)):
            continue
        if label == "PER" and end - i < 2:
            continue  # a first name and a surname at least
        if end - i == 1 and words[i] in lex.common_acronyms:
            continue
        for k in range(i, end):
            taken[k] = True
        yield art.span(i, end, label)
