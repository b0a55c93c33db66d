"""Export to spaCy: DocBin files with the spans as `doc.ents` (which our DocBin reader reads back),
and a config that trains as the export's README says (a few steps here) into a pipeline that
loads and runs."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_export_hf import labelled_demo, run, write_jsonl


@pytest.fixture(scope="module")
def spacy_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("spacy")
    src = write_jsonl(tmp / "demo.jsonl", labelled_demo())
    out = tmp / "spacy"
    code, output = run("export", str(src), "-o", str(out), "-f", "spacy", "--split", "0.6,0.4")
    assert code == 0, output
    return out


def test_docbins_hold_text_and_entities(spacy_export: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    records = {r.text: r for r in labelled_demo()}
    nlp = spacy.blank("fr")
    docs = [
        doc
        for name in ("train.spacy", "dev.spacy")
        for doc in DocBin().from_disk(spacy_export / name).get_docs(nlp.vocab)
    ]
    assert len(docs) == 5 and not (spacy_export / "test.spacy").exists()
    for doc in docs:
        rec = records[doc.text]  # the text is reproduced exactly
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
            s.key for s in rec.spans or []
        ]
        assert [t.text for t in doc] == [t.text for t in rec.tokens or []]


def test_reads_back_to_the_same_spans(spacy_export: Path) -> None:
    from annotations.formats import detect, read

    assert detect(spacy_export) == "docbin" and detect(spacy_export / "train.spacy") == "docbin"
    back = {item.record.text: item.record for item in read(spacy_export)}
    records = labelled_demo()
    assert sorted(back) == sorted(r.text for r in records)
    for record in records:
        got = back[record.text]
        assert sorted(s.key for s in got.spans or ()) == sorted(s.key for s in record.spans or ())
        assert [t.text for t in got.tokens or ()] == [t.text for t in record.tokens or ()]


def test_trains_as_the_readme_says_and_loads(spacy_export: Path) -> None:
    readme = (spacy_export / "README.md").read_text()
    command = re.search(r"From this folder:\n\n```sh\n(.+)\n```", readme)
    assert command is not None, readme
    args = shlex.split(command.group(1))
    assert args[:4] == ["python", "-m", "spacy", "train"]
    result = subprocess.run(
        [sys.executable, *args[1:], "--training.max_steps", "5", "--training.eval_frequency", "5"],
        cwd=spacy_export,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    import spacy

    nlp = spacy.load(spacy_export / "model" / "model-last")
    assert nlp.lang == "fr" and nlp.pipe_names == ["tok2vec", "ner"]
    assert set(nlp.get_pipe("ner").labels) >= {"ORG", "PER"}
    doc = nlp("Sam Altman dirige OpenAI.")
    assert [t.text for t in doc] == ["Sam", "Altman", "dirige", "OpenAI", "."]
