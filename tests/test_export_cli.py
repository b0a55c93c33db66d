"""`relecture export` on the command line: refusals, atomic replacement, reports and warnings."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import orjson
import pytest
from rich.console import Console

import annotations.export.run as export_run
from annotations.cli.bar import Bar
from annotations.cli.export import _ExportBar
from annotations.records import Record, Span, Token
from annotations.store import atomic
from tests.test_export_hf import DEMO, labelled_demo, run, write_jsonl

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"


@pytest.fixture
def demo_jsonl(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "demo.jsonl", labelled_demo())


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def leftovers(parent: Path, name: str) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(f".{name}.")]


def test_help() -> None:
    code, output = run("export", "--help")
    assert code == 0
    for option in ("--format", "--split", "--seed", "--policy", "--force", "--align"):
        assert option in output


def test_existing_folder_is_refused_without_force(demo_jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("export", str(demo_jsonl), "-o", str(out), "-f", "jsonl")[0] == 0
    before = snapshot(out)
    code, output = run("export", str(demo_jsonl), "-o", str(out), "-f", "conll")
    assert code == 1
    assert output.strip().splitlines()[-1] == f"error: {out} exists; pass --force to replace it"
    assert snapshot(out) == before
    code, output = run("export", str(demo_jsonl), "-o", str(out), "-f", "conll", "--force")
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == [
        ".relecture-export.json",
        "README.md",
        "dev.conll",
        "train.conll",
    ]
    assert leftovers(tmp_path, "out") == []


def test_force_never_replaces_a_folder_that_is_not_an_export(
    demo_jsonl: Path, tmp_path: Path
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    code, output = run("export", str(demo_jsonl), "-o", str(precious), "--force")
    assert code == 1 and "is not a relecture export" in output
    assert (precious / "thesis.tex").read_text() == "years of work"
    code, output = run("export", str(demo_jsonl), "-o", str(tmp_path), "--force")
    assert code == 1 and "is inside it" in output  # the input would be deleted with it
    (tmp_path / "file").write_text("x")
    code, output = run("export", str(demo_jsonl), "-o", str(tmp_path / "file"), "--force")
    assert code == 1 and "is not a folder" in output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("export", str(demo_jsonl), "-o", str(empty), "-f", "jsonl", "--force")[0] == 0


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "rename-aside"])
def test_a_failure_midway_leaves_the_folder_as_it_was(
    demo_jsonl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    out = tmp_path / "out"
    assert run("export", str(demo_jsonl), "-o", str(out), "-f", "jsonl")[0] == 0
    before = snapshot(out)
    if not exchange:
        monkeypatch.setattr(atomic, "exchange", lambda a, b: False)

    def boom(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export_run, "readme", boom)  # after the data files are written
    with pytest.raises(RuntimeError, match="disk on fire"):
        run("export", str(demo_jsonl), "-o", str(out), "-f", "hf", "--force")
    assert snapshot(out) == before
    assert leftovers(tmp_path, "out") == []
    monkeypatch.undo()
    if not exchange:
        monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    code, output = run("export", str(demo_jsonl), "-o", str(out), "-f", "hf", "--force")
    assert code == 0, output
    assert (out / "dataset_dict.json").exists() and not (out / "train.jsonl").exists()
    assert leftovers(tmp_path, "out") == []


def test_interrupted_export_leaves_nothing(
    demo_jsonl: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "make_durable", interrupt)
    code, _ = run("export", str(demo_jsonl), "-o", str(tmp_path / "out"), "-f", "spacy")
    assert code == 130
    assert not (tmp_path / "out").exists() and leftovers(tmp_path, "out") == []


def misaligned(tmp_path: Path) -> Path:
    """`MetaAI` is one token; the ORG span covers only `Meta` (10-14)."""
    text = "Le groupe MetaAI recrute Sam Altman."
    words = [(0, 2), (3, 9), (10, 16), (17, 24), (25, 28), (29, 35), (35, 36)]
    tokens = [
        Token(text[s:e], s, e, i, e < len(text) and text[e] == " ")
        for i, (s, e) in enumerate(words)
    ]
    record = Record(
        text=text,
        meta={"source": "article-7.txt"},
        tokens=tokens,
        spans=[Span(10, 14, "ORG"), Span(25, 35, "PER", 4, 5)],
        answer="accept",
    ).with_hashes()
    return write_jsonl(tmp_path / "misaligned.jsonl", [record])


def test_misaligned_spans_are_reported_never_turned_into_o(tmp_path: Path) -> None:
    import datasets

    src = misaligned(tmp_path)
    out = tmp_path / "hf"
    code, output = run("export", str(src), "-o", str(out), "-f", "hf", "--split", "1")
    assert code == 0, output
    warning = next(line for line in output.splitlines() if line.startswith("warning:"))
    assert f"{src}:1" in warning and "article-7.txt" in warning and "10-16" in warning
    assert "split at [14]" in warning
    assert "(1 warning)" in output
    row = datasets.load_from_disk(str(out))["train"][0]
    names = datasets.load_from_disk(str(out))["train"].features["ner_tags"].feature.names
    assert row["tokens"][:4] == ["Le", "groupe", "Meta", "AI"]
    assert [names[t] for t in row["ner_tags"]] == [
        "O",
        "O",
        "B-ORG",
        "O",
        "O",
        "B-PER",
        "I-PER",
        "O",
    ]

    code, output = run("export", str(src), "-o", str(tmp_path / "strict"), "--align", "strict")
    assert code == 1
    assert output.strip().splitlines()[-1] == (
        f"error: {src}:1 (article article-7.txt): span 10-14 ORG: does not start and end on "
        "tokens (--align strict; try --align split)"
    )
    assert not (tmp_path / "strict").exists()


def test_report_counts_what_is_left_out(tmp_path: Path) -> None:
    recs = labelled_demo()
    recs[0].answer = "reject"
    recs[1].answer = "ignore"
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    code, output = run("export", str(src), "-o", str(tmp_path / "out"), "-f", "conll")
    assert code == 0, output
    assert "left out: 1 records answered reject" in output
    assert "left out: 1 records answered ignore" in output
    assert "train: 3 examples" in output  # 3 articles: 2.4 / 0.3 / 0.3, by largest remainder
    assert "no dev / test split: too few articles for it" in output
    manifest = json.loads((tmp_path / "out" / ".relecture-export.json").read_text())
    assert manifest["left_out"] == {"records answered reject": 1, "records answered ignore": 1}
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "Empty, so not written: dev, test." in readme


def test_refusals_are_one_line(tmp_path: Path) -> None:
    recs = labelled_demo()
    two = [*recs, *(Record.from_dict({**r.to_dict(), "_annotator_id": "bob"}) for r in recs)]
    src = write_jsonl(tmp_path / "two.jsonl", two)
    code, output = run("export", str(src), "-o", str(tmp_path / "a"))
    assert code == 1 and "5 articles have records from several annotators (alice, bob)" in output
    assert run("export", str(src), "-o", str(tmp_path / "a"), "--policy", "majority")[0] == 0

    rejected = write_jsonl(tmp_path / "rej.jsonl", [Record("Un texte.", answer="reject")])
    code, output = run("export", str(rejected), "-o", str(tmp_path / "b"))
    assert code == 1 and "nothing to export" in output and "1 records answered reject" in output

    odd = [Record("Apple et Google.", spans=[Span(0, 5, "COMPANY")], answer="accept")]
    src = write_jsonl(tmp_path / "odd.jsonl", odd)
    code, output = run("export", str(src), "-o", str(tmp_path / "c"))
    assert code == 1 and "label 'COMPANY'" in output and "--any-label" in output
    code, output = run("export", str(src), "-o", str(tmp_path / "c"), "--any-label", "--split", "1")
    assert code == 0, output
    names = orjson.loads((tmp_path / "c" / ".relecture-export.json").read_bytes())["labels"]
    assert names == ["COMPANY"]

    text = "Sam Altman dirige OpenAI."
    overlap = [Record(text, spans=[Span(0, 10, "PER"), Span(4, 10, "ORG")], answer="accept")]
    src = write_jsonl(tmp_path / "overlap.jsonl", overlap)
    code, output = run("export", str(src), "-o", str(tmp_path / "d"), "-f", "hf")
    assert code == 1 and "overlapping spans 0-10 PER 'Sam Altman' and 4-10 ORG 'Altman'" in output
    code, output = run("export", str(src), "-o", str(tmp_path / "d"), "-f", "jsonl")
    assert code == 0, output  # the line formats hold overlapping spans

    for bad, message in (
        (["--format", "xml"], "--format must be one of"),
        (["--split", "0,1"], "train proportion must be above 0"),
        (["--policy", "vote"], "--policy must be one of"),
        (["--align", "snap"], "--align must be one of"),
    ):
        code, output = run("export", str(src), "-o", str(tmp_path / "e"), *bad)
        assert code == 1 and message in output, (bad, output)


def test_the_demo_file_as_it_is(tmp_path: Path) -> None:
    """No answers, no spans: five articles exported as they are, with an empty test split."""
    code, output = run("export", str(DEMO), "-o", str(tmp_path / "demo"), "-f", "hf")
    assert code == 0, output
    assert "train: 4 examples" in output and "validation: 1 example," in output
    assert "no test split" in output


def test_progress_bar_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import annotations.cli.bar as bar_module

    monkeypatch.setattr(bar_module, "SHOW_AFTER_S", 0.0)
    monkeypatch.setattr(bar_module, "REDRAW_S", 0.0)
    buffer = io.StringIO()
    with Bar(Console(file=buffer, force_terminal=True, width=100)) as bar:
        progress = _ExportBar(bar)
        progress.phase("writing", 20_000)
        progress.advance(5_000)
        assert bar.bar is not None
        bar.bar.refresh()
    assert "writing" in buffer.getvalue() and "5,000 articles" in buffer.getvalue()
    with Bar(Console(file=io.StringIO(), force_terminal=False)) as quiet:
        _ExportBar(quiet).advance(100_000)
        assert quiet.bar is None


def test_counting_an_article_asks_the_terminal_nothing() -> None:
    """The export counts every article: asking Rich whether stderr is a terminal each time cost
    ~40 µs an article, 4 s of a 100k-article export (found profiling its main process)."""
    asked = 0

    class Counting(Console):
        @property
        def is_terminal(self) -> bool:
            nonlocal asked
            asked += 1
            return False

    console = Counting(file=io.StringIO())
    asked = 0  # Rich asks while it sets the console up
    with Bar(console) as bar:
        progress = _ExportBar(bar)
        progress.phase("indexing", None)
        for _ in range(10_000):
            progress.advance()
    assert asked <= 1 and bar.done == 10_000


def test_agreement_hook_fills_the_card(tmp_path: Path) -> None:
    from annotations.export import Options, export_records

    recs = labelled_demo()
    two = [*recs, *(Record.from_dict({**r.to_dict(), "_annotator_id": "bob"}) for r in recs)]
    seen: list[int] = []

    def agreement(current: list[Record]) -> dict[str, object]:
        seen.append(len(current))
        return {"pairwise F1, exact": 0.8912, "F1 per label": {"PER": 0.95, "ORG": 0.8}}

    pairs = [(r, f"two.jsonl:{i + 1}") for i, r in enumerate(two)]
    export_records(pairs, tmp_path / "a", Options(fmt="hf", policy="majority", agreement=agreement))
    card = (tmp_path / "a" / "README.md").read_text()
    assert seen == [10]  # the current records: 5 articles x 2 annotators
    assert "## Agreement" in card and "| pairwise F1, exact | 0.891 |" in card
    assert "| PER | 0.950 |" in card

    single = [(r, f"one.jsonl:{i + 1}") for i, r in enumerate(labelled_demo())]
    export_records(single, tmp_path / "b", Options(fmt="jsonl", agreement=agreement))
    assert seen == [10]  # one annotator per article: no agreement section, hook not called
    assert "## Agreement" not in (tmp_path / "b" / "README.md").read_text()

    fresh = [(Record.from_dict(r.to_dict()), w) for r, w in pairs]
    export_records(fresh, tmp_path / "c", Options(fmt="jsonl", policy="all"))
    assert (
        "Agreement was not computed for this export" in (tmp_path / "c" / "README.md").read_text()
    )


def test_per_user_doccano_files_export_by_majority_with_agreement_in_the_card(
    reference: Path, tmp_path: Path
) -> None:
    # doccano writes one file per user with no annotator field: the file names tell them apart,
    # as in `relecture agree`, and the card carries the agreement `relecture agree` reports
    # (bratiaa's published pairwise F1 for this project is 0.890).
    files = sorted(str(p) for p in (reference / "derived" / "doccano_per_user").glob("*.jsonl"))
    assert len(files) == 4
    out = tmp_path / "ds"
    code, output = run(
        "export", *files, "-o", str(out), "--format", "jsonl", "--policy", "majority"
    )
    assert code == 0, output
    assert "annotators: Lisa, Maria, Max, Peter" in output
    card = (out / "README.md").read_text()
    assert "| pairwise span F1, exact match | 0.890 |" in card
    assert "| ORG | 0.906 |" in card
