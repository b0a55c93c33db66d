"""WebAnno/INCEpTION TSV 3.x and INCEpTION's UIMA CAS JSON: the real files of
`../shared/reference/peers/inception/` read to the counts their README gives (and that this test
counts again from the files), escapes, sub-tokens, UTF-16 offsets and broken files."""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

import orjson
import pytest

from annotations.agreement import build_corpus, records_from_files
from annotations.checks import problems
from annotations.errors import InputError
from annotations.formats import detect, read
from annotations.formats.cas_json import TOKEN
from annotations.formats.webanno_tsv import split_stack, unescape_text, unescape_value
from annotations.labels import load_scheme, scheme_dict, scheme_from_dict
from annotations.records import Record
from tests.conftest import REFERENCE, need
from tests.test_hostile_inputs import Case, _write, check_case, source
from tests.test_hostile_inputs import alarm as alarm  # the fixture

INCEPTION = REFERENCE / "peers" / "inception"
TSV = INCEPTION / "inception-io-webanno-tsv"
EXAMPLE2 = TSV / "tsv3" / "example2.tsv"
SUITE = TSV / "tsv3-suite"
CURATION = INCEPTION / "inception-curation" / "multipleStackedAnnotationsAreNotMergedTest"
CAS = INCEPTION / "cas_json" / "foodista_blog_2019_08_13_northern-british-columbia_abbreviated"
TOKEN_ROW = re.compile(r"(\d+)-(\d+)\t(\d+)-(\d+)\t([^\t]*)\t")
HEADER = "#FORMAT=WebAnno TSV 3.3\n#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|identifier|value\n\n\n"


def records(path: Path, **kwargs: object) -> list[Record]:
    return [item.record for item in read(path, **kwargs)]  # type: ignore[arg-type]


def spans(record: Record) -> list[tuple[int, int, str, str]]:
    return [(s.start, s.end, s.label, record.span_text(s)) for s in record.spans or ()]


def tsv(tmp_path: Path, body: str, name: str = "doc.tsv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


# --- example2.tsv: 1 document, 7 sentences, 86 tokens, 9 NEs ------------------------------------


def test_example2_counts_from_the_file_and_the_readme() -> None:
    raw = need(EXAMPLE2).read_text("utf-8")
    rows = [m for m in map(TOKEN_ROW.match, raw.splitlines()) if m and "." not in m[2]]
    assert detect(EXAMPLE2) == "webanno"
    (record,) = records(EXAMPLE2)
    assert raw.count("\n#Text=") == 7 and len(rows) == 86  # counted here, as the README says
    assert len(record.tokens or ()) == 86
    # every token row's form is the text at its offsets (ASCII: units are characters)
    for m in rows:
        assert record.text[int(m[3]) : int(m[4])] == m[5]
    # the 7 sentences, each followed by a newline (each starts one past the previous one's end)
    sentences = [line[len("#Text=") :] for line in raw.splitlines() if line.startswith("#Text=")]
    assert record.text == "".join(s + "\n" for s in sentences)
    assert Counter(s.label for s in record.spans or ()) == {"PER": 2, "ORG": 3, "LOC": 3, "OTH": 1}
    found = spans(record)
    for multi in [(0, 8, "PER", "Ms. Haag"), (25, 42, "ORG", "Rolls-Royce Motor")]:
        assert multi in found
    assert (363, 374, "LOC", "Los Angeles") in found
    # the stack ORG[7]|PER[8] on "BELL": both kept
    assert (191, 211, "ORG", "BELL INDUSTRIES Inc.") in found
    assert (191, 195, "PER", "BELL") in found
    assert record.annotator is None and record.meta == {"source": "example2.tsv"}


def test_example2_stack_is_an_overlap_unless_the_scheme_allows_it() -> None:
    (record,) = records(need(EXAMPLE2))
    scheme = load_scheme()
    found = problems(record.to_dict(), scheme, check_labels=False)
    assert found == ["overlapping spans: 191-195 PER 'BELL' and 191-211 ORG 'BELL INDUSTRIES Inc.'"]
    overlapping = scheme_from_dict({**scheme_dict(scheme), "allow_overlap": True})
    assert problems(record.to_dict(), overlapping, check_labels=False) == []


def test_other_layers_are_named_in_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "relecture"):
        records(need(EXAMPLE2))
    (message,) = [r.getMessage() for r in caplog.records]
    assert "de.tudarmstadt.ukp.dkpro.core.api.lexmorph.type.pos.POS" in message
    assert "de.tudarmstadt.ukp.dkpro.core.api.syntax.type.dependency.Dependency" in message


