"""The review session behind the review screen (`annotations/review/session.py` and `state.py`).

No Textual here: every key of the review screen is a method of `ReviewSession`, so the whole
state machine (cursor, selection, spans and their status, article decisions, unlimited undo/redo
across articles, drafts, resuming) is tested directly on `session.state` and the records it returns.

Token layout of the main article (spaCy French rules split the elision "d’OpenAI"):

    0 Le  1 PDG  2 d’  3 OpenAI  4 ,  5 Sam  6 Altman  7 ,  8 est  9 à  10 Paris  11 .  12 \\n
    13 Il  14 a  15 levé  16 10  17 millions  18 d’  19 euros  20 le  21 3  22 mars  23 2023  24 .
"""

from __future__ import annotations

import random
from collections.abc import Callable
from copy import copy
from dataclasses import replace
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from annotations.labels import load_scheme
from annotations.records import Record, Span, Token, input_hash, task_hash
from annotations.review.session import Change, ReviewSession, tokens_digest
from annotations.review.state import ArticleState, ReviewSpan, Status
from annotations.tokenize import tokenize

SCHEME = load_scheme()
NOW = 1_700_000_000.75  # the injected clock; records carry int(NOW)

T0 = "Le PDG d’OpenAI, Sam Altman, est à Paris.\nIl a levé 10 millions d’euros le 3 mars 2023."
T1 = "Marie Curie est née à Varsovie."
T2 = "Google détient 49 % de DeepMind."
N0 = 25  # tokens in T0

# the suggestions of the main article: (token_start, token_end, label), token_end inclusive
SUGG0 = ((3, 3, "ORG"), (5, 6, "PER"), (10, 10, "LOC"), (16, 19, "MONEY"), (21, 23, "DATE"))


# -- helpers -----------------------------------------------------------------------------------
def sugg(text: str, a: int, b: int, label: str, source: str | None = "model:x") -> Span:
    """A span over tokens a..b (inclusive) of `text`, as a suggester writes it."""
    toks = tokenize(text)
    score = 0.9 if source is not None else None
    return Span(toks[a].start, toks[b].end, label, a, b, source=source, score=score)


def article(text: str, *spans: tuple[int, int, str], **kw: Any) -> Record:
    return Record(text=text, suggestions=[sugg(text, a, b, lab) for a, b, lab in spans], **kw)


def session(*records: Record, **kw: Any) -> ReviewSession:
    kw.setdefault("annotator", "alice")
    kw.setdefault("clock", lambda: NOW)
    return ReviewSession(list(records), SCHEME, **kw)


def default_session(**kw: Any) -> ReviewSession:
    return session(
        article(T0, *SUGG0), article(T1, (0, 1, "PER")), article(T2, (0, 0, "ORG")), **kw
    )


def pending(a: int, b: int, label: str) -> ReviewSpan:
    return ReviewSpan(a, b, label, Status.PENDING, "model:x", 0.9)


def select(s: ReviewSession, a: int, b: int) -> None:
    s.set_cursor(a)
    s.set_cursor(b, extend=True)


def find(s: ReviewSession, a: int, b: int) -> ReviewSpan:
    (found,) = [x for x in s.state.spans if (x.token_start, x.token_end) == (a, b)]
    return found


def snapshot(s: ReviewSession) -> tuple[int, tuple[ArticleState, ...]]:
    return (s.index, tuple(s.state_at(i) for i in range(len(s))))


def content(snap: tuple[int, tuple[ArticleState, ...]]) -> tuple[Any, ...]:
    """What undo/redo own: the spans and the answer of every article (the cursor is a view)."""
    return tuple((st_.spans, st_.answer) for st_ in snap[1])


def text_of(record: Record, span: Span) -> str:
    return record.text[span.start : span.end]


def assert_refused(s: ReviewSession, command: Callable[[], bool]) -> None:
    """A refused command returns False and changes nothing, history included."""
    before, history, future = snapshot(s), list(s.history), list(s.future)
    assert command() is False
    assert snapshot(s) == before
    assert s.history == history
    assert s.future == future


def as_prepared(s: ReviewSession, i: int, *spans: tuple[int, int, str]) -> Record:
    """Article i with new suggestions, as the suggestion chain hands it over (tokens, hashes)."""
    text = s.peek(i).text
    new = [sugg(text, a, b, lab, source="model:late") for a, b, lab in spans]
    record = Record(text=text, tokens=tokenize(text), suggestions=new, spans=[*map(copy, new)])
    return record.with_hashes()


# -- fixtures and the opening state ------------------------------------------------------------
def test_token_layout_the_tests_rely_on() -> None:
    texts = [t.text for t in tokenize(T0)]
    assert len(texts) == N0
    assert texts[2:4] == ["d’", "OpenAI"]
    assert texts[10:14] == ["Paris", ".", "\n", "Il"]
    assert texts[16:20] == ["10", "millions", "d’", "euros"]
    assert texts[21:24] == ["3", "mars", "2023"]


def test_a_new_session_opens_the_first_article_with_its_suggestions_pending() -> None:
    s = default_session()
    assert s.index == 0
    assert len(s) == 3
    assert s.state == ArticleState(spans=tuple(pending(a, b, lab) for a, b, lab in SUGG0))
    assert s.state.selection is None
    assert s.n_tokens == N0
    assert s.record.tokens == tokenize(T0)
    assert s.record.input_hash == input_hash(T0)
    assert s.history == [] and s.future == []
    assert s.reviewed_count() == 0
    assert not s.is_reviewed(0)


def test_suggestions_are_sorted_by_position_whatever_their_order() -> None:
    s = session(article(T0, *reversed(SUGG0)))
    assert [(x.token_start, x.token_end) for x in s.state.spans] == [(a, b) for a, b, _ in SUGG0]


def test_pre_annotated_spans_without_source_open_as_new_spans() -> None:
    record = Record(text=T1, spans=[sugg(T1, 0, 1, "PER", source=None)])
    s = session(record)
    assert s.state.spans == (ReviewSpan(0, 1, "PER", Status.NEW),)


def test_peek_does_not_tokenise() -> None:
    record = Record(text=T1)
    s = session(record)
    assert s.peek(0) is record and record.tokens is None
    assert s.n_tokens == 7  # reading the current article tokenises it
    assert s.peek(0).tokens is not None


# -- cursor and selection (not undoable) -------------------------------------------------------
def test_cursor_is_clamped_at_both_ends_of_the_article() -> None:
    s = default_session()
    s.move(-1)
    assert s.state.cursor == 0
    s.set_cursor(-7)
    assert s.state.cursor == 0
    s.set_cursor(N0 - 1)
    s.move(1)
    assert s.state.cursor == N0 - 1
    s.set_cursor(10_000)
    assert s.state.cursor == N0 - 1
    s.move(-3)
    assert s.state.cursor == N0 - 4


def test_extending_keeps_the_first_anchor_and_orders_the_selection() -> None:
    s = default_session()
    s.set_cursor(5)
    s.move(1, extend=True)
    assert (s.state.anchor, s.state.cursor, s.state.selection) == (5, 6, (5, 6))
    s.move(-1, extend=True)
    s.move(-1, extend=True)
    s.move(-1, extend=True)
    assert (s.state.anchor, s.state.cursor, s.state.selection) == (5, 3, (3, 5))
    s.move(1)  # a plain move drops the selection
    assert (s.state.anchor, s.state.cursor, s.state.selection) == (None, 4, None)


def test_extending_at_a_bound_selects_the_single_token() -> None:
    s = default_session()
    s.move(-1, extend=True)
    assert s.state.selection == (0, 0)
    s.set_cursor(N0 - 1)
    s.move(1, extend=True)
    assert s.state.selection == (N0 - 1, N0 - 1)


def test_clear_selection() -> None:
    s = default_session()
    select(s, 2, 4)
    s.clear_selection()
    assert s.state.anchor is None and s.state.cursor == 4


