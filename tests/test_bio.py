"""Token tags <-> spans: IOB1, IOB2, BIOES/BILOU and IO read into (token_start, token_end, label)
with token_end inclusive; spans written as IOB2; malformed tags name their index."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.bio import TagError, spans_to_tags, split_tag, tags_to_token_spans
from annotations.records import Span

# ---------------------------------------------------------------- helpers and strategies


def span_at(ts: int, te: int, label: str) -> Span:
    """A span over tokens ts..te (inclusive); tokens are 10 characters apart, 5 wide."""
    return Span(ts * 10, te * 10 + 5, label, ts, te)


LABELS = st.one_of(
    st.sampled_from(["PER", "ORG", "LOC", "MISC", "MONEY", "WORK-OF-ART", "O", "B", "I_X"]),
    st.text(min_size=1, max_size=8),
)


@st.composite
def token_spans(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, str]]]:
    """(n_tokens, non-overlapping (token_start, token_end, label) sorted by position)."""
    n = draw(st.integers(min_value=0, max_value=40))
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < n:
        gap = draw(st.integers(min_value=0, max_value=3))  # 0: adjacent to the previous entity
        start = i + gap
        if start >= n:
            break
        length = draw(st.integers(min_value=1, max_value=min(4, n - start)))
        out.append((start, start + length - 1, draw(LABELS)))
        i = start + length
    return n, out


def to_iob1(n: int, ents: list[tuple[int, int, str]]) -> list[str]:
    """IOB1 (CoNLL-2003 original): I- everywhere; B- only where an entity directly follows
    another entity of the same label."""
    tags = ["O"] * n
    prev_end, prev_label = -2, None
    for ts, te, label in ents:
        for k in range(ts, te + 1):
            tags[k] = f"I-{label}"
        if ts == prev_end + 1 and prev_label == label:
            tags[ts] = f"B-{label}"
        prev_end, prev_label = te, label
    return tags


def to_bioes(n: int, ents: list[tuple[int, int, str]]) -> list[str]:
    tags = ["O"] * n
    for ts, te, label in ents:
        if ts == te:
            tags[ts] = f"S-{label}"
            continue
        tags[ts] = f"B-{label}"
        for k in range(ts + 1, te):
            tags[k] = f"I-{label}"
        tags[te] = f"E-{label}"
    return tags


# ---------------------------------------------------------------- split_tag


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("O", ("O", None)),
        ("B-PER", ("B", "PER")),
        ("I-PER", ("I", "PER")),
        ("E-LOC", ("E", "LOC")),
        ("S-ORG", ("S", "ORG")),
        ("L-ORG", ("L", "ORG")),
        ("U-ORG", ("U", "ORG")),
        ("B_PER", ("B", "PER")),
        ("B-WORK-OF-ART", ("B", "WORK-OF-ART")),
        ("PER", ("I", "PER")),  # IO scheme: a bare label
    ],
)
def test_split_tag(tag: str, expected: tuple[str, str | None]) -> None:
    assert split_tag(tag) == expected


@pytest.mark.parametrize("tag", ["", "-PER", "_PER", "B-", "I_", "PER-"])
def test_split_tag_rejects_malformed(tag: str) -> None:
    with pytest.raises(ValueError, match="malformed tag"):
        split_tag(tag)


# ---------------------------------------------------------------- tags -> spans, each scheme


def test_iob1_entities_start_at_i_and_b_separates_same_label_neighbours() -> None:
    tags = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-ORG", "O", "I-MISC"]
    assert tags_to_token_spans(tags) == [
        (0, 1, "PER"),
        (3, 3, "LOC"),
        (4, 5, "LOC"),
        (6, 6, "ORG"),  # a label change starts a new entity
        (8, 8, "MISC"),  # an entity on the last token is closed
    ]


def test_iob2() -> None:
    tags = ["B-PER", "I-PER", "B-PER", "O", "B-ORG", "I-ORG", "I-ORG", "O", "O", "B-LOC"]
    assert tags_to_token_spans(tags) == [
        (0, 1, "PER"),
        (2, 2, "PER"),
        (4, 6, "ORG"),
        (9, 9, "LOC"),
    ]


def test_bioes_and_bilou() -> None:
    bioes = ["B-PER", "I-PER", "E-PER", "S-LOC", "O", "S-ORG", "S-ORG", "B-MISC", "E-MISC"]
    assert tags_to_token_spans(bioes) == [
        (0, 2, "PER"),
        (3, 3, "LOC"),
        (5, 5, "ORG"),
        (6, 6, "ORG"),
        (7, 8, "MISC"),
    ]
    bilou = ["B-PER", "L-PER", "U-LOC", "U-LOC", "O", "B-ORG", "I-ORG", "L-ORG"]
    assert tags_to_token_spans(bilou) == [
        (0, 1, "PER"),
        (2, 2, "LOC"),
        (3, 3, "LOC"),
        (5, 7, "ORG"),
    ]


def test_io_scheme_bare_labels() -> None:
    assert tags_to_token_spans(["PER", "PER", "O", "LOC", "ORG", "ORG"]) == [
        (0, 1, "PER"),
        (3, 3, "LOC"),
        (4, 5, "ORG"),
    ]


def test_empty_and_all_outside() -> None:
    assert tags_to_token_spans([]) == []
    assert tags_to_token_spans(["O", "O", "O"]) == []


@pytest.mark.parametrize(
    ("tags", "index"),
    [
        (["O", "B-PER", ""], 2),
        (["-PER"], 0),
        (["B-PER", "I-PER", "O", "B-"], 3),
        (["O", "I_"], 1),
        (["S-LOC", "O", "O", "O", "_X", "O"], 4),
    ],
)
def test_malformed_tag_raises_tag_error_with_its_index(tags: list[str], index: int) -> None:
    with pytest.raises(TagError) as info:
        tags_to_token_spans(tags)
    assert info.value.index == index
    assert isinstance(info.value, ValueError)
    assert repr(tags[index]) in str(info.value)


# ---------------------------------------------------------------- spans -> tags


def test_spans_to_tags_is_iob2_and_ignores_input_order() -> None:
    spans = [span_at(4, 6, "ORG"), span_at(0, 1, "PER"), span_at(2, 2, "PER")]
    assert spans_to_tags(8, spans) == [
        "B-PER",
        "I-PER",
        "B-PER",
        "O",
        "B-ORG",
        "I-ORG",
        "I-ORG",
        "O",
    ]


def test_spans_to_tags_refuses_unaligned_spans() -> None:
    with pytest.raises(ValueError, match="not aligned"):
        spans_to_tags(3, [Span(0, 5, "PER")])


def test_spans_to_tags_refuses_overlaps() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        spans_to_tags(5, [span_at(0, 2, "PER"), span_at(2, 3, "ORG")])


# ---------------------------------------------------------------- properties


@given(token_spans())
def test_spans_round_trip_through_iob2(case: tuple[int, list[tuple[int, int, str]]]) -> None:
    n, ents = case
    spans = [span_at(ts, te, label) for ts, te, label in ents]
    tags = spans_to_tags(n, spans)
    assert len(tags) == n
    assert tags_to_token_spans(tags) == ents
    # and the Span objects come back unchanged once rebuilt from the token indices
    rebuilt = [span_at(ts, te, label) for ts, te, label in tags_to_token_spans(tags)]
    assert rebuilt == spans


@given(token_spans())
def test_iob1_reads_back_the_same_entities(case: tuple[int, list[tuple[int, int, str]]]) -> None:
    n, ents = case
    assert tags_to_token_spans(to_iob1(n, ents)) == ents


@given(token_spans())
def test_bioes_reads_back_the_same_entities(case: tuple[int, list[tuple[int, int, str]]]) -> None:
    n, ents = case
    assert tags_to_token_spans(to_bioes(n, ents)) == ents
