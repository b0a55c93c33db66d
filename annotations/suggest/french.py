"""French context rules: what a name's surroundings in the article say about it.

Plain Python over the record's tokens (no spaCy), words from `data/french-words.json`.

`FrenchContext.suggest` finds spans in the text alone (source `rules:context-fr`):
- a title before a name: `Mme Hélène Marchetti` is PER `Hélène Marchetti` (the title stays
  outside), particles stay in (`M. de Villiers` → `de Villiers`, `M. Le Meur` → `Le Meur`);
- an expansion before its acronym: `Autorité des marchés financiers (AMF)` makes both, and the
  acronym's other mentions, one ORG (MISC for a law or policy: `Politique agricole commune`);
- a quoted title after or before a work noun: `le court métrage « Ferraille »` is a MISC, and
  so are its other mentions.

`FrenchContext.refine` corrects the model's spans of one article:
- titles leave the span (a span that started with one is a PER); a span inside a title phrase
  (`garde des Sceaux`, `président de la République`) or made of titles only is dropped;
- dropped too: a common-noun acronym alone (`OPA`, `TGV`, and any acronym the article expands
  in lowercase: `offre publique d'achat (OPA)`), a demonym (`les Allemands`), a heading word
  (`Santé` at a line's start when the article also writes `santé`);
- labels from the context: a name after a type noun is what the noun says (`la banque X`,
  `le studio bordelais X` → ORG; `le cinéaste japonais X`, `son porte-parole, X` → PER), after a
  feminine demonym (`la toulousaine X`) an ORG; a name holding a designator (`Berthier BTP`) or
  starting with an institution head (`Cour de cassation`) is an ORG, with an event or law head
  (`Salon de l'agriculture`, `Règlement général...`) a MISC; an acronym the model calls a person
  or a place (`KHNP`, `RN`) is an ORG; `RC Lens` in the article makes its bare `Lens` the club;
- a span running past the expansion of an acronym the article uses is cut to it (`Réseau de
  transport d'électricité plaide` with `RTE`).
A name the type noun announces and the model missed is added (source `rules:context-fr`).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any

import orjson

from annotations.records import Record, Span, Token
from annotations.suggest.normalize import normalize
from annotations.suggest.patterns import DATA
from annotations.tokenize import tokenize

SOURCE = "rules:context-fr"
WORDS_FILE = DATA / "french-words.json"
# honorifics may introduce a name starting with its particle (`M. de Villiers`); the other
# titles (`Président`, `PDG`) are also common nouns, and need a capitalised name after them
HONORIFICS = frozenset([
    "M.", "MM.", "Mme", "Mmes", "Mlle", "Mlles", "Me", "Maître", "Dr", "Dr.", "Pr", "Pr.", "Mgr",
    "Monsieur", "Madame", "Mademoiselle", "Messieurs",
])  # fmt: skip
PLURAL_TITLES = frozenset(["MM.", "Mmes", "Mlles", "Messieurs"])
DETERMINERS = frozenset([
    "le", "la", "l'", "les", "un", "une", "son", "sa", "ses", "leur", "leurs", "ce", "cette", "cet",
    "du", "au", "aux", "des", "notre", "nos", "votre",
])  # fmt: skip
FUNCTION = frozenset([
    "de", "du", "des", "d'", "la", "le", "les", "l'", "et", "ou", "à", "au", "aux", "en", "sur", "par",
    "pour", "contre", "avec", "dans", "qui", "que", "qu'", "dont", "où", "ne", "n'", "se", "s'", "a",
    "est", "sont", "ont", "été", "un", "une", "ce", "c'", "il", "elle", "y",
])  # fmt: skip
SENTENCE_END = frozenset([".", "!", "?", "…", ":", ";"])
QUOTES = frozenset(['"', "«", "»"])
COUNTRY_ACRONYMS = frozenset(["USA", "US", "UK", "RDC", "RCA", "EAU", "URSS", "RFA", "RDA"])
# heads of a name that is a place as often as an institution (`Centre spatial guyanais`)
PLACE_LIKE_HEADS = frozenset([
    "Centre", "Musée", "Université", "École", "Collège", "Conservatoire", "Bibliothèque",
    "Archives", "Cinémathèque", "Académie", "Mairie", "Préfecture",
])  # fmt: skip
# nouns the tokenizer keeps apart that make one type noun (`la jeune pousse X`)
COMPOUNDS = frozenset(["jeune pousse", "think tank", "chantier naval"])


@dataclass(frozen=True)
class Lexicon:
    titles: frozenset[str]
    title_phrases: tuple[tuple[str, ...], ...]
    person_nouns: frozenset[str]
    org_nouns: frozenset[str]
    designators: frozenset[str]
    club_designators: frozenset[str]
    common_acronyms: frozenset[str]
    demonyms: frozenset[str]
    feminine_demonyms: frozenset[str]  # lowercase: `la toulousaine X`
    institution_heads: frozenset[str]
    institution_nouns: frozenset[str]  # lowercase: `parquet national financier (PNF)`
    event_heads: frozenset[str]
    law_heads: frozenset[str]
    work_nouns: frozenset[str]
    function_words: frozenset[str]
    particles: frozenset[str]
    office_nouns: frozenset[str]
    place_nouns: frozenset[str]
    award_heads: frozenset[str]


def demonym_forms(base: str) -> set[str]:
    """A demonym's masculine and feminine, singular and plural: `Allemand` → `Allemandes`..."""
    if base.endswith(("ais", "ois", "s")):
        return {base, base + "e", base + "es"}
    if base.endswith(("en", "on")):
        return {base, base + "s", base + "ne", base + "nes"}
    if base.endswith("al"):
        return {base, base[:-2] + "aux", base + "e", base + "es"}
    if base.endswith("c"):  # Grec, Turc
        return {base, base + "s", base[:-1] + "que", base[:-1] + "ques"}
    if base.endswith("e"):
        return {base, base + "s"}
    return {base, base + "s", base + "e", base + "es"}


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    raw: dict[str, Any] = orjson.loads(WORDS_FILE.read_bytes())

    def words(key: str) -> frozenset[str]:
        return frozenset(normalize(w) for w in raw[key])

    demonyms = {form for base in raw["demonyms"] for form in demonym_forms(base)}
    return Lexicon(
        titles=words("titles"),
        title_phrases=tuple(phrase_words(normalize(p)) for p in raw["title_phrases"]),
        person_nouns=words("person_nouns"),
        org_nouns=words("org_nouns"),
        designators=words("designators"),
        club_designators=words("club_designators"),
        common_acronyms=words("common_acronyms"),
        demonyms=frozenset(demonyms),
        feminine_demonyms=frozenset(d.lower() for d in demonyms if d.endswith(("e", "es"))),
        institution_heads=words("institution_heads"),
        institution_nouns=words("institution_nouns"),
        event_heads=words("event_heads"),
        law_heads=words("law_heads"),
        work_nouns=words("work_nouns"),
        function_words=words("function_words"),
        particles=words("particles"),
        office_nouns=words("office_nouns"),
        place_nouns=words("place_nouns"),
        award_heads=words("award_heads"),
    )