def test_moving_enters_no_history_and_is_kept_per_article() -> None:
    s = default_session()
    s.set_cursor(7)
    s.go_to(1)
    s.set_cursor(3, extend=True)
    s.next_span()
    assert s.history == [] and s.future == []
    s.go_to(0)
    assert s.state.cursor == 7
    assert s.undo() is None


def test_tab_and_shift_tab_go_to_span_starts_including_rejected_ones() -> None:
    s = default_session()
    s.set_cursor(10)
    s.reject_span()  # LOC 10 stays visible as rejected: Tab still stops there
    s.set_cursor(0)
    stops = []
    for _ in range(7):
        s.next_span(1)
        stops.append(s.state.cursor)
    assert stops == [3, 5, 10, 16, 21, 21, 21]  # no wrap past the last span
    back = []
    for _ in range(6):
        s.next_span(-1)
        back.append(s.state.cursor)
    assert back == [16, 10, 5, 3, 3, 3]


def test_shift_tab_from_inside_a_span_goes_to_its_start_and_tab_clears_the_selection() -> None:
    s = default_session()
    s.set_cursor(18)  # inside MONEY 16..19
    s.next_span(-1)
    assert s.state.cursor == 16
    select(s, 0, 1)
    s.next_span(1)
    assert (s.state.cursor, s.state.anchor) == (3, None)


def test_tab_without_spans_stays_put() -> None:
    s = session(Record(text=T1))
    s.set_cursor(2)
    s.next_span(1)
    s.next_span(-1)
    assert s.state.cursor == 2


def test_span_at_prefers_a_live_span_over_a_rejected_one() -> None:
    s = session(article(T0, (5, 6, "PER")))
    s.set_cursor(6)
    s.reject_span()
    select(s, 6, 6)
    s.label("ORG")  # a new span over a token of the rejected suggestion
    s.set_cursor(6)
    assert s.span_at() == ReviewSpan(6, 6, "ORG", Status.NEW)
    assert s.span_at(5) == ReviewSpan(5, 6, "PER", Status.REJECTED, "model:x", 0.9)
    assert s.span_at(0) is None


# -- label: create, relabel, one-token span ----------------------------------------------------
def test_label_the_selection_creates_a_new_span_and_clears_the_selection() -> None:
    s = session(Record(text=T1))
    s.set_cursor(1)
    s.move(-1, extend=True)
    assert s.label("PER") is True
    assert s.state.spans == (ReviewSpan(0, 1, "PER", Status.NEW),)
    assert (s.state.anchor, s.state.cursor) == (None, 0)
    assert [c.what for c in s.history] == ["create"]
    out = s.submit()
    assert [(x.start, x.end, x.label, x.token_start, x.token_end) for x in out.spans] == [
        (0, 11, "PER", 0, 1)
    ]
    assert text_of(out, out.spans[0]) == "Marie Curie"
    assert (out.spans[0].source, out.spans[0].score) == (None, None)


def test_label_on_a_bare_token_makes_a_one_token_span() -> None:
    s = session(Record(text=T1))
    s.set_cursor(5)
    assert s.label("LOC") is True
    assert s.state.spans == (ReviewSpan(5, 5, "LOC", Status.NEW),)
    out = s.submit()
    assert text_of(out, out.spans[0]) == "Varsovie"


def test_label_a_selection_across_a_line_break() -> None:
    s = session(Record(text=T0))
    select(s, 13, 10)  # "Paris.\nIl", selected backwards
    assert s.label("MISC") is True
    assert s.state.spans == (ReviewSpan(10, 13, "MISC", Status.NEW),)
    out = s.submit()
    assert (out.spans[0].start, out.spans[0].end) == (35, 44)
    assert (out.spans[0].token_start, out.spans[0].token_end) == (10, 13)
    assert text_of(out, out.spans[0]) == "Paris.\nIl"


@pytest.mark.parametrize("how", ["bare token", "selection"])
def test_labelling_whitespace_only_is_refused(how: str) -> None:
    s = session(Record(text=T0))
    if how == "bare token":
        s.set_cursor(12)
    else:
        select(s, 12, 12)
    assert_refused(s, lambda: s.label("PER"))


def test_labelling_a_whitespace_only_article_is_refused() -> None:
    s = session(Record(text="  \n "))
    select(s, 0, s.n_tokens - 1)
    assert_refused(s, lambda: s.label("PER"))


@pytest.mark.parametrize("name", ["FOO", "per", "", "O", "B-PER"])
def test_labels_not_in_the_scheme_are_refused(name: str) -> None:
    s = default_session()
    s.set_cursor(5)  # on a span: not relabelled
    assert_refused(s, lambda: s.label(name))
    s.set_cursor(0)  # on a bare token: no span
    assert_refused(s, lambda: s.label(name))
    select(s, 0, 1)  # on a selection: no span
    assert_refused(s, lambda: s.label(name))


def test_every_scheme_label_can_be_used() -> None:
    assert SCHEME.names == ("PER", "ORG", "LOC", "MISC", "MONEY", "PERCENT", "DATE")
    s = session(Record(text=T0))
    for token, name in zip((0, 1, 3, 5, 6, 8, 10), SCHEME.names, strict=True):
        s.set_cursor(token)
        assert s.label(name) is True
    assert [x.label for x in s.state.spans] == list(SCHEME.names)


def test_relabel_a_suggestion_makes_it_edited_and_drops_its_provenance() -> None:
    s = default_session()
    s.set_cursor(6)  # inside PER 5..6
    assert s.label("ORG") is True
    assert find(s, 5, 6) == ReviewSpan(5, 6, "ORG", Status.EDITED, "model:x", 0.9)
    assert [c.what for c in s.history] == ["relabel"]
    assert len(s.state.spans) == len(SUGG0)
    out = s.submit()
    (edited,) = [x for x in out.spans if x.token_start == 5]
    assert (edited.label, edited.source, edited.score) == ("ORG", None, None)
    assert text_of(out, edited) == "Sam Altman"


def test_relabel_an_accepted_suggestion_makes_it_edited() -> None:
    s = default_session()
    s.set_cursor(3)
    s.accept_span()
    s.label("MISC")
    assert find(s, 3, 3).status is Status.EDITED


def test_relabel_a_new_span_keeps_it_new() -> None:
    s = session(Record(text=T1))
    s.set_cursor(5)
    s.label("ORG")
    assert s.label("LOC") is True
    assert s.state.spans == (ReviewSpan(5, 5, "LOC", Status.NEW),)


def test_relabel_to_the_same_label_is_a_no_op_outside_history() -> None:
    s = default_session()
    s.set_cursor(5)
    s.label("ORG")  # one change in history
    s.undo()  # ...undone: redo is possible
    s.set_cursor(5)
    assert_refused(s, lambda: s.label("PER"))  # same label: the redo stays available
    assert s.redo() is not None
    assert find(s, 5, 6).label == "ORG"


def test_label_the_selection_wins_over_the_span_under_the_cursor() -> None:
    s = default_session()
    select(s, 8, 10)  # cursor on the LOC suggestion at 10, but a selection is active
    assert s.label("MISC") is True
    assert find(s, 8, 10) == ReviewSpan(8, 10, "MISC", Status.NEW)
    assert find(s, 10, 10) == ReviewSpan(10, 10, "LOC", Status.REJECTED, "model:x", 0.9)


def test_new_span_over_suggestions_rejects_them_and_replaces_own_spans() -> None:
    s = default_session()
    s.set_cursor(8)
    s.label("MISC")  # own span NEW 8..8
    select(s, 6, 10)  # overlaps PER 5..6 (suggestion), NEW 8..8, LOC 10 (suggestion)
    assert s.label("ORG") is True
    assert s.state.spans == (
        pending(3, 3, "ORG"),
        ReviewSpan(5, 6, "PER", Status.REJECTED, "model:x", 0.9),
        ReviewSpan(6, 10, "ORG", Status.NEW),
        ReviewSpan(10, 10, "LOC", Status.REJECTED, "model:x", 0.9),
        pending(16, 19, "MONEY"),
        pending(21, 23, "DATE"),
    )
    out = s.submit()
    assert [(x.token_start, x.token_end, x.label) for x in out.spans] == [
        (3, 3, "ORG"),
        (6, 10, "ORG"),
        (16, 19, "MONEY"),
        (21, 23, "DATE"),
    ]


