"""French rules kept as EntityRuler token patterns in data files, and the bundled list of
well-known organisations and products (`data/known-entities-fr.jsonl`: tech companies, AI labs,
institutions, media; AI models, apps). Each span says which set it came from:

- `rules-money-fr`, `rules-percent-fr`, `rules-date-fr`: amounts with their currency (`12 M€`,
  `180 millions de francs suisses`), percentages, dates with their ranges and periods (`du 12 au
  23 mai`, `2025-2026`, `premier semestre 2026`);
- `rules-misc-fr`: laws (`loi Egalim`), treaties (`accord de Paris`), competitions (`Ligue des
  champions`, `Euro 2028`), events (`Festival de Cannes`), awards;
- `rules-org-fr`: institution names, whole (`tribunal judiciaire de Nanterre`, `Cour des
  comptes`, `Autorité des marchés financiers`), clubs (`Stade rennais`, `Toulouse FC`), names with
  a company designator (`Berthier BTP`), seats standing for their institution (`Matignon`). A
  lowercase head takes a place right after its `de` only when it names an administration of
  that place (`préfecture du Pas-de-Calais`, `rectorat de Lille`); any other (`chambre`,
  `caisse`, `comité`...) needs an institution's modifier first (`chambre d'agriculture du
  Cantal`), and the place is never a first name (`la chambre de Marie`, `le ministère de Bruno
  Le Maire`: `first_names` in `french-words.json`). A capitalised head with no `de` after it
  needs an institution's adjective from a list (`Commission européenne`; `La Haute tension`,
  `La Caisse enregistreuse` are no institutions).

The known-entities list and the rules are two passes (two suggesters): spaCy's EntityRuler leaves
the order of equal matches from different pattern sets undefined, and the chain already decides
between the two (the list's `patterns` rank above `rules`; a longer span of the same label wins).
The rules that need the article's context (titles, acronyms, what surrounds a name) are in
`french/`."""

from __future__ import annotations

from annotations.suggest.patterns import DATA, PatternSuggester, load_patterns

RULE_FILES = ("rules-money-fr.jsonl", "rules-percent-fr.jsonl", "rules-date-fr.jsonl")
NAME_FILES = (("rules:misc-fr", "rules-misc-fr.jsonl"), ("rules:org-fr", "rules-org-fr.jsonl"))
KNOWN_ENTITIES = "known-entities-fr.jsonl"
RULES_SOURCE = "rules:money-percent-date-fr"
KNOWN_SOURCE = f"patterns:{KNOWN_ENTITIES}"


def bundled(rules: bool = True, known: bool = True) -> list[PatternSuggester]:
    return ([known_entities()] if known else []) + ([french_rules()] if rules else [])


def french_rules() -> PatternSuggester:
    sets = [(source, load_patterns(DATA / name, validate=False)) for source, name in NAME_FILES]
    rule_sets = [load_patterns(DATA / name, validate=False) for name in RULE_FILES]
    sets.append((RULES_SOURCE, [p for patterns in rule_sets for p in patterns]))
    return PatternSuggester(sets, "rules:bundled")


def known_entities() -> PatternSuggester:
    return PatternSuggester([(KNOWN_SOURCE, load_patterns(DATA / KNOWN_ENTITIES, validate=False))])
