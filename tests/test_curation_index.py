"""The lazy index of the annotators' versions: the same groups as parsing every line, whatever
the key order, escapes or hash collisions; peeking is exact or declines."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.curation.articles import group_versions
from annotations.curation.index import VersionIndex
from annotations.errors import InputError
from annotations.records import Record, Span
from annotations.store.peek import peek


def line(**fields: object) -> bytes:
    return orjson.dumps(fields)


def groups(index: VersionIndex) -> list[tuple[str, dict[str, list[tuple[int, int, str]]]]]:
    return [
        (v.text, {a: [s.key for s in r.spans or ()] for a, r in v.records.items()}) for v in index
    ]


def expected(records: list[Record]) -> list[tuple[str, dict[str, list[tuple[int, int, str]]]]]:
    return [
        (v.text, {a: [s.key for s in r.spans or ()] for a, r in v.records.items()})
        for v in group_versions(records)
    ]


def test_peek_reads_our_lines_and_declines_other_shapes() -> None:
    ours = Record(text="Un « texte ».", meta={"answer": "x"}, spans=[], answer="accept")
    ours.annotator = "alice"
    p = peek(orjson.dumps(ours.with_hashes().to_dict()))
    assert p is not None and (p.annotator, p.answer, p.input_hash) == (
        "alice",
        "accept",
        ours.input_hash,
    )
    assert peek(b'{"meta":{},"text":"x","_input_hash":1,"answer":"accept"}') is None  # order
    assert peek(b'{"text":"x","_input_hash":1,"_review":{"answer":"no"}}') is None  # nested
    assert peek(b'{"text":"x","_input_hash":1}') is None  # nothing to read at the tail
    nested = b'{"text":"x","meta":{"_input_hash":9},"_input_hash":1,"answer":"accept"}'
    assert peek(nested) is not None and peek(nested).input_hash == 1  # type: ignore[union-attr]


def test_the_same_groups_as_parsing_every_line(tmp_path: Path) -> None:
    a = tmp_path / "alice.jsonl"
    b = tmp_path / "bruno.jsonl"
    texts = ["Meta à Paris.", 'Lyon "cité" \\ fin', "Rome."]
    a.write_bytes(
        b"\n".join(
            [
                line(
                    text=texts[0],
                    _input_hash=1,
                    spans=[{"start": 0, "end": 4, "label": "ORG"}],
                    answer="accept",
                ),
                line(text=texts[1], _input_hash=2, spans=[], answer="reject"),
                line(text=texts[0], _input_hash=1, spans=[], answer="accept"),  # later: wins
            ]
        )
        + b"\n"
    )
    # another writer: keys in another order, ASCII escapes, no answer, no annotator
    b.write_text(
        json.dumps({"spans": [{"start": 0, "end": 4, "label": "LOC"}], "text": texts[2]})
        + "\n"
        + json.dumps({"text": texts[0], "_input_hash": 1, "spans": []}, ensure_ascii=True)
        + "\n"
        + json.dumps(
            {"text": texts[1], "_input_hash": 2, "answer": "accept", "_annotator_id": "bruno"}
        )
        + "\n"
    )
    index = VersionIndex([a, b])
    records = []
    for path in (a, b):
        for raw in path.read_bytes().splitlines():
            record = Record.from_dict(orjson.loads(raw))
            record.annotator = record.annotator or path.stem
            records.append(record)
    assert groups(index) == expected(records)
    assert len(index) == 3  # the escaped "Meta à Paris." is the same article


def test_colliding_hashes_stay_two_articles(tmp_path: Path) -> None:
    a = tmp_path / "alice.jsonl"
    a.write_bytes(
        line(text="Un.", _input_hash=7, answer="accept")
        + b"\n"
        + line(text="Deux.", _input_hash=7, answer="accept")
        + b"\n"
    )
    assert [v.text for v in VersionIndex([a])] == ["Un.", "Deux."]


def test_a_bad_line_is_reported_when_its_article_opens(tmp_path: Path) -> None:
    a = tmp_path / "alice.jsonl"
    bad = line(
        text="Meta.",
        _input_hash=1,
        spans=[{"start": 0, "end": 40, "label": "ORG"}],
        answer="accept",
    )
    a.write_bytes(line(text="Un.", _input_hash=2, answer="accept") + b"\n" + bad + b"\n")
    index = VersionIndex([a])
    assert index[0].text == "Un."
    with pytest.raises(InputError, match=r"alice\.jsonl:2: .*out of range"):
        index[1]


words = st.sampled_from(["Meta", "Paris", "é", '"q"', "\\", "\u2028", "fin."])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alice", "bruno", None]),
            st.lists(words, min_size=1, max_size=4).map(" ".join),
            st.integers(0, 3),
            st.booleans(),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_file_groups_as_parsing_it(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str | None, str, int, bool]]
) -> None:
    path = tmp_path_factory.mktemp("idx") / "file.jsonl"
    out, records = [], []
    for who, text, h, ascii_ in rows:
        obj: dict[str, object] = {"text": text, "_input_hash": h, "spans": [], "answer": "accept"}
        if who is not None:
            obj["_annotator_id"] = who
        out.append(json.dumps(obj, ensure_ascii=ascii_).encode())
        records.append(
            Record(text=text, input_hash=h, spans=[], answer="accept", annotator=who or "file")
        )
    path.write_bytes(b"\n".join(out) + b"\n")
    assert groups(VersionIndex([path])) == expected(records)


def test_spans_survive(tmp_path: Path) -> None:
    a = tmp_path / "alice.jsonl"
    a.write_bytes(
        line(
            text="Meta.",
            _input_hash=1,
            spans=[{"start": 0, "end": 4, "label": "ORG"}],
            answer="accept",
        )
        + b"\n"
    )
    (v,) = list(VersionIndex([a]))
    assert v.records["alice"].spans == [Span(0, 4, "ORG")]


def test_the_annotator_is_read_whichever_comes_first() -> None:
    p = peek(b'{"text":"x","_input_hash":1,"_annotator_id":"alice","answer":"accept"}')
    assert p is not None and (p.annotator, p.answer) == ("alice", "accept")
    p = peek(b'{"text":"x","_input_hash":1,"_annotator_id":"","answer":"accept"}')
    assert p is not None and p.annotator == ""


def test_files_of_one_name_in_two_folders_are_two_annotators(tmp_path: Path) -> None:
    for folder, spans in (("x", []), ("y", [{"start": 0, "end": 4, "label": "ORG"}])):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "ann.jsonl").write_bytes(
            line(text="Meta.", _input_hash=1, spans=spans, answer="accept") + b"\n"
        )
    (v,) = list(VersionIndex([tmp_path / "x" / "ann.jsonl", tmp_path / "y" / "ann.jsonl"]))
    assert list(v.records) == ["x/ann", "y/ann"]


def test_an_unparsable_line_is_left_out_and_said(tmp_path: Path) -> None:
    a = tmp_path / "alice.jsonl"
    a.write_bytes(line(text="Un.", _input_hash=2, answer="accept") + b"\n{broken\n")
    index = VersionIndex([a])
    assert len(index) == 1 and len(index.unreadable) == 1
    assert str(index.unreadable[0]).startswith(f"{a}:2: invalid JSON")