def test_label_on_a_token_covered_only_by_a_rejected_suggestion_creates_a_span() -> None:
    s = default_session()
    s.set_cursor(10)
    s.reject_span()
    assert s.label("MISC") is True  # not a relabel of the rejected suggestion
    at10 = [x for x in s.state.spans if x.token_start == 10]
    assert sorted(at10, key=lambda x: x.status.value) == [
        ReviewSpan(10, 10, "MISC", Status.NEW),
        ReviewSpan(10, 10, "LOC", Status.REJECTED, "model:x", 0.9),
    ]
    out = s.submit()
    assert [(x.token_start, x.label) for x in out.spans if x.token_start == 10] == [(10, "MISC")]


@pytest.mark.parametrize("a,b", [(10, 12), (12, 13)], ids=["trailing-newline", "leading-newline"])
def test_a_labelled_selection_never_starts_or_ends_on_whitespace(a: int, b: int) -> None:
    s = session(Record(text=T0))
    select(s, a, b)
    s.label("LOC")
    tokens = s.record.tokens or []
    for x in s.state.spans:
        assert tokens[x.token_start].text.strip(), x
        assert tokens[x.token_end].text.strip(), x


# -- accept / reject / delete ------------------------------------------------------------------
def test_accept_span_accepts_a_pending_suggestion_and_keeps_its_source() -> None:
    s = default_session()
    s.set_cursor(5)
    assert s.accept_span() is True
    assert find(s, 5, 6) == ReviewSpan(5, 6, "PER", Status.ACCEPTED, "model:x", 0.9)
    assert [c.what for c in s.history] == ["accept span"]
    out = s.submit()
    (per,) = [x for x in out.spans if x.label == "PER"]
    assert (per.source, per.score) == ("model:x", 0.9)


def test_accept_span_brings_back_a_rejected_suggestion() -> None:
    s = default_session()
    s.set_cursor(10)
    s.reject_span()
    assert s.accept_span() is True
    assert find(s, 10, 10).status is Status.ACCEPTED


def test_accept_span_refuses_decided_spans_and_bare_tokens() -> None:
    s = default_session()
    s.set_cursor(3)
    s.accept_span()
    assert_refused(s, s.accept_span)  # already accepted
    s.set_cursor(5)
    s.label("ORG")
    assert_refused(s, s.accept_span)  # edited
    s.set_cursor(0)
    assert_refused(s, s.accept_span)  # no span
    s.label("PER")
    assert_refused(s, s.accept_span)  # new


def test_accepting_a_rejected_suggestion_never_makes_live_spans_overlap() -> None:
    s = session(article(T0, (2, 3, "ORG")))  # the suggestion wrongly includes "d’"
    select(s, 3, 3)
    s.label("ORG")  # "OpenAI" only: the suggestion is rejected
    s.set_cursor(2)  # "d’": covered by the rejected suggestion only
    s.accept_span()
    live = [x for x in s.state.spans if x.live]
    for i, x in enumerate(live):
        for y in live[i + 1 :]:
            assert not x.overlaps(y.token_start, y.token_end), (x, y)


def test_reaccepting_an_edited_suggestion_does_not_claim_the_model_suggested_it() -> None:
    s = default_session()
    s.set_cursor(5)
    s.label("ORG")  # the model said PER
    s.reject_span()
    s.accept_span()
    out = s.submit()
    (span,) = [x for x in out.spans if x.token_start == 5]
    assert span.label == "ORG"
    assert (span.source, span.score) == (None, None)


def test_reject_span_keeps_a_suggestion_visible_and_leaves_it_out_of_the_record() -> None:
    s = default_session()
    s.set_cursor(17)  # inside MONEY 16..19
    assert s.reject_span() is True
    assert find(s, 16, 19) == ReviewSpan(16, 19, "MONEY", Status.REJECTED, "model:x", 0.9)
    assert s.span_at() == find(s, 16, 19)
    assert not find(s, 16, 19).live
    assert [c.what for c in s.history] == ["reject span"]
    out = s.submit()
    assert [x.label for x in out.spans] == ["ORG", "PER", "LOC", "DATE"]


@pytest.mark.parametrize("first", ["accept", "relabel"])
def test_reject_span_rejects_accepted_and_edited_suggestions(first: str) -> None:
    s = default_session()
    s.set_cursor(3)
    if first == "accept":
        s.accept_span()
    else:
        s.label("MISC")
    assert s.reject_span() is True
    assert find(s, 3, 3).status is Status.REJECTED
    assert_refused(s, s.reject_span)  # already rejected


def test_reject_span_deletes_a_new_span() -> None:
    s = session(Record(text=T1))
    s.set_cursor(5)
    s.label("LOC")
    assert s.reject_span() is True
    assert s.state.spans == ()
    assert_refused(s, s.reject_span)  # nothing left under the cursor


def test_reject_span_on_a_bare_token_is_refused() -> None:
    s = default_session()
    s.set_cursor(0)
    assert_refused(s, s.reject_span)


def test_delete_span_removes_any_span_even_a_rejected_suggestion() -> None:
    s = default_session()
    s.set_cursor(5)
    assert s.delete_span() is True
    s.set_cursor(10)
    s.reject_span()
    assert s.delete_span() is True
    assert [(x.token_start, x.token_end) for x in s.state.spans] == [(3, 3), (16, 19), (21, 23)]
    assert [c.what for c in s.history] == ["delete span", "reject span", "delete span"]
    s.set_cursor(0)
    assert_refused(s, s.delete_span)


def test_accept_all_accepts_only_pending_suggestions() -> None:
    s = default_session()
    s.set_cursor(3)
    s.reject_span()
    s.set_cursor(5)
    s.label("ORG")
    s.set_cursor(0)
    s.label("MISC")
    assert s.accept_all() is True
    assert s.state.spans == (
        ReviewSpan(0, 0, "MISC", Status.NEW),
        ReviewSpan(3, 3, "ORG", Status.REJECTED, "model:x", 0.9),
        ReviewSpan(5, 6, "ORG", Status.EDITED, "model:x", 0.9),
        ReviewSpan(10, 10, "LOC", Status.ACCEPTED, "model:x", 0.9),
        ReviewSpan(16, 19, "MONEY", Status.ACCEPTED, "model:x", 0.9),
        ReviewSpan(21, 23, "DATE", Status.ACCEPTED, "model:x", 0.9),
    )
    assert s.history[-1].what == "accept all"
    assert_refused(s, s.accept_all)  # nothing pending any more


def test_accept_all_without_suggestions_is_a_no_op() -> None:
    s = session(Record(text=T1))
    assert_refused(s, s.accept_all)


# -- move_edge ([ ] { }) -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "edge,delta,bounds,text",
    [
        ("start", -1, (4, 6), ", Sam Altman"),
        ("start", 1, (6, 6), "Altman"),
        ("end", 1, (5, 7), "Sam Altman,"),
        ("end", -1, (5, 5), "Sam"),
    ],
)
def test_move_edge_by_one_token(edge: str, delta: int, bounds: tuple[int, int], text: str) -> None:
    s = default_session()
    s.set_cursor(5)
    assert s.move_edge(edge, delta) is True
    assert find(s, *bounds) == ReviewSpan(*bounds, "PER", Status.EDITED, "model:x", 0.9)
    assert s.history[-1].what == "resize"
    out = s.submit()
    (per,) = [x for x in out.spans if x.label == "PER"]
    assert (per.token_start, per.token_end) == bounds
    assert text_of(out, per) == text
    assert (per.source, per.score) == (None, None)


