"""Article text is shown literally: markup, ANSI and OSC escapes, control characters, tabs,
zero-width and right-to-left characters, emoji and combining marks never break the layout, style
the terminal or shift offsets."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len

from annotations.records import Record
from annotations.text_safety import glyph
from tests.tui_helpers import make_app
from tui.widgets.article.article_view import ArticleView
from tui.widgets.article.layout import wrap
from tui.widgets.spans.span_list import SpanList

HOSTILE = (
    "[bold red]Meta[/bold red] \x1b[31mrouge\x1b[0m \x1b]0;pwned\x07 titre\n"
    "Tab\there \u200bzero\u200d width \u202eevil\u202c rtl \u200fmark\n"
    "Émoji 🤖 et 👩‍👩‍👧 puis cafe\u0301 et \x00nul \x7fdel \x85nel fin [link=http://x]OpenAI[/link]"
)


def test_every_character_draws_as_something_harmless() -> None:
    for ch in HOSTILE:
        drawn, width, _ = glyph(ch)
        assert "\x1b" not in drawn and "\x07" not in drawn and "\x00" not in drawn
        assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) < 0xA0 for c in drawn)
        assert width == cell_len(drawn) or (width == 0 and drawn == ch)


def test_wrapping_keeps_offsets_and_fits_the_width() -> None:
    layout = wrap(HOSTILE, 20)
    covered = []
    for start, end in zip(layout.starts, layout.ends, strict=True):
        assert sum(glyph(c)[1] for c in HOSTILE[start:end]) <= 20
        covered.extend(range(start, end))
    assert sorted(covered) == [i for i, c in enumerate(HOSTILE) if c != "\n"]


async def test_hostile_article_renders_literally(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=HOSTILE)])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.screen.query_one(ArticleView)
        rendered = [view.render_line(y) for y in range(view.size.height)]
        text = "\n".join(strip.text for strip in rendered)
        assert "[bold red]Meta[/bold red]" in text  # markup shown, not applied
        assert "[link=http://x]OpenAI[/link]" in text
        assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
        assert "␛[31mrouge" in text and "␛]0;pwned␇" in text
        for strip in rendered:
            assert strip.cell_length == view.size.width
            for segment in strip:
                assert not (segment.style and segment.style.link)  # no hyperlink smuggled in
        # offsets never move: the token under the cursor is the text at its offsets
        s = app.session
        tokens = s.record.tokens
        for _ in range(len(tokens) - 1):
            await pilot.press("right")
            tok = tokens[s.state.cursor]
            assert s.record.text[tok.start : tok.end] == tok.text
        spans = app.screen.query_one(SpanList)
        assert all(
            line.cell_length == spans.size.width
            for line in (spans.render_line(y) for y in range(3))
        )
        assert app.screen.query_one(ArticleView).record.text == HOSTILE
