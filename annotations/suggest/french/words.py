"""The words the French context rules know: the closed classes written here (honorifics,
determiners, function words...) and the lists of `data/french-words.json`, loaded once by
`lexicon()`, normalised and split as the tokenizer would split them, without loading it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from annotations.suggest.normalize import normalize
from annotations.suggest.patterns import DATA

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
    titles: frozenset[str]  # the kinship titles included
    kinship_titles: frozenset[str]  # titles before a full name only: `Père Noël` is a name
    title_phrases: tuple[tuple[str, ...], ...]
    person_nouns: frozenset[str]
    org_nouns: frozenset[str]
    designators: frozenset[str]
    club_designators: frozenset[str]
    common_acronyms: frozenset[str]
    demonyms: frozenset[str]  # no place's name among them: `Suisse`, `Argentine` are places
    plural_demonyms: frozenset[str]  # `Allemands`, `Françaises`: people, wherever they stand
    feminine_demonyms: frozenset[str]  # lowercase: `la toulousaine X`
    place_names: frozenset[str]  # countries, regions, continents
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
    # the four kinds of heads: a sentence's `Le`/`La` before one is not part of the name
    heads: frozenset[str]


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

    places = words("place_names")
    inflected = {(base, form) for base in raw["demonyms"] for form in demonym_forms(base)}
    demonyms = {form for _base, form in inflected}
    plurals = {form for base, form in inflected if form != base and form.endswith(("s", "x"))}
    kinship = words("kinship_titles")
    institution_heads, event_heads = words("institution_heads"), words("event_heads")
    law_heads, award_heads = words("law_heads"), words("award_heads")
    return Lexicon(
        titles=words("titles") | kinship,
        kinship_titles=kinship,
        title_phrases=tuple(phrase_words(normalize(p)) for p in raw["title_phrases"]),
        person_nouns=words("person_nouns"),
        org_nouns=words("org_nouns"),
        designators=words("designators"),
        club_designators=words("club_designators"),
        common_acronyms=words("common_acronyms"),
        demonyms=frozenset(demonyms - places),
        plural_demonyms=frozenset(plurals - places),
        feminine_demonyms=frozenset(d.lower() for d in demonyms if d.endswith(("e", "es"))),
        place_names=places,
        institution_heads=institution_heads,
        institution_nouns=words("institution_nouns"),
        event_heads=event_heads,
        law_heads=law_heads,
        work_nouns=words("work_nouns"),
        function_words=words("function_words"),
        particles=words("particles"),
        office_nouns=words("office_nouns"),
        place_nouns=words("place_nouns"),
        award_heads=award_heads,
        heads=institution_heads | event_heads | law_heads | award_heads,
    )


def phrase_words(phrase: str) -> tuple[str, ...]:
    """The tokenizer's words for a plain phrase (`chef de l'État` → chef, de, l', État), without
    loading it: words and elided articles (a test holds this to the tokenizer)."""
    return tuple(re.findall(r"\w+'|[\w-]+|[^\w\s]", phrase))