def test_move_edge_of_a_new_span_keeps_it_new() -> None:
    s = session(Record(text=T1))
    s.set_cursor(0)
    s.label("PER")
    assert s.move_edge("end", 1) is True
    assert s.state.spans == (ReviewSpan(0, 1, "PER", Status.NEW),)


def test_shrinking_a_one_token_span_to_nothing_is_refused() -> None:
    s = default_session()
    s.set_cursor(3)
    for edge, delta in (("start", 1), ("end", -1)):
        assert_refused(s, lambda e=edge, d=delta: s.move_edge(e, d))


def test_resize_past_the_text_bounds_is_refused() -> None:
    s = session(article(T1, (0, 1, "PER"), (6, 6, "MISC")))
    s.set_cursor(0)
    assert_refused(s, lambda: s.move_edge("start", -1))
    s.set_cursor(6)
    assert_refused(s, lambda: s.move_edge("end", 1))


def test_growing_into_trailing_whitespace_at_the_end_of_the_text_is_refused() -> None:
    s = session(article("Paris\n", (0, 0, "LOC")))
    assert_refused(s, lambda: s.move_edge("end", 1))


def test_resize_into_another_span_is_refused() -> None:
    s = session(article(T0, (3, 3, "ORG"), (5, 6, "PER")))
    s.set_cursor(5)
    s.move_edge("start", -1)  # PER now 4..6, touching ORG 3
    assert_refused(s, lambda: s.move_edge("start", -1))
    s.set_cursor(3)
    assert_refused(s, lambda: s.move_edge("end", 1))


def test_resize_over_a_rejected_span_is_allowed() -> None:
    s = session(article(T0, (3, 3, "ORG"), (4, 6, "PER")))
    s.set_cursor(4)
    s.reject_span()
    s.set_cursor(3)
    assert s.move_edge("end", 1) is True
    assert find(s, 3, 4).label == "ORG"


def test_resize_on_a_rejected_span_or_a_bare_token_is_refused() -> None:
    s = default_session()
    s.set_cursor(10)
    s.reject_span()
    assert_refused(s, lambda: s.move_edge("end", 1))
    s.set_cursor(0)
    assert_refused(s, lambda: s.move_edge("end", 1))


def test_resize_skips_a_line_break_when_growing_and_shrinking() -> None:
    s = session(article(T0, (10, 10, "LOC")))
    s.set_cursor(10)
    s.move_edge("end", 1)  # "Paris."
    assert s.move_edge("end", 1) is True  # over "\n" straight to "Il"
    assert find(s, 10, 13).label == "LOC"
    assert s.move_edge("end", -1) is True  # back over "\n" to "."
    assert find(s, 10, 11).label == "LOC"

    s = session(article(T0, (13, 13, "PER")))
    s.set_cursor(13)
    assert s.move_edge("start", -1) is True  # over "\n" to "."
    assert find(s, 11, 13).label == "PER"
    assert s.move_edge("start", 1) is True  # over "\n" to "Il"
    assert find(s, 13, 13).label == "PER"


def test_resize_keeps_the_cursor_on_the_span() -> None:
    s = default_session()
    s.set_cursor(19)  # last token of MONEY 16..19
    assert s.move_edge("end", -1) is True
    assert s.state.cursor == 18
    assert s.span_at() == find(s, 16, 18)
    s.set_cursor(16)
    assert s.move_edge("start", 1) is True
    assert s.state.cursor == 17
    assert s.span_at() == find(s, 17, 18)


# -- decide / submit ---------------------------------------------------------------------------
def test_submit_returns_the_record_to_save() -> None:
    source = article(T0, *SUGG0, meta={"id": 7}, extra={"custom": [1, 2]})
    s = session(source, article(T1))
    s.set_cursor(3)
    s.accept_span()  # ORG accepted
    s.set_cursor(5)
    s.move_edge("end", 1)  # PER edited: "Sam Altman,"
    s.set_cursor(10)
    s.reject_span()  # LOC rejected
    s.set_cursor(13)
    s.label("PER")  # "Il": new
    out = s.submit()  # MONEY and DATE still pending: counted as accepted

    assert out.text == T0
    assert out.answer == "accept"
    assert out.annotator == "alice"
    assert out.timestamp == int(NOW) == 1_700_000_000
    assert out.meta == {"id": 7}
    assert out.extra == {"custom": [1, 2]}
    assert out.input_hash == input_hash(T0)
    assert out.task_hash == task_hash(input_hash(T0), source.suggestions)
    assert out.tokens == tokenize(T0)
    assert out.suggestions == [sugg(T0, a, b, lab) for a, b, lab in SUGG0]
    got = [
        (x.start, x.end, x.label, x.token_start, x.token_end, x.source, x.score, text_of(out, x))
        for x in out.spans or []
    ]
    assert got == [
        (9, 15, "ORG", 3, 3, "model:x", 0.9, "OpenAI"),
        (17, 28, "PER", 5, 7, None, None, "Sam Altman,"),
        (42, 44, "PER", 13, 13, None, None, "Il"),
        (52, 71, "MONEY", 16, 19, "model:x", 0.9, "10 millions d’euros"),
        (75, 86, "DATE", 21, 23, "model:x", 0.9, "3 mars 2023"),
    ]
    d = out.to_dict()
    assert (d["_annotator_id"], d["_timestamp"], d["answer"]) == ("alice", 1_700_000_000, "accept")


def test_submit_moves_on_and_marks_the_article_decided() -> None:
    s = default_session()
    select(s, 0, 1)
    before = s.state
    s.submit()
    assert s.index == 1
    assert s.state_at(0) == ArticleState(spans=before.spans, cursor=1, anchor=None, answer="accept")
    assert s.is_reviewed(0) and not s.is_reviewed(1)
    assert s.reviewed_count() == 1
    assert s.history[-1] == Change("accept", 0, before, 1, s.state_at(0))


@pytest.mark.parametrize("answer", ["reject", "ignore"])
def test_reject_and_ignore_the_article(answer: str) -> None:
    s = default_session()
    s.set_cursor(5)
    s.reject_span()
    out = s.decide(answer)
    assert out.answer == answer
    assert s.state_at(0).answer == answer
    assert s.index == 1
    assert [x.label for x in out.spans] == ["ORG", "LOC", "MONEY", "DATE"]
    assert s.history[-1].what == answer
    assert s.reviewed_count() == 1
    assert s.matches(0, "flagged" if answer == "ignore" else "rejected")


def test_deciding_the_last_article_stays_on_it() -> None:
    s = default_session()
    s.go_to(2)
    out = s.submit()
    assert s.index == 2
    assert out.input_hash == input_hash(T2)
    assert s.state.answer == "accept"
    assert s.undo() is not None
    assert (s.index, s.state.answer) == (2, None)


def test_an_article_without_spans_submits_an_empty_span_list() -> None:
    s = session(Record(text=T1))
    out = s.submit()
    assert out.spans == []
    assert out.answer == "accept"


def test_undo_after_submit_brings_back_the_article_as_it_was() -> None:
    s = default_session()
    s.set_cursor(5)
    s.label("ORG")
    select(s, 8, 9)  # a selection in progress at submit time
    before = s.state
    s.submit()
    s.go_to(2)
    change = s.undo()
    assert change is not None and change.what == "accept"
    assert s.index == 0
    assert s.state == before
    assert s.state.answer is None
    assert s.state.selection == (8, 9)
    assert not s.is_reviewed(0)
    redo = s.redo()
    assert redo is change
    assert s.index == 1
    assert s.state_at(0).answer == "accept"


def test_resubmitting_after_undo_saves_the_new_decision() -> None:
    s = default_session()
    s.submit()
    s.undo()
    s.set_cursor(3)
    s.reject_span()
    out = s.decide("reject")
    assert out.answer == "reject"
    assert [x.label for x in out.spans] == ["PER", "LOC", "MONEY", "DATE"]
    assert s.saved[(input_hash(T0), T0)] is out
    assert s.future == []


