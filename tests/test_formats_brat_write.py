"""brat standoff write (`convert --to brat`): records come back through our brat reader with their
texts, spans, labels and annotators (hypothesis; brat holds no answer: accepted and unanswered
articles come back unanswered, rejected and ignored ones are not written); file and folder names
never leave DIR; annotation.conf lists the scheme's labels; DIR is written whole or not at all."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotations.cli.app import build_app
from annotations.errors import UsageError
from annotations.formats import read, write_records
from annotations.formats.brat_write import CONF, MARKER
from annotations.labels import load_scheme
from annotations.records import Record, Span
from tests.conftest import REFERENCE, need

BRAT = REFERENCE / "bratiaa_example" / "example-files" / "example-project"
runner = CliRunner()


def key(record: Record) -> tuple[str | None, str, list[tuple[int, int, str]]]:
    return (record.annotator, record.text, sorted(s.key for s in record.spans or ()))


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


TEXTS = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00\ufeff"), min_size=1, max_size=30
).filter(lambda t: not t.isspace())


@st.composite
def record_of(draw: st.DrawFn, text: str, annotator: str | None) -> Record:
    edges = [i for i, ch in enumerate(text) if not ch.isspace()]  # a span starts and ends on these
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        a, b = sorted(draw(st.lists(st.sampled_from(edges), min_size=2, max_size=2)))
        label = draw(st.sampled_from(["PER", "ORG", "LOC", "OTHER", "x-y.z"]))
        spans.append(Span(a, b + 1, label))
    answer = draw(st.sampled_from([None, "accept", "reject", "ignore"]))
    return Record(text=text, spans=spans, answer=answer, annotator=annotator)


@given(st.data())
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_records_through_brat_come_back(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    tmp = tmp_path_factory.mktemp("brat")
    texts = data.draw(st.lists(TEXTS, min_size=1, max_size=4, unique=True))
    annotators = data.draw(
        st.lists(
            st.sampled_from(["ann", "bob", "Élise", "c.d"]), min_size=1, max_size=3, unique=True
        )
    )
    records = [
        data.draw(record_of(text, who))
        for who in annotators
        for text in data.draw(st.lists(st.sampled_from(texts), min_size=1, unique=True))
    ]
    out = tmp / "out"
    written = write_records(records, out, "brat", scheme=load_scheme())
    kept = [r for r in records if r.answer not in ("reject", "ignore")]
    assert written == len(kept)
    back = [item.record for item in read(out, "brat", tokens=False)] if kept else []
    several = len({r.annotator for r in kept}) > 1
    expected = [(r.annotator if several else None, *key(r)[1:]) for r in kept]
    assert sorted(map(key, back)) == sorted(expected)
    assert {r.answer for r in back} <= {None}  # brat holds no answer
    assert files_under(tmp) <= {"out", *(f"out/{f}" for f in files_under(out))}


def test_tabs_line_breaks_and_emoji_inside_spans(tmp_path: Path) -> None:
    text = "Jean\tDupont\r\nà Pa\u2028ris 😊 fin\n"
    spans = [Span(0, 11, "PER"), Span(15, 23, "LOC"), Span(24, 25, "MISC")]
    write_records([Record(text=text, spans=spans)], tmp_path / "out", "brat")
    (ann,) = (tmp_path / "out").glob("*.ann")
    assert ann.read_text("utf-8").splitlines()[0] == "T1\tPER 0 11\tJean Dupont"
    (back,) = [item.record for item in read(tmp_path / "out", tokens=False)]
    assert back.text == text and key(back)[2] == sorted(s.key for s in spans)


def test_names_stay_inside_the_folder(tmp_path: Path) -> None:
    metas = [
        {"source": "../x"},
        {"source": "a/b"},
        {"id": ".hidden"},
        {"doc_id": "une-dépêche.txt"},
    ]
    metas += [{"source": "same"}, {"source": "SAME"}, {}]
    records = [
        Record(text=f"Texte {i}.", meta=meta, annotator=who)
        for i, meta in enumerate(metas)
        for who in ("../../evil", "a/b", "ann")
    ]
    out = tmp_path / "deep" / "out"
    write_records(records, out, "brat")
    assert files_under(tmp_path) == {
        "deep",
        "deep/out",
        *(f"deep/out/{f}" for f in files_under(out)),
    }
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert "ann" in folders and all("/" not in f and not f.startswith(".") for f in folders)
    names = sorted(p.stem for p in (out / "ann").glob("*.txt"))
    assert "une-dépêche" in names  # a safe name is kept, without its .txt
    hashed = [n for n in names if n.startswith("article-")]
    assert len(hashed) == 6 and len(set(names)) == 7  # unsafe, duplicated (same/SAME), none
    back = Counter(item.record.annotator for item in read(out, tokens=False))
    assert back["ann"] == 7 and len(back) == 3


def test_annotation_conf_and_one_folder(tmp_path: Path) -> None:
    records = [
        Record(text="Le Product Category X.", spans=[Span(3, 19, "Product Category")]),
        Record(text="Jean.", spans=[Span(0, 4, "PER")], answer="reject"),
        Record(text="Paul.", spans=[Span(0, 4, "PER")], suggestions=[Span(0, 4, "ORG")]),
    ]
    out = tmp_path / "out"
    result = runner.invoke(
        build_app(), ["convert", *write_jsonl(tmp_path, records), "-o", str(out), "--to", "brat"]
    )
    assert result.exit_code == 0, result.output
    assert "label 'Product Category' written as 'Product_Category'" in result.stderr
    assert "1 record(s) answered reject or ignore not written" in result.stderr
    assert "1 suggestion(s) not written" in result.stderr
    conf = (out / CONF).read_text("utf-8")
    entities = conf.split("[entities]\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert entities == [*load_scheme().names, "Product_Category"]
    assert "[relations]\n\n[events]\n\n[attributes]\n" in conf
    anns = sorted(p.stem for p in out.glob("*.ann"))  # one folder; no meta: hash names
    assert len(anns) == 2 and all(n.startswith("article-") for n in anns)
    assert sorted(p.stem for p in out.glob("*.txt")) == anns


def write_jsonl(tmp_path: Path, records: list[Record]) -> list[str]:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(r.to_json() + b"\n" for r in records))
    return [str(path)]


def test_written_whole_or_not_at_all(tmp_path: Path) -> None:
    good = [Record(text="Jean Dupont.", spans=[Span(0, 11, "PER")])]
    args = [*write_jsonl(tmp_path, good), "-o", str(tmp_path / "out"), "--to", "brat"]
    assert runner.invoke(build_app(), ["convert", *args]).exit_code == 0
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    refused = runner.invoke(build_app(), ["convert", *args])
    assert refused.exit_code == 1 and "pass --force" in refused.stderr
    bad = [*good, Record(text="\ufeffLe texte.", spans=[])]
    args[0] = write_jsonl(tmp_path, bad)[0]
    failed = runner.invoke(build_app(), ["convert", *args, "--force"])
    assert failed.exit_code == 1 and "byte-order mark" in failed.stderr
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()} == before
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out"]  # no scratch folder left
    args[0] = write_jsonl(tmp_path, good)[0]
    assert runner.invoke(build_app(), ["convert", *args, "--force"]).exit_code == 0
    other = tmp_path / "mine"
    (other / "notes.txt").parent.mkdir()
    (other / "notes.txt").write_text("precious")
    args[2] = str(other)
    taken = runner.invoke(build_app(), ["convert", *args, "--force"])
    assert taken.exit_code == 1 and MARKER in taken.stderr
    assert (other / "notes.txt").read_text() == "precious"
    with pytest.raises(UsageError, match="would both be written 'A_B'"):
        write_records(
            [Record(text="ab", spans=[Span(0, 1, "A B"), Span(1, 2, "A_B")])],
            tmp_path / "x",
            "brat",
        )


def test_the_brat_reference_project_comes_back(tmp_path: Path) -> None:
    """4 annotators × 7 documents: read, written, read again: the same records."""
    first = [item.record for item in read(need(BRAT), tokens=False)]
    out = tmp_path / "out"
    write_records(first, out, "brat", scheme=load_scheme())
    again = [item.record for item in read(out, tokens=False)]
    assert sorted(map(key, again)) == sorted(map(key, first))
    assert len(first) == 28 and sum(len(r.spans or ()) for r in again) == 1567
    names = {p.name for p in (out / "Lisa").iterdir()}
    assert {p.name for p in (BRAT / "Lisa").iterdir()} == names  # the same file names