def test_spans_key_reads_another_span_layer() -> None:
    (record,) = records(need(EXAMPLE2), spans_key="POS")
    assert len(record.spans or ()) == 86  # one PosValue per token
    assert spans(record)[:2] == [(0, 3, "NNP", "Ms."), (4, 8, "NNP", "Haag")]
    with pytest.raises(InputError, match="no span layer 'Nope' in any file"):
        records(EXAMPLE2, spans_key="Nope")


# --- the curation pair: two annotators on one article ------------------------------------------


def test_curation_folder_is_one_article_by_three_annotators() -> None:
    found = records(need(CURATION))
    assert detect(CURATION) == "webanno"
    assert [r.annotator for r in found] == ["curator", "user1", "user2"]
    assert len({r.article_key for r in found}) == 1
    assert {r.meta["source"] for r in found if r.meta} == {CURATION.name}
    by = {r.annotator: Counter(s.label for s in r.spans or ()) for r in found}
    assert by == {
        "curator": {},
        "user1": {"ORG": 1, "ORGpart": 1},
        "user2": {"ORG": 2, "ORGpart": 1},
    }
    assert {sp[:3] for r in found for sp in spans(r)} == {(40, 56, "ORG"), (40, 56, "ORGpart")}


def test_curation_pair_agrees_as_two_annotators_on_one_article() -> None:
    pair = [need(CURATION) / "user1.tsv", CURATION / "user2.tsv"]
    corpus = build_corpus(records_from_files(pair))
    assert corpus.annotators == ["user1", "user2"]
    assert len(corpus.articles) == 1


# --- the suite's edge cases -----------------------------------------------------------------------


def test_emoji_offsets_are_utf16_units() -> None:
    (record,) = records(need(SUITE / "testSentenceWithEmoji" / "reference.tsv"))
    assert record.text == "I like it 😊 .\n"
    assert [(t.text, t.start, t.end) for t in record.tokens or ()] == [
        ("I", 0, 1),
        ("like", 2, 6),
        ("it", 7, 9),
        ("😊", 10, 11),  # 10-12 in the file
        (".", 12, 13),  # 13-14 in the file
    ]


def test_emoji_before_an_entity(tmp_path: Path) -> None:
    body = (
        "#Text=😊 à Paris\n1-1\t0-2\t😊\t_\t_\t\n1-2\t3-4\tà\t_\t_\t\n1-3\t5-10\tParis\t*\tLOC\t\n"
    )
    (record,) = records(tsv(tmp_path, body))
    assert spans(record) == [(4, 9, "LOC", "Paris")]


def test_sub_tokens_carry_their_own_offsets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    original = need(SUITE / "testSubMultiTokenSpanWithoutFeatureValue3" / "reference.tsv")
    with caplog.at_level(logging.WARNING, "relecture"):
        (unlabelled,) = records(original, spans_key="webanno.custom.Span")
    assert unlabelled.spans == []  # both are `*`: no label, no span
    assert "2 Span annotation(s) without a value ('*') not read" in caplog.text
    labelled = tmp_path / "labelled.tsv"
    text = original.read_text("utf-8").replace("*[1]", "X[1]").replace("*[2]", "Y[2]")
    labelled.write_text(text, encoding="utf-8")
    (record,) = records(labelled, spans_key="Span")
    assert spans(record) == [(1, 6, "X", "his i"), (6, 12, "Y", "s a te")]
    assert [t.text for t in record.tokens or ()][:3] == ["T", "his", "i"]  # split at the edges