def test_timestamp_comes_from_the_injected_clock_at_each_decision() -> None:
    times = iter([10.9, 20.2, 30.0])
    s = default_session(clock=lambda: next(times))
    assert [s.submit().timestamp for _ in range(3)] == [10, 20, 30]


# -- undo / redo -------------------------------------------------------------------------------
def test_undo_and_redo_with_nothing_to_do_return_none() -> None:
    s = default_session()
    assert s.undo() is None
    assert s.redo() is None
    assert s.state == ArticleState(spans=tuple(pending(a, b, lab) for a, b, lab in SUGG0))


def test_each_undo_returns_the_previous_state_and_each_redo_the_next() -> None:
    s = default_session()
    steps = []  # (state before, state after) of each command; moves in between are views
    for step in (
        lambda: s.set_cursor(3),
        s.accept_span,
        lambda: s.set_cursor(5),
        lambda: s.label("ORG"),
        lambda: s.move_edge("start", -1),
        lambda: select(s, 8, 9),
        lambda: s.label("MISC"),
        lambda: s.set_cursor(16),
        s.reject_span,
        s.accept_all,
    ):
        before = s.state
        if step() is True:
            steps.append((before, s.state))
    assert len(s.history) == len(steps) == 6
    for before, _ in reversed(steps):
        s.undo()
        assert s.state == before
    assert s.undo() is None
    assert s.state.spans == tuple(pending(a, b, lab) for a, b, lab in SUGG0)
    for _, after in steps:
        s.redo()
        assert s.state == after
    assert s.redo() is None


def test_undo_is_unlimited() -> None:
    s = session(Record(text=T1))
    s.set_cursor(0)
    s.label("PER")
    labels = ["ORG", "LOC"] * 150
    for name in labels:
        assert s.label(name) is True
    assert len(s.history) == 301
    while s.undo() is not None:
        pass
    assert s.state.spans == ()
    assert len(s.future) == 301
    while s.redo() is not None:
        pass
    assert s.state.spans == (ReviewSpan(0, 0, "LOC", Status.NEW),)


def test_undo_and_redo_work_across_articles() -> None:
    s = default_session()
    s.set_cursor(5)
    s.label("ORG")  # article 0
    a0 = s.state
    s.submit()  # -> article 1
    s.set_cursor(0)
    s.reject_span()  # article 1
    a1 = s.state
    s.submit()  # -> article 2
    s.go_to(0)  # wandering does not matter

    s.undo()  # submit of 1
    assert (s.index, s.state) == (1, a1)
    s.undo()  # reject on 1
    assert s.index == 1
    assert s.state.spans == (pending(0, 1, "PER"),)
    s.undo()  # submit of 0
    assert (s.index, s.state) == (0, a0)
    s.undo()  # relabel on 0
    assert s.state.spans == tuple(pending(a, b, lab) for a, b, lab in SUGG0)
    assert s.undo() is None
    assert [s.state_at(i).answer for i in range(3)] == [None, None, None]

    for _ in range(4):
        s.redo()
    assert s.index == 2
    assert [s.state_at(i).answer for i in range(3)] == ["accept", "accept", None]
    assert s.state_at(1).spans == (ReviewSpan(0, 1, "PER", Status.REJECTED, "model:x", 0.9),)


def test_a_new_command_after_undo_clears_redo() -> None:
    s = default_session()
    s.set_cursor(3)
    s.accept_span()
    s.set_cursor(5)
    s.accept_span()
    s.undo()
    s.undo()
    assert len(s.future) == 2
    s.set_cursor(10)
    s.reject_span()
    assert s.future == []
    assert s.redo() is None
    assert find(s, 10, 10).status is Status.REJECTED
    assert find(s, 3, 3).status is Status.PENDING


def test_moving_and_refused_commands_keep_redo() -> None:
    s = default_session()
    s.set_cursor(3)
    s.accept_span()
    s.undo()
    s.set_cursor(0)
    s.move(2, extend=True)
    s.go_to(1)
    s.go_to(0)
    s.label("FOO")
    s.set_cursor(12)
    s.label("PER")  # whitespace: refused
    assert len(s.future) == 1
    assert s.redo() is not None
    assert find(s, 3, 3).status is Status.ACCEPTED


def _random_command(s: ReviewSession, rng: random.Random) -> Callable[[], object]:
    n = s.n_tokens
    return rng.choice(
        [
            lambda: s.set_cursor(rng.randrange(-2, n + 2), rng.random() < 0.4),
            lambda: s.move(rng.choice([-3, -1, 1, 3]), rng.random() < 0.4),
            lambda: s.next_span(rng.choice([-1, 1])),
            lambda: s.go_to(rng.randrange(-1, len(s) + 1)),
            lambda: s.label(rng.choice([*SCHEME.names, "FOO"])),
            lambda: s.label(rng.choice(SCHEME.names)),
            lambda: s.move_edge(rng.choice(["start", "end"]), rng.choice([-1, 1])),
            s.accept_span,
            s.reject_span,
            s.delete_span,
            s.accept_all,
            lambda: s.decide(rng.choice(["accept", "reject", "ignore"])),
        ]
    )


@pytest.mark.parametrize("seed", range(12))
def test_random_commands_undo_all_to_the_start_and_redo_all_to_the_end(seed: int) -> None:
    rng = random.Random(seed)
    s = default_session()
    initial = snapshot(s)
    steps = []  # (snapshot before, snapshot after) of every command that entered history
    for _ in range(80):
        before, n = snapshot(s), len(s.history)
        _random_command(s, rng)()
        if len(s.history) > n:
            steps.append((before, snapshot(s)))
        else:
            assert content(snapshot(s)) == content(before)
    final = snapshot(s)
    assert len(steps) == len(s.history) > 5

    for before, _after in reversed(steps):
        s.undo()
        assert s.index == before[0]
        assert s.state == before[1][before[0]]  # cursor and selection too
        assert content(snapshot(s)) == content(before)
    assert s.undo() is None
    assert content(snapshot(s)) == content(initial)

    for before, after in steps:
        s.redo()
        assert s.index == after[0]
        assert s.state_at(before[0]) == after[1][before[0]]
        assert content(snapshot(s)) == content(after)
    assert s.redo() is None
    assert content(snapshot(s)) == content(final)
    assert s.index == steps[-1][1][0]


