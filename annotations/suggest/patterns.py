"""Patterns files: spaCy EntityRuler JSONL, the format Prodigy uses too.

Each line is `{"label": "ORG", "pattern": "OpenAI"}` (a phrase, matched on exact text) or
`{"label": "MONEY", "pattern": [{"LIKE_NUM": true}, {"LOWER": "euros"}]}` (token patterns), with an
optional `"id"`. Errors name the file and line. The French rules for MONEY, PERCENT and DATE are
such files too (`annotations/suggest/data/`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from annotations.errors import InputError
from annotations.labels import LabelScheme
from annotations.records import Record, Span
from annotations.store.lines import iter_json_lines
from annotations.suggest.normalize import normalize
from annotations.suggest.tokenmatch import TokenMatcher, Unsupported
from annotations.tokenize import french_tokenizer, tokenize

DATA = Path(__file__).resolve().parent / "data"


# token attributes the Matcher can only test on a tagged or parsed doc: the patterns run on the
# tokenizer's output alone, so spaCy would raise on the first article (E155)
_NEEDS_PIPE = {
    "TAG": "a tagger",
    "POS": "a tagger or morphologizer",
    "MORPH": "a morphologizer",
    "LEMMA": "a lemmatizer",
    "DEP": "a parser",
}


def label_fits(label: str, scheme: LabelScheme) -> bool:
    """A pattern's label is kept when it is in the scheme or the chain maps it there (PERSON)."""
    from annotations.suggest.chain import LABEL_MAP

    return label in scheme or LABEL_MAP.get(label) in scheme


def load_patterns(
    path: str | Path, scheme: LabelScheme | None = None, validate: bool = True
) -> list[dict[str, Any]]:
    """Read and check a patterns file; every problem is an `InputError` with file:line. With a
    scheme, a label the chain would drop (not in the scheme, not mapped onto it) is one too.
    Token patterns are checked with spaCy (`validate=False`: only for the bundled files, which
    the tests check, so that loading them imports no spaCy)."""
    path = Path(path)
    patterns: list[dict[str, Any]] = []
    matcher: Any = None
    for lineno, obj in iter_json_lines(path):
        if not isinstance(obj, dict):
            raise InputError(path, lineno, 'expected an object like {"label": ..., "pattern": ...}')
        label, pattern = obj.get("label"), obj.get("pattern")
        if not isinstance(label, str) or not label:
            raise InputError(path, lineno, "'label' must be a non-empty string")
        if scheme is not None and not label_fits(label, scheme):
            names = ", ".join(scheme.names)
            raise InputError(
                path, lineno, f"label {label!r} is not in the label scheme {scheme.name} ({names})"
            )
        if isinstance(pattern, str):
            if not pattern.strip():
                raise InputError(path, lineno, "'pattern' is an empty string")
        elif isinstance(pattern, list) and pattern and all(isinstance(t, dict) for t in pattern):
            if validate:
                if matcher is None:
                    matcher = _checker()
                problem = token_pattern_problem(pattern, matcher)
                if problem:
                    raise InputError(path, lineno, f"invalid token pattern: {problem}")
        else:
            raise InputError(
                path, lineno, "'pattern' must be a string or a non-empty list of token objects"
            )
        patterns.append({k: v for k, v in obj.items() if k in ("label", "pattern", "id")})
    return patterns


def _checker() -> Any:
    """A bare Matcher to add patterns to: what spaCy refuses at add time shows there. No French
    pipeline behind it (that takes seconds to build); only `import spacy` (about 1 s)."""
    # the package first: `import spacy` waits for another thread's import of it to finish (the
    # tokenizer worker), while `from spacy.x import` would run beside it and break spaCy's
    # circular imports ("partially initialized module 'spacy.strings'")
    import spacy  # noqa: F401
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    return Matcher(Vocab(), validate=False)


def token_pattern_problem(pattern: list[dict[str, Any]], matcher: Any) -> str | None:
    """Why spaCy would refuse this token pattern, when adding it or when matching, or None."""
    from spacy.schemas import validate_token_pattern

    errors = validate_token_pattern(pattern)
    if errors:
        return str(errors[0])
    pattern = _norm(pattern)  # what the suggester adds
    for i, token in enumerate(pattern):
        for key, value in token.items():
            attr = key.upper()
            if attr == "_":
                return f"token {i}: custom attributes ('_') are not available to patterns"
            if attr in _NEEDS_PIPE:
                return (
                    f"token {i}: {attr} needs {_NEEDS_PIPE[attr]}, and patterns run on the "
                    "tokens alone (use TEXT, LOWER, SHAPE, IS_*, LIKE_*...)"
                )
            regex = value.get("REGEX") if isinstance(value, dict) else None
            if isinstance(regex, str):
                problem = regex_problem(regex)
                if problem:
                    return f"token {i}: {attr} REGEX {regex!r} is not a valid regular expression ({problem})"
    try:
        matcher.add("check", [pattern])
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError, re.error) as exc:
        return " ".join(str(exc).split())
    return None


def regex_problem(regex: str) -> str | None:
    """Why Python cannot compile a pattern's regular expression (a syntax error, a repetition
    count too large, nesting too deep), or None; its warnings (`possible nested set`) are not
    printed over the user's terminal."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(regex)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


PatternSet = tuple[str, list[dict[str, Any]]]


def pattern_set(
    path: str | Path, scheme: LabelScheme | None = None, source: str | None = None
) -> PatternSet:
    """A patterns file, checked, with the source name its spans get (`patterns:FILE`)."""
    path = Path(path)
    return source or f"patterns:{path.name}", load_patterns(path, scheme)


class PatternSuggester:
    """Runs EntityRuler patterns over the normalised text (so `d’` and `d'` both match).

    Several pattern sets can share one pass over the tokens; each span's `source` is the name of
    the set its pattern came from. Patterns are matched in plain Python over the record's tokens
    (`tokenmatch`: no spaCy, so the review screen suggests within a second of starting); a set
    with something only spaCy can match runs through spaCy's EntityRuler instead."""

    def __init__(self, sets: Sequence[PatternSet], name: str | None = None) -> None:
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
        return cls([pattern_set(path, source=source)])

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        if self._fast is None:
            return self._suggest_with_spacy(records)
        out = []
        for record in records:
            tokens = record.tokens if record.tokens is not None else tokenize(record.text)
            text = normalize(record.text)
            # a no-break space is a token of its own in the record's tokens, and plain
            # whitespace once normalised (`5\u00a0%` is `5 %`): passed over, as spaCy would
            kept = [t for t in tokens if text[t.start : t.end].strip(" ") or t.start == t.end]
            words = [text[t.start : t.end] for t in kept]
            out.append(
                [
                    Span(kept[a].start, kept[b - 1].end, label, source=source or self.name)
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
