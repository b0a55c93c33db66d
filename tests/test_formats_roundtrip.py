"""Write then read: our JSONL (write_records and the append-only JsonlWriter) gives back equal
records for any record; Prodigy and doccano keep texts and spans; HF datasets (save_to_disk and
parquet), CoNLL variants and plain text are read as they were built; an existing target is never
touched without force."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

import dataclasses
import itertools
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.errors import InputError, UsageError
from annotations.formats import detect, read, write_records
from annotations.records import ANSWERS, Record, Span, Token
from annotations.store.writer import JsonlWriter
from annotations.tokenize import french_tokenizer

RECORD_KEYS = frozenset(key for key, _ in Record.FIELDS)
SPAN_KEYS = frozenset(("start", "end", "label", "token_start", "token_end", "source", "score"))
TOKEN_KEYS = frozenset(("text", "start", "end", "id", "ws"))
# keys that make a record without spans, tokens or hashes look like doccano's: such a first
# line is genuinely ambiguous, so generated records do not use them as extra keys
DOCCANO_KEYS = frozenset(
    ("label", "labels", "column_data", "column_label", "entities", "annotations")
)


@pytest.fixture(scope="module", autouse=True)
def _load_tokenizer() -> None:
    french_tokenizer()  # ~3 s once per session


def read_records(path: Path, fmt: str | None = None) -> list[Record]:
    return [item.record for item in read(path, fmt)]


def span_keys(record: Record) -> list[tuple[int, int, str]]:
    return sorted(s.key for s in record.spans or ())


# ---------------------------------------------------------------- strategies

TEXT_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")
ANY_CHARS = st.characters(codec="utf-8")
I64 = st.integers(-(2**63), 2**63 - 1)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | FLOATS
    | st.text(ANY_CHARS, max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(ANY_CHARS, max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


def extra_dicts(forbidden: frozenset[str]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.text(ANY_CHARS, max_size=8).filter(lambda k: k not in forbidden)
    return st.dictionaries(keys, JSON_VALUES, max_size=3)


@st.composite
def records(draw: st.DrawFn) -> Record:
    text = draw(st.text(TEXT_CHARS, min_size=1, max_size=40))
    n = len(text)
    tokens: list[Token] | None = None
    if draw(st.booleans()):
        cuts = sorted(draw(st.sets(st.integers(0, n), max_size=10)) | {0, n})
        pieces = [(a, b) for a, b in itertools.pairwise(cuts) if draw(st.booleans()) or a == 0]
        tokens = [
            Token(
                text[a:b],
                a,
                b,
                i,
                draw(st.none() | st.booleans()),
                draw(extra_dicts(TOKEN_KEYS)) or None,  # no other keys: None (as read)
            )
            for i, (a, b) in enumerate(pieces)
        ]

    def span() -> Span:
        if tokens and draw(st.booleans()):
            ts = draw(st.integers(0, len(tokens) - 1))
            te = draw(st.integers(ts, len(tokens) - 1))
            start, end = tokens[ts].start, tokens[te].end
            index: tuple[int | None, int | None] = (ts, te)
        else:
            start = draw(st.integers(0, n - 1))
            end = draw(st.integers(start + 1, n))
            index = (None, None)
            if tokens is None and draw(st.booleans()):  # indices of tokens the record lacks
                ts = draw(st.integers(0, 50))
                index = (ts, draw(st.integers(ts, 60)))
        return Span(
            start,
            end,
            draw(st.text(ANY_CHARS, min_size=1, max_size=8)),
            *index,
            source=draw(st.none() | st.text(ANY_CHARS, max_size=12)),
            score=draw(st.none() | FLOATS | I64),
            extra=draw(extra_dicts(SPAN_KEYS)) or None,
        )

    def span_list() -> list[Span] | None:
        if draw(st.booleans()):
            return None
        return [span() for _ in range(draw(st.integers(0, 4)))]

    return Record(
        text=text,
        meta=draw(
            st.none() | st.dictionaries(st.text(ANY_CHARS, max_size=6), JSON_VALUES, max_size=4)
        ),
        input_hash=draw(st.none() | I64),
        task_hash=draw(st.none() | I64),
        tokens=tokens,
        spans=span_list(),
        suggestions=span_list(),
        answer=draw(st.none() | st.sampled_from(ANSWERS)),
        annotator=draw(st.none() | st.text(ANY_CHARS, max_size=10)),
        timestamp=draw(st.none() | I64),
        extra=draw(extra_dicts(RECORD_KEYS | DOCCANO_KEYS)),
    )


ROUND_TRIP = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---------------------------------------------------------------- any record, our JSONL


@ROUND_TRIP
@given(st.lists(records(), min_size=1, max_size=4))
def test_any_record_round_trips_through_write_records(recs: list[Record]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        assert write_records(recs, out, "jsonl") == len(recs)
        assert read_records(out) == recs
        assert read_records(out, "prodigy") == recs


@settings(ROUND_TRIP, max_examples=40)  # every append is fsync'd: keep it short
@given(st.lists(records(), min_size=1, max_size=4))
def test_any_record_round_trips_through_the_append_only_writer(recs: list[Record]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        with JsonlWriter(out) as writer:
            writer.append(recs[0])
            writer.append_many(recs[1:])
        assert read_records(out) == recs
        # the same bytes as write_records
        other = Path(tmp) / "other.jsonl"
        write_records(recs, other)
        assert other.read_bytes() == out.read_bytes()


def test_a_hand_made_record_with_everything_round_trips(tmp_path: Path) -> None:
    text = "Meta recrute d’OpenAI pour 14,3 milliards de dollars 🤖.\nFin."
    tokens = [Token("Meta", 0, 4, 0, True, {"pos": "PROPN"}), Token("recrute", 5, 12, 1, True)]
    record = Record(
        text=text,
        meta={"source": "001.txt", "nested": {"a": [1, 2.5, None, True, {"b": "é"}]}},
        input_hash=-(2**52),
        task_hash=2**52,
        tokens=tokens,
        spans=[Span(0, 4, "ORG", 0, 0, "model:fr_core_news_md", 0.91, {"text": "Meta"})],
        suggestions=[Span(15, 21, "ORG", source="patterns", score=1)],
        answer="accept",
        annotator="alice",
        timestamp=1_763_800_000,
        extra={"_view_id": "ner_manual", "_session_id": None, "flagged": [1, "x"]},
    )
    out = tmp_path / "r.jsonl"
    write_records([record], out)
    [back] = read_records(out)
    assert back == record
    assert back.to_dict() == orjson.loads(out.read_bytes())


# ---------------------------------------------------------------- Prodigy and doccano

ARTICLES = [
    Record(
        text="Meta a recruté Alexandr Wang, fondateur de Scale AI.",
        meta={"source": "000.txt"},
        spans=[Span(0, 4, "ORG"), Span(15, 28, "PER"), Span(43, 51, "ORG")],
        suggestions=[Span(0, 4, "ORG", source="model", score=0.9)],
        answer="accept",
        annotator="alice",
    ),
    Record(
        text="Lundi, OpenAI a perdu 4 chercheurs.", spans=[Span(0, 5, "DATE"), Span(7, 13, "ORG")]
    ),
    Record(text="Rien à signaler.", spans=[]),
]


@pytest.mark.parametrize("fmt", ["jsonl", "prodigy", "doccano"])
def test_write_then_read_keeps_texts_and_spans(tmp_path: Path, fmt: str) -> None:
    recs = [dataclasses.replace(r).with_hashes() for r in ARTICLES]
    out = tmp_path / f"out.{fmt}.jsonl"
    assert write_records(recs, out, fmt) == 3
    assert detect(out) == ("doccano" if fmt == "doccano" else "jsonl")
    back = read_records(out)
    assert [r.text for r in back] == [r.text for r in recs]
    assert [span_keys(r) for r in back] == [span_keys(r) for r in recs]
    assert [r.annotator for r in back] == [r.annotator for r in recs]
    assert [r.input_hash for r in back] == [r.input_hash for r in recs]
    if fmt == "jsonl":
        assert back == recs
    if fmt == "prodigy":  # suggestions are not Prodigy's; the view id is added
        assert back == [
            dataclasses.replace(r, suggestions=None, extra={**r.extra, "_view_id": "ner_manual"})
            for r in recs
        ]
    if fmt == "doccano":
        assert [r.meta for r in back] == [r.meta for r in recs]
        for r in back:  # read back through the tokenizer: spans are on tokens
            assert all(s.token_start is not None for s in r.spans or ())


WORD = st.text(st.sampled_from("abcdeéàMOAI0123456789’'-,.€%"), min_size=1, max_size=8)


@st.composite
def doccano_case(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    words = draw(st.lists(WORD, min_size=1, max_size=12))
    seps = draw(
        st.lists(
            st.sampled_from([" ", "  ", "\n", " \n "]), min_size=len(words), max_size=len(words)
        )
    )
    text = "".join(w + s for w, s in zip(words, seps, strict=True)).rstrip() or "x"
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        a = draw(st.integers(0, len(text) - 1))
        b = draw(st.integers(a + 1, len(text)))
        if not text[a].isspace() and not text[b - 1].isspace():
            spans.append((a, b, draw(st.sampled_from(["PER", "ORG", "MONEY"]))))
    return text, spans


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(doccano_case(), min_size=1, max_size=3))
def test_doccano_spans_round_trip_exactly(
    cases: list[tuple[str, list[tuple[int, int, str]]]],
) -> None:
    recs = [Record(text=t, spans=[Span(*s) for s in spans]) for t, spans in cases]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "d.jsonl"
        write_records(recs, out, "doccano")
        items = list(read(out))
    assert [i.record.text for i in items] == [t for t, _ in cases]
    for item, (_, spans) in zip(items, cases, strict=True):
        record = item.record
        assert [s.key for s in record.spans or ()] == spans  # the split policy keeps offsets
        tokens = record.tokens or []
        for s in record.spans or ():
            assert tokens[s.token_start].start == s.start and tokens[s.token_end].end == s.end
        assert not [i for i in item.issues if i.error]


# ---------------------------------------------------------------- detection pitfalls (bugs)


def test_doccano_file_with_a_long_first_article_is_still_doccano(tmp_path: Path) -> None:
    text = "Meta recrute chez OpenAI. " * 3000  # 78k characters: a long article
    path = tmp_path / "long.jsonl"
    path.write_bytes(orjson.dumps({"text": text, "label": [[0, 4, "ORG"]]}) + b"\n")
    [record] = read_records(path)
    assert span_keys(record) == [(0, 4, "ORG")]


@pytest.mark.parametrize("extra", [{"annotations": []}, {"entities": [], "kind": "x"}])
def test_our_jsonl_with_doccano_like_extra_keys_is_still_ours(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    record = Record(text="Meta recrute.", spans=[Span(0, 4, "ORG")], extra=extra).with_hashes()
    out = tmp_path / "ours.jsonl"
    write_records([record], out)
    assert detect(out) == "jsonl"
    assert read_records(out) == [record]


@pytest.mark.parametrize("score", [float("nan"), float("inf")])
def test_a_file_we_wrote_is_always_readable(tmp_path: Path, score: float) -> None:
    record = Record(text="Meta", spans=[Span(0, 4, "ORG", score=score)])
    out = tmp_path / "s.jsonl"
    try:
        write_records([record], out)
    except (ValueError, UsageError):
        return  # refusing to write is fine too
    [back] = read_records(out)
    assert back.spans is not None and len(back.spans) == 1


# ---------------------------------------------------------------- write_records refuses


@pytest.mark.parametrize("fmt", ["jsonl", "prodigy", "doccano"])
def test_write_records_refuses_an_existing_target(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "gold.jsonl"
    original = b'{"text": "do not touch"}\n\xff partial'
    out.write_bytes(original)
    with pytest.raises(UsageError, match="exists"):
        write_records(ARTICLES, out, fmt)
    assert out.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold.jsonl"]  # no temporary left
    assert write_records(ARTICLES, out, fmt, force=True) == 3
    assert [r.text for r in read_records(out)] == [r.text for r in ARTICLES]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold.jsonl"]


def test_write_records_unknown_format_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.conll"
    with pytest.raises(UsageError, match="cannot write"):
        write_records(ARTICLES, out, "conll")
    assert not out.exists()


def test_write_records_failing_midway_leaves_the_target_untouched(tmp_path: Path) -> None:
    out = tmp_path / "gold.jsonl"
    out.write_bytes(b"old\n")

    def gen() -> Any:
        yield ARTICLES[0]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_records(gen(), out, force=True)
    assert out.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold.jsonl"]


# ---------------------------------------------------------------- Hugging Face datasets

NAMES = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-MONEY", "I-MONEY"]
ROWS = [
    (["Meta", "recrute", "Alexandr", "Wang", "."], ["B-ORG", "O", "B-PER", "I-PER", "O"]),
    (["OpenAI"], ["B-ORG"]),
    (
        ["Un", "accord", "de", "14,3", "milliards", "de", "dollars", "avec", "Scale", "AI"],
        ["O", "O", "O", "B-MONEY", "I-MONEY", "I-MONEY", "I-MONEY", "O", "B-ORG", "I-ORG"],
    ),
    (["Rien", "."], ["O", "O"]),
]


def expected_rows() -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Text = words joined by spaces; spans computed here from the tags, independently."""
    out = []
    for words, tags in ROWS:
        starts, pos = [], 0
        for w in words:
            starts.append(pos)
            pos += len(w) + 1
        spans = []
        for i, tag in enumerate(tags):
            if tag.startswith("B-"):
                j = i
                while j + 1 < len(tags) and tags[j + 1] == "I-" + tag[2:]:
                    j += 1
                spans.append((starts[i], starts[j] + len(words[j]), tag[2:]))
        out.append((" ".join(words), spans))
    return out