class UndoRedoMachine(RuleBasedStateMachine):
    """Any interleaving of moves, commands, undos and redos: undo returns exactly the state before
    the command it undoes, redo exactly the state after, and a new command clears redo."""

    def __init__(self) -> None:
        super().__init__()
        self.s = default_session()
        self.initial = snapshot(self.s)
        self.done: list[tuple[Any, Any]] = []  # the model of history
        self.undone: list[tuple[Any, Any]] = []  # the model of future

    # moves: not undoable
    @rule(token=st.integers(-2, 27), extend=st.booleans())
    def set_cursor(self, token: int, extend: bool) -> None:
        self.s.set_cursor(token, extend)

    @rule(delta=st.sampled_from([-2, -1, 1, 2]), extend=st.booleans())
    def move(self, delta: int, extend: bool) -> None:
        self.s.move(delta, extend)

    @rule(step=st.sampled_from([-1, 1]))
    def next_span(self, step: int) -> None:
        self.s.next_span(step)

    @rule(i=st.integers(-1, 3))
    def go_to(self, i: int) -> None:
        self.s.go_to(i)

    # commands
    def _command(self, run: Callable[[], object]) -> None:
        before, n = snapshot(self.s), len(self.s.history)
        run()
        if len(self.s.history) == n + 1:
            self.done.append((before, snapshot(self.s)))
            self.undone.clear()
        else:
            assert len(self.s.history) == n
            assert snapshot(self.s) == before

    @rule(name=st.sampled_from([*SCHEME.names, "FOO"]))
    def label(self, name: str) -> None:
        self._command(lambda: self.s.label(name))

    @rule(edge=st.sampled_from(["start", "end"]), delta=st.sampled_from([-1, 1]))
    def move_edge(self, edge: str, delta: int) -> None:
        self._command(lambda: self.s.move_edge(edge, delta))

    @rule(which=st.sampled_from(["accept_span", "reject_span", "delete_span", "accept_all"]))
    def span_command(self, which: str) -> None:
        self._command(getattr(self.s, which))

    @rule(answer=st.sampled_from(["accept", "reject", "ignore"]))
    def decide(self, answer: str) -> None:
        self._command(lambda: self.s.decide(answer))

    @rule()
    def undo(self) -> None:
        unchanged = snapshot(self.s)
        change = self.s.undo()
        if not self.done:
            assert change is None
            assert snapshot(self.s) == unchanged
            return
        before, after = self.done.pop()
        assert change is not None
        assert self.s.index == before[0]
        assert self.s.state == before[1][before[0]]
        assert content(snapshot(self.s)) == content(before)
        self.undone.append((before, after))

    @rule()
    def redo(self) -> None:
        unchanged = snapshot(self.s)
        change = self.s.redo()
        if not self.undone:
            assert change is None
            assert snapshot(self.s) == unchanged
            return
        before, after = self.undone.pop()
        assert change is not None
        assert self.s.index == after[0]
        assert self.s.state_at(before[0]) == after[1][before[0]]
        assert content(snapshot(self.s)) == content(after)
        self.done.append((before, after))

    @invariant()
    def history_matches_the_model(self) -> None:
        assert len(self.s.history) == len(self.done)
        assert len(self.s.future) == len(self.undone)

    @invariant()
    def cursor_selection_and_spans_stay_in_bounds(self) -> None:
        s = self.s
        assert 0 <= s.index < len(s)
        n = s.n_tokens
        assert 0 <= s.state.cursor < n
        assert s.state.anchor is None or 0 <= s.state.anchor < n
        for x in s.state.spans:
            assert 0 <= x.token_start <= x.token_end < n
            assert x.label in SCHEME

    def teardown(self) -> None:
        undid = False
        while self.s.undo() is not None:
            undid = True
        assert content(snapshot(self.s)) == content(self.initial)
        if undid:  # the last undo lands on the first change's article (moving since does not)
            first = self.done[0][0]
            assert self.s.index == first[0]
        last = self.undone[0][1] if self.undone else (self.done[-1][1] if self.done else None)
        while self.s.redo() is not None:
            pass
        if last is not None:
            assert content(snapshot(self.s)) == content(last)
            assert self.s.index == last[0]


UndoRedoMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestUndoRedoMachine = UndoRedoMachine.TestCase


# -- articles: go_to, step, filters ------------------------------------------------------------
def test_go_to_ignores_out_of_range_articles() -> None:
    s = default_session()
    s.go_to(2)
    assert s.index == 2
    for bad in (-1, 3, 100):
        s.go_to(bad)
        assert s.index == 2
    s.next_article(-1)
    assert s.index == 1
    s.next_article(5)
    assert s.index == 1


def test_step_with_a_filter_skips_articles_that_do_not_match() -> None:
    s = session(*(Record(text=f"Article {k} à Paris.") for k in range(5)))
    s.decide("accept")  # 0 -> 1
    s.decide("ignore")  # 1 -> 2
    s.go_to(4)
    assert s.step(-1, "unreviewed") and s.index == 3
    assert s.step(-1, "unreviewed") and s.index == 2
    assert not s.step(-1, "unreviewed") and s.index == 2
    assert s.step(-1, "flagged") and s.index == 1
    assert not s.step(1, "rejected") and s.index == 1
    assert s.step(1) and s.index == 2
    assert not s.matches(0, "nonsense")


def test_search_moves_the_cursor_to_the_next_match_and_wraps() -> None:
    s = default_session()
    assert s.search("PARIS") is True
    assert s.state.cursor == 10
    assert s.search("d’") is True  # next one after the cursor: "d’euros"
    assert s.state.cursor == 18
    assert s.search("paris") is True  # wraps
    assert s.state.cursor == 10
    assert s.search("penA") is True  # inside a token
    assert s.state.cursor == 3
    assert s.search("Londres") is False
    assert s.search("") is False
    assert s.state.cursor == 3


# -- resuming from saved records ---------------------------------------------------------------
def _saved(text: str, answer: str = "accept", spans: list[Span] | None = None) -> Record:
    return Record(
        text=text,
        input_hash=input_hash(text),
        tokens=tokenize(text),
        spans=spans if spans is not None else [],
        answer=answer,
        annotator="alice",
        timestamp=1,
    )


def test_resuming_opens_saved_articles_decided_and_starts_at_the_first_unreviewed() -> None:
    saved0 = _saved(T0, spans=[sugg(T0, 3, 3, "ORG"), sugg(T0, 13, 13, "PER", source=None)])
    s = default_session(saved={input_hash(T0): saved0})
    assert s.index == 1
    assert s.first_unreviewed() == 1
    assert s.is_reviewed(0) and not s.is_reviewed(1)
    assert s.reviewed_count() == 1
    s0 = s.state_at(0)
    assert s0.answer == "accept"
    assert s0.spans == (
        ReviewSpan(3, 3, "ORG", Status.ACCEPTED, "model:x", 0.9),
        ReviewSpan(13, 13, "PER", Status.NEW),
    )
    assert s.record_at(0) is saved0
    s.submit()  # article 1
    assert s.reviewed_count() == 2
    assert s.first_unreviewed() == 2
    assert s.index == 2


def test_resuming_skips_every_decided_article_whatever_its_answer() -> None:
    saved = {input_hash(T0): _saved(T0, "ignore"), input_hash(T1): _saved(T1, "reject")}
    s = default_session(saved=saved)
    assert s.index == 2
    assert [s.answer_at(i) for i in range(3)] == ["ignore", "reject", None]


def test_resuming_with_everything_reviewed_opens_the_first_article() -> None:
    saved = {input_hash(t): _saved(t) for t in (T0, T1, T2)}
    s = default_session(saved=saved)
    assert s.index == 0
    assert s.reviewed_count() == 3


def test_redeciding_a_saved_article_returns_its_saved_spans() -> None:
    saved0 = _saved(T0, spans=[sugg(T0, 3, 3, "ORG")])
    s = default_session(saved={input_hash(T0): saved0})
    s.go_to(0)
    s.set_cursor(3)
    s.label("MISC")
    out = s.decide("accept")
    assert [(x.token_start, x.label, x.source) for x in out.spans] == [(3, "MISC", None)]
    assert out.timestamp == int(NOW)
    assert s.saved[(input_hash(T0), T0)] is out


def test_saved_records_of_the_caller_are_not_modified() -> None:
    saved = {input_hash(T0): _saved(T0)}
    s = default_session(saved=saved)
    s.submit()
    assert list(saved) == [input_hash(T0)]


# -- late suggestions --------------------------------------------------------------------------
def test_late_suggestions_are_taken_by_an_untouched_article_keeping_the_cursor() -> None:
    s = session(Record(text=T0), Record(text=T1))
    select(s, 4, 2)  # moving is not touching
    new = as_prepared(s, 0, (3, 3, "ORG"), (10, 10, "LOC"))
    assert s.replace_suggestions(0, new) is True
    assert s.state == ArticleState(
        spans=(
            ReviewSpan(3, 3, "ORG", Status.PENDING, "model:late", 0.9),
            ReviewSpan(10, 10, "LOC", Status.PENDING, "model:late", 0.9),
        ),
        cursor=2,
        anchor=4,
    )
    assert s.record is new
    assert s.history == []
    out = s.submit()
    assert [(x.label, x.source) for x in out.spans] == [
        ("ORG", "model:late"),
        ("LOC", "model:late"),
    ]
    assert out.task_hash == new.task_hash == task_hash(input_hash(T0), new.suggestions)


def test_late_suggestions_can_replace_earlier_ones_while_untouched() -> None:
    s = default_session()
    rules = as_prepared(s, 0, (16, 19, "MONEY"))
    model = as_prepared(s, 0, (3, 3, "ORG"), (16, 19, "MONEY"))
    assert s.replace_suggestions(0, rules) is True
    assert s.replace_suggestions(0, model) is True
    assert [x.label for x in s.state.spans] == ["ORG", "MONEY"]


