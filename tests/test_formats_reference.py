"""Every reader on the public reference files in ../shared/reference: the spans the files say,
counted independently in the test (or the published counts), the right detected format, and every
record valid against schema/record.schema.json."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from annotations.formats import Item, detect, read, write_records
from annotations.records import Record
from tests.conftest import REFERENCE, REPO, need

PRODIGY = REFERENCE / "prodigy_explosion_projects"
DOCCANO_PER_USER = REFERENCE / "derived" / "doccano_per_user"
DOCCANO_EXAMPLES = REFERENCE / "doccano_examples"
BRAT = REFERENCE / "bratiaa_example" / "example-files" / "example-project"
EUROPEANA = REFERENCE / "french_ner" / "enp_FR.bnf.bio"
BRAT_AS_PRODIGY = REFERENCE / "derived" / "bratiaa_as_prodigy_multiannotator.jsonl"
ANNOTATORS = ("Lisa", "Maria", "Max", "Peter")


@cache
def items_of(path: Path) -> tuple[Item, ...]:
    """Read once per session (the readers do not mutate what they yield afterwards)."""
    return tuple(read(need(path)))


def records_of(path: Path) -> list[Record]:
    return [item.record for item in items_of(path)]


def raw_lines(path: Path) -> list[dict[str, Any]]:
    with open(need(path), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def keys(record: Record) -> Counter[tuple[int, int, str]]:
    return Counter(s.key for s in record.spans or ())


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads((REPO / "schema" / "record.schema.json").read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def assert_tokens_and_spans_consistent(record: Record) -> None:
    """Token offsets match the text; token_end is inclusive (Prodigy)."""
    tokens = record.tokens or []
    for i, tok in enumerate(tokens):
        assert tok.id == i
        assert record.text[tok.start : tok.end] == tok.text
    for span in record.spans or ():
        assert 0 <= span.start < span.end <= len(record.text)
        if span.token_start is not None:
            assert span.token_end is not None
            assert tokens[span.token_start].start == span.start
            assert tokens[span.token_end].end == span.end


# ---------------------------------------------------------------- Prodigy


def test_prodigy_ner_tweets_published_counts() -> None:
    path = PRODIGY / "test_annotated.jsonl"
    records = records_of(path)
    assert len(records) == 523
    assert Counter(s.label for r in records for s in r.spans or ()) == {"PERSON": 244}
    assert Counter(r.answer for r in records) == {"accept": 519, "ignore": 4}
    assert all(r.tokens and all(t.ws is not None for t in r.tokens) for r in records)
    assert all(r.timestamp is not None and "_is_binary" in r.extra for r in records)
    for record in records:
        assert_tokens_and_spans_consistent(record)


def test_prodigy_fashion_brands_published_counts() -> None:
    records = records_of(PRODIGY / "fashion_brands_eval.jsonl")
    assert len(records) == 500
    assert Counter(s.label for r in records for s in r.spans or ()) == {"FASHION_BRAND": 238}
    assert all(r.meta is not None and r.answer == "accept" for r in records)
    for record in records:
        assert_tokens_and_spans_consistent(record)


def test_prodigy_emerson_choice_records() -> None:
    path = PRODIGY / "emerson_annotated_text.jsonl"
    raw = raw_lines(path)
    records = records_of(path)
    assert len(records) == len(raw) == 30
    expected = Counter(s["label"] for obj in raw for s in obj["spans"])
    assert Counter(s.label for r in records for s in r.spans or ()) == expected
    assert sum(expected.values()) == 30
    # the entity-linking fields are kept as they were
    assert [r.extra["accept"] for r in records] == [obj["accept"] for obj in raw]
    assert [r.extra["options"] for r in records] == [obj["options"] for obj in raw]
    assert all(r.tokens is None for r in records)  # JSONL comes back as written


@pytest.mark.parametrize(
    "name", ["test_annotated.jsonl", "fashion_brands_eval.jsonl", "emerson_annotated_text.jsonl"]
)
def test_prodigy_records_come_back_exactly_as_written(name: str) -> None:
    path = PRODIGY / name
    raw = raw_lines(path)
    records = records_of(path)
    assert [r.to_dict() for r in records] == raw
    assert [r.input_hash for r in records] == [obj["_input_hash"] for obj in raw]  # Prodigy's kept


def test_derived_prodigy_multiannotator_equals_brat() -> None:
    records = records_of(BRAT_AS_PRODIGY)
    assert len(records) == 28
    brat = {(r.annotator, r.text): keys(r) for r in records_of(BRAT)}
    assert len(brat) == 28
    for record in records:
        assert record.annotator is not None and record.annotator.startswith("bratiaa-")
        assert keys(record) == brat[(record.annotator.removeprefix("bratiaa-"), record.text)]


# ---------------------------------------------------------------- doccano


@pytest.mark.parametrize("user", ANNOTATORS)
def test_doccano_per_user_spans_are_the_files_spans(user: str) -> None:
    path = DOCCANO_PER_USER / f"{user}.jsonl"
    raw = raw_lines(path)
    items = items_of(path)
    assert len(items) == len(raw) == 7
    expected = {obj["text"]: Counter((s, e, lab) for s, e, lab in obj["label"]) for obj in raw}
    got = {item.record.text: keys(item.record) for item in items}
    assert got == expected
    assert sum(sum(c.values()) for c in got.values()) == sum(len(obj["label"]) for obj in raw)
    for item in items:
        record = item.record
        assert_tokens_and_spans_consistent(record)
        # every span landed on tokens; no error from alignment
        assert all(s.token_start is not None for s in record.spans or ())
        assert not [i for i in item.issues if i.error]
        assert record.meta is not None and "id" in record.meta  # doccano's own keys kept in meta
        assert record.input_hash is not None and record.task_hash is not None


@pytest.mark.parametrize("user", ANNOTATORS)
def test_doccano_per_user_equals_brat_of_the_same_annotator(user: str) -> None:
    doccano = {r.text: keys(r) for r in records_of(DOCCANO_PER_USER / f"{user}.jsonl")}
    brat = {r.text: keys(r) for r in records_of(BRAT) if r.annotator == user}
    assert doccano == brat
    assert len(brat) == 7


def doccano_example(name: str) -> list[Record]:
    return records_of(DOCCANO_EXAMPLES / name)


def test_doccano_example_label_triples() -> None:
    records = doccano_example("data_export__pipeline__examples__sequence_labeling__example.jsonl")
    assert [(r.text, sorted(keys(r))) for r in records] == [
        ("EU rejects German call to boycott British lamb.", [(0, 2, "ORG"), (11, 17, "MISC")]),
        ("Peter Blackburn", [(0, 15, "PERSON")]),
        ("President Obama", [(10, 15, "PERSON")]),
    ]
    assert records[0].text[11:17] == "German"


def test_doccano_example_column_data() -> None:
    records = doccano_example("data_import__pipeline__examples__sequence_labeling__example.jsonl")
    assert [(r.text, sorted(keys(r))) for r in records] == [
        ("EU rejects German call to boycott British lamb.", [(0, 2, "ORG")]),
        ("Peter Blackburn", [(0, 15, "PERSON")]),
        ("President Obama", [(10, 15, "PERSON")]),
    ]


def test_doccano_example_legacy_annotations_with_user_name() -> None:
    records = doccano_example("legacy_v1.0__download_sequence_labeling_with_user.jsonl")
    assert [(r.text, r.annotator, sorted(keys(r))) for r in records] == [
        ("EU rejects ...", "user1", [(0, 2, "ORG")]),
        ("Peter Blackburn", "user1", [(0, 15, "PERSON")]),
        ("President Obama", "user1", [(10, 15, "PERSON")]),
    ]
    assert [r.meta and r.meta.get("id") for r in records] == [1, 2, 3]
    assert all(r.meta and r.meta["annotation_approver"] == "supervisor" for r in records)


def test_doccano_example_pretty_printed_relation_export() -> None:
    path = DOCCANO_EXAMPLES / "data_export__pipeline__examples__relation_extraction__example.jsonl"
    raw = json.loads(need(path).read_text("utf-8"))
    [record] = records_of(path)
    assert record.text == raw["text"]
    expected = Counter((e["start_offset"], e["end_offset"], e["label"]) for e in raw["entities"])
    assert keys(record) == expected
    assert {record.span_text(s) for s in record.spans or ()} == {
        "Google",
        "September 4, 1998",
        "Larry Page",
        "Sergey Brin",
    }


def test_doccano_example_overlapping_labels_are_all_kept() -> None:
    path = (
        DOCCANO_EXAMPLES / "data_import__tests__data__sequence_labeling__example_overlapping.jsonl"
    )
    [item] = items_of(path)
    assert keys(item.record) == Counter({(0, 1, "LOC"): 2})
    assert item.record.meta == {"wikiPageID": 1}
    # "exampleA" is one token: it was split at 1 to keep the span, and that was reported
    assert [t.text for t in item.record.tokens or ()] == ["e", "xampleA"]
    assert len(item.issues) == 1 and not item.issues[0].error


def test_doccano_example_conll() -> None:
    records = doccano_example("data_import__tests__data__sequence_labeling__example.conll")
    assert [(r.text, [(s.label, r.span_text(s)) for s in r.spans or ()]) for r in records] == [
        ("JAPAN GET", [("LOC", "JAPAN")]),
        ("Nadim Ladki", [("PER", "Nadim Ladki")]),
    ]


# ---------------------------------------------------------------- brat


def parse_ann(path: Path) -> list[tuple[int, int, str, str]]:
    """(start, end, label, text column) of every T-line, parsed independently of the reader."""
    out = []
    for line in path.read_text("utf-8").splitlines():
        if not line.startswith("T"):
            continue
        _tid, middle, text = line.split("\t")
        label, start, end = middle.split(" ")
        out.append((int(start), int(end), label, text))
    return out


def test_brat_project_four_annotators_seven_docs() -> None:
    records = records_of(BRAT)
    assert len(records) == 28
    assert Counter(r.annotator for r in records) == dict.fromkeys(ANNOTATORS, 7)
    assert sum(len(r.spans or ()) for r in records) == 1567
    by_doc: dict[str, set[int | None]] = {}
    for r in records:
        assert r.meta is not None
        by_doc.setdefault(r.meta["source"], set()).add(r.input_hash)
    assert len(by_doc) == 7
    assert all(len(hashes) == 1 for hashes in by_doc.values())  # same text, same hash


def test_brat_spans_are_the_t_lines() -> None:
    need(BRAT)
    got = {(item.record.annotator, item.record.meta["source"]): item for item in items_of(BRAT)}
    total = 0
    for user in ANNOTATORS:
        for ann in sorted((BRAT / user).glob("*.ann")):
            item = got[(user, ann.with_suffix(".txt").name)]
            record = item.record
            t_lines = parse_ann(ann)
            total += len(t_lines)
            assert record.text == ann.with_suffix(".txt").read_text("utf-8")
            assert keys(record) == Counter((s, e, lab) for s, e, lab, _ in t_lines)
            assert len(record.spans or ()) == len(t_lines)
            for span in record.spans or ():
                assert span.token_start is not None
            for s, e, _lab, text in t_lines:
                assert record.text[s:e] == text
            assert not [i for i in item.issues if i.error]
            assert_tokens_and_spans_consistent(record)
    assert total == 1567


# ---------------------------------------------------------------- Europeana IOB1


@cache
def europeana_lines() -> tuple[tuple[str, str], ...]:
    with open(need(EUROPEANA), encoding="utf-8") as fh:
        return tuple(
            tuple(line.rstrip("\n").rsplit(" ", 1))  # type: ignore[misc]
            for line in fh
            if line.strip()
        )


def iob1_entities(lines: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """(label, entity text) in file order: an entity starts at B-X, or at I-X after anything but
    I-X (IOB1); the file has no boundaries, so one running sequence."""
    out: list[tuple[str, list[str]]] = []
    prev = "O"
    for token, tag in lines:
        if tag == "O":
            prev = tag
            continue
        prefix, label = tag.split("-", 1)
        if prefix == "B" or prev != tag:
            out.append((label, []))
        out[-1][1].append(token)
        prev = f"I-{label}"
    return [(label, " ".join(words)) for label, words in out]


def record_entities(records: list[Record]) -> list[tuple[str, str]]:
    return [(s.label, r.span_text(s)) for r in records for s in r.spans or ()]


def test_europeana_iob1_converts_without_loss_of_entities() -> None:
    lines = europeana_lines()
    assert len(lines) == 205_916
    expected = iob1_entities(lines)
    records = records_of(EUROPEANA)
    got = record_entities(records)
    assert Counter(label for label, _ in got) == Counter(label for label, _ in expected)
    assert got == expected  # same entities, same text, same order
    n_entity_tokens = sum(s.token_end - s.token_start + 1 for r in records for s in r.spans or ())
    assert n_entity_tokens == sum(1 for _, tag in lines if tag != "O") == 13_848
    # every token of the file is in exactly one record, in order
    assert [t.text for r in records for t in r.tokens or ()] == [tok for tok, _ in lines]
    assert len(records) > 1  # the 206k-token block was cut into articles
    for record in records:
        assert_tokens_and_spans_consistent(record)
        assert record.meta is not None and record.meta["source"] == EUROPEANA.name


def test_europeana_to_jsonl_and_back(tmp_path: Path) -> None:
    records = records_of(EUROPEANA)
    out = tmp_path / "enp.jsonl"
    assert write_records(records, out, "jsonl") == len(records)
    assert detect(out) == "jsonl"
    back = [item.record for item in read(out)]
    assert back == records
    assert record_entities(back) == iob1_entities(europeana_lines())


# ---------------------------------------------------------------- detection and the schema


DETECTED = [
    (PRODIGY / "test_annotated.jsonl", "jsonl"),
    (PRODIGY / "fashion_brands_eval.jsonl", "jsonl"),
    (PRODIGY / "emerson_annotated_text.jsonl", "jsonl"),
    (BRAT_AS_PRODIGY, "jsonl"),
    *((DOCCANO_PER_USER / f"{u}.jsonl", "doccano") for u in ANNOTATORS),
    (
        DOCCANO_EXAMPLES / "data_export__pipeline__examples__sequence_labeling__example.jsonl",
        "doccano",
    ),
    (
        DOCCANO_EXAMPLES / "data_import__pipeline__examples__sequence_labeling__example.jsonl",
        "doccano",
    ),
    (
        DOCCANO_EXAMPLES / "data_export__pipeline__examples__relation_extraction__example.jsonl",
        "doccano",
    ),
    (DOCCANO_EXAMPLES / "legacy_v1.0__download_sequence_labeling_with_user.jsonl", "doccano"),
    (
        DOCCANO_EXAMPLES / "data_import__tests__data__sequence_labeling__example_overlapping.jsonl",
        "doccano",
    ),
    (DOCCANO_EXAMPLES / "data_import__tests__data__sequence_labeling__example.conll", "conll"),
    (BRAT, "brat"),
    (BRAT / "Lisa", "brat"),
    (BRAT / "Lisa" / "esp.train-doc-100.ann", "brat"),
    (EUROPEANA, "conll"),
]


@pytest.mark.parametrize(
    ("path", "fmt"), DETECTED, ids=lambda v: v.name if isinstance(v, Path) else v
)
def test_detect(path: Path, fmt: str) -> None:
    assert detect(need(path)) == fmt


def test_brat_single_annotator_folder_and_single_file() -> None:
    folder = [item.record for item in read(need(BRAT / "Lisa"))]
    assert len(folder) == 7 and all(r.annotator is None for r in folder)
    project = {r.text: keys(r) for r in records_of(BRAT) if r.annotator == "Lisa"}
    assert {r.text: keys(r) for r in folder} == project
    [single] = [item.record for item in read(BRAT / "Lisa" / "esp.train-doc-100.ann")]
    assert keys(single) == project[single.text]


def sample(records: list[Record], path: Path) -> Iterator[Record]:
    if path == EUROPEANA:  # 206k tokens: validating them all takes ~9 s; every 10th article
        yield from records[::10]
        yield records[-1]
    else:
        yield from records


@pytest.mark.parametrize(
    "path",
    sorted({p for p, _ in DETECTED if p != BRAT / "Lisa"}),
    ids=lambda p: p.name,
)
def test_every_reader_output_validates_against_the_schema(
    path: Path, validator: jsonschema.protocols.Validator
) -> None:
    records = records_of(path)
    assert records
    checked = 0
    for record in sample(records, path):
        errors = sorted(validator.iter_errors(record.to_dict()), key=str)
        assert not errors, f"{path.name}: {errors[0].message} at {list(errors[0].absolute_path)}"
        checked += 1
    assert checked >= min(len(records), 20)
