"""Snapshots of the review screen (120x40, textual-dark): every label visible, the help screen, a
long article scrolled to its middle; and a demo article and the help at 80x24 and 60x20 (the span
list below the article). `pytest --snapshot-update` records new ones after a review."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.records import Record, Span
from annotations.tokenize import tokenize
from tests.tui_helpers import demo_records, make_app

SIZE = (120, 40)
ALL_LABELS = "Sam Altman quitte OpenAI à Paris pour lancer ChatGPT avec 100 millions de dollars, soit 49 % du capital, en 2024."
PARTS = [
    ("Sam Altman", "PER"),
    ("OpenAI", "ORG"),
    ("Paris", "LOC"),
    ("ChatGPT", "MISC"),
    ("100 millions de dollars", "MONEY"),
    ("49 %", "PERCENT"),
    ("2024", "DATE"),
]


def every_label() -> Record:
    tokens = tokenize(ALL_LABELS)
    starts = {t.start: t.id for t in tokens}
    ends = {t.end: t.id for t in tokens}
    spans = []
    for surface, label in PARTS:
        a = ALL_LABELS.index(surface)
        b = a + len(surface)
        spans.append(Span(a, b, label, starts[a], ends[b], source="model:demo", score=0.9))
    return Record(text=ALL_LABELS, tokens=tokens, suggestions=spans, spans=spans)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The status line shows when the last write was durable: a fixed clock for the pictures."""
    import time

    import tui.app
    import tui.widgets.status.status_bar as status_bar

    monkeypatch.setattr(tui.app.time, "time", lambda: 1_764_590_400.0)
    monkeypatch.setattr(status_bar.time, "localtime", time.gmtime)


async def settle(pilot) -> None:
    pilot.app.theme = "textual-dark"
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_main_screen_every_label(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [every_label(), *demo_records()[:1]])

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("enter", "tab", "x", "tab", "tab", "2")  # accepted, rejected, edited

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [every_label()])

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_long_article_scrolled_to_its_middle(snap_compare, tmp_path: Path) -> None:
    text = "\n".join(r.text for r in demo_records())
    app = make_app(tmp_path / "out.jsonl", [Record(text=text)])

    async def run_before(pilot) -> None:
        await settle(pilot)
        session = pilot.app.session
        session.set_cursor(len(session.record.tokens) // 2)
        pilot.app.redraw()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


SMALL = [(80, 24), (60, 20)]


@pytest.mark.parametrize("size", SMALL, ids=lambda size: f"{size[0]}x{size[1]}")
def test_main_screen_small(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(tmp_path / "out.jsonl", demo_records())

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("u")  # a note in the status line: "nothing to undo"
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SMALL, ids=lambda size: f"{size[0]}x{size[1]}")
def test_help_screen_small(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app = make_app(tmp_path / "out.jsonl", demo_records())

    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