def hf_dataset(string_tags: bool = False) -> Any:
    import datasets

    datasets.disable_progress_bars()
    tag_feature = datasets.Value("string") if string_tags else datasets.ClassLabel(names=NAMES)
    features = datasets.Features(
        {"tokens": datasets.List(datasets.Value("string")), "ner_tags": datasets.List(tag_feature)}
    )
    data = {
        "tokens": [w for w, _ in ROWS],
        "ner_tags": [t if string_tags else [NAMES.index(x) for x in t] for _, t in ROWS],
    }
    return datasets.Dataset.from_dict(data, features=features)


def check_hf_records(recs: list[Record]) -> None:
    assert [(r.text, span_keys(r)) for r in recs] == expected_rows()
    for r, (words, _) in zip(recs, ROWS, strict=True):
        assert [t.text for t in r.tokens or ()] == words
        for s in r.spans or ():
            assert r.tokens is not None
            assert r.tokens[s.token_start].start == s.start
            assert r.tokens[s.token_end].end == s.end
        assert r.input_hash is not None


def test_hf_save_to_disk(tmp_path: Path) -> None:
    ds = hf_dataset()
    ds.save_to_disk(str(tmp_path / "ds"))
    assert detect(tmp_path / "ds") == "hf"
    check_hf_records(read_records(tmp_path / "ds"))


