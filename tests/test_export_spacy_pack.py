"""The spacy export's pieces (`docbin.pack`, `spacy_file.DocBinFile`): a file made from them
decompresses to exactly the msgpack spaCy's own `DocBin.to_bytes()` makes of the same records'
Docs (`docbin.record_doc`), however the records are cut into pieces."""

from __future__ import annotations

import random
import zlib
from pathlib import Path
from typing import Any

import pytest
import srsly  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.export import docbin
from annotations.export.lean import plain
from annotations.export.select import Row
from annotations.export.spacy_file import (
    DocBinFile,
    adler32_combine,
    array_header,
    bin_header,
    segment,
)
from annotations.records import Record, Span, Token
from annotations.tokenize import french_tokenizer, tokenize

LABELS = ["PER", "ORG", "LOC", "MISC"]


def _row(record: Any, i: int = 0) -> Row:
    return Row(record, ["a"], f"x.jsonl:{i}", str(i), i)


def _spacy_bytes(rows: list[Row]) -> bytes:
    """What the export wrote before: a Doc per record, spaCy's DocBin, `to_bytes`."""
    from spacy.tokens import DocBin

    vocab = french_tokenizer().vocab
    db = DocBin(store_user_data=False)
    for row in rows:
        db.add(docbin.to_doc(vocab, row))
    return zlib.decompress(db.to_bytes())


