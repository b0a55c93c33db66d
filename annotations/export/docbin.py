"""spaCy export: `train.spacy` / `dev.spacy` / `test.spacy` (`DocBin`, entities in `doc.ents`)
and a `config.cfg` for a blank French NER pipeline (tok2vec + ner, no vectors, nothing to
download), so that `python -m spacy train config.cfg --paths.train train.spacy --paths.dev
dev.spacy` trains as the export's README says.

Each Doc has the record's own tokens and reproduces its text exactly: where the text between two
tokens is not empty or a single space (a newline, two spaces), that stretch becomes a whitespace
token, as spaCy's own tokenizer would make it. Entities are set from character offsets.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from annotations.export.select import Row
from annotations.records import Record

SPACY_FILES = {"train": "train.spacy", "dev": "dev.spacy", "test": "test.spacy"}


def words_and_spaces(record: Any) -> tuple[list[str], list[bool]]:
    """Words and trailing-space flags whose concatenation is exactly `record.text`."""
    text = record.text
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
    offsets = getattr(record, "token_starts", None)  # a `lean.Lean`: offsets as lists
    pairs: Iterable[tuple[int, int]]
    if offsets is not None:
        pairs = zip(offsets, record.token_ends, strict=True)
    else:
        pairs = ((tok.start, tok.end) for tok in record.tokens or ())
    for start, end in pairs:
        if start > pos:
            gap(pos, start)
        words.append(text[start:end])
        spaces.append(False)
        pos = end
    if pos < len(text):
        gap(pos, len(text))
    return words, spaces


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
