"""spaCy DocBin read (`relecture export --format spacy` reading back to the same spans is in
`test_export_spacy`, on its export): any records written as DocBins (the export's writer, one file per annotator) come back with their text,
spans, labels and annotators; span groups with --spans-key; user_data in meta; broken,
truncated and foreign DocBins are one line."""

from __future__ import annotations

import logging
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotations.agreement import records_from_files
from annotations.cli.app import build_app
from annotations.errors import InputError
from annotations.export.docbin import record_doc
from annotations.formats import read
from annotations.records import ANSWERS, Record, Span
from annotations.tokenize import french_tokenizer, tokenize
from tests.test_hostile_inputs import Case, _write, check_case, made, source
from tests.test_hostile_inputs import alarm as alarm  # the fixture


def docbin_bytes(docs: list[Any], user_data: bool = False) -> bytes:
    from spacy.tokens import DocBin

    return bytes(DocBin(docs=docs, store_user_data=user_data).to_bytes())


def write_docbin(path: Path, records: list[Record]) -> Path:
    vocab = french_tokenizer().vocab
    path.write_bytes(docbin_bytes([record_doc(vocab, r) for r in records]))
    return path


def keys(record: Record) -> list[tuple[int, int, str]]:
    return sorted(s.key for s in record.spans or ())


WORDS = st.sampled_from(["Jean", "Dupont", "à", "Paris", "l’ONU", "😊", "Élise", "3,5", "(", "-"])
GAPS = st.sampled_from([" ", " ", " ", "\n", "  "])


@st.composite
def articles(draw: st.DrawFn, annotator: str | None) -> Record:
    words = draw(st.lists(WORDS, min_size=1, max_size=12))
    text = "".join(w + draw(GAPS) for w in words[:-1]) + words[-1]
    tokens = tokenize(text)
    usable = [t for t in tokens if not t.text.isspace()]
    spans: list[Span] = []
    i = 0
    while i < len(usable):  # spans on token boundaries, never overlapping
        length = draw(st.integers(0, 3))
        if length and i + length <= len(usable):
            first, last = usable[i], usable[i + length - 1]
            if not any(t.text.isspace() for t in tokens[first.id : last.id + 1]):
                label = draw(st.sampled_from(["PER", "LOC", "ORG", "Product_Category"]))
                spans.append(Span(first.start, last.end, label))
        i += max(length, 1)
    answer = draw(st.sampled_from([None, "accept"]))
    return Record(text=text, tokens=tokens, spans=spans, answer=answer, annotator=annotator)


@given(st.data())
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_records_through_docbins_keep_text_spans_labels_and_annotators(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    tmp = tmp_path_factory.mktemp("docbin")
    by_annotator = {
        who: data.draw(st.lists(articles(who), min_size=1, max_size=3)) for who in ("ann", "bob")
    }
    files = [write_docbin(tmp / f"{who}.spacy", recs) for who, recs in by_annotator.items()]
    back = records_from_files(files)  # one file per annotator, named by the file
    sent = [r for recs in by_annotator.values() for r in recs]
    assert [(r.annotator, r.text, keys(r)) for r in back] == [
        (r.annotator, r.text, keys(r)) for r in sent
    ]
    # a DocBin holds no answer: what the export writes is accepted, and comes back unanswered
    assert {r.answer for r in back} == {None} and set(ANSWERS) >= {"accept"}


def test_span_groups_with_spans_key_and_user_data_in_meta(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nlp = french_tokenizer()
    doc = nlp.make_doc("Jean Dupont vit à Paris.")
    doc.ents = [doc.char_span(0, 11, label="PER")]
    doc.spans["sc"] = [doc.char_span(0, 4, "GIVEN"), doc.char_span(0, 11, "PER")]  # overlapping
    doc.user_data.update(
        {"id": "a1", "tags": [1, 2], "raw": b"\x00", ("._.", "ext", None, None): "x"}
    )
    path = _write(tmp_path / "a.spacy", docbin_bytes([doc], user_data=True))
    with caplog.at_level(logging.WARNING, "relecture"):
        (ents,) = [item.record for item in read(path)]
    assert keys(ents) == [(0, 11, "PER")]
    assert ents.meta == {"id": "a1", "tags": [1, 2], "source": "a.spacy", "doc": 1}
    assert "2 user_data entries not kept" in caplog.text
    (group,) = [item.record for item in read(path, spans_key="sc")]
    assert keys(group) == [(0, 4, "GIVEN"), (0, 11, "PER")]
    with pytest.raises(InputError, match=r"no doc has a span group 'nope' \(span groups: sc\)"):
        list(read(path, spans_key="nope"))
    result = CliRunner().invoke(build_app(), ["stats", str(path), "--spans-key", "sc", "--json"])
    assert result.exit_code == 0, result.output
    assert '"GIVEN":1' in result.stdout


def test_a_docbin_without_version_or_span_groups_is_read(tmp_path: Path) -> None:
    """What spaCy 2 wrote (no `version`, `flags` nor `span_groups`), spaCy 3 reads: so do we."""
    import srsly

    doc = french_tokenizer().make_doc("Jean Dupont")
    doc.ents = [doc.char_span(0, 11, label="PER")]
    msg = srsly.msgpack_loads(zlib.decompress(docbin_bytes([doc])))
    for key in ("version", "flags", "span_groups"):
        del msg[key]
    path = _write(tmp_path / "old.spacy", zlib.compress(srsly.msgpack_dumps(msg)))
    (record,) = [item.record for item in read(path)]
    assert keys(record) == [(0, 11, "PER")]


def _altered(**changes: Any) -> Any:
    def make(tmp: Path) -> Path:
        import srsly

        doc = french_tokenizer().make_doc("Jean Dupont")
        msg = srsly.msgpack_loads(zlib.decompress(docbin_bytes([doc])))
        msg.update(changes)
        return _write(tmp / "other.spacy", zlib.compress(srsly.msgpack_dumps(msg)))

    return make


def _truncated(tmp: Path) -> Path:
    data = docbin_bytes([french_tokenizer().make_doc("Jean Dupont travaille à Paris.")])
    return _write(tmp / "cut.spacy", data[: len(data) // 2])


BAD: dict[str, Case] = {
    "DocBin garbage bytes": Case(
        "convert", source("x.spacy", b"\x00\x01garbage" * 20), "not zlib-compressed"
    ),
    "DocBin truncated": Case("stats", made(_truncated), "truncated DocBin"),
    "DocBin of another format version": Case(
        "validate", made(_altered(version="9.9")), "DocBin format version '9.9'"
    ),
    "DocBin with attribute ids this spaCy does not know": Case(
        "export", made(_altered(attrs=[65, 99999])), "are not ones this spaCy"
    ),
    "zlib msgpack that is not a DocBin": Case(
        "agree",
        source("list.spacy", zlib.compress(b"\x93\x01\x02\x03")),
        "not a spaCy DocBin: no 'attrs'",
    ),
    "DocBin whose token data does not fit its attributes": Case(
        "annotate", made(_altered(tokens=b"\x01\x02\x03")), "cannot read the DocBin"
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_docbin_is_one_line(tmp_path: Path, name: str, alarm: None) -> None:
    check_case(BAD[name], tmp_path)
