"""French rules for MONEY, PERCENT and DATE, kept as EntityRuler token patterns in data files
(`data/rules-*-fr.jsonl`), and the bundled list of well-known organisations and products
(`data/known-entities-fr.jsonl`: tech companies, AI labs, institutions, media; AI models, apps)."""

from __future__ import annotations

from annotations.suggest.patterns import DATA, PatternSuggester, load_patterns

RULE_FILES = ("rules-money-fr.jsonl", "rules-percent-fr.jsonl", "rules-date-fr.jsonl")
KNOWN_ENTITIES = "known-entities-fr.jsonl"


def french_rules() -> PatternSuggester:
    patterns = [p for name in RULE_FILES for p in load_patterns(DATA / name)]
    return PatternSuggester(patterns, "rules:money-percent-date-fr")


def known_entities() -> PatternSuggester:
    return PatternSuggester.from_file(DATA / KNOWN_ENTITIES, f"patterns:{KNOWN_ENTITIES}")