def test_hf_sequence_of_classlabel(tmp_path: Path) -> None:
    import datasets

    datasets.disable_progress_bars()
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=NAMES)),
        }
    )
    ds = datasets.Dataset.from_dict(
        {
            "tokens": [w for w, _ in ROWS],
            "ner_tags": [[NAMES.index(x) for x in t] for _, t in ROWS],
        },
        features=features,
    )
    ds.save_to_disk(str(tmp_path / "seq"))
    check_hf_records(read_records(tmp_path / "seq"))


def test_hf_parquet_file_and_folder(tmp_path: Path) -> None:
    ds = hf_dataset()
    file = tmp_path / "pq" / "train.parquet"
    file.parent.mkdir()
    ds.to_parquet(str(file))
    assert detect(file) == "hf"
    recs = read_records(file)
    check_hf_records(recs)  # ClassLabel names come from the parquet schema's metadata
    assert all(r.meta == {"split": "train"} for r in recs)
    assert detect(file.parent) == "hf"
    check_hf_records(read_records(file.parent))


def test_hf_dataset_dict_and_string_tags(tmp_path: Path) -> None:
    import datasets

    dd = datasets.DatasetDict({"train": hf_dataset(), "test": hf_dataset(string_tags=True)})
    dd.save_to_disk(str(tmp_path / "dd"))
    recs = read_records(tmp_path / "dd")
    assert [r.meta["split"] for r in recs if r.meta] == ["train"] * 4 + ["test"] * 4
    check_hf_records(recs[:4])
    check_hf_records(recs[4:])


