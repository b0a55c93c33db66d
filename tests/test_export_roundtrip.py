"""Round trips: every export read back with the foundation's readers gives the texts and spans it
was made from (generated records, the demo articles, the reference files).

- `jsonl`, `prodigy`, `doccano`, `hf`: the same (annotator, text, spans), character offsets and all.
- `conll`: the reader rebuilds the text with spaces and newlines (a CoNLL file has no original
  text) and whitespace tokens are not written, so the comparison is on the tokens without
  whitespace and on each entity's token range and label.
- `spacy`: there is no spaCy reader in `annotations.formats`; the DocBin is read with spaCy and
  compared on text and `doc.ents`.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.export import Options, export_records
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.records import Record, Span
from annotations.tokenize import tokenize
from tests.conftest import REFERENCE, need
from tests.test_export_hf import labelled_demo

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

FORMATS = ("hf", "spacy", "conll", "jsonl", "doccano", "prodigy")
Key = tuple[str | None, str, tuple[tuple[int, int, str], ...]]


def key(record: Record, annotator: str | None = None) -> Key:
    spans = tuple(sorted(s.key for s in record.spans or ()))
    return (annotator if annotator is not None else record.annotator, record.text, spans)


def read_back(fmt: str, out: Path) -> list[Record]:
    if fmt == "hf":
        return [i.record for i in read(out)]
    if fmt == "conll":
        return [i.record for p in sorted(out.glob("*.conll")) for i in read(p)]
    if fmt == "spacy":
        from spacy.tokens import DocBin

        from annotations.tokenize import french_tokenizer

        vocab = french_tokenizer().vocab
        back = []
        for path in sorted(out.glob("*.spacy")):
            for doc in DocBin().from_disk(path).get_docs(vocab):
                spans = [Span(e.start_char, e.end_char, e.label_) for e in doc.ents]
                back.append(Record(text=doc.text, spans=spans))
        return back
    return [i.record for p in sorted(out.glob("*.jsonl")) for i in read(p, fmt)]


def conll_view(record: Record) -> tuple[tuple[str, ...], tuple[tuple[int, int, str], ...]]:
    """Tokens without whitespace ones, and entities as (first, last, label) over those tokens."""
    tokens = record.tokens or []
    index: dict[int, int] = {}
    words: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.text.strip():
            index[i] = len(words)
            words.append(tok.text)
    ents = tuple(
        sorted(
            (index[s.token_start], index[s.token_end], s.label)  # type: ignore[index]
            for s in record.spans or ()
        )
    )
    return tuple(words), ents


def export_everything(
    pairs: list[tuple[Record, str]], tmp: Path, **options: Any
) -> dict[str, Path]:
    outs = {}
    for fmt in FORMATS:
        out = tmp / fmt
        fresh = [(Record.from_dict(r.to_dict()), where) for r, where in pairs]  # exports mutate
        export_records(fresh, out, Options(fmt=fmt, **options))
        outs[fmt] = out
    return outs


def check_round_trips(outs: dict[str, Path], expected: list[Key], keep_annotator: bool) -> None:
    want = Counter(expected if keep_annotator else [(None, t, s) for _, t, s in expected])
    jsonl = read_back("jsonl", outs["jsonl"])
    for fmt in ("jsonl", "prodigy", "doccano", "hf"):
        back = read_back(fmt, outs[fmt])
        got = Counter(key(r, None if keep_annotator else "") for r in back)
        if not keep_annotator:
            got = Counter((None, t, s) for _, t, s in got.elements())
        assert got == want, fmt
    spacy_back = Counter(key(r, "") for r in read_back("spacy", outs["spacy"]))
    assert spacy_back == Counter(("", t, s) for _, t, s in want.elements())
    views = Counter(conll_view(r) for r in jsonl)
    conll_back = Counter(conll_view(r) for r in read_back("conll", outs["conll"]))
    assert conll_back == views
    assert Counter(conll_view(r) for r in hf_tags_only(outs["hf"])) == views


def hf_tags_only(out: Path) -> list[Record]:
    """The HF export read through `tokens` + `ner_tags` alone (as a training script sees it):
    the parquet files without their `text` and `spans` columns."""
    import pyarrow.parquet as pq

    back = []
    for path in sorted((out / "data").glob("*.parquet")):
        table = pq.read_table(path).drop_columns(["text", "spans"])
        bare = out.parent / f"bare-{path.name}"
        pq.write_table(table, bare)
        back += [i.record for i in read(bare)]
        bare.unlink()
    return back


# -- generated records ----------------------------------------------------------------------

WORDS = [
    "Meta", "OpenAI", "Sam", "Altman", "d’OpenAI", "l’IA", "a", "recruté", "à", "Paris", "14,3",
    "milliards", "de", "dollars", "49", "%", ".", ",", "«", "»", "(", ")", "Lundi", "Zoé",
    "mi-juin", "2024", "!", "?", "…", "M.", "[x]", "Ça", "ÉTATS-UNIS",
]  # fmt: skip
LABELS = load_scheme().names


@st.composite
def texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25))
    seps = draw(
        st.lists(
            st.sampled_from([" ", " ", " ", "\n", "  ", " \n"]),
            min_size=len(words),
            max_size=len(words),
        )
    )
    return "".join(w + s for w, s in zip(words, seps, strict=True)).rstrip() or "x"


def annotate(draw: st.DrawFn, text: str, annotator: str | None) -> Record:
    """A record of `text` with up to 4 non-overlapping spans on spaCy tokens; half of the
    records keep their tokens, the others leave tokens (and token indices) to the export."""
    tokens = tokenize(text)
    solid = [t for t in tokens if t.text.strip()]
    spans: list[Span] = []
    used: set[int] = set()
    for _ in range(draw(st.integers(0, 4))):
        if not solid:
            break
        a = draw(st.integers(0, len(solid) - 1))
        b = draw(st.integers(a, min(a + 3, len(solid) - 1)))
        first, last = solid[a], solid[b]
        ids = set(range(first.id, last.id + 1))
        if ids & used:
            continue
        used |= ids
        spans.append(Span(first.start, last.end, draw(st.sampled_from(LABELS)), first.id, last.id))
    keep_tokens = draw(st.booleans())
    return Record(
        text=text,
        meta={"source": f"gen-{draw(st.integers(0, 10**6))}.txt"},
        tokens=tokens if keep_tokens else None,
        spans=spans if keep_tokens else [Span(s.start, s.end, s.label) for s in spans],
        answer=draw(st.sampled_from(["accept", "accept", "accept", None, "reject", "ignore"])),
        annotator=annotator,
    ).with_hashes()


@st.composite
def records(draw: st.DrawFn) -> Record:
    return annotate(draw, draw(texts()), "alice")


@st.composite
def two_annotators(draw: st.DrawFn) -> list[Record]:
    text = draw(texts())
    return [annotate(draw, text, "alice"), annotate(draw, text, "bob")]


def expected_gold(recs: list[Record]) -> list[Key]:
    last: dict[tuple[str | None, str], Record] = {}
    for r in recs:
        last[(r.annotator, r.text)] = r
    return [key(r) for r in last.values() if r.answer in ("accept", None) and not r.text.isspace()]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(recs=st.lists(records(), min_size=1, max_size=8), seed=st.integers(0, 3))
def test_generated_records_round_trip(
    recs: list[Record], seed: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    expected = expected_gold(recs)
    if not expected:
        return  # nothing accepted: the export refuses (tested in test_export_cli)
    tmp = tmp_path_factory.mktemp("gen")
    outs = export_everything(
        [(r, f"gen.jsonl:{i + 1}") for i, r in enumerate(recs)], tmp, seed=seed
    )
    check_round_trips(outs, expected, keep_annotator=True)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(groups=st.lists(two_annotators(), min_size=1, max_size=4))
def test_generated_records_of_two_annotators_policy_all(
    groups: list[list[Record]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    recs = [r for group in groups for r in group]
    expected = expected_gold(recs)
    if not expected:
        return
    tmp = tmp_path_factory.mktemp("two")
    pairs = [(r, f"two.jsonl:{i + 1}") for i, r in enumerate(recs)]
    outs = export_everything(pairs, tmp, policy="all")
    check_round_trips(outs, expected, keep_annotator=True)


# -- the demo and the reference files -------------------------------------------------------


def test_demo_round_trips(tmp_path: Path) -> None:
    recs = labelled_demo()
    outs = export_everything([(r, f"demo:{i + 1}") for i, r in enumerate(recs)], tmp_path)
    check_round_trips(outs, [key(r) for r in recs], keep_annotator=True)


def test_prodigy_reference_round_trips(tmp_path: Path) -> None:
    src = need(REFERENCE / "prodigy_explosion_projects" / "fashion_brands_eval.jsonl")
    items = list(read(src))
    outs = export_everything([(i.record, i.where) for i in items], tmp_path, any_label=True)
    expected = expected_gold([i.record for i in items])
    assert sum(len(k[2]) for k in expected) == 238
    check_round_trips(outs, expected, keep_annotator=True)


def test_multi_annotator_reference_round_trips(tmp_path: Path) -> None:
    src = need(REFERENCE / "derived" / "bratiaa_as_prodigy_multiannotator.jsonl")
    items = list(read(src))
    recs = [i.record for i in items]
    outs = export_everything([(i.record, i.where) for i in items], tmp_path, policy="all")
    check_round_trips(outs, expected_gold(recs), keep_annotator=True)

    # majority: a span is kept when more than half of the article's annotators have it
    votes: dict[str, Counter[tuple[int, int, str]]] = {}
    voters: Counter[str] = Counter()
    for r in recs:
        voters[r.text] += 1
        votes.setdefault(r.text, Counter()).update({s.key for s in r.spans or []})
    want = [
        (None, text, tuple(sorted(k for k, n in c.items() if 2 * n > voters[text])))
        for text, c in votes.items()
    ]
    outs = export_everything(
        [(i.record, i.where) for i in items], tmp_path / "majority", policy="majority"
    )
    check_round_trips(outs, want, keep_annotator=False)
    assert sum(len(s) for _, _, s in want) > 0