def test_zero_width_value_less_annotation_is_not_read() -> None:
    (record,) = records(
        need(
            SUITE
            / "testZeroWidthAnnotationBetweenTokenIsMovedToEndOfPreviousToken"
            / "reference.tsv"
        )
    )
    assert record.text == "one  two\n" and record.spans == []
    assert [t.text for t in record.tokens or ()] == ["one", "two"]


def test_escapes_stacks_and_text_lines(tmp_path: Path) -> None:
    assert unescape_value(r"a\[1\]\|b\_c\\d\->e\;f\*") == r"a[1]|b_c\d->e;f*"
    assert unescape_text(r"tab\there\\", 3) == "tab\there\\"
    assert unescape_text(r"caf\u00e9 \ud83d\ude0a", 1) == "café 😊"
    assert split_stack(r"A\|B[1]|C[2]") == [r"A\|B[1]", "C[2]"]
    body = (
        "#Text=Le prix\n#Text=A|B est là\n"
        "1-1\t0-2\tLe\t_\t_\t\n1-2\t3-7\tprix\t_\t_\t\n"
        "1-3\t8-11\tA|B\tQ42\tORG\\|X[3]|MISC[4]\t\n1-4\t12-15\test\t*\tMISC[4]\t\n"
        "\n#Text=Deux\n1-5\t20-24\tDeux\t*\tPER\\_1\t\n"
    )
    (record,) = records(tsv(tmp_path, body))
    assert record.text == "Le prix\nA|B est là\n Deux\n"  # lines joined; a gap padded
    assert spans(record) == [
        (8, 11, "ORG|X", "A|B"),
        (8, 15, "MISC", "A|B est"),
        (20, 24, "PER_1", "Deux"),
    ]
    assert record.spans and record.spans[0].extra == {"identifier": "Q42"}


def test_a_folder_of_documents(tmp_path: Path) -> None:
    """INCEpTION's project export: annotation/DOCUMENT/USER.tsv."""
    for doc, text in (("a.txt", "Jean"), ("b.txt", "Paul")):
        for user in ("ann", "bob"):
            (tmp_path / doc).mkdir(exist_ok=True)
            tsv(tmp_path / doc, f"#Text={text}\n1-1\t0-4\t{text}\t*\tPER\t\n", f"{user}.tsv")
    found = records(tmp_path)
    assert [(r.meta or {}).get("source") for r in found] == ["a.txt", "a.txt", "b.txt", "b.txt"]
    assert [r.annotator for r in found] == ["ann", "bob", "ann", "bob"]


# --- CAS JSON -------------------------------------------------------------------------------------


def test_cas_json_counts() -> None:
    path = need(CAS.with_suffix(".json"))
    data = orjson.loads(path.read_bytes())
    kinds = Counter(fs["%TYPE"].rsplit(".", 1)[-1] for fs in data["%FEATURE_STRUCTURES"])
    assert kinds["NamedEntity"] == 17 and kinds["Token"] == 326
    assert detect(path) == "cas-json"
    (record,) = records(path)
    assert record.text == CAS.with_suffix(".txt").read_text("utf-8")
    assert len(record.tokens or ()) == 326
    assert Counter(s.label for s in record.spans or ()) == {
        "Location": 5,
        "Product": 5,
        "Person": 2,
        "Product Category": 2,
        "Route": 2,
        "Date": 1,
    }
    assert spans(record)[0] == (0, 25, "Location", "Northern British Columbia")
    assert (record.meta or {})["doc_id"].startswith("foodista_blog_2019_08_13")


def _cas(text: str, *annotations: dict[str, object]) -> bytes:
    structures = [
        {
            "%ID": 1,
            "%TYPE": "uima.cas.Sofa",
            "sofaNum": 1,
            "sofaID": "_InitialView",
            "sofaString": text,
        },
        *({"%ID": i, "@sofa": 1, **a} for i, a in enumerate(annotations, 2)),
    ]
    return orjson.dumps(
        {
            "%TYPES": {},
            "%FEATURE_STRUCTURES": structures,
            "%VIEWS": {
                "_InitialView": {"%SOFA": 1, "%MEMBERS": list(range(2, 2 + len(annotations)))}
            },
        }
    )


