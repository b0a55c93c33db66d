"""The French rules for names, one rule kind at a time, without the model: the token patterns
(institutions, clubs, designators, seats, laws, treaties, competitions, events, date ranges and
periods, currencies), the context rules on the text alone (titles, acronyms, works), and their
corrections of the model's spans, which the tests give by hand as the model would."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from annotations.labels import load_scheme
from annotations.records import Record, Span
from annotations.suggest.chain import Chain
from annotations.suggest.french import FrenchContext
from annotations.suggest.french.acronyms import spells
from annotations.suggest.patterns import PatternSuggester
from annotations.suggest.rules import french_rules


@pytest.fixture(scope="module")
def rules() -> PatternSuggester:
    return french_rules()


@pytest.fixture(scope="module")
def context() -> FrenchContext:
    return FrenchContext()


def found(suggester: PatternSuggester | FrenchContext, text: str) -> list[tuple[str, str]]:
    (spans,) = suggester.suggest([Record(text=text)])
    return sorted((text[s.start : s.end], s.label) for s in spans)


def model(text: str, *spans: tuple[str, str]) -> list[Span]:
    """Spans as the model would give them: each (surface, label) at its first mention."""
    out = []
    for surface, label in spans:
        at = text.index(surface)
        out.append(Span(at, at + len(surface), label, source="model:test"))
    return out


def refined(context: FrenchContext, text: str, *spans: tuple[str, str]) -> list[tuple[str, str]]:
    record = Record(text=text)
    out = context.refine(record, model(text, *spans))
    return sorted((text[s.start : s.end], s.label) for s in out)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an institution with a place or a domain in its name is one ORG, the place included
        (
            "Le tribunal judiciaire de Nanterre a condamné",
            [("tribunal judiciaire de Nanterre", "ORG")],
        ),
        ("rejugé par la cour d’appel de Versailles,", [("cour d’appel de Versailles", "ORG")]),
        (
            "le conseil départemental du Pas-de-Calais",
            [("conseil départemental du Pas-de-Calais", "ORG")],
        ),
        (
            "la chambre régionale des comptes d’Île-de-France",
            [("chambre régionale des comptes d’Île-de-France", "ORG")],
        ),
        (
            "Le ministère de l’Économie et des Finances",
            [("ministère de l’Économie et des Finances", "ORG")],
        ),
        ("La Cour des comptes estime que", [("Cour des comptes", "ORG")]),
        ("Le Conseil constitutionnel pourrait", [("Conseil constitutionnel", "ORG")]),
        ("la Commission européenne pendant deux ans", [("Commission européenne", "ORG")]),
        (
            "l’Autorité des marchés financiers examinera",
            [("Autorité des marchés financiers", "ORG")],
        ),
        (
            "la Haute Autorité pour la transparence de la vie publique",
            [("Haute Autorité pour la transparence de la vie publique", "ORG")],
        ),
        # not a city centre, nor a facility named like one
        ("dans le centre de Paris, le Centre spatial guyanais", []),
        # clubs, company designators, seats standing for their institution
        ("à deux points du Stade rennais.", [("Stade rennais", "ORG")]),
        ("il affrontera le Toulouse FC", [("Toulouse FC", "ORG")]),
        ("avec la société Berthier BTP, 1,4", [("Berthier BTP", "ORG")]),
        ("Selon Vinci Autoroutes, la hausse", [("Vinci Autoroutes", "ORG")]),
        ("une OPA sur le courtier Fontaine & Associés", [("Fontaine & Associés", "ORG")]),
        ("Matignon a multiplié les rencontres", [("Matignon", "ORG")]),
        # laws, treaties, competitions, events, awards
        ("une application stricte de la loi Egalim, censée", [("loi Egalim", "MISC")]),
        ("le respect de l’accord de Paris sur le climat", [("accord de Paris", "MISC")]),
        ("la course à la Ligue des champions", [("Ligue des champions", "MISC")]),
        (
            "avant l’Euro 2028 et la Coupe du monde 2030",
            [("Coupe du monde 2030", "MISC"), ("Euro 2028", "MISC")],
        ),
        ("la Ligue de football professionnel", []),  # no competition (nor a league, without LFP)
        ("Le Festival de Cannes a primé", [("Festival de Cannes", "MISC")]),
        ("la Palme d’or", [("Palme d’or", "MISC")]),
        # date ranges and periods are one DATE
        ("du 12 au 23 mai", [("du 12 au 23 mai", "DATE")]),
        ("du 1er mars au 30 juin, 11 200 appels", [("du 1er mars au 30 juin", "DATE")]),
        ("des marchés publics de 2016 à 2020.", [("de 2016 à 2020", "DATE")]),
        ("jusqu’au bout de la saison 2025-2026, avec", [("2025-2026", "DATE")]),
        ("au premier semestre 2026.", [("premier semestre 2026", "DATE")]),
        ("dans les Cévennes des années 1950", [("années 1950", "DATE")]),
        ("de janvier à mars 2026", [("de janvier à mars 2026", "DATE")]),
        # abbreviated amounts, multi-word currencies
        ("pour environ 25 M€, ce qui", [("25 M€", "MONEY")]),
        ("une enveloppe de 3,5 Md€ et 800 k€", [("3,5 Md€", "MONEY"), ("800 k€", "MONEY")]),
        ("estimé à 180 millions de francs suisses.", [("180 millions de francs suisses", "MONEY")]),
        (
            "dépasse 46 milliards de livres sterling,",
            [("46 milliards de livres sterling", "MONEY")],
        ),
        ("à 1,1 milliard de dollars canadiens", [("1,1 milliard de dollars canadiens", "MONEY")]),
        # what they must leave alone: a lowercase head with no institutional modifier, before
        # a first name or a noun; a capitalised head before a noun with an adjective's ending
        ("Les cours de Bourse ont chuté.", []),
        ("Il entre dans la chambre de Marie.", []),
        ("Il entre dans la chambre de Marie Dupont.", []),
        ("Elle a vidé la caisse de Pierre hier.", []),
        ("Le comité de Julien a voté.", []),
        ("l’école de Jules Ferry a vécu", []),
        ("l’orchestre de Karajan jouait", []),
        ("le ministère de Bruno Le Maire a tranché", []),
        ("la mairie de Anne Hidalgo a répondu", []),
        ("La Haute tension persiste.", []),
        ("Haute saison pour les plages.", []),
        ("La Caisse enregistreuse est en panne.", []),
        ("Le Front pionnier avance.", []),
        # a head that names an administration of its place, with the place and no modifier
        ("La préfecture du Pas-de-Calais n’a pas", [("préfecture du Pas-de-Calais", "ORG")]),
        ("avec l’université de Montpellier pour", [("université de Montpellier", "ORG")]),
        ("Le rectorat de Lille a recruté", [("rectorat de Lille", "ORG")]),
        ("Le ministère des Armées y voit", [("ministère des Armées", "ORG")]),
        # any head with an institutional modifier
        ("la chambre d’agriculture du Cantal", [("chambre d’agriculture du Cantal", "ORG")]),
        (
            "la caisse primaire d’assurance maladie de Lyon",
            [("caisse primaire d’assurance maladie de Lyon", "ORG")],
        ),
        # a capitalised head with an institution's adjective
        ("Le Front national a changé de nom", [("Front national", "ORG")]),
        ("La Confédération paysanne annonce", [("Confédération paysanne", "ORG")]),
    ],
)
def test_rules(rules: PatternSuggester, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(rules, text) == sorted(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a title is outside the PER span; particles are inside
        ("a déclaré Mme Hélène Marchetti, directrice", [("Hélène Marchetti", "PER")]),
        ("Le fondateur, M. Arnaud de Villiers, qui", [("Arnaud de Villiers", "PER")]),
        ("selon M. de Villepin.", [("de Villepin", "PER")]),
        ("permet à M. Le Meur de se présenter", [("Le Meur", "PER")]),
        ("son avocate, Me Sophie Kervella, à la", [("Sophie Kervella", "PER")]),
        ("la Pr Isabelle Ngo-Tranh, ancienne", [("Isabelle Ngo-Tranh", "PER")]),
        ("le PDG Mark Zuckerberg", [("Mark Zuckerberg", "PER")]),
        ("MM. Dupont, Durand et Martin", [("Dupont", "PER"), ("Durand", "PER"), ("Martin", "PER")]),
        # no name after the title
        ("Faites donc, M. le Procureur.", []),
        ("le PDG d’Arianespace, et le garde des Sceaux", []),
        ("en remplacement de M. X. hier", []),
        # an expansion and its acronym are one entity, and so are the acronym's other mentions
        (
            "l’Autorité des marchés financiers (AMF) tranchera. Si l’AMF donne son accord",
            [("AMF", "ORG"), ("AMF", "ORG"), ("Autorité des marchés financiers", "ORG")],
        ),
        (
            "À gauche, La France insoumise (LFI) a déposé",
            [("LFI", "ORG"), ("La France insoumise", "ORG")],
        ),
        (
            "par le parquet national financier (PNF) après",
            [("PNF", "ORG"), ("parquet national financier", "ORG")],
        ),
        (
            "financée par la Politique agricole commune (PAC).",
            [("PAC", "MISC"), ("Politique agricole commune", "MISC")],
        ),
        (
            "par l’Agence régionale de santé Occitanie (ARS), doit",
            [("ARS", "ORG"), ("Agence régionale de santé Occitanie", "ORG")],
        ),
        # an acronym of a common noun is no entity
        ("le dépôt d’une offre publique d’achat (OPA) amicale. L’OPA intervient", []),
        # a quoted title after or before a work noun, and its other mentions
        ("le court métrage « Ferraille » du Belge", [("Ferraille", "MISC")]),
        (
            "« La Nuit des lucioles » triomphe. Le prix va à « La Nuit des lucioles », premier film",
            [("La Nuit des lucioles", "MISC"), ("La Nuit des lucioles", "MISC")],
        ),
        ("« Nous avons manqué de maîtrise », a reconnu l’entraîneur", []),
        # a kinship or religious word before one capitalised word is part of a name, not a title
        ("Le Père Noël arrive.", []),
        ("Dame Nature a ses raisons.", []),
        # before a first name and a surname it is a title
        ("la messe du Père Jacques Hamel", [("Jacques Hamel", "PER")]),
    ],
)
def test_context_suggestions(
    context: FrenchContext, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(context, text) == sorted(expected)


def test_spelling_an_acronym() -> None:
    function = FrenchContext().lex.function_words
    words = ["Commission", "nationale", "de", "l'", "informatique", "et", "des", "libertés"]
    assert spells(words, "Cnil", function)
    assert spells(["Centre", "national", "d'", "études", "spatiales"], "Cnes", function)
    assert not spells(["Banque", "de", "France"], "BCE", function)
    assert not spells(["Agence", "spatiale", "européenne"], "ESA", function)


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        # titles leave the span, which is a PER; a title alone is nothing
        (
            "a déclaré Mme Hélène Marchetti, directrice",
            [("Mme Hélène Marchetti", "PER")],
            [("Hélène Marchetti", "PER")],
        ),
        ("Sa présidente, la Pr Isabelle Ngo-Tranh", [("Pr", "PER")], []),
        # inside a title phrase, or an office's domain: no entity
        ("le chef de l’État a demandé", [("État", "LOC")], []),
        ("La ministre de la Culture, Mme Lefort", [("Culture", "MISC")], []),
        # common-noun acronyms, demonyms: no entity
        ("une OPA amicale sur le TGV", [("OPA", "ORG"), ("TGV", "MISC")], []),
        ("Les Allemands repartent avec le prix", [("Allemands", "LOC")], []),
        # a heading word the article writes in lowercase elsewhere
        ("Santé\n\nLe projet de santé publique", [("Santé", "ORG")], []),
        ("Meta\n\nLe groupe Meta a recruté", [("Meta", "ORG")], [("Meta", "ORG"), ("Meta", "ORG")]),
        # the words before a name say what it is
        (
            "une OPA sur le courtier Fontaine & Associés",
            [("Fontaine & Associés", "MISC")],
            [("Fontaine & Associés", "ORG")],
        ),
        (
            "présidé par le cinéaste japonais Kenji Morimoto",
            [("Kenji Morimoto", "LOC")],
            [("Kenji Morimoto", "PER")],
        ),
        (
            "Parmi les favorites figure la toulousaine Latitude.",
            [("Latitude", "PER")],
            [("Latitude", "ORG")],
        ),
        ("dans la commune de Penly, en Seine", [("Penly", "MISC")], [("Penly", "LOC")]),
        # so do a designator, an institution, event or law head, an acronym
        ("avec Berthier BTP, 1,4 million", [("Berthier BTP", "PER")], [("Berthier BTP", "ORG")]),
        (
            "transmise par la Cour de cassation.",
            [("Cour de cassation", "LOC")],
            [("Cour de cassation", "ORG")],
        ),
        (
            "l’approche du Salon de l’agriculture",
            [("Salon de l’agriculture", "ORG")],
            [("Salon de l’agriculture", "MISC")],
        ),
        ("son concurrent KHNP a été retenu", [("KHNP", "PER")], [("KHNP", "ORG")]),
        ("aux USA comme ailleurs", [("USA", "LOC")], [("USA", "LOC")]),
        # `RC Lens` makes the article's bare `Lens` the club
        ("Lens renverse Lyon. Le RC Lens s’est imposé.", [("Lens", "LOC")], [("Lens", "ORG")]),
        # a span running past an acronym's expansion is cut to it
        (
            "RTE a rappelé. Le Réseau de transport d’électricité plaide pour",
            [("Réseau de transport d’électricité plaide", "ORG")],
            [("Réseau de transport d’électricité", "ORG")],
        ),
        # a sentence's article before a head is not part of the name
        (
            "dominé par le cinéma. Le Cristal du long métrage a",
            [("Le Cristal du long métrage", "MISC")],
            [("Cristal du long métrage", "MISC")],
        ),
        # a country whose name is a demonym's form stays a place
        (
            "La Suisse et l’Argentine ont signé un accord.",
            [("Suisse", "LOC"), ("Argentine", "LOC")],
            [("Suisse", "LOC"), ("Argentine", "LOC")],
        ),
        ("Il s’installe en Lorraine.", [("Lorraine", "LOC")], [("Lorraine", "LOC")]),
        # a demonym's form without an article is a place (`Messine`, the city)
        ("Il est né à Messine en 1950.", [("Messine", "LOC")], [("Messine", "LOC")]),
        # the people: a plural, or a singular anywhere but after a preposition of place
        ("Les Suisses votent.", [("Suisses", "LOC")], []),
        ("Les Français votent, l’Allemand aussi.", [("Français", "LOC"), ("Allemand", "MISC")], []),
        ("Il était Belge, le jeune Italien aussi.", [("Belge", "LOC"), ("Italien", "LOC")], []),
        # a name the model found is not a place because a place noun comes before it
        (
            "Il a rejoint le camp de Donald Trump.",
            [("Donald Trump", "PER")],
            [("Donald Trump", "PER")],
        ),
        ("Il visite le site de Michelin à Clermont.", [("Michelin", "ORG")], [("Michelin", "ORG")]),
        ("Il visite l’usine de Tesla.", [("Tesla", "ORG")], [("Tesla", "ORG")]),
        ("Le port de Marseille recrute.", [("Marseille", "ORG")], [("Marseille", "ORG")]),
        # a facility's noun does not announce a place: its owner may follow
        ("Il visite l’usine de Tesla.", [], []),
        ("La station de Total ferme.", [], []),
        # a territory's noun does, and confirms the model's place
        ("dans la commune de Penly, en Seine", [], [("Penly", "LOC")]),
        ("dans la commune de Penly, en Seine", [("Penly", "LOC")], [("Penly", "LOC")]),
        # a kinship title before one word is part of the name
        ("Le Père Noël arrive.", [("Père Noël", "PER")], [("Père Noël", "PER")]),
        (
            "la messe du Père Jacques Hamel",
            [("Père Jacques Hamel", "PER")],
            [("Jacques Hamel", "PER")],
        ),
    ],
)
def test_refine_model_spans(
    context: FrenchContext,
    text: str,
    spans: Sequence[tuple[str, str]],
    expected: list[tuple[str, str]],
) -> None:
    assert refined(context, text, *spans) == sorted(expected)


def test_a_name_the_type_noun_announces_is_added(context: FrenchContext) -> None:
    text = "Le projet s’appuie sur la start-up montpelliéraine Medilink, qui fournit le logiciel."
    out = context.refine(Record(text=text), [])
    assert [(text[s.start : s.end], s.label, s.source) for s in out] == [
        ("Medilink", "ORG", "rules:context-fr")
    ]


class Model:
    """Spans as a model gives them (surface, label, which mention), named as the chain ranks
    models."""

    name = "model:test"

    def __init__(self, *spans: tuple[str, str, int]) -> None:
        self.spans = spans

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        out = []
        for record in records:
            found = []
            for surface, label, n in self.spans:
                at = -1
                for _ in range(n + 1):
                    at = record.text.index(surface, at + 1)
                found.append(Span(at, at + len(surface), label, source=self.name))
            out.append(found)
        return out


def test_the_chain_refines_after_propagating() -> None:
    """The model tags `Santé` in `ministère de la Santé`; propagation copies it onto the
    heading, where the refinement still sees it. A bare `Le Meur` takes PER from `Gérard Le
    Meur`, particle and all."""
    text = (
        "Santé\n\nLe ministère de la Santé envisage un plan de santé. M. Gérard Le Meur et Le Meur."
    )
    model = Model(("Santé", "ORG", 1), ("M. Gérard Le Meur", "PER", 0), ("Le Meur", "ORG", 1))
    record = Record(text=text)
    Chain([FrenchContext(), model], load_scheme()).apply([record])
    got = {(s.start, text[s.start : s.end], s.label) for s in record.suggestions or []}
    assert not any(start == 0 for start, _, _ in got)  # the heading
    assert {surface for _, surface, label in got if label == "PER"} == {"Gérard Le Meur", "Le Meur"}


def test_the_lexicon_needs_no_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The review screen suggests with the rules before spaCy's tokenizer is loaded (records
    carry their tokens): the title phrases are split as the tokenizer would, without it."""
    import orjson

    from annotations.suggest.french import article, words
    from annotations.suggest.normalize import normalize
    from annotations.tokenize import tokenize

    raw = orjson.loads(words.WORDS_FILE.read_bytes())
    for phrase in raw["title_phrases"]:
        expected = tuple(t.text for t in tokenize(normalize(phrase)))
        assert words.phrase_words(normalize(phrase)) == expected
    text = "Le chef de l’État a reçu Mme Hélène Marchetti."
    record = Record(text=text, tokens=tokenize(text))

    def no_tokenizer(_text: str) -> None:
        raise AssertionError("the tokenizer was used")

    monkeypatch.setattr(article, "tokenize", no_tokenizer)
    words.lexicon.cache_clear()
    context = FrenchContext()
    assert [text[s.start : s.end] for s in context.suggest([record])[0]] == ["Hélène Marchetti"]
    assert context.refine(record, model(text, ("État", "LOC"))) == []