def test_late_suggestions_for_another_article_do_not_move_the_session() -> None:
    s = default_session()
    s.set_cursor(4)
    assert s.replace_suggestions(2, as_prepared(s, 2, (5, 5, "ORG"))) is True
    assert (s.index, s.state.cursor) == (0, 4)
    assert s.state_at(2).spans == (ReviewSpan(5, 5, "ORG", Status.PENDING, "model:late", 0.9),)


def test_late_suggestions_merge_into_a_started_article_as_pending_only() -> None:
    """Issue 11: an edit made before the model's suggestions arrive used to refuse them for
    good. They now merge: every span the annotator decided stays, the new suggestions that
    touch none of them come in pending, the old pending ones go."""
    s = default_session()
    s.set_cursor(3)
    s.accept_span()  # ORG on token 3: decided
    s.set_cursor(10)
    s.reject_span()  # LOC on token 10: decided (rejected)
    s.set_cursor(13)
    s.label("MISC")  # a span of the annotator's own on token 13
    late = as_prepared(s, 0, (3, 3, "MISC"), (5, 6, "PER"), (10, 10, "ORG"), (12, 13, "PER"))
    assert s.replace_suggestions(0, late) is True
    assert [
        (x.token_start, x.token_end, x.label, x.status.value, x.source) for x in s.state.spans
    ] == [
        (3, 3, "ORG", "accepted", "model:x"),
        (5, 6, "PER", "pending", "model:late"),
        (10, 10, "LOC", "rejected", "model:x"),
        (13, 13, "MISC", "new", None),
    ]
    assert s.record is late
    # undo goes back through states that have the late suggestions too
    s.undo()
    s.undo()
    assert (10, 10, "ORG", Status.PENDING) in [
        (x.token_start, x.token_end, x.label, x.status) for x in s.state.spans
    ]
    s.undo()
    assert all(x.source == "model:late" for x in s.state.spans)
    s.redo()
    s.redo()
    s.redo()
    assert [(x.token_start, x.label, x.status.value) for x in s.state.spans] == [
        (3, "ORG", "accepted"),
        (5, "PER", "pending"),
        (10, "LOC", "rejected"),
        (13, "MISC", "new"),
    ]


def test_wants_suggestions_only_for_undecided_articles_that_did_not_come_with_them() -> None:
    s = session(Record(text=T0), article(T1, (0, 1, "PER")), Record(text=T2))
    assert [s.wants_suggestions(i) for i in range(3)] == [True, False, True]
    s.submit()
    assert [s.wants_suggestions(i) for i in range(3)] == [False, False, True]


def test_late_suggestions_are_refused_by_a_decided_article() -> None:
    s = default_session()
    s.submit()
    state, record = s.state_at(0), s.record_at(0)
    assert s.replace_suggestions(0, as_prepared(s, 0, (5, 6, "PER"))) is False
    assert (s.state_at(0), s.record_at(0)) == (state, record)

    saved = {input_hash(T1): _saved(T1)}
    s = default_session(saved=saved)
    assert s.replace_suggestions(1, as_prepared(s, 1, (0, 1, "PER"))) is False
    assert s.state_at(1).answer == "accept"


def test_late_suggestions_are_not_lost_by_a_pending_redo() -> None:
    s = session(Record(text=T0))
    s.set_cursor(10)
    s.label("LOC")
    s.undo()  # spans back to the initial ones: "untouched"
    taken = s.replace_suggestions(0, as_prepared(s, 0, (5, 6, "PER")))
    shown = s.state
    s.redo()
    s.undo()
    assert not taken or s.state == shown


# -- drafts (autosave of the article in progress) ----------------------------------------------
def _edited_draft_session() -> ReviewSession:
    s = default_session()
    s.submit()  # article 1 is in progress
    s.set_cursor(0)
    s.label("MISC")
    s.set_cursor(5)
    s.label("LOC")
    s.set_cursor(3)
    return s


def test_draft_describes_the_article_in_progress() -> None:
    s = _edited_draft_session()
    assert s.draft() == {
        "index": 1,
        "_input_hash": input_hash(T1),
        "tokens": tokens_digest(s.record_at(1)),
        "cursor": 3,
        "spans": [[0, 1, "MISC", "edited", "model:x", 0.9], [5, 5, "LOC", "new", None, None]],
    }


def test_restore_draft_brings_back_spans_statuses_cursor_and_article() -> None:
    s = _edited_draft_session()
    draft = orjson.loads(orjson.dumps(s.draft()))  # as written to and read from disk
    expected = s.state

    fresh = default_session()
    assert fresh.restore_draft(draft) is True
    assert fresh.index == 1
    assert fresh.state == expected
    assert fresh.history == [] and fresh.undo() is None
    out = fresh.submit()
    assert [(x.token_start, x.token_end, x.label, x.source) for x in out.spans] == [
        (0, 1, "MISC", None),
        (5, 5, "LOC", None),
    ]


def test_restore_draft_with_rejected_and_pending_spans() -> None:
    s = default_session()
    s.set_cursor(10)
    s.reject_span()
    s.set_cursor(16)
    s.accept_span()
    draft = orjson.loads(orjson.dumps(s.draft()))
    fresh = default_session()
    assert fresh.restore_draft(draft) is True
    assert fresh.state == s.state


def test_restore_draft_for_another_text_is_refused() -> None:
    draft = _edited_draft_session().draft()
    fresh = session(article(T0, *SUGG0), article("Un autre texte à Lyon."), article(T2))
    before = snapshot(fresh)
    assert fresh.restore_draft(draft) is False
    assert snapshot(fresh) == before

    fresh = default_session()  # the same texts: only the hash is wrong
    before = snapshot(fresh)
    for wrong in (None, input_hash(T1) + 1, input_hash(T0)):
        assert fresh.restore_draft({**draft, "_input_hash": wrong}) is False
        assert snapshot(fresh) == before
    assert fresh.restore_draft(draft) is True  # the control: the right hash is taken


def test_restore_draft_on_other_tokens_of_the_same_text_is_refused() -> None:
    """Found in tmux: OUT's draft, made on a source with its own tokens, restored on the same
    texts without tokens (spaCy's then): the token indices marked `.`, `en`, `passerelle`."""
    draft = orjson.loads(orjson.dumps(_edited_draft_session().draft()))
    other = article(T1, (0, 1, "PER"))
    assert other.tokens is None
    first, second, *rest = tokenize(T1)  # « Marie Curie » as one token
    merged = Token(T1[first.start : second.end], first.start, second.end, 0)
    other.tokens = [merged, *(replace(t, id=i + 1) for i, t in enumerate(rest))]
    fresh = session(article(T0, *SUGG0), other, article(T2, (0, 0, "ORG")))
    before = snapshot(fresh)
    assert fresh.restore_draft(draft) is False
    assert snapshot(fresh) == before
    old = {k: v for k, v in draft.items() if k != "tokens"}  # a draft of an earlier version
    assert default_session().restore_draft(old) is True


def test_restore_draft_of_a_decided_article_is_refused() -> None:
    s = _edited_draft_session()
    draft = s.draft()
    fresh = default_session()
    fresh.go_to(1)
    fresh.submit()
    before = snapshot(fresh)
    assert fresh.restore_draft(draft) is False
    assert snapshot(fresh) == before

    resumed = default_session(saved={input_hash(T1): _saved(T1, "ignore")})
    assert resumed.restore_draft(draft) is False
    assert resumed.state_at(1).answer == "ignore"


@pytest.mark.parametrize("index", [None, "1", -1, 3, 1.0])
def test_restore_draft_with_a_bad_index_is_refused(index: object) -> None:
    draft = {**_edited_draft_session().draft(), "index": index}
    fresh = default_session()
    assert fresh.restore_draft(draft) is False
    assert fresh.index == 0


