"""CoNLL / IOB files: `token ... TAG` per line (space or tab separated, tag last; an index column
first is recognised), IOB1, IOB2, BIOES or IO tags, `-DOCSTART-` between documents, blank lines
between sentences (or none at all).

An article is a `-DOCSTART-` document when the file has them, otherwise a blank-line block.
Sentences are joined by newlines, tokens by spaces, and the file's own tokens are kept. A block
of more than `MAX_TOKENS` tokens with no boundary (such as the Europeana newspaper files) is cut
after a sentence end outside any entity, so that no entity is ever cut.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from annotations.bio import TagError, split_tag, tags_to_token_spans
from annotations.errors import InputError
from annotations.formats.base import Item
from annotations.formats.txt import read_text_file
from annotations.records import Record, Span, Token

log = logging.getLogger("relecture.formats")
MAX_TOKENS = 1000
_SENTENCE_END = frozenset((".", "!", "?", "»", "…"))


def looks_like_tag(value: str) -> bool:
    try:
        split_tag(value)
    except ValueError:
        return False
    return value == "O" or (len(value) > 2 and value[1] in "-_" and value[0] in "BIESLU")


def read_conll(path: Path) -> Iterator[Item]:
    lines = read_text_file(path).split("\n")
    rows = [line.split() for line in lines]
    indexed = _has_index_column(rows)
    has_docstart = any(r and r[0] == "-DOCSTART-" for r in rows)
    doc: list[list[tuple[str, str, int]]] = []  # sentences of (token, tag, line)
    sentence: list[tuple[str, str, int]] = []
    n_docs = 0

    def flush_doc() -> Iterator[Item]:
        nonlocal n_docs, doc
        if sentence:
            doc.append(list(sentence))
            sentence.clear()
        if doc:
            for part in _cut(doc):
                n_docs += 1
                yield _item(part, path, n_docs)
        doc = []

    for lineno, cols in enumerate(rows, 1):
        if not cols:
            if sentence:
                doc.append(list(sentence))
                sentence.clear()
            if not has_docstart:
                yield from flush_doc()
            continue
        if cols[0] == "-DOCSTART-":
            yield from flush_doc()
            continue
        if cols[0].startswith("#") and not looks_like_tag(cols[-1]):
            continue  # a comment (CoNLL-U style); `#ootd NOUN O` is a token
        if len(cols) < 2:
            raise InputError(path, lineno, f"expected 'token TAG', got {lines[lineno - 1]!r}")
        token = cols[1] if indexed else cols[0]
        tag = cols[-1]
        if not looks_like_tag(tag):
            raise InputError(path, lineno, f"{tag!r} is not a tag (O, B-X, I-X, E-X, S-X)")
        sentence.append((token, tag, lineno))
    yield from flush_doc()
    if n_docs == 0:
        raise InputError(path, 0, "no tokens: the file is empty")


def _has_index_column(rows: list[list[str]]) -> bool:
    sample = [r for r in rows[:500] if r and r[0] != "-DOCSTART-" and not r[0].startswith("#")]
    return (
        bool(sample) and all(len(r) >= 3 and r[0].isdigit() for r in sample) and sample[0][0] == "1"
    )


def _cut(doc: list[list[tuple[str, str, int]]]) -> Iterator[list[list[tuple[str, str, int]]]]:
    """Split a document that is one over-long sentence (no boundaries in the file) at sentence
    ends outside entities; failing that, anywhere outside an entity after 2 × MAX_TOKENS."""
    if len(doc) != 1 or len(doc[0]) <= MAX_TOKENS:
        yield doc
        return
    sent = doc[0]
    start = 0
    for i in range(len(sent) - 1):
        next_tag = sent[i + 1][1]
        inside = next_tag != "O" and split_tag(next_tag)[0] not in "BSU"
        size = i + 1 - start
        if not inside and (
            (size >= MAX_TOKENS and sent[i][0] in _SENTENCE_END) or size >= 2 * MAX_TOKENS
        ):
            yield [sent[start : i + 1]]
            start = i + 1
    yield [sent[start:]]


def _item(doc: list[list[tuple[str, str, int]]], path: Path, n: int) -> Item:
    tokens: list[Token] = []
    spans: list[Span] = []
    parts: list[str] = []
    offset = 0
    for k, sent in enumerate(doc):
        if k:
            parts.append("\n")
            offset += 1
        first = len(tokens)
        for i, (word, _tag, _line) in enumerate(sent):
            last = i == len(sent) - 1
            tokens.append(Token(word, offset, offset + len(word), len(tokens), not last))
            parts.append(word if last else word + " ")
            offset += len(word) + (0 if last else 1)
        try:
            entities = tags_to_token_spans([tag for _w, tag, _l in sent])
        except TagError as exc:
            raise InputError(path, sent[exc.index][2], str(exc)) from None
        for ts, te, label in entities:
            a, b = tokens[first + ts], tokens[first + te]
            spans.append(Span(a.start, b.end, label, first + ts, first + te))
    line = doc[0][0][2]
    record = Record(
        text="".join(parts),
        meta={"source": path.name, "doc": n, "line": line},
        tokens=tokens,
        spans=spans,
    ).with_hashes()
    return Item(record, f"{path}:{line}")