def test_hf_integer_tags_without_names_is_an_input_error(tmp_path: Path) -> None:
    import datasets

    ds = datasets.Dataset.from_dict({"tokens": [["Meta"]], "ner_tags": [[1]]})
    ds.save_to_disk(str(tmp_path / "raw"))
    with pytest.raises(InputError, match="no ClassLabel names"):
        read_records(tmp_path / "raw")


# ---------------------------------------------------------------- CoNLL / IOB


def entities(record: Record) -> list[tuple[str, str]]:
    return [(s.label, record.span_text(s)) for s in record.spans or ()]


def check_conll_record(record: Record) -> None:
    tokens = record.tokens or []
    for i, t in enumerate(tokens):
        assert t.id == i and record.text[t.start : t.end] == t.text
    for s in record.spans or ():
        assert tokens[s.token_start].start == s.start and tokens[s.token_end].end == s.end


def test_conll_docstart_and_blank_lines_iob1(tmp_path: Path) -> None:
    path = tmp_path / "eng.conll"
    path.write_text(
        "-DOCSTART- -X- -X- O\n\n"
        "EU NNP B-NP I-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP I-MISC\ncall NN I-NP O\n. . O O\n\n"
        "Peter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n\n"
        "-DOCSTART- -X- -X- O\n\n"
        "BRUSSELS NNP B-NP I-LOC\n1996-08-22 CD I-NP O\n\n"
        "Paris NNP B-NP I-LOC\nLyon NNP B-NP B-LOC\n"
    )
    assert detect(path) == "conll"
    recs = read_records(path)
    assert [r.text for r in recs] == [
        "EU rejects German call .\nPeter Blackburn",  # sentences of one document
        "BRUSSELS 1996-08-22\nParis Lyon",
    ]
    assert [entities(r) for r in recs] == [
        [("ORG", "EU"), ("MISC", "German"), ("PER", "Peter Blackburn")],
        [("LOC", "BRUSSELS"), ("LOC", "Paris"), ("LOC", "Lyon")],  # IOB1 B- separates
    ]
    for r in recs:
        check_conll_record(r)
        assert r.meta and r.meta["source"] == "eng.conll"


