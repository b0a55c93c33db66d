"""Small terminals: at 60x20 the article wraps exactly to its pane (no line cut, no word split),
the span list goes below the article and back beside it when the terminal widens; the help dialog
fits and scrolls from the keyboard; at 80x24 the status line keeps the model state and the note."""

from __future__ import annotations

from pathlib import Path

from textual.containers import VerticalScroll

from annotations.records import Record
from tests.tui_helpers import demo_records, make_app
from tui.screens.help import HelpScreen
from tui.widgets.article.article_view import ArticleView
from tui.widgets.spans.span_list import SpanList


async def screen_lines(pilot, view: ArticleView) -> list[str]:
    """Every screen line of the article as drawn (less the indicator column), page by page."""
    lines: dict[int, str] = {}
    total = int(view.virtual_size.height)
    top = 0
    while top < total:
        view.scroll_to(y=top, animate=False)
        await pilot.pause()
        first = int(view.scroll_offset.y)
        for y in range(view.size.height):
            if first + y < total:
                lines[first + y] = view.render_line(y).text[: view.size.width - 1]
        top = first + view.size.height
    return [lines[i] for i in range(total)]


async def test_at_60x20_the_article_wraps_to_its_pane_and_no_word_is_cut(tmp_path: Path) -> None:
    records = demo_records()
    app = make_app(tmp_path / "out.jsonl", records)
    async with app.run_test(size=(60, 20)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for number, record in enumerate(records):
            assert app.session.index == number
            view = app.screen.query_one(ArticleView)
            assert view.region.right <= 60
            drawn = await screen_lines(pilot, view)
            width = view.size.width - 1  # the last column is the scroll indicator
            assert all(len(line) <= width for line in drawn)
            words = record.text.split()
            assert max(map(len, words)) <= width  # every word fits: none may be split
            assert " ".join(drawn).split() == words, f"article {number + 1}"
            await pilot.press("n")
            await app.workers.wait_for_complete()
            await pilot.pause()


async def test_the_span_list_goes_below_when_narrow_and_beside_when_wide(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl")
    async with app.run_test(size=(60, 20)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        article = app.screen.query_one(ArticleView)
        spans = app.screen.query_one(SpanList)
        assert app.screen.has_class("narrow")
        assert spans.region.y >= article.region.bottom and spans.region.height >= 4
        assert article.region.width == spans.region.width == 60
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.screen.has_class("narrow")
        assert spans.region.x >= article.region.right and spans.region.y == article.region.y
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.screen.has_class("narrow")  # 80 columns: still side by side
        assert article.region.right <= spans.region.x and spans.region.right <= 80


async def test_help_fits_small_terminals_and_scrolls_from_the_keyboard(tmp_path: Path) -> None:
    for size in ((60, 20), (80, 24)):
        app = make_app(tmp_path / "out.jsonl")
        async with app.run_test(size=size) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            box = app.screen.query_one("#help", VerticalScroll)
            assert box.region.x >= 0 and box.region.right <= size[0]
            assert box.region.y >= 0 and box.region.bottom <= size[1]
            assert box.max_scroll_y > 0 and box.scroll_y == 0
            await pilot.press("pagedown")
            await pilot.pause()
            assert box.scroll_y > 0
            await pilot.press("end")
            await pilot.pause()
            assert box.scroll_y == box.max_scroll_y
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)


async def test_status_line_at_80x24_shows_the_model_state_and_the_note(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl")  # the demo articles, model off
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("u")  # nothing to undo yet: a refusal note
        await pilot.pause()
        bar = app.screen.query_one("#status")
        assert bar.size.width == 80
        shown = bar.render_line(0).text
        assert "model: off" in shown
        assert "nothing to undo" in shown
        assert "article 1/5" in shown
        assert len(shown.rstrip()) <= 80


async def test_a_pane_narrower_than_twenty_columns_still_wraps_to_its_width(
    tmp_path: Path,
) -> None:
    text = " ".join(["le chat dort sur le mur du jardin"] * 12)
    app = make_app(tmp_path / "out.jsonl", [Record(text=text)])
    async with app.run_test(size=(20, 16)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.screen.query_one(ArticleView)
        assert view.size.width < 20
        drawn = await screen_lines(pilot, view)
        assert " ".join(drawn).split() == text.split()
