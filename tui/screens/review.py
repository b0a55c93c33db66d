"""The review screen: the article, its spans, the legend and the status line. Keys come from the
command registry; each action calls the review session and redraws what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer

from annotations.review.state import ArticleState
from annotations.review.status import StatusInfo, label_counts
from annotations.tokenize import tokenizer_loaded
from tui.commands import bindings
from tui.screens.help import HelpScreen
from tui.screens.prompts import FilterPrompt, Prompt
from tui.widgets.article.article_view import ArticleView
from tui.widgets.spans.span_list import SpanList
from tui.widgets.status.status_bar import LabelLegend, StatusBar

if TYPE_CHECKING:
    from tui.app import RelectureApp


NARROW = 80  # below this width the span list goes under the article (the .narrow class)


class ReviewScreen(Screen[None]):
    BINDINGS = bindings()  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.note = ""
        self._prepared: int | None = None  # the article whose next one was prepared

    @property
    def rapp(self) -> RelectureApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield LabelLegend(id="legend")
        with Horizontal(id="main"):
            yield ArticleView(id="article")
            yield SpanList(id="spans")
        yield StatusBar(self.rapp.session.scheme, id="status")
        yield Footer()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "narrow")

    def on_mount(self) -> None:
        self.query_one(LabelLegend).show(self.rapp.session.scheme)
        self.query_one(ArticleView).focus()
        self.refresh_view()

    def ready(self) -> bool:
        """False only while an untokenised article waits for the tokenizer (first seconds)."""
        session = self.rapp.session
        return session.peek(session.index).tokens is not None or tokenizer_loaded()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # keys wait until the article's tokens exist (help and quit never wait)
        return action in ("help", "quit", "command_palette") or self.ready()

    def refresh_view(self) -> None:
        """Draw the session's current article and state (only changed lines repaint)."""
        app = self.rapp
        session = app.session
        ready = self.ready()
        if ready:
            record, state, current, note = (
                session.record,
                session.state,
                session.span_at(),
                self.note,
            )
        else:  # show the text at once; spans and cursor come with the tokens
            record, state, current, note = (
                session.peek(session.index),
                ArticleState(),
                None,
                "preparing tokens…",
            )
        self.query_one(ArticleView).show(record, state, session.scheme)
        self.query_one(SpanList).show(record, state, session.scheme, current)
        self.query_one(StatusBar).show(
            StatusInfo(
                annotator=session.annotator,
                index=session.index,
                total=len(session),
                reviewed=session.reviewed_count(),
                answer=state.answer,
                changed=False,
                counts=label_counts(state, session.scheme),
                model=app.model_state,
                waiting=(),
                saved_at=None,
                filter=app.filter,
                held=0,
                note=note,
            )
        )
        if ready:
            app.article_shown(session.index)
            if session.index != self._prepared:
                self._prepared = session.index
                self.call_after_refresh(self._prepare_next, session.index)

    def _prepare_next(self, index: int) -> None:
        """Once an article is on screen, get the next one ready (tokens, state, wrapped lines),
        so that `n` only has to draw it."""
        session = self.rapp.session
        if session.index != index or index + 1 >= len(session):
            return
        if session.peek(index + 1).tokens is None and not tokenizer_loaded():
            return  # never load the tokenizer on the UI thread (its worker is doing it)
        session.state_at(index + 1)
        self.query_one(ArticleView).prepare(session.record_at(index + 1))

    def say(self, note: str) -> None:
        self.note = note
        self.refresh_view()

    # -- moving --------------------------------------------------------------------------------
    def _moved(self) -> None:
        self.note = ""
        self.refresh_view()

    def action_cursor_left(self) -> None:
        self.rapp.session.move(-1)
        self._moved()

    def action_cursor_right(self) -> None:
        self.rapp.session.move(1)
        self._moved()

    def _line(self, delta: int) -> None:
        token = self.query_one(ArticleView).token_on_adjacent_line(delta)
        if token is not None:
            self.rapp.session.set_cursor(token)
            self._moved()

    def action_cursor_up(self) -> None:
        self._line(-1)

    def action_cursor_down(self) -> None:
        self._line(1)

    def action_select_left(self) -> None:
        self.rapp.session.move(-1, extend=True)
        self._moved()

    def action_select_right(self) -> None:
        self.rapp.session.move(1, extend=True)
        self._moved()

    def action_clear_selection(self) -> None:
        self.rapp.session.clear_selection()
        self._moved()

    def action_next_span(self) -> None:
        self.rapp.session.next_span(1)
        self._moved()

    def action_previous_span(self) -> None:
        self.rapp.session.next_span(-1)
        self._moved()

    # -- spans -----------------------------------------------------------------------------------
    def _changed(self, done: bool, refusal: str = "") -> None:
        self.note = "" if done else refusal
        self.refresh_view()

    def action_label(self, key: str | int) -> None:
        label = self.rapp.session.scheme.by_key(str(key))
        if label is None:
            return self._changed(False, f"no label on key {key}")
        self._changed(self.rapp.session.label(label.name), "nothing to label here")

    def action_accept_span(self) -> None:
        self._changed(self.rapp.session.accept_span(), "no pending span under the cursor")

    def action_reject_span(self) -> None:
        self._changed(self.rapp.session.reject_span(), "no span under the cursor")

    def _edge(self, edge: str, delta: int) -> None:
        self._changed(self.rapp.session.move_edge(edge, delta), "cannot move that edge there")

    def action_start_left(self) -> None:
        self._edge("start", -1)

    def action_start_right(self) -> None:
        self._edge("start", 1)

    def action_end_left(self) -> None:
        self._edge("end", -1)

    def action_end_right(self) -> None:
        self._edge("end", 1)

    def action_accept_all(self) -> None:
        self._changed(self.rapp.session.accept_all(), "nothing pending")

    # -- articles --------------------------------------------------------------------------------
    def _decide(self, answer: str) -> None:
        self.rapp.decide(answer)  # saves durably in a worker; the next article shows once saved

    def action_submit(self) -> None:
        self._decide("accept")

    def action_reject_article(self) -> None:
        self._decide("reject")

    def action_ignore_article(self) -> None:
        self._decide("ignore")

    def action_next_article(self) -> None:
        self.rapp.step(1)

    def action_previous_article(self) -> None:
        self.rapp.step(-1)

    def action_go_to(self) -> None:
        def go(value: str | None) -> None:
            if value and value.strip().isdigit():
                self.rapp.session.go_to(int(value) - 1)
            self._moved()

        self.app.push_screen(Prompt(f"Go to article (1-{len(self.rapp.session)})", "number"), go)

    def action_search(self) -> None:
        def find(value: str | None) -> None:
            if value:
                found = self.rapp.session.search(value)
                self.note = "" if found else f"not found: {value}"
            self.refresh_view()

        self.app.push_screen(Prompt("Search in the article (from the cursor, wraps)", "text"), find)

    def action_filter(self) -> None:
        def choose(kind: str | None) -> None:
            if kind:
                self.rapp.set_filter(kind)

        self.app.push_screen(FilterPrompt(), choose)

    def action_undo(self) -> None:
        change = self.rapp.session.undo()
        self._changed(change is not None, "nothing to undo")
        if change is not None:
            self.note = f"undone: {change.what}"
            self.refresh_view()

    def action_redo(self) -> None:
        change = self.rapp.session.redo()
        self._changed(change is not None, "nothing to redo")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.rapp.session.scheme))