def phrase_words(phrase: str) -> tuple[str, ...]:
    """The tokenizer's words for a plain phrase (`chef de l'État` → chef, de, l', État), without
    loading it: words and elided articles (a test holds this to the tokenizer)."""
    return tuple(re.findall(r"\w+'|[\w-]+|[^\w\s]", phrase))


def capitalised(word: str) -> bool:
    return word[:1].isupper()


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


@dataclass
class Article:
    """One record's words (normalised, whitespace tokens left out) and their offsets."""

    text: str
    words: list[str]
    starts: list[int]
    ends: list[int]
    line_start: list[bool]

    @classmethod
    def of(cls, record: Record) -> Article:
        tokens: Sequence[Token] = (
            record.tokens if record.tokens is not None else tokenize(record.text)
        )
        text = normalize(record.text)
        kept = [t for t in tokens if text[t.start : t.end].strip()]
        line_start = []
        for k, t in enumerate(kept):
            before = text[kept[k - 1].end : t.start] if k else text[: t.start]
            line_start.append(k == 0 or "\n" in before)
        return cls(
            text,
            [text[t.start : t.end] for t in kept],
            [t.start for t in kept],
            [t.end for t in kept],
            line_start,
        )

    def span(self, a: int, b: int, label: str, source: str = SOURCE) -> Span:
        return Span(self.starts[a], self.ends[b - 1], label, source=source)

    def index(self, span: Span) -> tuple[int, int] | None:
        """The words a span covers exactly, or None when its edges are not word edges."""
        a = bisect.bisect_left(self.starts, span.start)
        b = bisect.bisect_left(self.ends, span.end)
        inside = a < len(self.starts) and b < len(self.ends) and a <= b
        if inside and self.starts[a] == span.start and self.ends[b] == span.end:
            return a, b + 1
        return None