def test_conll_index_column_iob2_blank_lines_without_docstart(tmp_path: Path) -> None:
    path = tmp_path / "fr.conllu"
    path.write_text(
        "# sent_id = 1\n"
        "1\tMeta\tB-ORG\n2\trecrute\tO\n3\tAlexandr\tB-PER\n4\tWang\tI-PER\n\n"
        "1\tOpenAI\tB-ORG\n2\tperd\tO\n3\tNat\tB-PER\n4\tFriedman\tI-PER\n5\tet\tO\n6\tMeta\tB-ORG\n"
    )
    recs = read_records(path)
    assert [r.text for r in recs] == [
        "Meta recrute Alexandr Wang",
        "OpenAI perd Nat Friedman et Meta",
    ]
    assert [entities(r) for r in recs] == [
        [("ORG", "Meta"), ("PER", "Alexandr Wang")],
        [("ORG", "OpenAI"), ("PER", "Nat Friedman"), ("ORG", "Meta")],
    ]
    for r in recs:
        check_conll_record(r)


def test_conll_bioes_with_tabs_detected_by_content(tmp_path: Path) -> None:
    path = tmp_path / "bioes.data"  # no telling suffix: sniffed
    path.write_text(
        "Meta\tS-ORG\nrecrute\tO\nAlexandr\tB-PER\nde\tI-PER\nWang\tE-PER\n,\tO\n"
        "Scale\tB-ORG\nAI\tE-ORG\nOpenAI\tS-ORG\n"
    )
    assert detect(path) == "conll"
    [record] = read_records(path)
    assert record.text == "Meta recrute Alexandr de Wang , Scale AI OpenAI"
    assert entities(record) == [
        ("ORG", "Meta"),
        ("PER", "Alexandr de Wang"),
        ("ORG", "Scale AI"),
        ("ORG", "OpenAI"),
    ]
    check_conll_record(record)


