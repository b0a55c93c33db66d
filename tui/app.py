"""The Textual app: owns the review session, the output file and the suggestion chain; all I/O and
model work happens in thread workers that post messages back."""

from __future__ import annotations

import gc
import os
import threading
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from textual import work
from textual.app import App
from textual.message import Message

from annotations.records import Record
from annotations.review.session import ReviewSession
from annotations.store.writer import JsonlWriter, fsync_dir
from annotations.suggest.chain import Chain
from annotations.suggest.check import SuggestInputs, check_inputs
from annotations.suggest.memory import Memory
from annotations.tokenize import french_tokenizer
from tui.screens.review import ReviewScreen

DRAFT_EVERY_S = 0.5


@dataclass
class ChainOptions:
    model: str | None = "fr_core_news_md"
    patterns: tuple[Path, ...] = ()
    learn_from: tuple[Path, ...] = ()
    inputs: SuggestInputs | None = None  # the files above, already read and checked


class RelectureApp(App[None]):
    CSS_PATH = "relecture.tcss"
    TITLE = "relecture"

    @dataclass
    class Saved(Message):
        """A decision is on disk (fsync'd)."""

        record: Record

    @dataclass
    class SaveFailed(Message):
        error: str

    @dataclass
    class Suggested(Message):
        index: int
        record: Record

    @dataclass
    class ModelState(Message):
        state: str

    def __init__(
        self,
        session: ReviewSession,
        writer: JsonlWriter,
        chain_options: ChainOptions | None = None,
        memory: Memory | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.writer = writer
        self.options = chain_options or ChainOptions(model=None)
        self.memory = memory or Memory()
        self.model_state = "loading" if self.options.model else "off"
        self.filter = "all"
        self.draft_path = writer.path.with_name(writer.path.name + ".draft.json")
        self._chain: Chain | None = None
        self._chain_lock = threading.Lock()
        self._suggested: set[int] = set()
        self._last_draft: Any = None
        self._last_shown = -1

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        # fewer, larger young collections: a key press allocates thousands of small objects
        # (strips, segments), and a collection in the middle of one is a visible stall
        gc.set_threshold(50_000, 50, 100)
        self.restore_draft()
        self.push_screen(ReviewScreen())
        self.set_interval(DRAFT_EVERY_S, self.autosave)
        self.load_tokenizer()
        self.prepare_suggestions()

    @dataclass
    class TokenizerReady(Message):
        pass

    @work(thread=True, group="tokenizer")
    def load_tokenizer(self) -> None:
        french_tokenizer()
        self.post_message(self.TokenizerReady())

    def on_relecture_app_tokenizer_ready(self, message: TokenizerReady) -> None:
        self.redraw()

    def on_unmount(self) -> None:
        self.writer.close()

    @property
    def review(self) -> ReviewScreen | None:
        screen = self.screen
        return screen if isinstance(screen, ReviewScreen) else None

    def redraw(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, ReviewScreen):
                screen.refresh_view()

    # -- decisions and saving --------------------------------------------------------------------
    def decide(self, answer: str) -> None:
        record = self.session.decide(answer)
        self.save(record)

    @work(thread=True, group="save")
    def save(self, record: Record) -> None:
        try:
            self.writer.append(record)  # fsync'd before this returns
        except OSError as exc:
            self.post_message(self.SaveFailed(f"could not save: {exc}"))
            return
        with self._chain_lock:
            self.memory.learn(record)
        self.post_message(self.Saved(record))

    def on_relecture_app_saved(self, message: Saved) -> None:
        self.write_draft_now()
        self.redraw()

    def on_relecture_app_save_failed(self, message: SaveFailed) -> None:
        self.session.undo()
        self.notify(message.error, severity="error", timeout=10)
        self.redraw()

    def step(self, delta: int) -> None:
        if not self.session.step(delta, self.filter) and self.review:
            self.review.say(
                "no more articles" + ("" if self.filter == "all" else f" ({self.filter})")
            )
            return
        self.redraw()

    def set_filter(self, kind: str) -> None:
        self.filter = kind
        if not self.session.matches(self.session.index, kind):
            self.session.step(1, kind) or self.session.step(-1, kind)
        self.redraw()

    # -- drafts --------------------------------------------------------------------------------
    def restore_draft(self) -> None:
        try:
            draft = orjson.loads(self.draft_path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if isinstance(draft, dict) and self.session.restore_draft(draft):
            self.notify("restored the article in progress")

    def autosave(self) -> None:
        if self.review is not None and not self.review.ready():
            return  # nothing can have changed before the tokens exist
        draft = self.session.draft()
        if draft != self._last_draft:
            self._last_draft = draft
            self.write_draft(draft)

    def write_draft_now(self) -> None:
        self._last_draft = None
        self.autosave()

    @work(thread=True, group="draft", exclusive=True)
    def write_draft(self, draft: dict[str, Any]) -> None:
        tmp = self.draft_path.with_name(self.draft_path.name + ".tmp")
        with open(tmp, "wb") as fh:
            fh.write(orjson.dumps(draft))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.draft_path)
        fsync_dir(self.draft_path.parent)

    # -- suggestions -----------------------------------------------------------------------------
    @work(thread=True, group="model")
    def prepare_suggestions(self) -> None:
        """Rules, patterns and memory first (fast), then the model; the article on screen gets
        suggestions from each as soon as they exist."""
        from annotations.errors import InputError
        from annotations.suggest.base import SuggesterError
        from annotations.suggest.factory import build_chain

        try:
            opts, scheme = self.options, self.session.scheme
            inputs = opts.inputs or check_inputs(opts.patterns, opts.learn_from, scheme)
            with self._chain_lock:
                self.memory.learn_all(inputs.learned)
            chain, _ = build_chain(None, scheme=scheme, memory=self.memory, inputs=inputs)
            with self._chain_lock:
                self._chain = chain
            self.call_from_thread(self.suggest_current)
            if self.options.model:
                full, _ = build_chain(opts.model, scheme=scheme, memory=self.memory, inputs=inputs)
                with self._chain_lock:
                    self._chain = full
                    self._suggested.clear()
                self.post_message(self.ModelState("ready"))
        except (SuggesterError, InputError) as exc:
            self.post_message(self.ModelState("off"))
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10)

    def on_relecture_app_model_state(self, message: ModelState) -> None:
        self.model_state = message.state
        self.suggest_current()
        self.redraw()

    def article_shown(self, index: int) -> None:
        if index != self._last_shown:
            self._last_shown = index
            # the objects of an article live as long as the session: keep them out of the
            # collector's way, or a full collection (tens of ms) lands on some key press
            gc.freeze()
        if self._chain is not None and index not in self._suggested:
            self.suggest(index)

    def suggest_current(self) -> None:
        self.article_shown(self.session.index)

    @work(thread=True, group="suggest")
    def suggest(self, index: int) -> None:
        self._suggested.add(index)
        original = self.session.peek(index)  # read-only here: the session belongs to the UI thread
        if original.answer is not None or self.session.source[index].suggestions is not None:
            return  # decided, or pre-annotated (`relecture suggest`): its suggestions stay
        record = deepcopy(original)
        with self._chain_lock:
            if self._chain is None:
                return
            self._chain.apply([record])
        self.post_message(self.Suggested(index, record))

    def on_relecture_app_suggested(self, message: Suggested) -> None:
        self.session.replace_suggestions(message.index, message.record)
        if message.index == self.session.index:
            self.redraw()
