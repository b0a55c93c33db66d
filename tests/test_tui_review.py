"""The review screen driven from the keyboard (Textual Pilot), asserting on the session's state and
on the saved JSONL."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotations.records import Record
from annotations.review.state import Status
from tests.tui_helpers import demo_records, make_app
from tui.screens.help import HelpScreen
from tui.widgets.article.article_view import ArticleView

TEXT = "Meta recrute Jack Altman chez OpenAI pour 100 millions de dollars."
# tokens: Meta0 recrute1 Jack2 Altman3 chez4 OpenAI5 pour6 100(7) millions8 de9 dollars10 .11


def articles() -> list[Record]:
    return [
        Record(text=TEXT),
        Record(text="Deuxième article : Jack Altman anime un podcast."),
        Record(text="Troisième article sur Google."),
        Record(text="Quatrième article sur Apple."),
    ]


def lines(out: Path) -> list[dict]:
    return [orjson.loads(line) for line in out.read_bytes().splitlines()]


async def ready(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def spans_of(session) -> list[tuple[int, int, str, str]]:
    return [(s.token_start, s.token_end, s.label, s.status.value) for s in session.state.spans]


async def test_end_to_end_from_keystrokes_alone(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    app = make_app(out, articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        s = app.session
        assert spans_of(s) == [
            (0, 0, "ORG", "pending"),
            (5, 5, "ORG", "pending"),
            (7, 10, "MONEY", "pending"),
        ]
        await pilot.press("right", "right", "shift+right", "3")  # select Jack Altman, label LOC
        assert (2, 3, "LOC", "new") in spans_of(s)
        await pilot.press("1")  # relabel PER
        assert (2, 3, "PER", "new") in spans_of(s)
        await pilot.press("}")  # resize: Jack Altman chez
        assert (2, 4, "PER", "new") in spans_of(s)
        await pilot.press("{")  # and back
        assert (2, 3, "PER", "new") in spans_of(s)
        await pilot.press("tab", "x")  # next span is OpenAI: reject it
        assert (5, 5, "ORG", "rejected") in spans_of(s)
        await pilot.press("u")  # undo the rejection
        assert (5, 5, "ORG", "pending") in spans_of(s)
        await pilot.press("x", "space")  # reject again, submit
        await ready(app, pilot)
        assert s.index == 1
    (line,) = lines(out)
    assert line["answer"] == "accept" and line["_annotator_id"] == "alice"
    got = [
        (line["text"][x["start"] : x["end"]], x["label"], x["token_start"], x["token_end"])
        for x in line["spans"]
    ]
    assert got == [
        ("Meta", "ORG", 0, 0),
        ("Jack Altman", "PER", 2, 3),
        ("100 millions de dollars", "MONEY", 7, 10),
    ]
    assert [x.get("source") for x in line["spans"]] == [
        "patterns:known-entities-fr.jsonl",
        None,
        "rules:money-percent-date-fr",
    ]
    assert len(line["suggestions"]) == 3  # what was suggested is kept apart from what was decided


@pytest.mark.parametrize(
    ("keys", "expected_cursor", "expected_anchor"),
    [
        (("right", "right", "left"), 1, None),
        (("down",), None, None),
        (("shift+right", "shift+right"), 2, 0),
        (("shift+right", "escape"), 1, None),
        (("tab",), 5, None),
        (("tab", "tab", "shift+tab"), 5, None),
    ],
)
async def test_moving(tmp_path: Path, keys, expected_cursor, expected_anchor) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=TEXT + "\n" + TEXT)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press(*keys)
        state = app.session.state
        if expected_cursor is None:  # ↓ goes to the next line: the first token of the second TEXT
            assert app.session.record.tokens[state.cursor].start == len(TEXT) + 1
        else:
            assert state.cursor == expected_cursor
        assert state.anchor == expected_anchor


async def test_span_keys(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    app = make_app(out, articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        s = app.session
        await pilot.press("enter")  # accept Meta
        assert spans_of(s)[0] == (0, 0, "ORG", "accepted")
        await pilot.press("tab", "a")  # accept OpenAI with a
        assert spans_of(s)[1] == (5, 5, "ORG", "accepted")
        await pilot.press("delete")  # Del rejects
        assert spans_of(s)[1] == (5, 5, "ORG", "rejected")
        await pilot.press("ctrl+z")
        assert spans_of(s)[1] == (5, 5, "ORG", "accepted")
        await pilot.press("ctrl+y")
        assert spans_of(s)[1] == (5, 5, "ORG", "rejected")
        await pilot.press("tab", "]")  # MONEY: start one token right
        assert spans_of(s)[2] == (8, 10, "MONEY", "edited")
        await pilot.press("[")
        assert spans_of(s)[2] == (7, 10, "MONEY", "edited")
        await pilot.press("A")  # accept all: nothing pending is left
        assert all(st != "pending" for *_, st in spans_of(s))
        await pilot.press("left", "left", "4")  # cursor 8 → "pour": a one-token MISC
        assert (6, 6, "MISC", "new") in spans_of(s)
        await pilot.press("x")  # your own span: deleted
        assert all(a != 6 for a, *_ in spans_of(s))


async def test_article_keys_and_filters(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    app = make_app(out, articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        s = app.session
        await pilot.press("space")  # submit 1
        await ready(app, pilot)
        await pilot.press("i")  # ignore 2 (flagged)
        await ready(app, pilot)
        await pilot.press("r")  # reject 3
        await ready(app, pilot)
        assert s.index == 3 and s.reviewed_count() == 3
        assert [x["answer"] for x in lines(out)] == ["accept", "ignore", "reject"]
        await pilot.press("p", "p")
        assert s.index == 1
        await pilot.press("n")
        assert s.index == 2
        app.screen.set_filter("flagged")
        assert s.index == 1
        await pilot.press("n")  # no other flagged article
        assert s.index == 1
        app.screen.set_filter("rejected")
        assert s.index == 2
        app.screen.set_filter("unreviewed")
        assert s.index == 3
        await pilot.press("p")
        assert s.index == 3
        app.screen.set_filter("all")
        await pilot.press("g")
        await pilot.press("1", "enter")
        assert s.index == 0
        await pilot.press("f")
        await pilot.press("u")  # unreviewed
        assert app.session.filter == "unreviewed" and s.index == 3


async def test_search_help_palette_and_quit(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        await pilot.press(*"altman", "enter")
        s = app.session
        assert s.record.tokens[s.state.cursor].text == "Altman"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+p")
        assert type(app.screen).__name__ == "CommandPalette"
        await pilot.press("escape")
        await pilot.press("q")
    assert app.return_code == 0


async def test_resume_and_memory_learns_from_each_submit(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    app = make_app(out, articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("right", "right", "shift+right", "1", "space")  # Jack Altman PER
        await ready(app, pilot)
        s = app.session
        assert s.index == 1
        # article 2 has Jack Altman too: the memory now suggests it, as PER
        tokens = s.record.tokens
        suggested = [
            (
                s.record.text[tokens[a.token_start].start : tokens[a.token_end].end],
                a.label,
                a.source,
            )
            for a in s.state.spans
        ]
        assert ("Jack Altman", "PER", "memory") in suggested
        await pilot.press("tab", "2")  # start an edit on article 2, then leave (draft autosaved)
        await pilot.pause(0.7)
        await app.workers.wait_for_complete()
    app2 = make_app(out, articles())
    async with app2.run_test(size=(120, 40)) as pilot:
        await ready(app2, pilot)
        assert app2.session.index == 1  # first unreviewed
        assert app2.session.state_at(0).answer == "accept"
        assert any(
            sp.label == "ORG" and sp.status is Status.EDITED for sp in app2.session.state.spans
        )


async def test_second_instance_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from tui.cli import build

    out = tmp_path / "out.jsonl"
    app = make_app(out, articles())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        src = tmp_path / "a.txt"
        src.write_text(TEXT, "utf-8")
        result = CliRunner().invoke(
            build(), ["annotate", str(src), "-o", str(out), "--annotator", "bob"]
        )
        assert result.exit_code == 1
        assert "already open for writing by another relecture session" in result.output


async def test_model_suggestions_arrive_after_the_first_article(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", demo_records()[:2], model="fr_core_news_md")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.model_state == "loading"
        assert (
            app.session.index == 0
            and app.screen.query_one(ArticleView).record is app.session.record
        )
        await ready(app, pilot)
        await ready(app, pilot)  # the model's suggestions are asked for once it is ready
        assert app.model_state == "ready"
        assert any((sp.source or "").startswith("model:") for sp in app.session.state.spans)
