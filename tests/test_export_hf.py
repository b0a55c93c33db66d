"""Export to a Hugging Face dataset: loads back both ways, declared features, splits, the card."""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from annotations.bio import tags_to_token_spans
from annotations.cli.export import export
from annotations.demo import __file__ as demo_init
from annotations.export.hf import features
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.records import Record, Span

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

DEMO = Path(demo_init).parent / "news-fr-demo.jsonl"
ENTITIES = {
    "Meta": "ORG",
    "OpenAI": "ORG",
    "Sam Altman": "PER",
    "Mark Zuckerberg": "PER",
    "Jack Altman": "PER",
    "Scale AI": "ORG",
    "100 millions de dollars": "MONEY",
    "juin": "DATE",
}


def labelled_demo() -> list[Record]:
    """The five demo articles (with their spaCy tokens), accepted, with a few spans each:
    every occurrence of a known name that starts and ends on tokens."""
    out = []
    for line in DEMO.read_bytes().splitlines():
        record = Record.from_dict(orjson.loads(line))
        tokens = record.tokens or []
        starts = {t.start: t.id for t in tokens}
        ends = {t.end: t.id for t in tokens}
        spans: list[Span] = []
        taken: set[int] = set()
        for name, label in ENTITIES.items():
            pos = record.text.find(name)
            while pos >= 0:
                end = pos + len(name)
                ts, te = starts.get(pos), ends.get(end)
                if ts is not None and te is not None and not taken & set(range(ts, te + 1)):
                    spans.append(Span(pos, end, label, ts, te))
                    taken |= set(range(ts, te + 1))
                pos = record.text.find(name, end)
        record.spans = sorted(spans, key=lambda s: s.start)
        record.answer = "accept"
        record.annotator = "alice"
        out.append(record)
    return out


def write_jsonl(path: Path, records: list[Record]) -> Path:
    path.write_bytes(b"".join(r.to_json() + b"\n" for r in records))
    return path


def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command()(export)

    @app.command()
    def other() -> None:  # two commands, so that `export` is a subcommand as in the real app
        pass

    return app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli(), list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def hf_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Record]]:
    tmp = tmp_path_factory.mktemp("hf")
    records = labelled_demo()
    src = write_jsonl(tmp / "demo.jsonl", records)
    out = tmp / "dataset"
    code, output = run(
        "export", str(src), "-o", str(out), "--format", "hf", "--split", "0.6,0.2,0.2"
    )
    assert code == 0, output
    assert "train: 3 examples" in output and "validation: 1 example," in output
    return out, records


def test_loads_back_with_load_from_disk(hf_export: tuple[Path, list[Record]]) -> None:
    import datasets

    out, records = hf_export
    ds = datasets.load_from_disk(str(out))
    assert isinstance(ds, datasets.DatasetDict)
    assert {k: len(v) for k, v in ds.items()} == {"train": 3, "validation": 1, "test": 1}
    scheme = load_scheme()
    for split in ds.values():
        assert split.features == features(scheme.names)
        names = split.features["ner_tags"].feature.names
        assert names == scheme.bio_names()
        assert names[:3] == ["O", "B-PER", "I-PER"]
    by_id = {str(r.input_hash): r for r in records}
    seen = set()
    for split in ds.values():
        for row in split:
            rec = by_id[row["id"]]
            seen.add(row["id"])
            assert row["text"] == rec.text
            assert row["tokens"] == [t.text for t in rec.tokens or []]
            assert row["annotators"] == ["alice"]
            assert json.loads(row["meta"]) == rec.meta
            spans = rec.spans or []
            assert row["spans"] == [
                {"start": s.start, "end": s.end, "label": s.label} for s in spans
            ]
            # ner_tags decode back to the spans
            decoded = tags_to_token_spans([names[t] for t in row["ner_tags"]])
            assert decoded == [(s.token_start, s.token_end, s.label) for s in spans]
    assert seen == set(by_id)  # every article in exactly one split


def test_loads_back_with_load_dataset(hf_export: tuple[Path, list[Record]], tmp_path: Path) -> None:
    import datasets

    out, _ = hf_export
    disk = datasets.load_from_disk(str(out))
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "validation", "test"}
    for name, split in loaded.items():
        assert split.features == disk[name].features  # ClassLabel names from the card
        assert split.to_list() == disk[name].to_list()