def test_cas_json_utf16_offsets_and_values(tmp_path: Path) -> None:
    ne = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
    path = _write(
        tmp_path / "doc.json",
        _cas(
            "😊 Paris",
            {"%TYPE": ne, "begin": 3, "end": 8, "value": "LOC", "identifier": "Q90"},
            {"%TYPE": ne, "begin": 0, "end": 2},  # no value: not read
            {"%TYPE": TOKEN, "begin": 0, "end": 2},
            {"%TYPE": TOKEN, "begin": 3, "end": 8},
        ),
    )
    (record,) = records(path)
    assert [(t.text, t.start, t.end) for t in record.tokens or ()] == [
        ("😊", 0, 1),
        ("Paris", 2, 7),
    ]
    assert spans(record) == [(2, 7, "LOC", "Paris")]
    assert record.spans and record.spans[0].extra == {"identifier": "Q90"}


# --- bad input: one line, exit 1 ------------------------------------------------------------------

NE = b"de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
BAD: dict[str, Case] = {
    "TSV broken header": Case(
        "convert",
        source("doc.tsv", b"#FORMAT=WebAnno TSV 3.3\n#T_XX=" + NE + b"|value\n\n\n#Text=a\n"),
        "broken header",
        line=2,
    ),
    "TSV version 2": Case(
        "validate",
        source("doc.tsv", b"#FORMAT=WebAnno TSV 2\n\n\n"),
        "not a WebAnno TSV 3 file",
        line=1,
    ),
    "TSV row with too few columns": Case(
        "stats",
        source("doc.tsv", HEADER.encode() + b"#Text=Jean\n1-1\t0-4\tJean\t_\n"),
        "the header declares 5",
        line=6,
    ),
    "TSV offsets beyond the text": Case(
        "export",
        source("doc.tsv", HEADER.encode() + b"#Text=Jean\n1-1\t0-40\tJean\t*\tPER\t\n"),
        "offset 40 is beyond the text",
        line=6,
    ),
    "TSV offset inside an emoji": Case(
        "agree",
        source("doc.tsv", HEADER.encode() + "#Text=😊\n1-1\t0-1\t😊\t*\tPER\t\n".encode()),
        "inside a character",
        line=6,
    ),
    "CAS JSON malformed": Case(
        "convert",
        source("doc.json", b'{"%TYPES": {},\n "%FEATURE_STRUCTURES": [\n'),
        "invalid JSON",
    ),
    "CAS JSON without a text": Case(
        "validate",
        source(
            "doc.json",
            b'{"%TYPES": {}, "%FEATURE_STRUCTURES": [{"%ID": 1, "%TYPE": "uima.cas.Sofa"}]}',
        ),
        "its sofa has no sofaString",
    ),
    "CAS JSON offsets beyond the text": Case(
        "stats",
        source(
            "doc.json", _cas("Jean", {"%TYPE": NE.decode(), "begin": 0, "end": 9, "value": "PER"})
        ),
        "not within the text",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_one_line(tmp_path: Path, name: str, alarm: None) -> None:
    check_case(BAD[name], tmp_path)


def test_a_lone_surrogate_escape_is_one_line(tmp_path: Path) -> None:
    """WebAnno 3.1 writes characters outside the BMP as two Java escapes; half of one was a
    traceback (found by review)."""
    from annotations.errors import InputError
    from annotations.formats import read

    bad = tmp_path / "bad.tsv"
    bad.write_text(
        "#FORMAT=WebAnno TSV 3.1\n"
        "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|value\n\n\n"
        "#Text=a\\ud83d b\n1-1\t0-1\ta\t_\t\n1-2\t2-3\tb\t_\t\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"bad\.tsv:5: #Text= has half of a character"):
        list(read(bad))