def test_conll_to_jsonl_and_back(tmp_path: Path) -> None:
    path = tmp_path / "x.iob2"
    path.write_text("Meta B-ORG\nrecrute O\nAlexandr B-PER\nWang I-PER\n\nOpenAI B-ORG\n")
    recs = read_records(path)
    out = tmp_path / "x.jsonl"
    write_records(recs, out)
    assert read_records(out) == recs


def test_conll_bad_tag_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.bio"
    path.write_text("Meta B-ORG\nrecrute O\nWang B-\n")
    with pytest.raises(InputError) as info:
        read_records(path)
    assert info.value.line == 3


def test_conll_hashtag_token_is_not_a_comment(tmp_path: Path) -> None:
    path = tmp_path / "tweets.conll"
    path.write_text("Voici ADV O\n#ootd NOUN O\nde ADP O\nMeta PROPN B-ORG\n")
    [record] = read_records(path)
    assert record.text == "Voici #ootd de Meta"
    assert entities(record) == [("ORG", "Meta")]


# ---------------------------------------------------------------- plain text


ARTICLE_1 = "  Meta recrute d’OpenAI.\n\nLe 2 juin, « 14,3 milliards » ont été versés. 🤖\n"
ARTICLE_2 = "Deuxième article\tavec une tabulation."


def test_txt_file_text_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "001.txt"
    path.write_text(ARTICLE_1, encoding="utf-8")
    assert detect(path) == "txt"
    [item] = list(read(path))
    record = item.record
    assert record.text == ARTICLE_1
    assert record.meta == {"source": "001.txt"}
    assert record.spans is None
    assert record.tokens and "".join(t.text for t in record.tokens if not t.text.isspace())
    for t in record.tokens:
        assert record.text[t.start : t.end] == t.text
    assert record.input_hash is not None


def test_txt_folder_one_record_per_file_sorted(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text(ARTICLE_2, encoding="utf-8")
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbf" + ARTICLE_1.encode())  # with a BOM
    (tmp_path / "notes.md").write_text("not an article")
    assert detect(tmp_path) == "txt"
    recs = read_records(tmp_path)
    assert [(r.meta, r.text) for r in recs] == [
        ({"source": "a.txt"}, ARTICLE_1),
        ({"source": "b.txt"}, ARTICLE_2),
    ]


def test_txt_crlf_is_read_as_lf(tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    path.write_bytes(b"Ligne 1\r\nLigne 2\r\n")
    [record] = read_records(path)
    assert record.text == "Ligne 1\nLigne 2\n"


def test_txt_empty_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n")
    with pytest.raises(InputError, match="empty"):
        read_records(path)


# ---------------------------------------------------------------- brat, hand-made


def test_brat_folder_spans_relations_and_discontinuous(tmp_path: Path) -> None:
    text = "Meta a recruté Alexandr Wang à Menlo Park.\nScale AI perd son patron."
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    (tmp_path / "doc.ann").write_text(
        "T1\tORG 0 4\tMeta\n"
        "T2\tPER 15 28\tAlexandr Wang\n"
        "T3\tLOC 31 36;37 41\tMenlo Park\n"
        "R1\tWorksFor Arg1:T2 Arg2:T1\n"
        "A1\tNegated T1\n"
        "#1\tAnnotatorNotes T1\tnote\n"
        "T4\tORG 43 51\tScale AI\n",
        encoding="utf-8",
    )
    assert detect(tmp_path) == "brat"
    assert detect(tmp_path / "doc.ann") == "brat"
    [item] = list(read(tmp_path))
    record = item.record
    assert record.text == text
    assert record.meta == {"source": "doc.txt"}
    assert [(s.label, record.span_text(s), s.extra) for s in record.spans or ()] == [
        ("ORG", "Meta", {"id": "T1"}),
        ("PER", "Alexandr Wang", {"id": "T2"}),
        ("LOC", "Menlo", {"id": "T3"}),  # a discontinuous span becomes one span per fragment
        ("LOC", "Park", {"id": "T3"}),
        ("ORG", "Scale AI", {"id": "T4"}),
    ]
    assert all(s.token_start is not None for s in record.spans or ())


def test_brat_text_column_that_does_not_match_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text("Meta recrute.", encoding="utf-8")
    (tmp_path / "doc.ann").write_text("T1\tORG 0 4\tMetaa\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_records(tmp_path)
    assert info.value.line == 1 and "does not match" in info.value.message
