"""spaCy export: `train.spacy` / `dev.spacy` / `test.spacy` (`DocBin`, entities in `doc.ents`)
and a `config.cfg` for a blank French NER pipeline (tok2vec + ner, no vectors, nothing to
download), so that `python -m spacy train config.cfg --paths.train train.spacy --paths.dev
dev.spacy` trains as the export's README says.

Each Doc has the record's own tokens and reproduces its text exactly: where the text between two
tokens is not empty or a single space (a newline, two spaces), that stretch becomes a whitespace
token, as spaCy's own tokenizer would make it. Entities are set from character offsets.

A worker packs its chunk of rows (`pack`) into what the file holds (`spacy_file.Piece`) without
making a `Doc` per record: the token table `Doc(vocab, words, spaces)` + `doc.ents` would give
(ORTH and NORM from the vocab's lexemes, ENT_IOB / ENT_TYPE from the spans, SENT_START on the
first token, every other column 0) and the strings `DocBin.add` would collect, built with numpy.
A record this cannot take as it is (an empty token, spans off the tokens or overlapping) is made
into a Doc and added by spaCy's own `DocBin.add`, which also raises what it raised before.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from annotations.export.select import Row
from annotations.export.spacy_file import Piece, segment
from annotations.records import Record

SPACY_FILES = {"train": "train.spacy", "dev": "dev.spacy", "test": "test.spacy"}


def words_and_spaces(record: Any) -> tuple[list[str], list[bool]]:
    """Words and trailing-space flags whose concatenation is exactly `record.text`."""
    text = record.text
    offsets = getattr(record, "token_starts", None)  # a `lean.Lean`: offsets as lists
    if offsets is not None:
        starts, ends = offsets, record.token_ends
    else:
        tokens = record.tokens or ()
        starts = [tok.start for tok in tokens]
        ends = [tok.end for tok in tokens]
    quick = _between_single_spaces(text, starts, ends)
    if quick is not None:
        texts = getattr(record, "token_texts", None)  # a `Lean`'s: the text at its offsets
        if texts is None:
            texts = [text[a:b] for a, b in zip(starts, ends, strict=True)]
        return list(texts), quick
    return with_gaps(text, starts, ends)


def with_gaps(text: str, starts: list[int], ends: list[int]) -> tuple[list[str], list[bool]]:
    """`words_and_spaces` the long way, for any text between the tokens."""
    words: list[str] = []
    spaces: list[bool] = []

    def gap(start: int, end: int) -> None:  # text no token covers: a newline, a second space...
        stretch = text[start:end]
        if stretch.startswith(" ") and words and not spaces[-1]:
            spaces[-1] = True
            stretch = stretch[1:]
        if stretch:
            words.append(stretch)
            spaces.append(False)

    pos = 0
    for start, end in zip(starts, ends, strict=True):
        if start > pos:
            gap(pos, start)
        words.append(text[start:end])
        spaces.append(False)
        pos = end
    if pos < len(text):
        gap(pos, len(text))
    return words, spaces


def _between_single_spaces(text: str, starts: list[int], ends: list[int]) -> list[bool] | None:
    """The spaces flags when the tokens cover the text from its start to its end with nothing
    but one space or nothing between two of them (spaCy's own tokens always do), else None."""
    n = len(starts)
    if not n or starts[0] != 0 or ends[-1] != len(text):
        return None
    s = np.array(starts, dtype=np.int64)
    e = np.array(ends, dtype=np.int64)
    gaps = s[1:] - e[:-1]
    if ((gaps != 0) & (gaps != 1)).any():
        return None
    at = e[:-1][gaps == 1]
    if len(at):
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        if not (codes[at] == 0x20).all():
            return None
    flags: list[bool] = (gaps == 1).tolist()
    flags.append(False)
    return flags


def to_doc(vocab: Any, row: Row) -> Any:
    return record_doc(vocab, row.record, row.where)


def record_doc(vocab: Any, record: Record, where: str = "") -> Any:
    """The record as a Doc on its own tokens, its spans as `doc.ents` (on token boundaries)."""
    from spacy.tokens import Doc

    words, spaces = words_and_spaces(record)
    doc = Doc(vocab, words=words, spaces=spaces)
    ents = []
    for span in record.spans or ():
        ent = doc.char_span(span.start, span.end, label=span.label)
        if ent is None:  # cannot happen: spans are on token boundaries (see `prepare`)
            raise ValueError(f"{where}: span {span.start}-{span.end} is not on spaCy tokens")
        ents.append(ent)
    doc.ents = ents
    return doc


@functools.cache
def layout() -> tuple[str, list[int], tuple[bytes, bytes, bytes]]:
    """`DocBin`'s version and columns, and the msgpack of the cats, flags and span groups of a
    Doc made from words and spaces (what every packed record gets)."""
    from spacy.tokens import Doc, DocBin
    from spacy.vocab import Vocab

    from annotations.export.spacy_file import msgpack

    db = DocBin(store_user_data=False)
    db.add(Doc(Vocab(), words=["x"], spaces=[False]))
    each = (msgpack(db.cats[0]), msgpack(db.flags[0]), msgpack(db.span_groups[0]))
    return str(db.version), [int(a) for a in db.attrs], each


class _Lexemes:
    """ORTH, NORM and the NORM's text of the words seen (`vocab[word]`), kept across chunks."""

    LIMIT = 1_000_000  # words; then start again (the vocab keeps them anyway)

    def __init__(self) -> None:
        self.vocab: Any = None
        self.orth: dict[str, int] = {}
        self.norm: dict[str, int] = {}
        self.norm_text: dict[str, str] = {}

    def ready(self, vocab: Any) -> None:
        if vocab is not self.vocab or len(self.orth) > self.LIMIT:
            self.__init__()  # type: ignore[misc]
            self.vocab = vocab

    def learn(self, words: Iterable[str]) -> None:
        for word in words:
            if word not in self.orth:
                lex = self.vocab[word]
                self.orth[word] = lex.orth
                self.norm[word] = lex.norm
                self.norm_text[word] = lex.norm_


_LEXEMES = _Lexemes()


def pack(vocab: Any, rows: Iterable[Row]) -> Piece:
    """The rows as a piece of a `.spacy` file (see the module docstring)."""
    from spacy.tokens import DocBin

    from annotations.export.spacy_file import msgpack

    _version, attrs, (cats1, flags1, groups1) = layout()
    lex = _LEXEMES
    lex.ready(vocab)
    tables: list[bytes] = []
    spaces: list[bytes] = []
    lengths: list[int] = []
    strings: set[str] = set()
    words_seen: set[str] = set()
    rest = [bytearray(), bytearray(), bytearray()]
    for row in rows:
        made = _table(vocab, lex, row.record, attrs, strings, words_seen)
        if made is None:
            db = DocBin(store_user_data=False)
            db.add(to_doc(vocab, row))
            table, space = db.tokens[0], db.spaces[0]
            strings.update(db.strings)
            each = (msgpack(db.cats[0]), msgpack(db.flags[0]), msgpack(db.span_groups[0]))
        else:
            table, space = made
            each = (cats1, flags1, groups1)
        tables.append(table.tobytes())
        spaces.append(np.asarray(space, dtype=bool).tobytes())
        lengths.append(len(table))
        for out, packed in zip(rest, each, strict=True):
            out += packed
    if words_seen:
        strings.add("")
        strings.update(words_seen)
        strings.update(map(lex.norm_text.__getitem__, words_seen))
    return Piece(
        docs=len(lengths),
        tokens=segment(b"".join(tables)),
        spaces=segment(b"".join(spaces)),
        lengths=np.asarray(lengths, dtype=np.int32).tobytes(),
        strings=strings,
        cats=bytes(rest[0]),
        flags=bytes(rest[1]),
        span_groups=bytes(rest[2]),
    )


def _table(
    vocab: Any,
    lex: _Lexemes,
    record: Any,
    attrs: list[int],
    strings: set[str],
    words_seen: set[str],
) -> tuple[np.ndarray, np.ndarray] | None:
    """The record's token table and spaces as `DocBin.add` would take them from its Doc (and
    the strings it would collect, into `strings` / `words_seen`), or None (see `pack`)."""
    from spacy.attrs import ENT_IOB, ENT_TYPE, NORM, ORTH, SENT_START

    words, space_flags = words_and_spaces(record)
    n = len(words)
    if not n:
        return None
    lens = np.fromiter(map(len, words), np.int64, n)
    if not lens.all():
        return None
    spaces = np.array(space_flags, dtype=bool)
    spans = record.spans or ()
    if spans:
        starts = np.zeros(n, dtype=np.int64)
        np.cumsum(lens[:-1] + spaces[:-1], out=starts[1:])
        ends = starts + lens
        s = np.fromiter((sp.start for sp in spans), np.int64, len(spans))
        e = np.fromiter((sp.end for sp in spans), np.int64, len(spans))
        ts = np.searchsorted(starts, s)
        te = np.searchsorted(ends, e)
        if (ts >= n).any() or (te >= n).any() or (te < ts).any():
            return None
        if not (np.array_equal(starts[ts], s) and np.array_equal(ends[te], e)):
            return None  # off the tokens: `record_doc` says so
        order = np.argsort(ts, kind="stable")
        if (ts[order][1:] <= te[order][:-1]).any():
            return None  # overlapping: spaCy's `doc.ents` says so
        labels = [sp.label for sp in spans]
        strings.update(labels)
        hashes = np.fromiter(map(vocab.strings.add, labels), np.uint64, len(labels))
        widths = te - ts + 1
        first = np.zeros(len(widths), dtype=np.int64)
        np.cumsum(widths[:-1], out=first[1:])
        inside = np.arange(int(widths.sum()), dtype=np.int64) + np.repeat(ts - first, widths)
    lex.learn(words)
    col = {attr: i for i, attr in enumerate(attrs)}
    table = np.zeros((n, len(attrs)), dtype=np.uint64)
    table[:, col[ORTH]] = np.fromiter(map(lex.orth.__getitem__, words), np.uint64, n)
    table[:, col[NORM]] = np.fromiter(map(lex.norm.__getitem__, words), np.uint64, n)
    table[0, col[SENT_START]] = 1
    table[:, col[ENT_IOB]] = 2  # O
    if spans:
        table[inside, col[ENT_IOB]] = 1  # I
        table[ts, col[ENT_IOB]] = 3  # B
        table[inside, col[ENT_TYPE]] = np.repeat(hashes, widths)
    words_seen.update(words)
    return table, spaces


@functools.lru_cache(maxsize=1)
def _base_config() -> str:
    """`spacy init config --lang fr --pipeline ner --optimize efficiency`, made offline."""
    from spacy.cli.init_config import init_config

    config = init_config(
        lang="fr",
        pipeline=["ner"],
        optimize="efficiency",
        gpu=False,
        pretraining=False,
        silent=True,
    )
    return str(config.to_str())


def config_text(labels: Sequence[str]) -> str:
    header = (
        "# A blank French NER pipeline (tok2vec + ner, no vectors) written by `relecture export`.\n"
        f"# Labels: {', '.join(labels)}. Train it with, from this folder:\n"
        "#   python -m spacy train config.cfg --paths.train train.spacy --paths.dev dev.spacy "
        "--output model\n"
    )
    return header + _base_config()
