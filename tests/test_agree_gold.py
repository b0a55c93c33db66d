"""`relecture agree FILE... --gold GOLD`: each annotator and each suggestion source against the
gold, on a hand-built case with known precision, recall and F1, and on the brat project."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotations.agreement import records_from_files
from annotations.agreement.gold import gold_report
from annotations.formats import read
from annotations.records import Record, Span
from tests.test_curation_domain import PROJECT, needs_brat
from tui.cli import build

TEXT = "Meta recrute Yann LeCun à Paris et Lyon."
# spans:  Meta 0-4, Yann LeCun 13-23, LeCun 18-23, Paris 26-31, Lyon 35-39
GOLD = [(0, 4, "ORG"), (13, 23, "PER"), (26, 31, "LOC"), (35, 39, "LOC")]
ALICE = [(0, 4, "ORG"), (13, 23, "PER"), (26, 31, "LOC"), (35, 39, "LOC")]  # perfect
BRUNO = [(0, 4, "LOC"), (18, 23, "PER"), (26, 31, "LOC")]  # label, boundary, missed
SUGGESTED = [
    Span(0, 4, "ORG", source="model"),
    Span(18, 23, "PER", source="model"),
    Span(26, 31, "LOC", source="rules"),
    Span(5, 12, "MISC", source="rules"),  # "recrute": extra
]


def rec(who: str, spans: list[tuple[int, int, str]], **kw: object) -> Record:
    return Record(
        text=TEXT,
        spans=[Span(*s) for s in spans],
        answer="accept",
        annotator=who,
        **kw,  # type: ignore[arg-type]
    )


def write(path: Path, records: list[Record]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r.with_hashes().to_dict()) + b"\n" for r in records))
    return path


def test_known_precision_recall_f1_and_error_kinds() -> None:
    report = gold_report(
        [rec("alice", ALICE), rec("bruno", BRUNO, suggestions=SUGGESTED)], [rec("lead", GOLD)]
    )
    alice, bruno = report.annotators
    assert (alice.overall.precision, alice.overall.recall, alice.overall.f1) == (1.0, 1.0, 1.0)
    assert not +alice.errors
    b = bruno.overall
    assert (b.matched, b.predicted, b.gold) == (1, 3, 4)
    assert b.precision == pytest.approx(1 / 3) and b.recall == 0.25
    assert b.f1 == pytest.approx(2 / 7)
    assert dict(+bruno.errors) == {"label": 1, "boundary": 1, "missed": 1}
    per = {k: (v.matched, v.predicted, v.gold) for k, v in bruno.per_label.items()}
    assert per == {"ORG": (0, 0, 1), "LOC": (1, 2, 2), "PER": (0, 1, 1)}
    # the suggestions the annotators were shown: all of them, then per source
    rows = {row.name: row for row in report.suggestions}
    assert list(rows) == ["all suggestions", "source model", "source rules"]
    s = rows["all suggestions"].overall
    assert (s.matched, s.predicted, s.gold) == (2, 4, 4)
    assert dict(+rows["all suggestions"].errors) == {"boundary": 1, "extra": 1, "missed": 1}
    assert rows["source model"].overall.matched == 1
    assert rows["source rules"].overall.matched == 1


def test_a_source_named_like_the_all_row_is_its_own_row() -> None:
    """(a source literally called "suggestions" made the report loop forever)"""
    shown = [Span(0, 4, "ORG", source="suggestions"), Span(0, 4, "ORG", source="all suggestions")]
    report = gold_report([rec("bruno", BRUNO, suggestions=shown)], [rec("lead", GOLD)])
    names = [row.name for row in report.suggestions]
    assert names == ["all suggestions", "source all suggestions", "source suggestions"]


def test_overlap_match_counts_the_boundary_error_as_a_match() -> None:
    report = gold_report([rec("bruno", BRUNO)], [rec("lead", GOLD)], "overlap")
    b = report.annotators[0].overall
    assert (b.matched, b.predicted, b.gold) == (2, 3, 4)  # LeCun ~ Yann LeCun, Paris


def test_rejected_articles_count_for_nobody() -> None:
    report = gold_report(
        [rec("alice", ALICE), Record(text=TEXT, answer="reject", annotator="bruno")],
        [rec("lead", GOLD)],
    )
    assert [row.name for row in report.annotators] == ["alice"]


def test_the_command_prints_tables_and_json(tmp_path: Path) -> None:
    alice = write(tmp_path / "alice.jsonl", [rec("alice", ALICE)])
    bruno = write(tmp_path / "bruno.jsonl", [rec("bruno", BRUNO)])
    gold = write(tmp_path / "gold.jsonl", [rec("lead", GOLD)])
    args = ["agree", str(alice), str(bruno), "--gold", str(gold)]
    result = CliRunner().invoke(build(), args)
    assert result.exit_code == 0, result.output
    assert "Against the gold (1 articles, exact match)" in result.output
    assert "0.286" in result.output  # bruno's F1
    result = CliRunner().invoke(build(), [*args, "--json"])
    data = orjson.loads(result.output)
    assert data["annotators"]["bruno"]["errors"] == {
        "missed": 1,
        "extra": 0,
        "label": 1,
        "boundary": 1,
        "label+boundary": 0,
    }


@needs_brat
def test_an_annotator_against_their_own_file_scores_one(tmp_path: Path) -> None:
    records = records_from_files([PROJECT], tokens=False)
    lisa = [r for r in records if r.annotator == "Lisa"]
    gold = write(tmp_path / "gold.jsonl", lisa)
    report = gold_report(records, [i.record for i in read(gold)])
    scores = {row.name: row.overall.f1 for row in report.annotators}
    assert report.gold_articles == 7 and scores["Lisa"] == 1.0
    assert all(f1 is not None and f1 < 1.0 for name, f1 in scores.items() if name != "Lisa")
