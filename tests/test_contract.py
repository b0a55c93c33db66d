"""The data contract: code and `schema/` agree; the domain never imports the UI; the demo corpus
is the seed articles exactly; the wheel carries the schema and the demo."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import orjson
import pytest

from annotations.formats import read
from annotations.labels import load_scheme, scheme_from_dict
from annotations.records import Record, Span, Token
from annotations.schema_files import labels_schema, record_schema, schema_dir
from tests.conftest import SEEDS, need

REPO = Path(__file__).resolve().parents[1]


def json_keys(cls: type, renames: dict[str, str] | None = None) -> set[str]:
    names = {f.name for f in dataclasses.fields(cls) if f.name != "extra"}
    renames = renames or {}
    return {renames.get(n, n) for n in names}


def test_record_model_and_json_schema_agree() -> None:
    schema = record_schema()
    record_renames = {attr: key for key, attr in Record.FIELDS}
    assert json_keys(Record, record_renames) == set(schema["properties"])
    assert json_keys(Span) == set(schema["$defs"]["span"]["properties"])
    assert json_keys(Token) == set(schema["$defs"]["token"]["properties"])
    assert schema["required"] == ["text"]
    assert set(schema["$defs"]["span"]["required"]) == {"start", "end", "label"}
    assert schema["properties"]["answer"]["enum"] == ["accept", "reject", "ignore"]


def test_the_schema_rejects_what_the_checks_reject() -> None:
    validator = jsonschema.Draft202012Validator(record_schema())
    assert not validator.is_valid({"meta": {}})
    assert not validator.is_valid({"text": ""})
    assert not validator.is_valid({"text": "a", "answer": "maybe"})
    assert not validator.is_valid({"text": "a", "spans": [{"start": 0, "end": 1}]})
    full = Record(
        text="Meta",
        meta={"source": "x.txt"},
        tokens=[Token("Meta", 0, 4, 0, False)],
        spans=[Span(0, 4, "ORG", 0, 0, "model:fr_core_news_md", 0.9)],
        suggestions=[Span(0, 4, "ORG", 0, 0, "model:fr_core_news_md", 0.9)],
        answer="accept",
        annotator="alice",
        timestamp=1763800000,
    ).with_hashes()
    validator.validate(full.to_dict())


def test_label_scheme_file_matches_its_schema_and_the_design() -> None:
    raw = orjson.loads((schema_dir() / "labels" / "news-fr.json").read_bytes())
    jsonschema.validate(raw, labels_schema())
    scheme = load_scheme()
    assert scheme.names == ("PER", "ORG", "LOC", "MISC", "MONEY", "PERCENT", "DATE")
    assert [label.key for label in scheme.labels] == list("1234567")
    assert scheme.bio_names()[:3] == ["O", "B-PER", "I-PER"]
    assert not scheme.allow_overlap


def test_bad_label_schemes_are_refused_with_the_reason() -> None:
    from annotations.errors import InputError

    base = {"name": "x", "labels": [{"name": "A", "key": "1", "colour": "#000000"}]}
    scheme_from_dict(base)
    for change, message in [
        ({"labels": []}, "non-empty"),
        ({"labels": [{"name": "A", "key": "0", "colour": "#000000"}]}, "'key'"),
        ({"labels": [{"name": "A", "key": "1", "colour": "red"}]}, "'colour'"),
        ({"labels": base["labels"] * 2}, "duplicate"),
    ]:
        with pytest.raises(InputError, match=message):
            scheme_from_dict({**base, **change})


def test_domain_never_imports_the_ui() -> None:
    code = (
        "import sys, pkgutil, importlib, annotations\n"
        "for m in pkgutil.walk_packages(annotations.__path__, 'annotations.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    offenders = [
        str(p)
        for p in (REPO / "annotations").rglob("*.py")
        if any(
            line.lstrip().startswith(("import textual", "from textual", "import tui", "from tui"))
            for line in p.read_text().splitlines()
        )
    ]
    assert offenders == []


def test_demo_corpus_is_the_seed_articles_exactly() -> None:
    from annotations.demo import demo_path

    records = [item.record for item in read(demo_path())]
    assert len(records) == 5
    for record in records:
        jsonschema.validate(record.to_dict(), record_schema())
        assert record.tokens and record.input_hash is not None
        assert record.tokens[-1].end <= len(record.text)
    seeds = need(SEEDS)
    files = sorted(seeds.glob("*.txt"))
    assert [r.meta["source"] for r in records] == [f.name for f in files]  # type: ignore[index]
    assert [r.text for r in records] == [f.read_text("utf-8") for f in files]


@pytest.mark.slow
def test_wheel_carries_schema_and_demo_and_finds_them(tmp_path: Path) -> None:
    """Build the wheel, check its contents, and import it from outside the source tree."""
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp_path.glob("relecture-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "annotations/_schema/record.schema.json",
        "annotations/_schema/labels/news-fr.json",
        "annotations/demo/news-fr-demo.jsonl",
        "tui/__main__.py",
    ):
        assert needed in names
    assert not any(n.startswith("tests/") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import annotations, annotations.schema_files as s, annotations.labels as l\n"
        "from annotations.demo import demo_path\n"
        "print(annotations.__file__); print(s.schema_dir()); print(l.load_scheme().names)\n"
        "print(demo_path().is_file())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(site)) and lines[1] == str(site / "annotations" / "_schema")
    assert "'PER'" in lines[2] and lines[3] == "True"