@pytest.mark.parametrize(
    "change",
    [
        {"cursor": 99},
        {"spans": [[5, 40, "LOC", "new", None, None]]},
        {"spans": [[5, 5, "VILLE", "new", None, None]]},
        {"spans": [[5, 5, "LOC", "bogus", None, None]]},
    ],
    ids=["cursor-beyond-text", "span-beyond-text", "label-not-in-scheme", "unknown-status"],
)
def test_restore_draft_never_restores_an_invalid_state(change: dict[str, Any]) -> None:
    draft = {**_edited_draft_session().draft(), **change}
    fresh = default_session()
    restored = fresh.restore_draft(draft)  # refusing (False) is fine; raising is not
    if restored:
        n = fresh.n_tokens
        assert 0 <= fresh.state.cursor < n
        for x in fresh.state.spans:
            assert 0 <= x.token_start <= x.token_end < n
            assert x.label in SCHEME
    fresh.submit()


@pytest.mark.parametrize(
    "change",
    [
        {"index": True},
        {"cursor": False},
        {"spans": [[True, 1, "LOC", "new", None, None]]},
        {"spans": [[5, 5, "LOC", ["accepted"], None, None]]},
        {"spans": [[5, 5, "LOC", "rejected", "model:x", 0.9, "yes"]]},
        {"spans": [[5, 5, "LOC", "new", None]]},
        {"spans": "not a list"},
    ],
    ids=["bool-index", "bool-cursor", "bool-token", "list-status", "bad-edited", "short", "str"],
)
def test_restore_draft_refuses_malformed_values_without_raising(change: dict[str, Any]) -> None:
    draft = {**_edited_draft_session().draft(), **change}
    fresh = default_session()
    before = snapshot(fresh)
    assert fresh.restore_draft(draft) is False
    assert snapshot(fresh) == before


def test_a_rejected_edit_stays_an_edit_when_accepted_again_after_a_restart() -> None:
    # The suggestions come from the suggesters at run time: after a restart the record has none,
    # so whether a rejected span had been edited must travel in the draft.
    plain = (Record(text=T0), Record(text=T1))
    s = session(*plain)
    s.replace_suggestions(0, as_prepared(s, 0, (5, 6, "PER"), (10, 10, "LOC")))
    s.set_cursor(5)
    s.label("ORG")  # edited, then rejected
    s.reject_span()
    s.set_cursor(10)
    s.reject_span()  # rejected as suggested
    draft = orjson.loads(orjson.dumps(s.draft()))

    fresh = session(*plain)
    assert fresh.restore_draft(draft) is True
    assert fresh.state == s.state
    fresh.set_cursor(5)
    fresh.accept_span()
    fresh.set_cursor(10)
    fresh.accept_span()
    out = fresh.submit()
    assert [(x.label, x.source, x.score) for x in out.spans] == [
        ("ORG", None, None),  # the annotator's edit, not the model's
        ("LOC", "model:late", 0.9),  # the model's suggestion, accepted
    ]


def test_restore_draft_keeps_labels_the_input_came_with() -> None:
    # pre-annotated input may use labels outside the scheme: its draft is still restored
    s = session(article(T1, (0, 1, "PERSON")))
    s.set_cursor(5)
    s.label("LOC")
    draft = orjson.loads(orjson.dumps(s.draft()))
    fresh = session(article(T1, (0, 1, "PERSON")))
    assert fresh.restore_draft(draft) is True
    assert fresh.state == s.state


def test_label_on_an_article_without_tokens_is_refused() -> None:
    s = session(Record(text=""), Record(text=T1))
    assert s.n_tokens == 0
    assert_refused(s, lambda: s.label("PER"))


# -- bookkeeping (issue 11, item 10) -------------------------------------------------------------
def test_reviewed_count_follows_the_answers_undo_included() -> None:
    s = default_session()
    s.submit()
    assert s.reviewed_count() == 1
    s.undo()  # used to keep counting the undone submit
    assert s.reviewed_count() == 0
    s.redo()
    s.decide("reject")
    assert s.reviewed_count() == 2


def test_a_failed_save_takes_back_exactly_that_decision() -> None:
    s = default_session()
    out = s.submit()  # article 0, saving...
    s.set_cursor(0)
    s.label("MISC")  # ...while the annotator already works on article 1
    assert s.save_failed(out) == 0
    assert s.index == 0 and s.state_at(0).answer is None and s.reviewed_count() == 0
    assert input_hash(T0) not in s.saved
    # the edit on article 1 is still there (a blind undo would have removed it)
    assert any(x.label == "MISC" and x.status is Status.EDITED for x in s.state_at(1).spans)
    assert [c.what for c in s.history] == ["relabel"]
    assert s.save_failed(out) is None  # only once


def test_a_confirmed_save_cannot_be_taken_back() -> None:
    s = default_session()
    out = s.submit()
    s.saved_ok(out)
    assert s.save_failed(out) is None
    assert s.state_at(0).answer == "accept"


# -- a decided article edited again (issue 11, item 5) -------------------------------------------
def test_an_edit_to_a_decided_article_is_known_and_kept_by_its_draft() -> None:
    s = default_session()
    s.decide("reject")
    s.go_to(0)
    assert not s.changed_since_decided()
    s.set_cursor(3)
    s.reject_span()
    assert s.changed_since_decided()
    assert s.unsaved() == [0]
    drafts = orjson.loads(orjson.dumps(s.drafts()))
    assert drafts["articles"][0]["answer"] == "reject"

    fresh = default_session(saved={input_hash(T0): s.saved[(input_hash(T0), T0)]})
    assert fresh.index == 1
    assert fresh.restore_drafts(drafts) == 1
    assert fresh.index == 0 and fresh.changed_since_decided()
    assert find(fresh, 3, 3).status is Status.REJECTED
    # a draft made over another decision is stale
    other = default_session(saved={input_hash(T0): _saved(T0, "ignore")})
    assert other.restore_drafts(drafts) == 0


def test_drafts_keep_every_article_with_unsaved_changes() -> None:
    s = default_session()
    s.set_cursor(3)
    s.reject_span()  # article 0 touched
    s.next_article()
    s.set_cursor(0)
    s.label("LOC")  # article 1 touched, and current
    s.next_article()  # article 2 current, untouched
    drafts = orjson.loads(orjson.dumps(s.drafts()))
    assert [d["index"] for d in drafts["articles"]] == [2, 0, 1]
    fresh = default_session()
    assert fresh.restore_drafts(drafts) == 3
    assert fresh.index == 2
    assert [fresh.state_at(i) for i in range(3)] == [s.state_at(i) for i in range(3)]


# -- found trying it in a terminal (issue 11) -------------------------------------------------------
def test_a_decided_article_shows_the_suggestions_it_left_out_as_rejected() -> None:
    saved0 = _saved(T0, spans=[sugg(T0, 3, 3, "ORG")])
    saved0.suggestions = [sugg(T0, 3, 3, "ORG"), sugg(T0, 10, 10, "LOC")]
    s = default_session(saved={input_hash(T0): saved0})
    assert [(x.token_start, x.status) for x in s.state_at(0).spans] == [
        (3, Status.ACCEPTED),
        (10, Status.REJECTED),
    ]
    assert not s.changed_since_decided(0)


def test_a_decision_goes_on_to_the_next_article_not_reviewed() -> None:
    s = default_session(saved={input_hash(T1): _saved(T1)})
    assert s.index == 0
    s.submit()
    assert s.index == 2  # article 1 was decided already


def test_a_draft_on_a_decided_unchanged_article_resumes_at_the_first_unreviewed() -> None:
    s = default_session()
    s.submit()
    s.go_to(0)  # back on the decided article, nothing changed, then quit
    drafts = orjson.loads(orjson.dumps(s.drafts()))
    fresh = default_session(saved={input_hash(T0): s.saved[(input_hash(T0), T0)]})
    fresh.restore_drafts(drafts)
    assert fresh.index == 1
