"""French rules for MONEY, PERCENT and DATE, kept as EntityRuler token patterns in data files
(`data/rules-*-fr.jsonl`), and the bundled list of well-known organisations and products
(`data/known-entities-fr.jsonl`: tech companies, AI labs, institutions, media; AI models, apps).
Both run in one EntityRuler pass; each span says which set it came from."""

from __future__ import annotations

from annotations.suggest.patterns import DATA, PatternSuggester, load_patterns

RULE_FILES = ("rules-money-fr.jsonl", "rules-percent-fr.jsonl", "rules-date-fr.jsonl")
KNOWN_ENTITIES = "known-entities-fr.jsonl"
RULES_SOURCE = "rules:money-percent-date-fr"
KNOWN_SOURCE = f"patterns:{KNOWN_ENTITIES}"


def bundled(rules: bool = True, known: bool = True) -> PatternSuggester | None:
    sets = []
    if known:
        sets.append((KNOWN_SOURCE, load_patterns(DATA / KNOWN_ENTITIES, validate=False)))
    if rules:
        rule_sets = [load_patterns(DATA / name, validate=False) for name in RULE_FILES]
        sets.append((RULES_SOURCE, [p for patterns in rule_sets for p in patterns]))
    return PatternSuggester(sets, "rules:bundled") if sets else None


def french_rules() -> PatternSuggester:
    suggester = bundled(known=False)
    assert suggester is not None
    return suggester


def known_entities() -> PatternSuggester:
    suggester = bundled(rules=False)
    assert suggester is not None
    return suggester
