"""`relecture agree`: the JSON keys, the tables, and the degenerate inputs (one annotator,
nothing shared, an annotator without spans, identical annotators) as clear messages, never a
traceback or a NaN."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from typer.testing import CliRunner

from annotations.cli.agree import agree
from tests.conftest import REFERENCE

AS_PRODIGY = REFERENCE / "derived" / "bratiaa_as_prodigy_multiannotator.jsonl"
NAN = re.compile(r"\bnan\b|\binf\b", re.IGNORECASE)

TEXTS = [
    "Meta a recruté Alice Martin à Paris en 2025 .",
    "OpenAI répond lundi par une offre de 100 millions de dollars .",
    "Le laboratoire de Zuckerberg ouvre à Londres .",
]


def app() -> typer.Typer:
    a = typer.Typer()
    a.command()(agree)
    return a


def run(*args: str) -> Any:
    return CliRunner().invoke(app(), [str(x) for x in args])


def line(text: str, spans: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for word, label in spans:
        s = text.index(word)
        out.append({"start": s, "end": s + len(word), "label": label})
    return {"text": text, "spans": out, **extra}


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    return path


ALICE = [
    line(TEXTS[0], [("Meta", "ORG"), ("Alice Martin", "PER"), ("Paris", "LOC"), ("2025", "DATE")]),
    line(TEXTS[1], [("OpenAI", "ORG"), ("lundi", "DATE"), ("100 millions de dollars", "MONEY")]),
    line(TEXTS[2], [("Zuckerberg", "PER"), ("Londres", "LOC")]),
]
BRUNO = [
    line(TEXTS[0], [("Meta", "ORG"), ("Alice", "PER"), ("Paris", "ORG")]),
    line(TEXTS[1], [("OpenAI", "ORG"), ("lundi", "DATE"), ("100 millions de dollars", "MONEY")]),
    line(TEXTS[2], [("Zuckerberg", "PER"), ("Londres", "LOC")]),
]


@pytest.fixture
def two(tmp_path: Path) -> list[Path]:
    return [write(tmp_path / "alice.jsonl", ALICE), write(tmp_path / "bruno.jsonl", BRUNO)]


def test_json_has_every_key(two: list[Path]) -> None:
    result = run(*two, "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    for key in (
        "articles",
        "annotators",
        "pairwise_f1",
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
        "alpha_u",
        "confusion",
        "per_article",
        "disagreements",
    ):
        assert key in report
    assert report["articles"] == 3
    assert report["annotators"] == ["alice", "bruno"]  # file stems
    f1 = report["pairwise_f1"]
    assert set(f1) >= {"mean", "std", "pairs", "per_label"}
    assert f1["pairs"] == {"alice|bruno": pytest.approx(2 * 6 / (9 + 8))}
    assert set(report["cohen_kappa"]) >= {"mean", "pairs"}
    assert list(report["cohen_kappa"]["pairs"]) == ["alice|bruno"]
    assert report["per_article"][0]["article"] == str(report["per_article"][0]["input_hash"])
    assert report["per_article"][0]["f1"] < report["per_article"][-1]["f1"]  # worst first
    kinds = sorted(d["kind"] for d in report["disagreements"])
    assert kinds == ["boundary", "label", "missing"]
    assert all(d["article"] == report["per_article"][0]["article"] for d in report["disagreements"])
    assert "nan" not in result.output.lower().replace("financ", "")


def test_rich_tables(two: list[Path]) -> None:
    result = run(*two)
    assert result.exit_code == 0, result.output
    out = result.output
    for title in (
        "Agreement",
        "Pairs",
        "Labels",
        "confusion",
        "Articles, worst first",
        "Disagreements",
    ):
        assert title in out
    assert "alice|bruno" in out
    assert "Alice Martin" in out
    assert not NAN.search(out)


def test_overlap_mode(two: list[Path]) -> None:
    report = orjson.loads(run(*two, "--json", "--match", "overlap").output)
    assert report["match"] == "overlap"
    assert report["pairwise_f1"]["pairs"]["alice|bruno"] == pytest.approx(2 * 7 / 17)
    assert sorted(d["kind"] for d in report["disagreements"]) == ["label", "missing"]


def test_bad_match_value(two: list[Path]) -> None:
    result = run(*two, "--match", "fuzzy")
    assert result.exit_code == 1
    assert "exact, overlap" in result.output
    assert "Traceback" not in result.output


def test_one_annotator_only(tmp_path: Path) -> None:
    result = run(write(tmp_path / "alice.jsonl", ALICE))
    assert result.exit_code == 1
    assert "at least two annotators" in result.output and "'alice'" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_one_file_with_annotator_ids(tmp_path: Path) -> None:
    both = [{**x, "_annotator_id": "alice"} for x in ALICE] + [
        {**x, "_annotator_id": "bruno"} for x in BRUNO
    ]
    report = orjson.loads(run(write(tmp_path / "all.jsonl", both), "--json").output)
    assert report["annotators"] == ["alice", "bruno"]
    assert report["articles"] == 3


def test_no_shared_article(tmp_path: Path) -> None:
    a = write(tmp_path / "alice.jsonl", ALICE[:2])
    b = write(tmp_path / "bruno.jsonl", BRUNO[2:])
    result = run(a, b)
    assert result.exit_code == 1
    assert "no article was annotated by two annotators" in result.output
    assert "alice: 2, bruno: 1" in result.output


def test_annotator_without_spans(tmp_path: Path) -> None:
    empty = [line(x["text"], []) for x in ALICE]
    files = [write(tmp_path / "alice.jsonl", ALICE), write(tmp_path / "zoe.jsonl", empty)]
    result = run(*files, "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert report["pairwise_f1"]["pairs"]["alice|zoe"] == 0.0
    assert report["cohen_kappa"]["pairs"]["alice|zoe"] == pytest.approx(0.0)
    assert any("zoe has no span" in n for n in report["notes"])
    assert not NAN.search(run(*files).output)


def test_identical_annotators(tmp_path: Path) -> None:
    files = [write(tmp_path / "alice.jsonl", ALICE), write(tmp_path / "twin.jsonl", ALICE)]
    report = orjson.loads(run(*files, "--json").output)
    assert report["pairwise_f1"]["mean"] == 1.0
    assert report["cohen_kappa"]["mean"] == pytest.approx(1.0)
    assert report["disagreements"] == []
    assert any("agree on every span" in n for n in report["notes"])


def test_identical_and_empty_kappa_undefined(tmp_path: Path) -> None:
    empty = [line(x["text"], []) for x in ALICE]
    files = [write(tmp_path / "alice.jsonl", empty), write(tmp_path / "twin.jsonl", empty)]
    result = run(*files, "--json")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.output)
    assert report["pairwise_f1"]["mean"] is None
    assert report["cohen_kappa"]["pairs"]["alice|twin"] is None
    assert report["fleiss_kappa"] is None and report["krippendorff_alpha"] is None
    notes = " ".join(report["notes"])
    assert "Cohen's κ alice|twin undefined" in notes
    assert "Fleiss' κ undefined" in notes and "Krippendorff's α undefined" in notes
    assert "span F1 is undefined" in notes
    table = run(*files)
    assert table.exit_code == 0
    assert not NAN.search(table.output)
    assert "undefined" in table.output and "—" in table.output


def test_rejected_ignored_and_superseded_lines(tmp_path: Path) -> None:
    # alice rejects article 3; bruno first labels Paris LOC, then changes his mind (latest wins)
    alice = [*ALICE[:2], {**ALICE[2], "answer": "reject"}]
    bruno = [
        line(
            TEXTS[0], [("Meta", "ORG"), ("Alice Martin", "PER"), ("Paris", "LOC"), ("2025", "DATE")]
        ),
        *BRUNO,
        {**BRUNO[1], "answer": "ignore"},
    ]
    files = [write(tmp_path / "alice.jsonl", alice), write(tmp_path / "bruno.jsonl", bruno)]
    report = orjson.loads(run(*files, "--json").output)
    assert report["excluded"]["reject"] == 1 and report["excluded"]["ignore"] == 1
    assert report["articles"] == 1  # article 2 ignored by bruno, article 3 rejected by alice
    assert report["excluded"]["single_annotator_articles"] == 2
    assert {d["text"] for d in report["disagreements"]} == {"Alice Martin", "Paris", "2025"}


def test_three_annotators_partial_overlap(tmp_path: Path) -> None:
    chloe = [ALICE[0], ALICE[1]]  # did not see article 3
    files = [
        write(tmp_path / "alice.jsonl", ALICE),
        write(tmp_path / "bruno.jsonl", BRUNO),
        write(tmp_path / "chloe.jsonl", chloe),
    ]
    report = orjson.loads(run(*files, "--json").output)
    assert report["articles"] == 3 and report["articles_all_annotators"] == 2
    assert set(report["pairwise_f1"]["pairs"]) == {"alice|bruno", "alice|chloe", "bruno|chloe"}
    assert report["pairwise_f1"]["pairs"]["alice|chloe"] == 1.0
    assert report["fleiss_kappa"] is not None and report["alpha_u"]["overall"] is not None


def test_nobody_shares_all(tmp_path: Path) -> None:
    files = [
        write(tmp_path / "alice.jsonl", ALICE[:2]),
        write(tmp_path / "bruno.jsonl", BRUNO[1:]),
        write(tmp_path / "chloe.jsonl", [ALICE[0], ALICE[2]]),
    ]
    result = run(*files, "--json")
    report = orjson.loads(result.output)
    assert report["articles_all_annotators"] == 0
    assert report["fleiss_kappa"] is None and report["alpha_u"]["overall"] is None
    assert any("none of the 3 shared articles was annotated by all 3" in n for n in report["notes"])
    assert report["krippendorff_alpha"] is not None  # missing values are fine for α
    assert not NAN.search(run(*files).output)


def test_article_text_shown_literally(tmp_path: Path) -> None:
    text = "Le [bold]groupe[/bold] \x1b[31mMeta\x1b[0m et \x1b]0;pwned\x07 recrute ."
    a = write(
        tmp_path / "alice.jsonl", [line(text, [("Meta", "ORG"), ("[bold]groupe[/bold]", "ORG")])]
    )
    b = write(tmp_path / "bruno.jsonl", [line(text, [("Meta", "PER")])])
    result = run(a, b)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "[bold]groupe[/bold]" in result.output  # markup printed as text, not applied


def test_missing_file(tmp_path: Path) -> None:
    result = run(tmp_path / "nope.jsonl", tmp_path / "nope2.jsonl")
    assert result.exit_code == 1
    assert "no such file" in result.output
    assert "Traceback" not in result.output


def test_bratiaa_reference_json() -> None:
    if not AS_PRODIGY.exists():
        pytest.skip(f"reference data not available: {AS_PRODIGY}")
    report = orjson.loads(run(AS_PRODIGY, "--json").output)
    assert report["pairwise_f1"]["mean"] == pytest.approx(0.8903501, abs=5e-5)
    assert report["pairwise_f1"]["std"] == pytest.approx(0.0526314, abs=5e-5)
    assert len(report["pairwise_f1"]["pairs"]) == 6
    assert all(
        "|" in k and k.split("|") == sorted(k.split("|")) for k in report["pairwise_f1"]["pairs"]
    )