def test_reads_back_through_our_hf_reader(hf_export: tuple[Path, list[Record]]) -> None:
    out, records = hf_export
    expected = sorted((r.text, tuple(s.key for s in r.spans or [])) for r in records)
    back = [i.record for i in read(out)]
    assert sorted((r.text, tuple(s.key for s in r.spans or [])) for r in back) == expected
    parquet = sorted((out / "data").glob("*.parquet"))
    assert [p.name.split("-")[0] for p in parquet] == ["test", "train", "validation"]
    from_parquet = [i.record for p in parquet for i in read(p)]
    assert sorted((r.text, tuple(s.key for s in r.spans or [])) for r in from_parquet) == expected


def test_layout_is_what_save_to_disk_writes(
    hf_export: tuple[Path, list[Record]], tmp_path: Path
) -> None:
    """Our Arrow files and their state/info JSON are written directly (faster): they must stay
    what `datasets` itself writes, whatever its version."""
    import datasets

    out, _ = hf_export
    ref = tmp_path / "ref"
    datasets.load_from_disk(str(out)).save_to_disk(str(ref))
    assert json.loads((ref / "dataset_dict.json").read_text()) == json.loads(
        (out / "dataset_dict.json").read_text()
    )
    for split in ("train", "validation", "test"):
        ours = json.loads((out / split / "state.json").read_text())
        theirs = json.loads((ref / split / "state.json").read_text())
        ours.pop("_fingerprint"), theirs.pop("_fingerprint")
        assert ours == theirs
        assert json.loads((out / split / "dataset_info.json").read_text()) == json.loads(
            (ref / split / "dataset_info.json").read_text()
        )


def test_dataset_card(hf_export: tuple[Path, list[Record]]) -> None:
    from huggingface_hub import DatasetCard

    out, records = hf_export
    card = DatasetCard.load(out / "README.md")
    data = card.data.to_dict()
    assert data["task_categories"] == ["token-classification"]
    assert data["configs"][0]["data_files"][0] == {
        "split": "train",
        "path": "data/train-00000-of-00001.parquet",
    }
    feats = {f["name"]: f for f in data["dataset_info"]["features"]}
    assert list(feats["ner_tags"]["list"]["class_label"]["names"].values()) == (
        load_scheme().bio_names()
    )
    assert {s["name"]: s["num_examples"] for s in data["dataset_info"]["splits"]} == {
        "train": 3,
        "validation": 1,
        "test": 1,
    }
    text = card.text
    total_per = sum(1 for r in records for s in r.spans or [] if s.label == "PER")
    per_row = next(line for line in text.splitlines() if line.startswith("| PER |"))
    assert per_row.endswith(f"| {total_per:,} |")
    assert "| PERCENT | 0 | 0 | 0 | 0 |" in text  # declared labels, even when unused
    assert "1 annotator: alice" in text
    assert "How the data was made" in text and "seed 0" in text
    manifest = json.loads((out / ".relecture-export.json").read_text())
    assert manifest["format"] == "hf" and manifest["splits"]["train"]["examples"] == 3


def test_build_batch_takes_rows_as_they_are_only_when_ready() -> None:
    """The HF writer checks readiness while it reads a row's tokens; a row with anything for
    `prepare` to do (no tokens, a span off its tokens, an overlap, an unknown label) stops the
    chunk, which is then prepared and built again."""
    from annotations.export.hf import NotReady, build_batch
    from annotations.export.prepare import is_ready
    from annotations.export.select import Row

    labels = ["PER", "ORG", "LOC", "MISC", "MONEY", "PERCENT", "DATE"]
    schema = features(labels).arrow_schema
    allowed = frozenset(labels)

    def ready(record: Record) -> bool:
        return is_ready(record, allowed, True)

    good = labelled_demo()[0]
    rows = [Row(good, ["alice"], "demo.jsonl:1", "1", 1)]
    batch, counts, n_tokens = build_batch(rows, labels, schema, ready)
    assert batch.num_rows == 1 and n_tokens == len(good.tokens or ())
    assert sum(counts) == len(good.spans or ()) > 0

    first = (good.spans or [])[0]
    t0 = (good.tokens or [])[first.token_start or 0]
    broken = {
        "no tokens": Record(good.text, spans=[Span(first.start, first.end, first.label)]),
        "off its tokens": Record(
            good.text,
            tokens=good.tokens,
            spans=[Span(t0.start + 1, first.end, first.label, first.token_start, first.token_end)],
        ),
        "unknown label": Record(
            good.text,
            tokens=good.tokens,
            spans=[Span(first.start, first.end, "COMPANY", first.token_start, first.token_end)],
        ),
        "overlap": Record(good.text, tokens=good.tokens, spans=[first, first]),
    }
    for why, record in broken.items():
        with pytest.raises(NotReady):
            build_batch([*rows, Row(record, [], "x:2", "2", 2)], labels, schema, ready)
        assert not ready(record), why