def _ours(rows: list[Row], tmp: Path, cuts: int = 1) -> bytes:
    version, attrs, _each = docbin.layout()
    out = DocBinFile(tmp / "x.spacy", version, attrs)
    vocab = french_tokenizer().vocab
    size = max(1, -(-len(rows) // cuts))
    for i in range(0, len(rows), size):
        out.add(docbin.pack(vocab, rows[i : i + size]))
    out.close()
    data = (tmp / "x.spacy").read_bytes()
    from spacy.tokens import DocBin

    DocBin().from_bytes(data)  # spaCy reads it
    return zlib.decompress(data)


def _tokenised(text: str, spans: list[tuple[int, int, str]]) -> Record:
    return Record(text, tokens=tokenize(text), spans=[Span(s, e, label) for s, e, label in spans])


def _records(seed: int) -> list[Record]:
    rng = random.Random(seed)
    words = [
        "Paris",
        "l’Élysée",
        "Marie-Claire",
        "de",
        "la",
        "Banque",
        "France",
        "à",
        "!",
        "«",
        "»",
    ]
    out = []
    for _ in range(40):
        parts = [rng.choice(words) for _ in range(rng.randint(1, 25))]
        seps = [rng.choice([" ", " ", " ", "", "\n", "  ", " \n ", "\u00a0"]) for _ in parts]
        text = rng.choice(["", "", "  ", "\n"])
        offsets = []
        for word, sep in zip(parts, seps, strict=True):
            offsets.append((len(text), len(text) + len(word)))
            text += word + sep
        record = Record(text, tokens=tokenize(text))
        starts = {t.start for t in record.tokens or ()}
        ends = {t.end for t in record.tokens or ()}
        spans: list[Span] = []
        last = -1
        for a, b in offsets:
            if a > last and a in starts and b in ends and rng.random() < 0.4:
                spans.append(Span(a, b, rng.choice(LABELS)))
                last = b
        record.spans = spans
        out.append(record)
    return out


@pytest.mark.parametrize("cuts", [1, 3])
def test_records_with_tokens_make_spacys_own_docbin(tmp_path: Path, cuts: int) -> None:
    rows = [_row(r, i) for i, r in enumerate(_records(0))]
    assert _ours(rows, tmp_path, cuts) == _spacy_bytes(rows)


def test_lean_records_without_tokens_make_spacys_own_docbin(tmp_path: Path) -> None:
    allowed = frozenset(LABELS)
    rows = []
    for i, record in enumerate(_records(1)):
        obj = {"text": record.text, "spans": [s.to_dict() for s in record.spans or ()]}
        lean = plain(obj, allowed)
        if lean is not None:
            rows.append(_row(lean, i))
    assert len(rows) > 20
    assert _ours(rows, tmp_path, 2) == _spacy_bytes(rows)


def test_records_spacy_takes_another_way(tmp_path: Path) -> None:
    """Tokens with text between them other than one space, tokens that do not reach the text's
    ends, a token with whitespace inside, an entity that starts on a newline token."""
    text = "  Jean  Dupont\nà\tParis "
    tokens = [Token("Jean", 2, 6, 0), Token("Dupont", 8, 14, 1), Token("à", 15, 16, 2)]
    tokens.append(Token("Paris", 17, 22, 3))
    odd = Record(text, tokens=tokens, spans=[Span(2, 14, "PER"), Span(17, 22, "LOC")])
    spaced = Record("New York ici", tokens=[Token("New York", 0, 8, 0), Token("ici", 9, 12, 1)])
    spaced.spans = [Span(0, 8, "LOC")]
    newline = _tokenised("Le\n\nMonde", [(2, 9, "ORG")])
    rows = [_row(r, i) for i, r in enumerate([odd, spaced, newline])]
    assert _ours(rows, tmp_path) == _spacy_bytes(rows)


def test_a_span_off_the_tokens_is_refused_as_before() -> None:
    record = _tokenised("Jean Dupont", [(1, 4, "PER")])
    with pytest.raises(ValueError, match="not on spaCy tokens"):
        docbin.pack(french_tokenizer().vocab, [_row(record)])


def test_adler32_combine() -> None:
    rng = random.Random(0)
    data = rng.randbytes(200_000)
    for cut in (0, 1, 65520, 65521, 65522, 150_000, 200_000):
        a, b = data[:cut], data[cut:]
        assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(data)


def test_segments_make_one_zlib_stream() -> None:
    parts = [b"", b"abc" * 1000, bytes(70_000), b"", b"xyz"]
    from annotations.export.spacy_file import _ZLIB_HEADER

    body = b"".join(segment(p).data for p in parts[:-1]) + segment(parts[-1], final=True).data
    adler = 1
    for p in parts:
        adler = adler32_combine(adler, zlib.adler32(p), len(p))
    assert zlib.decompress(_ZLIB_HEADER + body + adler.to_bytes(4, "big")) == b"".join(parts)


@pytest.mark.parametrize("n", [0, 1, 15, 16, 255, 256, 65535, 65536])
def test_msgpack_headers(n: int) -> None:
    assert srsly.msgpack_dumps([0] * n)[: len(array_header(n))] == array_header(n)
    assert srsly.msgpack_dumps(bytes(n))[: len(bin_header(n))] == bin_header(n)


_TEXT = st.text(st.sampled_from("ab é\n\t."), max_size=30)


@settings(max_examples=200)
@given(_TEXT, st.data())
def test_words_and_spaces_quick_way_is_the_long_way(text: str, data: st.DataObject) -> None:
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(text)), max_size=12))))
    bounds = list(zip(cuts[::2], cuts[1::2], strict=False))
    starts = [a for a, b in bounds if b > a]
    ends = [b for a, b in bounds if b > a]
    record = Record(
        text,
        tokens=[
            Token(text[a:b], a, b, i) for i, (a, b) in enumerate(zip(starts, ends, strict=True))
        ],
    )
    assert docbin.words_and_spaces(record) == docbin.with_gaps(text, starts, ends)
    spacy_tokens = Record(text, tokens=tokenize(text))
    got = docbin.words_and_spaces(spacy_tokens)
    toks = spacy_tokens.tokens or []
    assert got == docbin.with_gaps(text, [t.start for t in toks], [t.end for t in toks])


@pytest.mark.parametrize("fmt", ["spacy", "conll", "jsonl"])
def test_a_chunk_says_its_reading_error_before_an_earlier_alignment_error(
    tmp_path: Path, fmt: str
) -> None:
    """A row at a time, as a whole chunk read first: the unreadable line 4 is the error, not
    the span off the tokens of line 2 (`--align strict`), as the in-memory path says too."""
    import orjson

    from annotations.errors import InputError
    from annotations.export import Options, export

    lines = [{"text": f"Marie Curie à Paris {i}.", "answer": "accept"} for i in range(6)]
    lines[1]["spans"] = [{"start": 1, "end": 4, "label": "PER"}]  # inside "Marie"
    lines[3]["spans"] = [{"start": 0, "end": 99, "label": "PER"}]  # past the text's end
    src = tmp_path / "a.jsonl"
    src.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in lines))
    options = Options(fmt=fmt, split="1", align="strict", processes=1)
    with pytest.raises(InputError, match="out of range") as exc:
        export([src], tmp_path / "out", options)
    assert str(exc.value).startswith(f"{src}:4: ")
    del lines[3]
    src.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in lines))
    with pytest.raises(InputError, match="--align strict") as exc:
        export([src], tmp_path / "out", options)
    assert str(exc.value).startswith(f"{src}:2 ")
