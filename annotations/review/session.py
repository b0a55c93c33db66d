"""The review session: one annotator going through articles, deciding on spans from the keyboard.

Every decision is a method here; the screen only maps keys to them and draws `state`. Changes to
spans and answers are recorded with whole before/after states, so undo and redo are unlimited and
work across articles (undoing a submit brings its article back as it was before; the file keeps
the submitted line until the article is submitted again: the latest line wins).
"""

from __future__ import annotations

import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from annotations.errors import InputError
from annotations.formats.base import complete
from annotations.labels import LabelScheme
from annotations.records import ArticleKey, Record, Span
from annotations.review.state import ArticleState, ReviewSpan, Status, initial_state, output_spans

FILTERS = {
    "all": "All articles",
    "unreviewed": "Unreviewed",
    "flagged": "Flagged (ignored, to come back to)",
    "rejected": "Rejected articles",
}
FILTER_ANSWERS = {"unreviewed": None, "flagged": "ignore", "rejected": "reject"}


@dataclass(frozen=True, slots=True)
class Change:
    what: str
    index_before: int
    before: ArticleState
    index_after: int
    after: ArticleState


class ReviewSession:
    """`source[i]` gives article i (a list, or an index over a large file); `saved`: this
    annotator's saved records (the values of a mapping), so reviewed articles open as decided.
    They are matched to articles by `Record.article_key` (`_input_hash` and text: two texts
    sharing a hash are two articles), the latest record of an article winning."""

    FILTERS: Mapping[str, str] = FILTERS  # the filters this session offers

    def __init__(
        self,
        source: Sequence[Record],
        scheme: LabelScheme,
        annotator: str = "anonymous",
        saved: Mapping[Any, Record] | Iterable[Record] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.scheme = scheme
        self.annotator = annotator
        records = saved.values() if isinstance(saved, Mapping) else saved or ()
        self.saved: dict[ArticleKey, Record] = {r.article_key: r for r in records}
        self._clock = clock
        self._records: dict[int, Record] = {}
        self._states: dict[int, ArticleState] = {}
        # article -> (its tokens, their digest): a draft is written every half second, and the
        # digest of a long article's tokens costs milliseconds on the UI thread
        self._digests: dict[int, tuple[object, int]] = {}
        self._initial: dict[int, tuple[Record, ArticleState]] = {}  # per record: see initial_at
        self._pre_annotated: dict[int, bool] = {}  # see wants_suggestions
        self._resumed = bool(self.saved)  # saved decisions of articles not opened yet
        self._changed: dict[int, tuple[ArticleState, Record, bool]] = {}  # see changed_since_...
        self.history: list[Change] = []
        self.future: list[Change] = []
        # decisions handed out for saving and not yet confirmed: record id -> (change, the
        # saved record it replaced), so a failed save reverts exactly that decision
        self._unsaved: dict[int, tuple[Change | None, Record | None, Record]] = {}
        self._reviewed = sum(1 for r in self.saved.values() if r.answer is not None)
        # articles whose line cannot be read (bad JSON, a line too long...), and why: moving
        # passes over them and says so, the rest of the file stays workable
        self.unreadable: dict[int, InputError] = {}
        self.passed_over: list[int] = []  # the unreadable articles the last move passed over
        self.filter = "all"  # which articles n / p step through: see FILTERS
        self.advance = False  # after accepting or rejecting a span, go to the next pending one
        self.index = self.first_unreviewed()
        self.passed_over = sorted(i for i in self.unreadable if i < self.index)

    # -- articles -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.source)

    def record_at(self, i: int) -> Record:
        if i not in self._records:
            record = self.source[i]
            if record.tokens is None or _unaligned(record):
                complete(record)  # tokens, and the spans and suggestions snapped to them
            record.with_hashes()
            saved = self.saved.get(record.article_key)
            if saved is not None and not saved.tokens and saved.text == record.text:
                complete(saved)  # decided without tokens (a gold line written unopened)
            self._records[i] = saved if saved is not None and saved.tokens else record
        return self._records[i]

    def _read(self, i: int) -> Record | None:
        """Article i from the source, or None when its line cannot be read (kept in
        `unreadable`)."""
        if i in self.unreadable:
            return None
        try:
            return self.source[i]
        except InputError as exc:
            self.unreadable[i] = exc
            return None

    def readable(self, i: int) -> bool:
        return i in self._records or self._read(i) is not None

    def _readable_from(self, start: int, step: int = 1) -> int | None:
        i = start
        while 0 <= i < len(self.source):
            if self.readable(i):
                return i
            i += step
        return None

    def peek(self, i: int) -> Record:
        """Article i as it is, without tokenising it (for a first paint before the tokenizer)."""
        return self._records.get(i) or self.source[i]

    def state_at(self, i: int) -> ArticleState:
        if i not in self._states:
            self._states[i] = self.initial_at(i)
        return self._states[i]

    def initial_at(self, i: int) -> ArticleState:
        """Article i as it opened (or as its latest suggestions made it): what "untouched" is."""
        record = self.record_at(i)
        hit = self._initial.get(i)
        if hit is None or hit[0] is not record:
            hit = self._initial[i] = (record, self._initial_state(i, record))
        return hit[1]

    def _initial_state(self, i: int, record: Record) -> ArticleState:
        return initial_state(record)

    @property
    def record(self) -> Record:
        return self.record_at(self.index)

    @property
    def state(self) -> ArticleState:
        return self.state_at(self.index)

    @property
    def n_tokens(self) -> int:
        return len(self.record.tokens or ())

    def is_reviewed(self, i: int) -> bool:
        return self.answer_at(i) is not None

    def first_unreviewed(self) -> int:
        """Where a session opens: the first readable article not reviewed yet (else the first
        readable one; 0 when none can be read, which the caller reports)."""
        first = self._readable_from(0)
        if first is None:
            return 0
        if not self.saved:  # nothing saved yet: no need to read a large source
            return first
        todo = (i for i in range(first, len(self.source)) if not self.is_reviewed(i))
        return next((i for i in todo if self.readable(i)), first)

    def reviewed_count(self) -> int:
        """Articles with a decision now: saved ones, plus those decided in this session, less
        the decisions undone (the answers on screen, not the lines in the file)."""
        return self._reviewed

    def wants_suggestions(self, i: int) -> bool:
        """Whether suggesters should run on article i: not when it is decided, nor when it came
        pre-annotated (`relecture suggest` output keeps the suggestions it was given)."""
        if self.answer_at(i) is not None:
            return False
        pre = self._pre_annotated.get(i)
        if pre is None:  # asked on every key press: the source (maybe a large file) read once
            record = self._read(i)
            pre = self._pre_annotated[i] = record is None or record.suggestions is not None
        return not pre

    def replace_suggestions(self, i: int, record: Record) -> bool:
        """New suggestions arrived for article i (`record`: the article with them). They merge
        into what the annotator has done: every span the annotator decided (accepted, edited,
        created, rejected) stays as it is, the pending suggestions are replaced by the new ones
        that touch none of those. The same merge is applied to the article's states in the undo
        and redo history, so undo never brings back a state without them. A decided article
        keeps its suggestions (False)."""
        if self.answer_at(i) is not None:
            return False
        fresh = [s for s in initial_state(record).spans if s.status is Status.PENDING]
        self._records[i] = record
        self._states[i] = merge_pending(self.state_at(i), fresh)
        self.history = [_merge_change(c, i, fresh) for c in self.history]
        self.future = [_merge_change(c, i, fresh) for c in self.future]
        return True

    def changed_since_decided(self, i: int | None = None) -> bool:
        """A decided article whose spans were edited after the decision (not saved until it is
        decided again)."""
        i = self.index if i is None else i
        state = self.state_at(i)
        if state.answer is None:
            return False
        saved = self.saved.get(self.record_at(i).article_key)
        if saved is None:
            return False
        hit = self._changed.get(i)  # asked at every redraw: computed once per state
        if hit is None or hit[0] is not state or hit[1] is not saved:
            now = {(s.start, s.end, s.label) for s in self._output_spans(self.record_at(i), state)}
            changed = now != {(s.start, s.end, s.label) for s in saved.spans or ()}
            hit = self._changed[i] = (state, saved, changed)
        return hit[2]

    # -- moving (not undoable) ---------------------------------------------------------------
    def _set_view(self, **changes: Any) -> None:
        self._states[self.index] = replace(self.state, **changes)

    def set_cursor(self, token: int, extend: bool = False) -> None:
        token = max(0, min(token, self.n_tokens - 1))
        anchor = (
            (self.state.anchor if self.state.anchor is not None else self.state.cursor)
            if extend
            else None
        )
        self._set_view(cursor=token, anchor=anchor)

    def move(self, delta: int, extend: bool = False) -> None:
        self.set_cursor(self.state.cursor + delta, extend)

    def clear_selection(self) -> None:
        self._set_view(anchor=None)

    def span_at(self, token: int | None = None) -> ReviewSpan | None:
        token = self.state.cursor if token is None else token
        covering = [s for s in self.state.spans if s.covers(token)]
        return next((s for s in covering if s.live), covering[0] if covering else None)

    def first_token(self) -> int:
        """The first token that is not whitespace (Ctrl+Home)."""
        tokens = self.record.tokens or []
        return next((t.id for t in tokens if t.text.strip()), 0)

    def last_token(self) -> int:
        """The last token that is not whitespace (Ctrl+End)."""
        tokens = self.record.tokens or []
        return next((t.id for t in reversed(tokens) if t.text.strip()), max(len(tokens) - 1, 0))

    def next_pending(self) -> bool:
        """Move to the start of the next pending suggestion after the cursor (decided spans are
        passed over); False when there is none."""
        cur = self.state.cursor
        starts = [s.token_start for s in self.state.spans if s.status is Status.PENDING]
        after = [t for t in starts if t > cur]
        if not after:
            return False
        self.set_cursor(after[0])
        return True

    def next_span(self, step: int = 1) -> None:
        starts = sorted({s.token_start for s in self.state.spans})
        cur = self.state.cursor
        after = [t for t in starts if (t > cur if step > 0 else t < cur)]
        if after:
            self.set_cursor(after[0] if step > 0 else after[-1])

    def search(self, needle: str) -> bool:
        """Move the cursor to the next occurrence of `needle` (case-insensitive), wrapping."""
        tokens = self.record.tokens or []
        if not tokens or not needle:
            return False
        text, needle = self.record.text.casefold(), needle.casefold()
        at = text.find(needle, tokens[self.state.cursor].end)
        if at < 0:
            at = text.find(needle)
        if at < 0:
            return False
        self.set_cursor(next((t.id for t in tokens if t.end > at), len(tokens) - 1))
        return True

    def answer_at(self, i: int) -> str | None:
        if i in self._states:
            return self._states[i].answer
        if not self._resumed:  # every decision of this session has a state: no need to read
            return None
        record = self._read(i)
        if record is None:
            return None
        saved = self.saved.get(record.with_hashes().article_key)
        return saved.answer if saved is not None else None

    def matches(self, i: int, kind: str) -> bool:
        """Filters (see FILTERS): all, unreviewed, flagged (ignored: to come back to), rejected."""
        if kind == "all":
            return True
        answer = self.answer_at(i)
        return kind in FILTER_ANSWERS and answer == FILTER_ANSWERS[kind]

    def set_filter(self, kind: str) -> bool:
        """Step through `kind` articles from now on, moving to the nearest one when the current
        article is not one; False (nothing changed) when there is none."""
        if kind not in self.FILTERS:
            return False
        if not self.matches(self.index, kind) and not (self.step(1, kind) or self.step(-1, kind)):
            return False
        self.filter = kind
        return True

    def step(self, delta: int, kind: str = "all") -> bool:
        """Move to the next (+1) or previous (-1) readable article that matches the filter;
        the unreadable ones passed over are in `passed_over`."""
        i = self.index + delta
        passed: list[int] = []
        while 0 <= i < len(self.source):
            if self.matches(i, kind):
                if self.readable(i):
                    self.index, self.passed_over = i, passed
                    return True
                passed.append(i)
            i += delta
        self.passed_over = passed
        return False

    def go_to(self, i: int) -> bool:
        """Go to article i, if it exists and can be read (see `unreadable`)."""
        if 0 <= i < len(self.source) and self.readable(i):
            self.index = i
            return True
        return False

    def next_article(self, step: int = 1) -> None:
        self.go_to(self.index + step)

    # -- decisions (undoable) ------------------------------------------------------------------
    def _commit(self, what: str, after: ArticleState, index_after: int | None = None) -> bool:
        before = self.state
        if after == before and index_after in (None, self.index):
            return False
        change = Change(
            what, self.index, before, self.index if index_after is None else index_after, after
        )
        self._apply(change.index_before, after, change.index_after)
        self.history.append(change)
        self.future.clear()
        return True

    def _apply(self, index: int, state: ArticleState, index_after: int) -> None:
        was = self.answer_at(index) is not None
        self._states[index] = state
        self._reviewed += (state.answer is not None) - was
        self.index = index_after

    def undo(self) -> Change | None:
        if not self.history:
            return None
        change = self.history.pop()
        self._apply(change.index_before, change.before, change.index_before)
        self.future.append(change)
        return change

    def redo(self) -> Change | None:
        if not self.future:
            return None
        change = self.future.pop()
        self._apply(change.index_before, change.after, change.index_after)
        self.history.append(change)
        return change

    def _spans_replacing(self, start: int, end: int) -> list[ReviewSpan]:
        """Spans left when a new span takes tokens start..end: overlapped suggestions are
        rejected, overlapped spans of the annotator's own are removed."""
        out = []
        for s in self.state.spans:
            if not s.live or not s.overlaps(start, end):
                out.append(s)
            elif s.source is not None:
                out.append(s.rejected())
        return out

    def label(self, name: str) -> bool:
        """Label the selection (a new span), or relabel the span under the cursor, or make the
        token under the cursor a one-token span."""
        if name not in self.scheme or not self.n_tokens:
            return False
        state = self.state
        if state.selection is None:
            span = self.span_at()
            if span is not None and span.live:
                if span.label == name:
                    return False
                status = Status.NEW if span.status is Status.NEW else Status.EDITED
                spans = [
                    replace(s, label=name, status=status) if s is span else s for s in state.spans
                ]
                return self._commit("relabel", state.with_spans(spans))
            start = end = state.cursor
        else:
            start, end = state.selection
        if self._is_blank(start, end):
            return False
        start, end = self._trimmed(start, end)
        spans = [*self._spans_replacing(start, end), ReviewSpan(start, end, name, Status.NEW)]
        return self._commit("create", replace(state.with_spans(spans), anchor=None))

    def _is_blank(self, start: int, end: int) -> bool:
        tokens = self.record.tokens or []
        return all(not tokens[k].text.strip() for k in range(start, end + 1))

    def _trimmed(self, start: int, end: int) -> tuple[int, int]:
        """The range without whitespace tokens (line breaks) at its edges (not blank)."""
        tokens = self.record.tokens or []
        while not tokens[start].text.strip():
            start += 1
        while not tokens[end].text.strip():
            end -= 1
        return start, end

    def _set_status(self, span: ReviewSpan | None, status: Status, what: str) -> bool:
        if span is None:
            return False
        state = self.state
        if status is Status.REJECTED and span.status is Status.NEW:
            spans = [s for s in state.spans if s is not span]  # the annotator's own: delete
        elif status is Status.REJECTED:
            spans = [s.rejected() if s is span else s for s in state.spans]
        else:
            spans = [replace(s, status=status) if s is span else s for s in state.spans]
        return self._commit(what, state.with_spans(spans))

    def _advanced(self, done: bool) -> bool:
        if done and self.advance:
            self.next_pending()
        return done

    def accept_span(self) -> bool:
        return self._advanced(self._accept_span())

    def _accept_span(self) -> bool:
        span = self.span_at()
        if span is None or span.status not in (Status.PENDING, Status.REJECTED):
            return False
        if span.status is Status.PENDING:
            return self._set_status(span, Status.ACCEPTED, "accept span")
        # A rejected suggestion brought back takes its tokens, as a new span would; one that was
        # relabelled or resized before it was rejected is still the annotator's edit.
        status = Status.EDITED if span.edited else Status.ACCEPTED
        others = [
            s for s in self._spans_replacing(span.token_start, span.token_end) if s is not span
        ]
        revived = replace(span, status=status, edited=False)
        return self._commit("accept span", self.state.with_spans([*others, revived]))

    def reject_span(self) -> bool:
        span = self.span_at()
        if span is None or not span.live:
            return False
        return self._advanced(self._set_status(span, Status.REJECTED, "reject span"))

    def delete_span(self) -> bool:
        span = self.span_at()
        if span is None:
            return False
        return self._commit(
            "delete span", self.state.with_spans([s for s in self.state.spans if s is not span])
        )

    def move_edge(self, edge: str, delta: int) -> bool:
        """`[`/`]` move the start by -1/+1 token, `{`/`}` the end."""
        span = self.span_at()
        if span is None or not span.live:
            return False
        start = span.token_start + (delta if edge == "start" else 0)
        end = span.token_end + (delta if edge == "end" else 0)
        tokens = self.record.tokens or []
        # skip over whitespace tokens (line breaks) when growing or shrinking
        while 0 <= start < len(tokens) and not tokens[start].text.strip() and start < end:
            start += 1 if delta > 0 else -1
        while 0 <= end < len(tokens) and not tokens[end].text.strip() and end > start:
            end += 1 if delta > 0 else -1
        if start < 0 or end >= len(tokens) or start > end:
            return False
        if any(s is not span and s.live and s.overlaps(start, end) for s in self.state.spans):
            return False
        status = Status.NEW if span.status is Status.NEW else Status.EDITED
        new = replace(span, token_start=start, token_end=end, status=status)
        spans = [new if s is span else s for s in self.state.spans]
        cursor = min(max(self.state.cursor, start), end)
        return self._commit("resize", replace(self.state.with_spans(spans), cursor=cursor))

    def accept_all(self) -> bool:
        spans = [
            replace(s, status=Status.ACCEPTED) if s.status is Status.PENDING else s
            for s in self.state.spans
        ]
        return self._commit("accept all", self.state.with_spans(spans))

    def decide(self, answer: str) -> Record:
        """Submit (`accept`), `reject` or `ignore` the article: returns the record to save and
        moves on to the next article."""
        record = self.record
        state = self.state
        out = Record(
            text=record.text,
            meta=record.meta,
            input_hash=record.input_hash,
            task_hash=record.task_hash,
            tokens=record.tokens,
            spans=self._output_spans(record, state),
            suggestions=record.suggestions,
            answer=answer,
            annotator=self.annotator,
            timestamp=int(self._clock()),
            extra=dict(record.extra),
        )
        decided = replace(state, answer=answer, anchor=None)
        nxt = self._next_to_review()
        change = self.history[-1] if self._commit(answer, decided, nxt) else None
        key = out.article_key
        self._unsaved[id(out)] = (change, self.saved.get(key), out)
        self.saved[key] = out
        return out

    def _output_spans(self, record: Record, state: ArticleState) -> list[Span]:
        return output_spans(record, state)

    def cannot_decide(self, answer: str) -> str | None:
        """Why article can not be decided with `answer` now (None: it can)."""
        return None

    def unconfirmed(self) -> list[Record]:
        """Decisions handed out by `decide` and not yet confirmed saved, in the order made."""
        return [record for _change, _previous, record in self._unsaved.values()]

    def _next_to_review(self, look: int = 1000) -> int:
        """After a decision: the next article not reviewed yet (within `look` articles, so that
        a large source is not read far ahead), else simply the next one."""
        last = len(self.source) - 1
        self.passed_over = []
        for i in range(self.index + 1, min(self.index + 1 + look, last + 1)):
            if not self.is_reviewed(i):
                if self.readable(i):
                    return i
                self.passed_over.append(i)
        after = self._readable_from(min(self.index + 1, last))
        return self.index if after is None else after

    def saved_ok(self, record: Record) -> None:
        """`record` (from `decide`) is on disk."""
        self._unsaved.pop(id(record), None)

    def save_failed(self, record: Record) -> int | None:
        """`record` (from `decide`) could not be saved: that decision, and only it, is taken
        back (other changes made since stay); the session goes back to its article. Returns
        the article's index (None if the record is unknown)."""
        entry = self._unsaved.pop(id(record), None)
        if entry is None:
            return None
        change, previous, _record = entry
        key = record.article_key
        if self.saved.get(key) is record:  # not decided again since
            if previous is None:
                self.saved.pop(key, None)
            else:
                self.saved[key] = previous
        if change is None:  # the same decision again: nothing changed on screen
            return self.index
        i = change.index_before
        self.history = [c for c in self.history if c is not change]
        self.future = [c for c in self.future if c is not change]
        current = self.state_at(i)
        if current == change.after:
            restored = change.before
        elif current.answer == change.after.answer:  # edited since: keep the edits
            restored = replace(current, answer=change.before.answer)
        else:  # undone already (or decided otherwise since): nothing to take back
            restored = current
        self._apply(i, restored, i)
        return i

    def submit(self) -> Record:
        return self.decide("accept")

    # -- drafts --------------------------------------------------------------------------------
    def draft(self, i: int | None = None) -> dict[str, Any]:
        """Article i (default: the current one) as it is on screen, for autosave. A decided
        article's draft names its decision (`answer`): it is only taken back over that one."""
        i = self.index if i is None else i
        state = self.state_at(i)
        out: dict[str, Any] = {
            "index": i,
            "_input_hash": self.record_at(i).input_hash,
            "tokens": self._tokens_digest(i),
            "cursor": state.cursor,
            "spans": [
                [s.token_start, s.token_end, s.label, s.status.value, s.source, s.score]
                + ([True] if s.edited else [])  # a rejected edit: see ReviewSpan.edited
                for s in state.spans
            ],
        }
        if state.answer is not None:
            out["answer"] = state.answer
        return out

    def _tokens_digest(self, i: int) -> int:
        tokens = self.record_at(i).tokens
        known = self._digests.get(i)
        if known is None or known[0] is not tokens:
            known = (tokens, tokens_digest(self.record_at(i)))
            self._digests[i] = known
        return known[1]

    def undone_decisions(self) -> list[int]:
        """Articles decided in the file whose decision was undone on screen: the file keeps the
        decision until the article is decided again (a line cannot be taken back)."""
        out = []
        for i, state in self._states.items():
            if state.answer is None:
                saved = self.saved.get(self.record_at(i).article_key)
                if saved is not None and saved.answer is not None:
                    out.append(i)
        return sorted(out)

    def unsaved(self) -> list[int]:
        """Articles whose state on screen is not what is saved: undecided ones that were
        touched, decided ones changed since their decision."""
        out = []
        for i, state in self._states.items():
            if state.answer is None:
                if state.spans != self.initial_at(i).spans:
                    out.append(i)
            elif self.changed_since_decided(i):
                out.append(i)
        return sorted(out)

    def drafts(self) -> dict[str, Any]:
        """Everything not saved yet, for autosave: the current article (always, with its
        cursor) and every other article with unsaved changes."""
        others = [self.draft(i) for i in self.unsaved() if i != self.index]
        return {"index": self.index, "articles": [self.draft(), *others]}

    def restore_drafts(self, drafts: Mapping[str, Any]) -> int:
        """Bring back what `drafts()` wrote (or a single article's `draft()`); each article's
        draft is checked on its own. Returns how many articles were restored; the session ends
        on the article that was current."""
        if "articles" not in drafts:
            return int(self.restore_draft(drafts))
        articles = drafts.get("articles")
        if not isinstance(articles, list):
            return 0
        index = self.index
        restored = 0
        for i, draft in enumerate(articles):
            if isinstance(draft, dict) and self.restore_draft(draft):
                restored += 1
                if i == 0:
                    index = self.index
        if self.answer_at(index) is not None and not self.changed_since_decided(index):
            index = self.first_unreviewed()  # a decided article, as saved: resume as usual
        self.index = index
        return restored

    def restore_draft(self, draft: Mapping[str, Any]) -> bool:
        """Bring back one article from an autosaved draft. A draft that does not describe a
        valid state of that article (stale, edited by hand, another scheme, decided otherwise
        since) is refused whole: False, nothing changed."""
        i = draft.get("index")
        if type(i) is not int or not 0 <= i < len(self.source) or not self.readable(i):
            return False
        answer = draft.get("answer")
        if self.record_at(i).input_hash != draft.get("_input_hash"):
            return False
        if self.state_at(i).answer != answer:
            return False
        # spans are token indices: on another tokenisation of the same text (the source was
        # converted again, or read with tokens where it had none) they would mark other words
        if "tokens" in draft and draft["tokens"] != self._tokens_digest(i):
            return False
        n = len(self.record_at(i).tokens or ())
        cursor = draft.get("cursor", 0)
        rows = draft.get("spans")
        if type(cursor) is not int or not 0 <= cursor < max(n, 1) or not isinstance(rows, list):
            return False
        # the scheme's labels, and those the article came with (pre-annotated input may use others)
        labels = set(self.scheme.names) | {s.label for s in self.initial_at(i).spans}
        spans = [_draft_span(row, n, labels) for row in rows]
        if any(s is None for s in spans):
            return False
        self._states[i] = replace(self.state_at(i), cursor=cursor).with_spans(spans)  # type: ignore[arg-type]
        self.index = i
        return True


def tokens_digest(record: Record) -> int:
    """A fingerprint of the article's tokens (their offsets), which a draft's token indices
    are relative to."""
    offsets = array("q", (x for t in record.tokens or () for x in (t.start, t.end)))
    return zlib.crc32(offsets.tobytes())


def _unaligned(record: Record) -> bool:
    return any(s.token_start is None for s in (*(record.spans or ()), *(record.suggestions or ())))


def merge_pending(state: ArticleState, fresh: list[ReviewSpan]) -> ArticleState:
    """`state` with its pending suggestions replaced by `fresh` ones that overlap none of the
    spans the annotator decided (a decided state is left as it is)."""
    if state.answer is not None:
        return state
    decided = [s for s in state.spans if s.status is not Status.PENDING]
    kept = [s for s in fresh if not any(d.overlaps(s.token_start, s.token_end) for d in decided)]
    return state.with_spans(decided + kept)


def _merge_change(change: Change, i: int, fresh: list[ReviewSpan]) -> Change:
    if change.index_before != i:
        return change
    return replace(
        change, before=merge_pending(change.before, fresh), after=merge_pending(change.after, fresh)
    )


def _draft_span(row: Any, n_tokens: int, labels: set[str]) -> ReviewSpan | None:
    """One span of a draft, or None when it is not a valid span of an article of n tokens.
    Rows are [start, end, label, status, source, score], plus `true` for a rejected edit."""
    if not isinstance(row, list) or len(row) not in (6, 7):
        return None
    a, b, label, status, source, score = row[:6]
    edited = row[6] if len(row) == 7 else False
    if not (type(a) is int and type(b) is int and 0 <= a <= b < n_tokens):
        return None
    if not isinstance(label, str) or label not in labels:
        return None
    if not isinstance(status, str) or status not in {s.value for s in Status}:
        return None
    if source is not None and not isinstance(source, str):
        return None
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        return None
    if not isinstance(edited, bool):
        return None
    return ReviewSpan(a, b, label, Status(status), source, score, edited)
