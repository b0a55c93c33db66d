"""The review screen: the article, its spans, the legend and the status line. Keys come from the
command registry; each action calls the review session (the domain object it was given) and
redraws what changed. What the app must do (save a decision, suggest for the article on screen)
is posted to it as a message; the app tells the screen how loading and saving go through
`show_progress`."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from annotations.records import Record
from annotations.review.session import ReviewSession
from annotations.review.state import ArticleState
from annotations.review.status import StatusInfo, label_counts
from annotations.tokenize import tokenizer_loaded
from tui.commands import ANNOTATE, bindings
from tui.screens.help import HelpScreen
from tui.widgets.article.article_view import ArticleView
from tui.widgets.prompt.prompt_line import OpenPrompt, PromptLine
from tui.widgets.spans.span_list import SpanList
from tui.widgets.status.status_bar import LabelLegend, StatusBar


@dataclass(frozen=True)
class Progress:
    """What the app knows and the screen shows: the model's state, the suggesters still to come
    for the article on screen, the last durable write, keys waiting for the article."""

    model: str = "off"
    waiting: tuple[str, ...] = ()
    saved_at: float | None = None
    held: int = 0
    model_label: str = ""  # see StatusInfo
    training: str = ""


NARROW = 80  # below this width the span list goes under the article (the .narrow class)


class ReviewScreen(Screen[None]):
    MODE = ANNOTATE
    BINDINGS = bindings(ANNOTATE)  # type: ignore[assignment]

    @dataclass
    class Decided(Message):
        """The annotator decided an article (`record` is what to save)."""

        record: Record

    @dataclass
    class Shown(Message):
        """Article `index` is on screen (with its tokens when `ready`)."""

        index: int
        ready: bool

    def __init__(self, session: ReviewSession) -> None:
        super().__init__()
        self.session = session
        self.note = ""
        self.progress = Progress()
        self._prepared: int | None = None  # the article whose next one was prepared
        self._shown: tuple[int, bool] | None = None
        self.prompt: OpenPrompt | None = None  # open: the app hands it every key (prompt_key)
        self._composed = False  # its widgets exist: the app may ask for a redraw before

    def compose(self) -> ComposeResult:
        yield LabelLegend(id="legend")
        with Horizontal(id="main"):
            yield ArticleView(id="article")
            yield from self.compose_side()
        yield PromptLine(id="prompt")
        yield StatusBar(self.session.scheme, id="status")
        yield Footer()

    def compose_side(self) -> ComposeResult:
        yield SpanList(id="spans")

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW, "narrow")

    def on_mount(self) -> None:
        self._composed = True  # (`is_mounted` only turns true after this handler)
        session = self.session
        done = len(session) and session.reviewed_count() >= len(session)
        self.note = self._passed_over() or (
            "every article is decided: n / p to look again, Space to decide again" if done else ""
        )
        self.query_one(LabelLegend).show(self.session.scheme)
        self.query_one(ArticleView).focus()
        self.refresh_view()

    def has_tokens(self) -> bool:
        """False only while an untokenised article waits for the tokenizer (first seconds)."""
        return self.session.peek(self.session.index).tokens is not None or tokenizer_loaded()

    def show_progress(self, progress: Progress) -> None:
        if progress != self.progress:
            self.progress = progress
            if not self._composed:
                return  # drawn with it on mount
            self._draw_status(self.session.state if self.has_tokens() else ArticleState())

    def refresh_view(self) -> None:
        """Draw the session's current article and state (only changed lines repaint)."""
        if not self._composed:
            return  # the app may ask before the screen is composed: on_mount draws it
        session = self.session
        ready = self.has_tokens()
        if ready:
            record, state, current = session.record, session.state, session.span_at()
        else:  # show the text at once; spans and cursor come with the tokens
            record, state, current = session.peek(session.index), ArticleState(), None
        self.query_one(ArticleView).show(record, state, session.scheme)
        self.query_one(SpanList).show(record, state, session.scheme, current)
        self._draw_status(state)
        shown = (session.index, ready)
        if shown != self._shown:
            self._shown = shown
            self.post_message(self.Shown(*shown))
        if ready and session.index != self._prepared:
            self._prepared = session.index
            self.call_after_refresh(self._prepare_next, session.index)

    def _draw_status(self, state: ArticleState) -> None:
        session, progress = self.session, self.progress
        tokens = self.has_tokens()
        self.query_one(StatusBar).show(
            StatusInfo(
                annotator=session.annotator,
                index=session.index,
                total=len(session),
                reviewed=session.reviewed_count(),
                answer=state.answer,
                changed=tokens and session.changed_since_decided(),
                counts=label_counts(state, session.scheme),
                model=progress.model,
                waiting=progress.waiting,
                saved_at=progress.saved_at,
                filter=session.filter,
                held=progress.held,
                note=self.note if tokens else "preparing tokens…",
                model_label=progress.model_label,
                training=progress.training,
            )
        )

    def _prepare_next(self, index: int) -> None:
        """Once an article is on screen, get the next one ready (tokens, state, wrapped lines),
        so that `n` only has to draw it."""
        session = self.session
        if session.index != index or index + 1 >= len(session) or not session.readable(index + 1):
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
        self.note = self._passed_over()
        self.refresh_view()

    def _passed_over(self) -> str:
        """What the last move passed over: articles whose line cannot be read, and why."""
        passed = self.session.passed_over
        if not passed:
            return ""
        first = self.session.unreadable[passed[0]]
        more = f" (and {len(passed) - 1} more)" if len(passed) > 1 else ""
        return f"skipped article {passed[0] + 1}{more}: {first}"

    def _to(self, token: int | None) -> None:
        if token is not None:
            self.session.set_cursor(token)
        self._moved()

    def action_cursor_left(self) -> None:
        self.session.move(-1)
        self._moved()

    def action_cursor_right(self) -> None:
        self.session.move(1)
        self._moved()

    def _lines(self, delta: int) -> None:
        view = self.query_one(ArticleView)
        self._to(view.token_at_line(delta, self.session.state.cursor))

    def action_cursor_up(self) -> None:
        self._lines(-1)

    def action_cursor_down(self) -> None:
        self._lines(1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_page_down(self) -> None:
        self._page(1)

    def _page(self, sign: int) -> None:
        """The text a page further (as far as it goes), the cursor as many lines with it: it
        keeps its row on screen, as in an editor."""
        view = self.query_one(ArticleView)
        view.scroll_lines(sign * view.page)
        self._lines(sign * view.page)

    def action_line_start(self) -> None:
        view = self.query_one(ArticleView)
        self._to(view.token_at_line_edge(self.session.state.cursor, end=False))

    def action_line_end(self) -> None:
        view = self.query_one(ArticleView)
        self._to(view.token_at_line_edge(self.session.state.cursor, end=True))

    def action_article_start(self) -> None:
        self._to(self.session.first_token())

    def action_article_end(self) -> None:
        self._to(self.session.last_token())

    def action_select_left(self) -> None:
        self.session.move(-1, extend=True)
        self._moved()

    def action_select_right(self) -> None:
        self.session.move(1, extend=True)
        self._moved()

    def action_clear_selection(self) -> None:
        self.session.clear_selection()
        self._moved()

    def action_next_span(self) -> None:
        self.session.next_span(1)
        self._moved()

    def action_previous_span(self) -> None:
        self.session.next_span(-1)
        self._moved()

    def action_next_pending(self) -> None:
        found = self.session.next_pending()
        self.note = "" if found else "no pending suggestion after the cursor"
        self.refresh_view()

    # -- spans -----------------------------------------------------------------------------------
    def _changed(self, done: bool, refusal: str = "") -> None:
        self.note = "" if done else refusal
        self.refresh_view()

    def action_label(self, key: str | int) -> None:
        label = self.session.scheme.by_key(str(key))
        if label is None:
            return self._changed(False, f"no label on key {key}")
        self._changed(self.session.label(label.name), "nothing to label here")

    def action_accept_span(self) -> None:
        self._changed(self.session.accept_span(), "no pending span under the cursor")

    def action_reject_span(self) -> None:
        self._changed(self.session.reject_span(), "no span under the cursor")

    def _edge(self, edge: str, delta: int) -> None:
        self._changed(self.session.move_edge(edge, delta), "cannot move that edge there")

    def action_start_left(self) -> None:
        self._edge("start", -1)

    def action_start_right(self) -> None:
        self._edge("start", 1)

    def action_end_left(self) -> None:
        self._edge("end", -1)

    def action_end_right(self) -> None:
        self._edge("end", 1)

    def action_accept_all(self) -> None:
        self._changed(self.session.accept_all(), "nothing pending")

    def action_toggle_advance(self) -> None:
        session = self.session
        session.advance = not session.advance
        self.say(
            "after accept/reject: "
            + ("on to the next pending suggestion" if session.advance else "stay on the span")
        )

    # -- articles --------------------------------------------------------------------------------
    def _decide(self, answer: str) -> None:
        refusal = self.session.cannot_decide(answer)
        if refusal is not None:
            return self.say(refusal)
        record = self.session.decide(answer)  # the app saves it durably, in a worker
        self.note = self._passed_over()
        self.post_message(self.Decided(record))
        self.refresh_view()

    def action_submit(self) -> None:
        self._decide("accept")

    def action_reject_article(self) -> None:
        self._decide("reject")

    def action_ignore_article(self) -> None:
        self._decide("ignore")

    def _step(self, delta: int) -> None:
        session = self.session
        if not session.step(delta, session.filter):
            self.say(
                self._passed_over()
                or "no more articles" + ("" if session.filter == "all" else f" ({session.filter})")
            )
            return
        self._moved()

    def action_next_article(self) -> None:
        self._step(1)

    def action_previous_article(self) -> None:
        self._step(-1)

    def action_go_to(self) -> None:
        self._open(OpenPrompt("go", f"Go to article (1-{len(self.session)}):"))

    def action_search(self) -> None:
        self._open(OpenPrompt("search", "Search (from the cursor, wraps):"))

    def action_filter(self) -> None:
        choices = {kind[0]: kind for kind in self.session.FILTERS}  # a all, u unreviewed...
        title = "Show: " + " · ".join(f"{k} {v}" for k, v in choices.items()) + " (Esc: cancel)"
        self._open(OpenPrompt("filter", title, choices=choices))

    def _open(self, prompt: OpenPrompt) -> None:
        self.prompt = prompt
        self.query_one(PromptLine).show(prompt)

    def prompt_key(self, event: events.Key) -> None:
        """A key while a prompt is open (the app calls this in the order keys arrive)."""
        prompt = self.prompt
        if prompt is None:
            return
        if event.key == "escape":
            return self._close()
        if prompt.choices is not None:
            chosen = prompt.choices.get(event.character or "")
            if chosen is not None:
                self._close()
                self.set_filter(chosen)
            return
        if event.key == "enter":
            self._close()
            return self._answer(prompt)
        if event.key == "backspace":
            prompt.text = prompt.text[:-1]
        elif event.is_printable and event.character:
            prompt.text += event.character
        self.query_one(PromptLine).show(prompt)

    def _close(self) -> None:
        self.prompt = None
        self.query_one(PromptLine).show(None)

    def _answer(self, prompt: OpenPrompt) -> None:
        value = prompt.text.strip()
        if prompt.kind == "go":
            if value.isdigit() and self.session.go_to(int(value) - 1):
                return self._moved()
            error = self.session.unreadable.get(int(value) - 1) if value.isdigit() else None
            if error is not None:
                return self.say(f"article {value} cannot be read: {error}")
            return self.say(f"no article {value}" if value else "")
        if value:
            found = self.session.search(value)
            self.note = "" if found else f"not found: {value}"
        self.refresh_view()

    def set_filter(self, kind: str) -> None:
        if not self.session.set_filter(kind):
            self.say(f"no {kind} articles: showing this one")
            return
        self._moved()

    def action_undo(self) -> None:
        change = self.session.undo()
        self._changed(change is not None, "nothing to undo")
        if change is not None:
            what = {"accept": "submit", "reject": "reject article", "ignore": "ignore article"}
            self.say(f"undone: {what.get(change.what, change.what)}")

    def action_redo(self) -> None:
        change = self.session.redo()
        self._changed(change is not None, "nothing to redo")
        if change is not None:
            self.say(f"redone: {change.what}")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.session.scheme, self.MODE))
