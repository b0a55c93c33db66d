"""The spaCy model suggester and `relecture suggest` end to end (loads fr_core_news_md once)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotations.cli.app import build_app
from annotations.demo import demo_path
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.records import Record
from annotations.suggest.base import SuggesterError
from annotations.suggest.chain import Chain
from annotations.suggest.model import ModelSuggester, load_pipeline

runner = CliRunner()


@pytest.fixture(scope="module")
def model() -> ModelSuggester:
    return ModelSuggester("fr_core_news_md")


@pytest.fixture(scope="module")
def demo() -> list[Record]:
    return [item.record for item in read(demo_path())]


def test_model_spans_respect_lines_elisions_and_provenance(
    model: ModelSuggester, demo: list[Record]
) -> None:
    spans = model.suggest(demo)
    assert sum(map(len, spans)) > 100
    for record, found in zip(demo, spans, strict=True):
        for s in found:
            surface = record.text[s.start : s.end]
            assert "\n" not in surface
            assert s.source == "model:fr_core_news_md"
            assert not surface.lower().startswith(("d’", "l’", "qu’", "jusqu’", "d'", "l'"))
            assert surface.strip() == surface and any(c.isupper() or c.isdigit() for c in surface)
    # the raw model tags "Meta\nBien" across a heading; we never do
    raw = {e.text for e in model.nlp.pipe([demo[0].text]).__next__().ents}
    assert any("\n" in t for t in raw)


def test_only_what_ner_needs_runs(model: ModelSuggester) -> None:
    assert model.nlp.pipe_names == ["ner"]


def test_stream_equals_batch(model: ModelSuggester, demo: list[Record]) -> None:
    batch = model.suggest(demo)
    streamed = [spans for _, spans in model.stream(iter(demo))]
    assert streamed == batch


def test_missing_model_is_one_clear_line() -> None:
    with pytest.raises(
        SuggesterError,
        match=r"'fr_core_news_lg' is not installed; install it with: pip install fr-core-news-lg",
    ):
        load_pipeline("fr_core_news_lg")


def test_chain_on_the_demo_fills_money_percent_date(
    model: ModelSuggester, demo: list[Record]
) -> None:
    from annotations.suggest.rules import french_rules, known_entities

    records = [Record(text=r.text, meta=r.meta) for r in demo]
    Chain([known_entities(), french_rules(), model], load_scheme()).apply(records)
    labels = {s.label for r in records for s in r.suggestions or []}
    assert {"PER", "ORG", "MONEY", "PERCENT", "DATE"} <= labels
    money = {
        r.text[s.start : s.end] for r in records for s in r.suggestions or [] if s.label == "MONEY"
    }
    assert {"100 millions de dollars", "780 millions de HK$", "14,3 milliards de dollars"} <= money
    elided = [
        r.text[s.start : s.end]
        for r in records
        for s in r.suggestions or []
        if r.text[s.start : s.end] in ("qu’", "jusqu’")
    ]
    assert elided == []


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(build_app(), list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_suggest_command_validates_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, output = run("suggest", str(demo_path()), "-o", str(out))
    assert code == 0, output
    assert "suggested 5 articles" in output and "articles/s" in output
    lines = out.read_bytes().splitlines()
    assert len(lines) == 5
    first = orjson.loads(lines[0])
    assert first["spans"] == first["suggestions"] and first["tokens"]
    assert run("validate", str(out))[0] == 0
    out.write_bytes(b"\n".join(lines[:2]) + b"\n")  # as if interrupted after two articles
    code, output = run("suggest", str(demo_path()), "-o", str(out))
    assert code == 0 and "resuming: 2 articles" in output and "suggested 3 articles" in output
    again = out.read_bytes().splitlines()
    assert len(again) == 5 and again == lines


def test_suggest_learns_from_and_uses_patterns(tmp_path: Path) -> None:
    learned = tmp_path / "learned.jsonl"
    text = "Le podcast Uncapped de Jack Altman."
    learned.write_bytes(
        orjson.dumps(
            {"text": text, "spans": [{"start": 11, "end": 19, "label": "MISC"}], "answer": "accept"}
        )
        + b"\n"
    )
    patterns = tmp_path / "p.jsonl"
    patterns.write_bytes(orjson.dumps({"label": "ORG", "pattern": "Kyutai"}) + b"\n")
    src = tmp_path / "a.txt"
    src.write_text("Sam Altman parlait à Uncapped. Kyutai aussi.", "utf-8")
    out = tmp_path / "out.jsonl"
    code, output = run(
        "suggest",
        str(src),
        "-o",
        str(out),
        "--model",
        "none",
        "--learn-from",
        str(learned),
        "--patterns",
        str(patterns),
    )
    assert code == 0, output
    rec = orjson.loads(out.read_bytes())
    got = {
        (rec["text"][s["start"] : s["end"]], s["label"], s["source"]) for s in rec["suggestions"]
    }
    assert got == {("Uncapped", "MISC", "memory"), ("Kyutai", "ORG", "patterns:p.jsonl")}


def test_suggest_errors_are_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    code, output = run("suggest", str(demo_path()), "-o", str(out), "--model", "fr_core_news_lg")
    assert code == 1 and "pip install fr-core-news-lg" in output and not out.exists()
    bad = tmp_path / "p.jsonl"
    bad.write_bytes(b'{"label": "ORG", "pattern": "Meta"}\n{"label": "ORG"}\n')
    code, output = run(
        "suggest", str(demo_path()), "-o", str(out), "--model", "none", "--patterns", str(bad)
    )
    assert code == 1 and f"{bad}:2: 'pattern' must be" in output
