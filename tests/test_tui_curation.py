"""The curation screen from the keyboard: a scripted curation of the four-annotator brat project
gives a known gold line; `relecture review --auto-accept` writes exactly the unanimous articles;
the votes panel says who said what."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotations.curation.articles import CurationSource, group_versions
from annotations.curation.gold import load_versions, saved_gold
from annotations.curation.session import CurationSession
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.records import Record
from annotations.store.writer import JsonlWriter
from tests.test_curation_domain import PROJECT, needs_brat
from tui.app import ChainOptions, RelectureApp
from tui.cli import build
from tui.screens.curation import CurationScreen
from tui.widgets.curation.votes_panel import VotesPanel
from tui.widgets.spans.span_list import SpanList


def curation_app(files: list[Path], out: Path) -> RelectureApp:
    session = CurationSession(
        CurationSource(load_versions(files)), load_scheme(), "lead", saved_gold(out, "lead")
    )
    return RelectureApp(session, JsonlWriter(out), ChainOptions(model=None))


def spans_of(line: dict[str, object]) -> dict[str, tuple[str, str]]:
    text = str(line["text"])
    return {
        text[s["start"] : s["end"]]: (s["label"], s.get("source"))  # type: ignore[index]
        for s in line["spans"]  # type: ignore[attr-defined]
    }


@needs_brat
async def test_a_scripted_curation_from_keys_alone(tmp_path: Path) -> None:
    out = tmp_path / "gold.jsonl"
    app = curation_app([PROJECT], out)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CurationScreen)
        session = app.session
        assert isinstance(session, CurationSession)
        opened = len(session.open_groups())
        await pilot.press("enter")  # it opens on "EFE": accept the majority candidate (3/4)
        await pilot.press("tab", "c")  # "Juegos" / "Juegos de Sydney": c applies the most voted
        await pilot.press("tab", "enter", "{")  # "Liga Mundial 2000" (2/4), cut by hand
        await pilot.press("slash", *"voleibol", "enter", "4")  # a span nobody had: MISC
        await pilot.pause()
        assert len(session.open_groups()) == opened - 3
        panel = app.screen.query_one(VotesPanel)
        assert panel.open == opened - 3
        await pilot.press("A")  # the majority everywhere it is clear
        await pilot.pause()
        for _ in range(100):  # ties: the curator applies the most voted version, one by one
            if not session.open_groups():
                break
            await pilot.press("tab", "c")
            await pilot.pause()
        await pilot.press("space")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert session.index == 1
        await pilot.press("q")
    (line,) = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert line["_annotator_id"] == "lead" and line["answer"] == "accept"
    spans = spans_of(line)
    assert spans["EFE"] == ("ORG", "review:Lisa+Maria+Max")
    assert spans["Juegos de Sydney"] == ("MISC", "review:Lisa+Max+Peter")
    assert spans["voleibol"] == ("MISC", "curator")
    text = line["text"]
    at = {(s["start"], s["label"]): text[s["start"] : s["end"]] for s in line["spans"]}
    source = {(s["start"], s["label"]): s.get("source") for s in line["spans"]}
    assert source[(text.index("Liga Mundial 2000"), "MISC")] == "curator"
    assert at[(text.index("Juegos de Sydney"), "MISC")] == "Juegos de Sydney"  # not "Juegos"
    assert at[(text.index("Liga Mundial 2000"), "MISC")] == "Liga Mundial"
    assert line["_review"]["annotators"] == ["Lisa", "Maria", "Max", "Peter"]
    assert line["meta"] == {"source": "esp.train-doc-100.txt"}
    (item,) = list(read(out, "jsonl"))  # the gold file validates
    assert item.record.annotator == "lead"


@needs_brat
async def test_resume_opens_the_next_article_with_the_gold_kept(tmp_path: Path) -> None:
    out = tmp_path / "gold.jsonl"
    app = curation_app([PROJECT], out)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("r")  # reject the first article: allowed with disagreements open
        await app.workers.wait_for_complete()
        await pilot.press("q")
    again = curation_app([PROJECT], out)
    assert again.session.index == 1 and again.session.reviewed_count() == 1


def two_annotators(tmp_path: Path) -> list[Path]:
    texts = ["Paris est belle.", "Meta recrute.", "Lyon et Rome."]
    alice = [
        {"text": texts[0], "spans": [{"start": 0, "end": 5, "label": "LOC"}], "answer": "accept"},
        {"text": texts[1], "spans": [{"start": 0, "end": 4, "label": "ORG"}], "answer": "accept"},
        {"text": texts[2], "spans": [{"start": 0, "end": 4, "label": "LOC"}], "answer": "accept"},
    ]
    bruno = [dict(alice[0]), {**alice[1], "spans": []}, dict(alice[2])]
    paths = []
    for name, lines in (("alice", alice), ("bruno", bruno)):
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
        paths.append(path)
    return paths


def test_auto_accept_writes_exactly_the_unanimous_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[int] = []
    monkeypatch.setattr(RelectureApp, "run", lambda self: shown.append(len(self.session)))
    out = tmp_path / "gold.jsonl"
    args = ["review", *map(str, two_annotators(tmp_path)), "-o", str(out)]
    args += ["--curator", "lead", "--auto-accept"]
    result = CliRunner().invoke(build(), args)
    assert result.exit_code == 0, result.output
    assert "auto-accepted 2 unanimous articles" in result.output
    lines = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert [x["text"] for x in lines] == ["Paris est belle.", "Lyon et Rome."]
    assert all(x["_review"]["auto_accepted"] and x["_annotator_id"] == "lead" for x in lines)
    assert shown == [1]  # only the disputed article is shown
    again = CliRunner().invoke(build(), args)  # resumed: nothing written twice
    assert "auto-accepted 0 unanimous articles (2 earlier)" in again.output
    assert len(out.read_bytes().splitlines()) == 2


def test_gold_is_never_an_annotators_file(tmp_path: Path) -> None:
    alice, bruno = two_annotators(tmp_path)
    before = alice.read_bytes()
    (tmp_path / "gold.jsonl").symlink_to(alice)
    args = ["review", str(alice), str(bruno), "-o", str(tmp_path / "gold.jsonl")]
    result = CliRunner().invoke(build(), [*args, "--curator", "lead"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "is an annotator's file" in result.output
    assert alice.read_bytes() == before


@needs_brat
async def test_the_votes_panel_and_the_span_list_say_who_gave_what(tmp_path: Path) -> None:
    app = curation_app([PROJECT], tmp_path / "gold.jsonl")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("tab")  # from "EFE" to "Juegos" (Maria) / "Juegos de Sydney" (the others)
        await pilot.pause()
        screen = app.screen
        panel = str(screen.query_one(VotesPanel).render())
        assert "«Juegos de Sydney»" in panel
        lines = {line.split()[0]: line for line in panel.splitlines()[2:]}
        assert "MISC «Juegos»" in lines["Maria"] and "«Juegos de Sydney»" in lines["Peter"]
        assert panel.startswith("1/7 esp.train-doc-100.txt · F1 0.80 · 16 open")
        rows = [
            str(line.text)
            for line in screen.query_one(SpanList).render_lines(
                screen.query_one(SpanList).region.reset_offset
            )
        ]
        assert any("Juegos de Sy" in row and "3/4" in row for row in rows)
        assert any("Viruca Atanes" in row and "4/4" in row for row in rows)


def test_the_disputed_filter_steps_over_settled_articles() -> None:
    alice = {"text": "Paris.", "spans": [{"start": 0, "end": 5, "label": "LOC"}]}
    versions = group_versions(
        [
            Record.from_dict({**alice, "_annotator_id": "a"}),
            Record.from_dict({**alice, "_annotator_id": "b"}),
            Record.from_dict({"text": "Lyon.", "_annotator_id": "a", "spans": []}),
            Record.from_dict(
                {
                    "text": "Lyon.",
                    "_annotator_id": "b",
                    "spans": [{"start": 0, "end": 4, "label": "LOC"}],
                }
            ),
        ]
    )
    session = CurationSession(CurationSource(versions), load_scheme(), "lead")
    assert session.index == 0 and session.set_filter("disputed") and session.index == 1
    assert session.take_majority() == 0  # 1 of 2 is no majority
    session.next_open()
    session.cycle()
    assert not session.matches(1, "disputed")


TEXTS = [
    "Meta Platforms recrute Yann LeCun à Paris .",
    "La Banque de France publie ses chiffres à Paris .",
    "Emmanuel Macron reçoit Olaf Scholz à Berlin .",
]
VERSIONS = {  # per annotator, per article: (first word, last word, label)
    "alice": [
        [(0, 1, "ORG"), (3, 4, "PER"), (6, 6, "LOC")],
        [(0, 3, "ORG"), (8, 8, "LOC")],
        [(0, 1, "PER"), (3, 4, "PER"), (6, 6, "LOC")],
    ],
    "bruno": [
        [(0, 0, "ORG"), (3, 4, "PER"), (6, 6, "LOC")],
        [(1, 3, "ORG"), (8, 8, "LOC")],
        [(0, 1, "PER"), (3, 4, "PER")],
    ],
    "chloe": [
        [(0, 1, "ORG"), (3, 4, "PER")],
        [(0, 2, "ORG"), (8, 8, "LOC")],
        [(0, 1, "PER"), (3, 4, "PER"), (6, 6, "ORG")],
    ],
}


def three_annotators(tmp_path: Path) -> list[Path]:
    """Three annotators' files over three articles, with whitespace tokens (so that nothing
    has to load spaCy's tokenizer)."""
    paths = []
    for name, per_article in VERSIONS.items():
        lines = []
        for text, spans in zip(TEXTS, per_article, strict=True):
            words, at = [], 0
            for n, word in enumerate(text.split(" ")):
                words.append(
                    {"text": word, "start": at, "end": at + len(word), "id": n, "ws": True}
                )
                at += len(word) + 1
            words[-1]["ws"] = False
            lines.append(
                {
                    "text": text,
                    "tokens": words,
                    "spans": [
                        {
                            "start": words[a]["start"],
                            "end": words[b]["end"],
                            "label": label,
                            "token_start": a,
                            "token_end": b,
                        }
                        for a, b, label in spans
                    ],
                    "answer": "accept",
                }
            )
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
        paths.append(path)
    return paths


def test_review_says_each_unreadable_line_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bruno = two_annotators(tmp_path)
    bruno.write_bytes(bruno.read_bytes() + b"{broken\n")
    monkeypatch.setattr(RelectureApp, "run", lambda self: None)
    out = tmp_path / "gold.jsonl"
    result = CliRunner().invoke(
        build(), ["review", str(alice), str(bruno), "-o", str(out), "--curator", "lead"]
    )
    assert result.exit_code == 1
    assert f"warning: left out: {bruno}:4: invalid JSON" in result.output
    assert result.output.rstrip().splitlines()[-1].startswith(f"error: {bruno}:4: invalid JSON")
    assert "Traceback" not in result.output


def test_agree_refuses_a_gold_that_is_an_input(tmp_path: Path) -> None:
    alice, bruno = two_annotators(tmp_path)
    result = CliRunner().invoke(build(), ["agree", str(alice), str(bruno), "--gold", str(bruno)])
    assert result.exit_code == 1
    assert "the gold file is also one of the annotators' files" in result.output
