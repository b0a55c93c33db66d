"""The memory follows the annotators' decisions: one contribution per article and annotator, the
latest decision winning, as in the files; `Learning` keeps it in step with a review session."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from functools import cache

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from annotations.records import Record, Span, Token, input_hash
from annotations.review.learning import Learning
from annotations.suggest.memory import Memory
from annotations.tokenize import tokenize

TEXTS = (
    "Jack Altman parle de Uncapped à Paris.",
    "Uncapped et Runway lèvent à Paris.",
    "Jack parle, Altman écoute, Runway sort.",
    "Vers Paris, Jack Altman et Mistral AI.",
)
LABELS = ("PER", "ORG", "LOC")
ANNOTATORS = ("alice", "bob")


@cache
def tokens_of(text: str) -> tuple[Token, ...]:
    return tuple(tokenize(text))


def words(text: str) -> list[Token]:
    return [t for t in tokens_of(text) if t.text[0].isalpha()]


def span(text: str, a: Token, b: Token, label: str, source: str | None = None) -> Span:
    return Span(a.start, b.end, label, a.id, b.id, source=source)


@st.composite
def records(draw: st.DrawFn) -> Record:
    text = draw(st.sampled_from(TEXTS))
    ws = words(text)
    spans: list[Span] = []
    free = list(range(len(ws)))
    for _ in range(draw(st.integers(0, 3))):
        if not free:
            break
        i = draw(st.sampled_from(free))
        j = min(i + draw(st.integers(0, 1)), len(ws) - 1)
        if j not in free:
            j = i
        free = [k for k in free if not i <= k <= j]
        spans.append(span(text, ws[i], ws[j], draw(st.sampled_from(LABELS))))
    suggestions = [
        span(text, ws[i], ws[i], draw(st.sampled_from(LABELS)), "model:m")
        for i in draw(st.sets(st.integers(0, len(ws) - 1), max_size=3))
    ]
    return Record(
        text=text,
        input_hash=input_hash(text),
        tokens=list(tokens_of(text)),
        spans=sorted(spans, key=lambda s: s.start),
        suggestions=suggestions,
        answer=draw(st.sampled_from(("accept", "accept", "accept", "reject", "ignore"))),
        annotator=draw(st.sampled_from(ANNOTATORS)),
    )


def surfaces() -> set[str]:
    out = set()
    for text in TEXTS:
        ws = words(text)
        out |= {text[a.start : b.end] for a, b in itertools.pairwise(ws)}
        out |= {t.text for t in ws}
    return out


def assert_same(memory: Memory, fresh: Memory) -> None:
    for surface in sorted(surfaces()):
        assert memory.decision(surface) == fresh.decision(surface), surface
        assert memory.rejects(surface) == fresh.rejects(surface), surface
    probe = [Record(text=t, tokens=list(tokens_of(t))) for t in TEXTS]
    assert memory.suggest(probe) == fresh.suggest(probe)


class LearnAndForget(RuleBasedStateMachine):
    """Any sequence of decisions and undos against a memory built fresh from the latest ones."""

    def __init__(self) -> None:
        super().__init__()
        self.memory = Memory()
        self.latest: dict[
            tuple[str | None, tuple[int, str]], Record
        ] = {}  # in the order of decisions

    @rule(record=records())
    def learn(self, record: Record) -> None:
        self.memory.learn(record)
        self.latest.pop(record.key, None)
        self.latest[record.key] = record

    @rule(text=st.sampled_from(TEXTS), annotator=st.sampled_from(ANNOTATORS))
    def forget(self, text: str, annotator: str) -> None:
        key = (annotator, (input_hash(text), text))
        assert self.memory.forget(key) == (
            key in self.latest and self.latest[key].answer == "accept"
        )
        self.latest.pop(key, None)

    @invariant()
    def same_as_fresh(self) -> None:
        assert_same(self.memory, Memory().learn_all(self.latest.values()))


TestLearnAndForget = LearnAndForget.TestCase
TestLearnAndForget.settings = settings(max_examples=100, stateful_step_count=12, deadline=None)


def accepted(text: str, kept: list[tuple[str, str]], annotator: str = "alice") -> Record:
    tokens = list(tokens_of(text))
    spans = []
    for surface, label in kept:
        start = text.index(surface)
        a = next(t for t in tokens if t.start == start)
        b = next(t for t in tokens if t.end == start + len(surface))
        spans.append(span(text, a, b, label))
    return Record(
        text=text,
        input_hash=input_hash(text),
        tokens=tokens,
        spans=spans,
        answer="accept",
        annotator=annotator,
    )


def test_undo_and_resubmit_leave_one_submit() -> None:
    memory = Memory()
    learning = Learning(memory)
    first = accepted(TEXTS[1], [("Runway", "ORG")])
    learning.decided(first)
    learning.undone("alice", first.article_key, None)
    assert memory.decision("Runway") is None
    learning.decided(accepted(TEXTS[1], [("Runway", "MISC")]))
    assert memory.decision("Runway") == ("MISC", 1.0)
    assert memory.entries["Runway"].labels.total() == 1
    # the same article submitted twice counts once
    learning.decided(accepted(TEXTS[1], [("Runway", "MISC")]))
    assert memory.entries["Runway"].labels.total() == 1


def test_a_reject_replaces_the_articles_contribution() -> None:
    memory = Memory()
    memory.learn(accepted(TEXTS[1], [("Paris", "LOC")]))
    assert memory.decision("Paris") == ("LOC", 1.0)
    rejected = accepted(TEXTS[1], [("Paris", "LOC")])
    rejected.answer = "reject"
    memory.learn(rejected)
    assert memory.decision("Paris") is None and "Paris" not in memory.entries
    assert memory.unlabelled_mentions("Paris") == 0


def test_annotators_contribute_separately() -> None:
    memory = Memory()
    memory.learn(accepted(TEXTS[1], [("Runway", "ORG")], "alice"))
    memory.learn(accepted(TEXTS[1], [("Runway", "MISC")], "bob"))
    memory.learn(accepted(TEXTS[1], [("Runway", "MISC")], "bob"))
    assert memory.entries["Runway"].labels == {"ORG": 1, "MISC": 1}
    assert memory.decision("Runway") == ("ORG", 0.5)  # the tie: the label seen first
    assert memory.forget(("alice", (input_hash(TEXTS[1]), TEXTS[1])))
    assert memory.decision("Runway") == ("MISC", 1.0)


def test_ties_go_to_the_label_seen_first_in_the_latest_decisions() -> None:
    memory = Memory()
    memory.learn(accepted(TEXTS[1], [("Runway", "ORG")], "alice"))
    memory.learn(accepted(TEXTS[1], [("Runway", "MISC")], "bob"))
    memory.learn(accepted(TEXTS[2], [("Runway", "ORG")], "bob"))
    memory.forget(("alice", (input_hash(TEXTS[1]), TEXTS[1])))
    # built fresh, bob's two articles: MISC is seen first
    assert memory.decision("Runway") == ("MISC", 0.5)
    assert_same(
        memory,
        Memory().learn_all(
            [
                accepted(TEXTS[1], [("Runway", "MISC")], "bob"),
                accepted(TEXTS[2], [("Runway", "ORG")], "bob"),
            ]
        ),
    )


def test_undone_back_to_the_previous_decision() -> None:
    memory = Memory()
    learning = Learning(memory)
    before = accepted(TEXTS[1], [("Runway", "ORG")])
    learning.decided(before)
    learning.decided(accepted(TEXTS[1], []))  # resubmitted without the span
    assert memory.decision("Runway") is None
    learning.undone("alice", before.article_key, before)
    assert memory.decision("Runway") == ("ORG", 1.0)


def test_rebuild_takes_the_latest_line_and_keeps_decisions_made_meanwhile() -> None:
    memory = Memory()
    learning = Learning(memory)
    memory.learn(accepted(TEXTS[3], [("Mistral AI", "ORG")]))  # not in the files: dropped
    made_meanwhile = accepted(TEXTS[2], [("Jack", "PER")])

    def lines() -> Iterator[Record]:
        yield accepted(TEXTS[1], [("Runway", "ORG")])
        learning.decided(made_meanwhile)  # the session decides while the worker reads the files
        yield accepted(TEXTS[1], [("Runway", "MISC")])  # later line of the same article
        yield accepted(TEXTS[0], [("Paris", "LOC")], "bob")

    learning.rebuild(lines())
    # the latest line of the Runway article; both unlabelled once elsewhere
    assert memory.decision("Runway") == ("MISC", 0.5)
    assert memory.decision("Paris") == ("LOC", 0.5)
    assert memory.decision("Jack") is not None
    assert memory.decision("Mistral AI") is None
    assert_same(memory, Memory().learn_all([*list(lines())[1:], made_meanwhile]))


def test_learning_from_threads_while_suggesting() -> None:
    memory = Memory()
    learning = Learning(memory)
    records = [accepted(TEXTS[1], [("Runway", "ORG")], f"a{i}") for i in range(40)]
    probe = [Record(text=TEXTS[2], tokens=list(tokens_of(TEXTS[2])))]
    errors: list[BaseException] = []

    def decide(part: list[Record]) -> None:
        try:
            for record in part:
                learning.decided(record)
                learning.undone(record.annotator, record.article_key, None)
                learning.decided(record)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(40):
                with learning.lock:
                    memory.suggest(probe)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=decide, args=(records[k::2],)) for k in range(2)]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert memory.entries["Runway"].labels == {"ORG": 40}
