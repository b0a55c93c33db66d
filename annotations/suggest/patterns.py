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

from annotations.errors import InputError
from annotations.records import Record, Span
from annotations.store.lines import iter_json_lines
from annotations.suggest.normalize import normalize
from annotations.tokenize import french_tokenizer

DATA = Path(__file__).resolve().parent / "data"


def load_patterns(path: str | Path) -> list[dict[str, Any]]:
    """Read and check a patterns file; every problem is an `InputError` with file:line."""
    import spacy
    from spacy.errors import MatchPatternError

    path = Path(path)
    patterns: list[dict[str, Any]] = []
    nlp = spacy.blank("fr", vocab=french_tokenizer().vocab)  # shares the loaded French vocab
    checker: Any = nlp.add_pipe("entity_ruler", config={"validate": True})
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
            try:
                checker.add_patterns([{"label": label, "pattern": pattern}])
            except (MatchPatternError, ValueError) as exc:
                first = str(exc).strip().splitlines()
                reason = next((x.strip() for x in first if x.strip().startswith("-")), first[-1])
                raise InputError(
                    path, lineno, f"invalid token pattern: {reason.lstrip('- ')}"
                ) from None
        else:
            raise InputError(
                path, lineno, "'pattern' must be a string or a non-empty list of token objects"
            )
        patterns.append({k: v for k, v in obj.items() if k in ("label", "pattern", "id")})
    return patterns


class PatternSuggester:
    """Runs EntityRuler patterns over the normalised text (so `d’` and `d'` both match).

    Several pattern sets can share one ruler (one pass over the tokens); each span's `source` is
    the name of the set its pattern came from."""

    def __init__(
        self, sets: list[tuple[str, list[dict[str, Any]]]], name: str | None = None
    ) -> None:
        import spacy

        self.name = name or sets[0][0]
        self._nlp = spacy.blank("fr", vocab=french_tokenizer().vocab)
        ruler: Any = self._nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
        ruler.add_patterns(
            [
                {"label": p["label"], "pattern": _norm(p["pattern"]), "id": source}
                for source, patterns in sets
                for p in patterns
            ]
        )

    @classmethod
    def from_file(cls, path: str | Path, source: str | None = None) -> PatternSuggester:
        path = Path(path)
        name = source or f"patterns:{path.name}"
        return cls([(name, load_patterns(path))])

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        docs = self._nlp.pipe(normalize(r.text) for r in records)
        return [
            [
                Span(e.start_char, e.end_char, e.label_, source=e.ent_id_ or self.name)
                for e in doc.ents
            ]
            for doc in docs
        ]


def _norm(pattern: Any) -> Any:
    """Normalise string values in patterns the way the text is normalised."""
    if isinstance(pattern, str):
        return normalize(pattern)
    if isinstance(pattern, list):
        return [_norm(p) for p in pattern]
    if isinstance(pattern, dict):
        return {k: _norm(v) for k, v in pattern.items()}
    return pattern
