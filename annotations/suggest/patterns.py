"""Patterns files: spaCy EntityRuler JSONL, the format Prodigy uses too.

Each line is `{"label": "ORG", "pattern": "OpenAI"}` (a phrase, matched on exact text) or
`{"label": "MONEY", "pattern": [{"LIKE_NUM": true}, {"LOWER": "euros"}]}` (token patterns), with an
optional `"id"`. Errors name the file and line. The French rules for MONEY, PERCENT and DATE are
such files too (`annotations/suggest/data/`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from annotations.errors import InputError
from annotations.records import Record, Span
from annotations.store.lines import iter_json_lines
from annotations.suggest.normalize import normalize
from annotations.suggest.tokenmatch import TokenMatcher, Unsupported
from annotations.tokenize import french_tokenizer, tokenize

DATA = Path(__file__).resolve().parent / "data"


def load_patterns(path: str | Path, validate: bool = True) -> list[dict[str, Any]]:
    """Read and check a patterns file; every problem is an `InputError` with file:line. Token
    patterns are validated by spaCy's EntityRuler (`validate=False`: only for the bundled
    files, which the tests validate, so that loading them needs no spaCy)."""
    path = Path(path)
    patterns: list[dict[str, Any]] = []
    checker: Any = None
    for lineno, obj in iter_json_lines(path):
        if not isinstance(obj, dict):
            raise InputError(path, lineno, 'expected an object like {"label": ..., "pattern": ...}')
        label, pattern = obj.get("label"), obj.get("pattern")
        if not isinstance(label, str) or not label:
            raise InputError(path, lineno, "'label' must be a non-empty string")
        if isinstance(pattern, str):
            if not pattern.strip():
                raise InputError(path, lineno, "'pattern' is an empty string")
        elif isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern):
            if validate:
                checker = checker if checker is not None else _checker()
                _check_token_pattern(checker, label, pattern, path, lineno)
        else:
            raise InputError(
                path, lineno, "'pattern' must be a string or a non-empty list of token objects"
            )
        patterns.append({k: v for k, v in obj.items() if k in ("label", "pattern", "id")})
    return patterns


def _check_token_pattern(
    checker: Any, label: str, pattern: list[Any], path: Path, lineno: int
) -> None:
    from spacy.errors import MatchPatternError

    try:
        checker.add_patterns([{"label": label, "pattern": pattern}])
    except (MatchPatternError, ValueError) as exc:
        first = str(exc).strip().splitlines()
        reason = next((x.strip() for x in first if x.strip().startswith("-")), first[-1])
        raise InputError(path, lineno, f"invalid token pattern: {reason.lstrip('- ')}") from None


def _checker() -> Any:
    import spacy

    nlp = spacy.blank("fr", vocab=french_tokenizer().vocab)  # shares the loaded French vocab
    return nlp.add_pipe("entity_ruler", config={"validate": True})


class PatternSuggester:
    """Runs EntityRuler patterns over the normalised text (so `d’` and `d'` both match).

    Several pattern sets can share one pass over the tokens; each span's `source` is the name of
    the set its pattern came from. Patterns are matched in plain Python over the record's tokens
    (`tokenmatch`: no spaCy, so the review screen suggests within a second of starting); a set
    with something only spaCy can match runs through spaCy's EntityRuler instead."""

    def __init__(
        self, sets: list[tuple[str, list[dict[str, Any]]]], name: str | None = None
    ) -> None:
        self.name = name or sets[0][0]
        self._sets = sets
        self._ruler: Any = None
        self._fast: TokenMatcher | None = None
        try:
            # token patterns before phrases, as the EntityRuler lists its matches (on a tie
            # between equal spans, the first listed wins)
            every = [(source, p) for source, patterns in sets for p in patterns]
            every.sort(key=lambda sp: isinstance(sp[1]["pattern"], str))
            self._fast = TokenMatcher(
                [(p["label"], source, token_pattern(_norm(p["pattern"]))) for source, p in every]
            )
        except Unsupported:
            self._fast = None

    @classmethod
    def from_file(cls, path: str | Path, source: str | None = None) -> PatternSuggester:
        path = Path(path)
        name = source or f"patterns:{path.name}"
        return cls([(name, load_patterns(path))])

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        if self._fast is None:
            return self._suggest_with_spacy(records)
        out = []
        for record in records:
            tokens = record.tokens if record.tokens is not None else tokenize(record.text)
            text = normalize(record.text)
            words = [text[t.start : t.end] for t in tokens]
            out.append(
                [
                    Span(tokens[a].start, tokens[b - 1].end, label, source=source or self.name)
                    for a, b, label, source in self._fast(words)
                ]
            )
        return out

    def _suggest_with_spacy(self, records: Sequence[Record]) -> list[list[Span]]:
        if self._ruler is None:
            import spacy

            self._ruler = spacy.blank("fr", vocab=french_tokenizer().vocab)
            ruler: Any = self._ruler.add_pipe("entity_ruler", config={"overwrite_ents": True})
            ruler.add_patterns(
                [
                    {"label": p["label"], "pattern": _norm(p["pattern"]), "id": source}
                    for source, patterns in self._sets
                    for p in patterns
                ]
            )
        docs = self._ruler.pipe(normalize(r.text) for r in records)
        return [
            [
                Span(e.start_char, e.end_char, e.label_, source=e.ent_id_ or self.name)
                for e in doc.ents
            ]
            for doc in docs
        ]


def token_pattern(pattern: Any) -> list[dict[str, Any]]:
    """A phrase pattern as the token pattern that matches the same tokens (exact texts, as the
    EntityRuler's phrase matcher does); token patterns as they are."""
    if not isinstance(pattern, str):
        return list(pattern)
    return [{"ORTH": word} for word in phrase_words(pattern)]


def phrase_words(phrase: str) -> list[str]:
    """The French tokenizer's words for a phrase. The bundled phrases' words are kept in
    `data/phrase-words.json` (the tokenizer takes seconds to load); others are tokenised."""
    cached = _phrase_cache().get(phrase)
    if cached is not None:
        return cached
    return [t.text for t in tokenize(phrase)]


_PHRASES: dict[str, list[str]] | None = None
PHRASE_CACHE = DATA / "phrase-words.json"


def _phrase_cache() -> dict[str, list[str]]:
    global _PHRASES
    if _PHRASES is None:
        _PHRASES = orjson.loads(PHRASE_CACHE.read_bytes()) if PHRASE_CACHE.exists() else {}
    return _PHRASES


def bundled_phrases() -> dict[str, list[str]]:
    """Every phrase pattern of the bundled data files, normalised, with its tokenizer words:
    what `data/phrase-words.json` must hold (a test checks it does)."""
    out: dict[str, list[str]] = {}
    for path in sorted(DATA.glob("*.jsonl")):
        for _lineno, obj in iter_json_lines(path):
            pattern = _norm(obj.get("pattern"))
            if isinstance(pattern, str):
                out[pattern] = [t.text for t in tokenize(pattern)]
    return out


def _norm(pattern: Any) -> Any:
    """Normalise string values in patterns the way the text is normalised."""
    if isinstance(pattern, str):
        return normalize(pattern)
    if isinstance(pattern, list):
        return [_norm(p) for p in pattern]
    if isinstance(pattern, dict):
        return {k: _norm(v) for k, v in pattern.items()}
    return pattern


if __name__ == "__main__":  # python -m annotations.suggest.patterns: rewrite the phrase cache
    PHRASE_CACHE.write_bytes(
        orjson.dumps(bundled_phrases(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