class FrenchContext:
    name = SOURCE

    def __init__(self) -> None:
        self.lex = lexicon()
        lex = self.lex
        self.heads = lex.institution_heads | lex.event_heads | lex.law_heads | lex.award_heads

    # ---------------------------------------------------------------- spans from the text
    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        out = []
        for record in records:
            art = Article.of(record)
            spans = list(self._titled(art)) + list(self._expanded(art)) + list(self._works(art))
            out.append(spans)
        return out

    def name_end(self, words: Sequence[str], i: int, particle_start: bool = True) -> int:
        """The end of the name starting at word `i` (i itself when there is none): capitalised
        words, with particles and hyphens between them (`Arnaud de Villiers`, `Van den
        Berghe`, `Sablé - Maurin`), at most six words; an all-capitals word ends it (`M.
        POINCARÉ Paris`: a dateline follows), and so does an initial alone (`M. X.`)."""
        lex, n, j, end = self.lex, len(words), i, i
        while j < n and j - i < 6:
            w = words[j]
            if self._name_word(w):
                j = end = j + 1
                if (w.isupper() and len(w) > 1 and j - i > 1) or (w.isupper() and len(w) > 3):
                    break
            elif w in ("Le", "La") and j + 1 < n and self._name_word(words[j + 1]):
                j += 1  # `Le Gall`, `Théo Le Gall`
            elif w.lower() in lex.particles and (j > i or particle_start):
                nxt = words[j + 1] if j + 1 < n else ""
                after = words[j + 2] if j + 2 < n else ""
                if self._name_word(nxt):
                    j += 1
                elif nxt in ("la", "le", "La", "Le") and self._name_word(after):
                    j += 2  # `de la Fontaine`, `de La Fontaine`
                else:
                    break
            elif w in ("-", "&") and end == j > i and j + 1 < n and self._name_word(words[j + 1]):
                j += 1
            else:
                break
        if end == i + 1 and len(words[i]) == 2 and words[i].endswith("."):
            return i  # an initial alone
        return end

    @staticmethod
    def _name_word(word: str) -> bool:
        return (
            capitalised(word)
            and word.lower() not in DETERMINERS | FUNCTION | {"et"}
            and not word.endswith("'")
        )

    def _in_title_phrase(self, words: Sequence[str], a: int, b: int) -> bool:
        for phrase in self.lex.title_phrases:
            m = len(phrase)
            for s in range(max(0, b - m), a + 1):
                if tuple(words[s : s + m]) == phrase and s <= a and b <= s + m:
                    return True
        return False

    def _titled(self, art: Article) -> Iterator[Span]:
        words, lex = art.words, self.lex
        for i, w in enumerate(words):
            if w not in lex.titles or i + 1 >= len(words):
                continue
            start = i + 1
            while True:
                end = self.name_end(words, start, particle_start=w in HONORIFICS)
                if end > start and not self._in_title_phrase(words, i, end):
                    yield art.span(start, end, "PER")
                # `MM. Dupont, Durand et Martin`: one person after another
                if w not in PLURAL_TITLES or end == start or end >= len(words):
                    break
                if words[end] in (",", "et") and end + 1 < len(words):
                    start = end + 1
                else:
                    break

    def acronyms(self, art: Article) -> Iterator[tuple[int, int, str, str | None]]:
        """(start, end, acronym, label) for each `Expansion (ACRONYM)`; the label is None when
        the expansion is a common noun (`offre publique d'achat (OPA)`)."""
        words, lex = art.words, self.lex
        for i, w in enumerate(words):
            if w != "(" or i + 2 >= len(words) or words[i + 2] != ")":
                continue
            acronym = words[i + 1]
            if not is_acronym(acronym):
                continue
            found = self._expansion(words, i, acronym)
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

    def _expansion(self, words: Sequence[str], paren: int, acronym: str) -> tuple[int, int] | None:
        fw = self.lex.function_words
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

    def _expanded(self, art: Article) -> Iterator[Span]:
        for a, b, acronym, label in self.acronyms(art):
            if label is None:
                continue
            yield art.span(a, b, label)
            for k, w in enumerate(art.words):
                if w == acronym:
                    yield art.span(k, k + 1, label)

    def _works(self, art: Article) -> Iterator[Span]:
        words, lex = art.words, self.lex
        titles: set[tuple[str, ...]] = set()
        for i, w in enumerate(words):
            if w not in QUOTES:
                continue
            close = next(
                (j for j in range(i + 1, min(i + 14, len(words))) if words[j] in QUOTES), None
            )
            if close is None or close == i + 1 or not capitalised(words[i + 1]):
                continue
            before = [x.lower() for x in words[max(0, i - 3) : i]]
            after = [x.lower() for x in words[close + 1 : close + 5]]
            noun_before = any(x in lex.work_nouns for x in before[-3:]) and not any(
                x in SENTENCE_END for x in before
            )
            noun_after = (
                bool(after) and after[0] == "," and any(x in lex.work_nouns for x in after[1:])
            )
            if noun_before or noun_after:
                titles.add(tuple(words[i + 1 : close]))
        for title in titles:
            m = len(title)
            for k in range(len(words) - m + 1):
                if tuple(words[k : k + m]) == title:
                    yield art.span(k, k + m, "MISC")

    # ---------------------------------------------------------------- the model's spans
    def refine(self, record: Record, spans: list[Span]) -> list[Span]:
        art = Article.of(record)
        words, lex = art.words, self.lex
        common = set(lex.common_acronyms)
        common.update(acr for _a, _b, acr, label in self.acronyms(art) if label is None)
        used = {w for w in words if is_acronym(w) and w.isupper() and w not in common}
        lower = {w for w in words if w.islower()}
        clubs = self._club_places(words)
        out: list[Span] = []
        covered: list[tuple[int, int]] = []
        for span in spans:
            where = art.index(span)
            if where is None:
                out.append(span)
                continue
            a, b = where
            label = span.label
            while a < b and (words[a] in lex.titles or (words[a] in lex.demonyms and b - a > 1)):
                if words[a] in lex.titles:
                    label = "PER"
                a += 1
            # `Le Cristal du long métrage`, `La Commission européenne` opening a sentence
            if b - a > 1 and words[a] in ("Le", "La", "Les", "L'") and words[a + 1] in self.heads:
                a += 1
            if a == b or self._in_title_phrase(words, a, b) or self._office_domain(words, a, b):
                continue
            surface = tuple(words[a:b])
            if b - a == 1 and (
                surface[0] in common or surface[0] in lex.demonyms or self._heading(art, a, lower)
            ):
                continue
            if b - a == 1 and a and words[a - 1] in lex.titles:
                label = "PER"
            else:
                label = self._relabel(words, a, b, label, clubs)
            b = self._cut(words, a, b, used)
            out.append(replace(span, start=art.starts[a], end=art.ends[b - 1], label=label))
            covered.append((a, b))
        out += self._announced(art, covered)
        return out

    def _office_domain(self, words: Sequence[str], a: int, b: int) -> bool:
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
        if words[k].islower() and k and words[k].lower() not in self.lex.office_nouns:
            k -= 1  # an adjective between: `ministres européens de l'Espace`
        return words[k].lower() in self.lex.office_nouns

    def _heading(self, art: Article, a: int, lower: set[str]) -> bool:
        """A capitalised common noun opening a line, written in lowercase elsewhere in the
        article: a heading or rubric word (`FOOTBALL`, `Santé`). Not at a sentence's start,
        where a name may be a common noun too (`Total a annoncé… au total`)."""
        word = art.words[a]
        return art.line_start[a] and word.lower() != word and word.lower() in lower

    def _club_places(self, words: Sequence[str]) -> set[str]:
        """`Lens` when the article names `RC Lens` (or `Toulouse FC`)."""
        clubs = set()
        for k in range(len(words) - 1):
            if words[k] in self.lex.club_designators and capitalised(words[k + 1]):
                clubs.add(words[k + 1])
            after = words[k + 1] in self.lex.club_designators
            if after and capitalised(words[k]) and words[k].lower() not in DETERMINERS | FUNCTION:
                clubs.add(words[k])
        return clubs

    def _context_label(self, words: Sequence[str], a: int) -> str | None:
        """What the words before a name say it is: `la banque X`, `le studio bordelais X`
        (ORG), `le cinéaste japonais X`, `son porte-parole, X` (PER), `la toulousaine X` (ORG),
        `le site de X` (LOC)."""
        lex, k = self.lex, a - 1
        if (
            k >= 1
            and words[k] in ("de", "d'", "du")
            and self._noun(words, k - 1) in lex.place_nouns
        ):
            return "LOC"
        comma = k >= 0 and words[k] == ","
        if comma:
            k -= 1
        skipped = 0
        while k >= 0 and skipped < 3:
            w, noun = words[k], self._noun(words, k)
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

    @staticmethod
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

    def _relabel(self, words: Sequence[str], a: int, b: int, label: str, clubs: set[str]) -> str:
        lex, head = self.lex, words[a]
        if a and words[a - 1] in lex.titles:
            return "PER"
        evidence = self._context_label(words, a)
        if evidence == "PER" and b - a >= 2 and label in ("PER", "MISC", "LOC"):
            return "PER"
        if evidence == "ORG" and label in ("PER", "MISC", "LOC"):
            return "ORG"
        if evidence == "LOC" and label in ("ORG", "PER", "MISC"):
            return "LOC"
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

    def _cut(self, words: Sequence[str], a: int, b: int, used: set[str]) -> int:
        """The end of the longest proper prefix of the span that spells an acronym the article
        uses, or the span's own end."""
        if b - a < 3 or not used:
            return b
        for end in range(b - 1, a + 1, -1):
            if capitalised(words[end - 1]) and end - 1 > a:
                continue  # no cut inside a run of names (`Banque Delorme | Privatbank`)
            prefix = words[a:end]
            if words[end - 1].lower() in self.lex.function_words:
                continue
            if any(spells(prefix, acronym, self.lex.function_words) for acronym in used):
                return end
        return b

    def _announced(self, art: Article, covered: list[tuple[int, int]]) -> Iterator[Span]:
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
            label = self._context_label(words, i)
            if label is None or words[i - 1] in self.lex.titles:
                continue
            end = self.name_end(words, i, particle_start=False)
            if end == i or any(taken[k] for k in range(i, end)):
                continue
            if label == "PER" and end - i < 2:
                continue  # a first name and a surname at least
            if end - i == 1 and words[i] in self.lex.common_acronyms:
                continue
            for k in range(i, end):
                taken[k] = True
            yield art.span(i, end, label)