def test_a_heading_word_only_at_a_line_start(context: FrenchContext) -> None:
    text = "Le groupe publie ses comptes. Total a annoncé au total 3 M€."
    assert refined(context, text, ("Total", "ORG")) == [("Total", "ORG")]


def test_what_annotators_rejected_stays_out_of_the_refinement() -> None:
    """A name the type noun announces is not suggested when annotators removed it."""
    from annotations.suggest.memory import Memory

    text = "Le projet s’appuie sur la start-up montpelliéraine Medilink."
    rejected = Record(text=text, spans=[], answer="accept")
    memory = Memory().learn_all(
        [rejected, Record(text="Avec Medilink.", spans=[], answer="accept")]
    )
    record = Record(text=text)
    Chain([memory, FrenchContext(), Model()], load_scheme()).apply([record])
    assert record.suggestions == []


def test_no_place_name_is_a_demonym(context: FrenchContext) -> None:
    """The demonyms' inflected forms spell some places (`Suisse`, `Argentine`, `Lorraine`):
    those are places, the plurals stay demonyms."""
    lex = context.lex
    assert {"Suisse", "Argentine", "Lorraine", "France", "Allemagne"} <= lex.place_names
    assert not lex.demonyms & lex.place_names
    assert {"Suisses", "Argentins", "Argentines", "Lorrains", "Allemands"} <= lex.demonyms
    assert {"suisse", "argentine"} <= lex.feminine_demonyms  # `la suisse UBS`: an adjective


def test_no_first_name_is_an_institutions_place() -> None:
    """`la chambre de Marie`, `le ministère de Bruno Le Maire`: the place of every
    institution-place rule excludes the first names of `french-words.json`, which name no
    place themselves."""
    import orjson

    from annotations.suggest.french.words import WORDS_FILE
    from annotations.suggest.patterns import DATA

    raw = orjson.loads(WORDS_FILE.read_bytes())
    first = {name.lower() for name in raw["first_names"]}
    assert not first & {place.lower() for place in raw["place_names"]}
    places = 0
    for line in (DATA / "rules-org-fr.jsonl").read_text(encoding="utf-8").splitlines():
        rule = orjson.loads(line)
        if rule.get("id") != "institution-place":
            continue
        for token in rule["pattern"]:
            if "REGEX" in token.get("TEXT", {}):  # a capitalised word: the place
                assert first <= set(token["LOWER"]["NOT_IN"])
                places += 1
    assert places >= 5
