"""French tokenisation with spaCy's rule-based tokenizer (`spacy.blank("fr")`), created once."""

from __future__ import annotations

import threading
from typing import Any

from annotations import french_token_match
from annotations.records import Token

# before spaCy's French is imported (by `french_tokenizer` or a French model's `spacy.load`):
# its TOKEN_MATCH then compiles in a tenth of a second instead of seconds
french_token_match.install()

_lock = threading.Lock()
_nlp: Any = None


def french_tokenizer() -> Any:
    """The shared `spacy.blank("fr")` pipeline (only its tokenizer is used). Thread-safe, lazy."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                import spacy

                _nlp = spacy.blank("fr")
    return _nlp


def tokenizer_loaded() -> bool:
    """Whether `french_tokenizer()` is ready (loading it takes about a second and a half)."""
    return _nlp is not None


def tokenize(text: str) -> list[Token]:
    from spacy.attrs import IDX, LENGTH, SPACY

    doc = french_tokenizer().make_doc(text)
    if not len(doc):
        return []
    # offsets from one array rather than three properties per spaCy token (three times faster)
    table = doc.to_array([IDX, LENGTH, SPACY]).tolist()
    return [
        Token(text[s : s + n], s, s + n, i, bool(space)) for i, (s, n, space) in enumerate(table)
    ]


def tokens_from_words(words: list[str], spaces: list[bool]) -> tuple[str, list[Token]]:
    """Text and tokens for pre-tokenised input (CoNLL, HF `tokens`): words joined as `spaces` says."""
    parts: list[str] = []
    tokens: list[Token] = []
    offset = 0
    for i, (word, space) in enumerate(zip(words, spaces, strict=True)):
        tokens.append(Token(word, offset, offset + len(word), i, space))
        parts.append(word)
        offset += len(word)
        if space:
            parts.append(" ")
            offset += 1
    return "".join(parts), tokens
