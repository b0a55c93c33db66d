"""Export: which records (answers, latest line, policies for several annotators) and the splits."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations.errors import UsageError
from annotations.export.select import parse_policy, select
from annotations.export.splits import assign, parse_split, split_sizes
from annotations.records import Record, Span


def rec(
    text: str,
    annotator: str | None,
    spans: list[tuple[int, int, str]],
    answer: str | None = "accept",
    ts: int = 0,
) -> Record:
    return Record(
        text=text,
        spans=[Span(s, e, lab) for s, e, lab in spans],
        answer=answer,
        annotator=annotator,
        timestamp=ts,
    ).with_hashes()


def pairs(records: list[Record]) -> list[tuple[Record, str]]:
    return [(r, f"in.jsonl:{i + 1}") for i, r in enumerate(records)]


A = "Meta recrute Sam Altman à Paris."


def test_only_accepted_articles_and_the_latest_line_counts() -> None:
    records = [
        rec(A, "alice", [(0, 4, "ORG")], "reject"),
        rec(A, "alice", [(0, 4, "ORG")], "accept"),  # later line wins
        rec("Deuxième article.", "alice", [], "reject"),
        rec("Troisième article.", "alice", [], "ignore"),
        rec("Quatrième article.", "alice", [], None),  # no answer (doccano, brat...): exported
    ]
    sel = select(pairs(records))
    assert sel.policy == "gold"
    assert [r.record.text for r in sel.rows] == [A, "Quatrième article."]
    assert sel.lines == 5 and sel.current == 4
    assert sel.left_out["records answered reject"] == 1
    assert sel.left_out["records answered ignore"] == 1
    assert sel.answers == Counter({"accept": 1, "reject": 1, "ignore": 1, "(none)": 1})
    strict = select(pairs(records), require_answer=True)
    assert [r.record.text for r in strict.rows] == [A]
    assert strict.left_out["records without an answer (--require-answer)"] == 1


def test_whitespace_only_text_is_left_out_and_counted() -> None:
    sel = select(pairs([rec(" \n ", None, []), rec(A, None, [])]))
    assert [r.record.text for r in sel.rows] == [A]
    assert sel.left_out["articles whose text is only whitespace"] == 1


def three_annotators() -> list[Record]:
    return [
        rec(A, "alice", [(0, 4, "ORG"), (13, 23, "PER"), (26, 31, "LOC")]),
        rec(A, "bob", [(0, 4, "ORG"), (13, 23, "PER")]),
        rec(A, "carol", [(0, 4, "ORG"), (13, 16, "PER")]),
        rec("Un autre texte.", "alice", []),
        rec("Un autre texte.", "bob", [], "reject"),
        rec("Un autre texte.", "carol", [], "reject"),
    ]


def test_several_annotators_need_a_policy() -> None:
    with pytest.raises(UsageError, match=r"several annotators .*--policy majority"):
        select(pairs(three_annotators()))
    with pytest.raises(
        UsageError, match="--policy gold, but this article also has a record by bob"
    ):
        select(pairs(three_annotators()), "gold")


def test_majority_keeps_spans_most_annotators_have() -> None:
    sel = select(pairs(three_annotators()), "majority")
    assert len(sel.rows) == 1  # the other article: 1 accept, 2 rejects
    row = sel.rows[0]
    assert [s.key for s in row.record.spans or []] == [(0, 4, "ORG"), (13, 23, "PER")]
    assert row.annotators == ["alice", "bob", "carol"]
    assert row.record.annotator is None and row.record.extra["_annotators"] == row.annotators
    assert sel.left_out["spans without a majority"] == 2  # LOC (1/3), short PER (1/3)
    assert sel.left_out["articles rejected by as many annotators as accepted them or more"] == 1


def test_majority_of_two_needs_both() -> None:
    records = [rec(A, "a", [(0, 4, "ORG"), (13, 23, "PER")]), rec(A, "b", [(0, 4, "ORG")])]
    (row,) = select(pairs(records), "majority").rows
    assert [s.key for s in row.record.spans or []] == [(0, 4, "ORG")]


def test_annotator_and_all_policies() -> None:
    sel = select(pairs(three_annotators()), *parse_policy("annotator:bob", None))
    assert [(r.record.annotator, r.record.text) for r in sel.rows] == [("bob", A)]
    assert sel.left_out["records answered reject"] == 1
    with pytest.raises(UsageError, match="no records by annotator 'dave'"):
        select(pairs(three_annotators()), "annotator", "dave")
    sel = select(pairs(three_annotators()), "all")
    assert [(r.annotators, r.id.split(":")[1]) for r in sel.rows] == [
        (["alice"], "alice"),
        (["bob"], "bob"),
        (["carol"], "carol"),
        (["alice"], "alice"),
    ]
    assert len({r.id for r in sel.rows}) == 4


def test_parse_policy() -> None:
    assert parse_policy("annotator=bob", None) == ("annotator", "bob")
    assert parse_policy(None, "bob") == ("annotator", "bob")
    assert parse_policy(None, None) == (None, None)
    for bad in ("vote", "annotator"):
        with pytest.raises(UsageError):
            parse_policy(bad, None)
    with pytest.raises(UsageError):
        parse_policy("all", "bob")


def test_parse_split() -> None:
    assert parse_split("0.8,0.1,0.1") == pytest.approx((0.8, 0.1, 0.1))
    assert parse_split("80,20") == pytest.approx((0.8, 0.2))
    assert parse_split("1") == (1.0,)
    for bad in ("", "0.5,x", "0,1", "-1,2", "1,1,1,1", "nan"):
        with pytest.raises(UsageError):
            parse_split(bad)


def test_small_and_large_split_sizes() -> None:
    assert split_sizes(0, (0.8, 0.1, 0.1)) == [0, 0, 0]
    assert split_sizes(1, (0.8, 0.1, 0.1)) == [1, 0, 0]
    assert split_sizes(2, (0.8, 0.1, 0.1)) == [2, 0, 0]
    assert split_sizes(5, (0.8, 0.1, 0.1)) == [4, 1, 0]
    assert split_sizes(10, (0.8, 0.1, 0.1)) == [8, 1, 1]
    assert split_sizes(1, (0.01, 0.99)) == [1, 0]
    assert split_sizes(500_000, (0.8, 0.1, 0.1)) == [400_000, 50_000, 50_000]


@settings(max_examples=60, deadline=None)
@given(
    hashes=st.lists(st.integers(-(2**52), 2**52), max_size=300),
    ratios=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=3).filter(lambda r: r[0] > 0),
    seed=st.integers(0, 2**31),
)
def test_assign_is_grouped_deterministic_and_order_free(
    hashes: list[int], ratios: list[float], seed: int
) -> None:
    norm = tuple(r / sum(ratios) for r in ratios)
    split = assign(hashes, norm, seed)
    assert set(split) == set(hashes)  # every text in exactly one split (a dict: one each)
    assert split == assign(list(reversed(hashes)), norm, seed)
    counts = Counter(split.values())
    assert [counts.get(n, 0) for n in ("train", "dev", "test")[: len(norm)]] == split_sizes(
        len(set(hashes)), norm
    )
    if hashes:
        assert counts["train"] >= 1


def test_seed_changes_the_split_but_not_the_sizes() -> None:
    hashes = list(range(100))
    a, b = assign(hashes, (0.8, 0.1, 0.1), 1), assign(hashes, (0.8, 0.1, 0.1), 2)
    assert a != b
    assert Counter(a.values()) == Counter(b.values()) == {"train": 80, "dev": 10, "test": 10}
