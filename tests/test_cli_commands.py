"""The CLI on real files: stats, convert between formats, validate, the entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
from typer.testing import CliRunner

from annotations.cli.app import build_app
from annotations.formats import read
from tests.conftest import REFERENCE, need

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(build_app(), list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_stats_on_the_multi_annotator_brat_project() -> None:
    project = need(REFERENCE / "bratiaa_example" / "example-files" / "example-project")
    code, output = run("stats", "--json", str(project))
    assert code == 0, output
    stats = orjson.loads(output.strip().splitlines()[-1])
    assert stats["articles"] == 7
    assert stats["records"] == 28
    assert stats["spans"] == 1567
    assert stats["annotators"] == {"Lisa": 7, "Maria": 7, "Max": 7, "Peter": 7}
    assert set(stats["spans_per_label"]) == {"PER", "ORG", "LOC", "MISC"}


def test_stats_table_on_prodigy_file() -> None:
    path = need(REFERENCE / "prodigy_explosion_projects" / "test_annotated.jsonl")
    code, output = run("stats", str(path))
    assert code == 0
    # 523 lines, 11 of them repeat an earlier task: the latest line wins, 512 articles remain
    rows = {" ".join(line.strip("│┃ ").split("│")[0].split()): line for line in output.splitlines()}
    assert output.splitlines()[0] == str(path)
    assert "512" in rows["articles"] and "523" in rows["lines (with superseded)"]
    assert "508" in rows["answer accept"] and "4" in rows["answer ignore"]
    assert "243" in rows["PERSON"]


def test_convert_prodigy_to_doccano_and_back(tmp_path: Path) -> None:
    src = need(REFERENCE / "prodigy_explosion_projects" / "fashion_brands_eval.jsonl")
    doccano = tmp_path / "out.jsonl"
    code, output = run("convert", str(src), "-o", str(doccano), "--to", "doccano")
    assert code == 0, output
    assert "wrote 500 records" in output
    first = orjson.loads(doccano.read_bytes().splitlines()[0])
    assert set(first) >= {"text", "label"} and "tokens" not in first
    original = [(i.record.text, sorted(s.key for s in i.record.spans or [])) for i in read(src)]
    back = [(i.record.text, sorted(s.key for s in i.record.spans or [])) for i in read(doccano)]
    assert back == original
    assert sum(len(spans) for _, spans in back) == 238


def test_convert_brat_to_prodigy_keeps_annotators_and_spans(tmp_path: Path) -> None:
    project = need(REFERENCE / "bratiaa_example" / "example-files" / "example-project")
    out = tmp_path / "brat.jsonl"
    code, output = run("convert", str(project), "-o", str(out), "--to", "prodigy")
    assert code == 0, output
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(records) == 28
    assert {r["_annotator_id"] for r in records} == {"Lisa", "Maria", "Max", "Peter"}
    assert all(r["_view_id"] == "ner_manual" and r["tokens"] for r in records)
    assert sum(len(r["spans"]) for r in records) == 1567
    for r in records:
        for span in r["spans"]:
            assert r["tokens"][span["token_start"]]["start"] == span["start"]
            assert r["tokens"][span["token_end"]]["end"] == span["end"]
    code, output = run("validate", "--any-label", str(out))
    assert code == 0, output


def test_align_policies_from_the_command_line(tmp_path: Path) -> None:
    src = tmp_path / "d.jsonl"
    text = "Les employés d’OpenAI partent."
    at = text.index("OpenA")
    src.write_bytes(orjson.dumps({"text": text, "label": [[at, at + 5, "ORG"]]}) + b"\n")
    code, output = run(
        "convert", str(src), "-o", str(tmp_path / "strict.jsonl"), "--align", "strict"
    )
    assert code == 1 and "does not start and end on tokens" in output
    assert not (tmp_path / "strict.jsonl").exists()
    code, output = run(
        "convert", str(src), "-o", str(tmp_path / "expand.jsonl"), "--align", "expand"
    )
    assert code == 0 and "warning:" in output and "expanded to" in output
    span = orjson.loads((tmp_path / "expand.jsonl").read_bytes())["spans"][0]
    assert text[span["start"] : span["end"]] == "OpenAI"
    code, output = run("convert", str(src), "-o", str(tmp_path / "split.jsonl"))
    assert code == 0, output
    rec = orjson.loads((tmp_path / "split.jsonl").read_bytes())
    assert text[rec["spans"][0]["start"] : rec["spans"][0]["end"]] == "OpenA"
    assert [t["text"] for t in rec["tokens"]][2:5] == ["d’", "OpenA", "I"]


def test_entry_points() -> None:
    for cmd in (
        [sys.executable, "-m", "tui", "--help"],
        [Path(sys.executable).parent / "relecture", "--help"],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        for name in ("validate", "stats", "convert", "demo"):
            assert name in proc.stdout
