"""Curation without a terminal: versions grouped by article, agreed spans and disagreements (held
to an independent count on the four-annotator brat project), the curation session's rules, the
gold record's provenance."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from annotations.curation.articles import CurationSource, Versions, group_versions, order
from annotations.curation.candidates import gather
from annotations.curation.gold import load_versions, unanimous_gold
from annotations.curation.session import CURATOR, CurationSession
from annotations.labels import load_scheme
from annotations.records import Record, Span
from annotations.review.state import Status

BRAT = Path(__file__).resolve().parents[2] / "shared/reference/bratiaa_example/example-files"
PROJECT = BRAT / "example-project"
needs_brat = pytest.mark.skipif(not PROJECT.is_dir(), reason=f"reference data absent: {PROJECT}")


def ann_spans(path: Path) -> set[tuple[int, int, str]]:
    out = set()
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("T"):
            label, start, end = line.split("\t")[1].split(" ")
            out.add((int(start), int(end), label))
    return out


def independent_counts() -> dict[str, tuple[int, int]]:
    """Per document: (spans all four gave, groups of overlapping other spans)."""
    annotators = sorted(d for d in PROJECT.iterdir() if d.is_dir())
    out = {}
    for ann in sorted(annotators[0].glob("*.ann")):
        per = [ann_spans(a / ann.name) for a in annotators]
        agreed = set.intersection(*per)
        rest = sorted(set.union(*per) - agreed)
        parent = list(range(len(rest)))

        def find(k: int, parent: list[int] = parent) -> int:
            while parent[k] != k:
                k = parent[k]
            return k

        for a, b in combinations(range(len(rest)), 2):
            if rest[a][0] < rest[b][1] and rest[b][0] < rest[a][1]:
                parent[find(a)] = find(b)
        out[ann.with_suffix(".txt").name] = (len(agreed), len({find(k) for k in range(len(rest))}))
    return out


@needs_brat
def test_the_brat_project_groups_as_counted_independently() -> None:
    versions = load_versions([PROJECT])
    assert len(versions) == 7
    got = {
        v.records["Lisa"].meta["source"]: (
            len(v.candidates.agreed),
            len(v.candidates.disagreements),
        )  # type: ignore[index]
        for v in versions
    }
    assert got == independent_counts()
    assert all(v.candidates.annotators == ("Lisa", "Maria", "Max", "Peter") for v in versions)


def record(
    text: str, who: str, *spans: tuple[int, int, str], answer: str | None = "accept"
) -> Record:
    return Record(
        text=text, spans=[Span(s, e, label) for s, e, label in spans], answer=answer, annotator=who
    )


TEXT = "Meta Platforms recrute Yann LeCun à Paris."
#       0    5         15      23   28    34 36


def three() -> list[Versions]:
    return group_versions(
        [
            record(TEXT, "alice", (0, 14, "ORG"), (23, 33, "PER"), (36, 41, "LOC")),
            record(TEXT, "bruno", (0, 4, "ORG"), (23, 33, "PER"), (36, 41, "LOC")),
            record(TEXT, "chloe", (0, 14, "ORG"), (23, 33, "PER")),
        ]
    )


def test_agreed_spans_and_disagreements_with_their_voters() -> None:
    (v,) = three()
    c = v.candidates
    assert [x.key for x in c.agreed] == [(23, 33, "PER")]
    meta, paris = c.disagreements
    assert [(x.key, x.voters) for x in meta.alternatives] == [
        ((0, 14, "ORG"), ("alice", "chloe")),
        ((0, 4, "ORG"), ("bruno",)),
    ]
    assert [(x.spans, x.voters) for x in meta.versions] == [
        (((0, 14, "ORG"),), ("alice", "chloe")),
        (((0, 4, "ORG"),), ("bruno",)),
    ]
    assert [(x.spans, x.voters) for x in paris.versions] == [
        (((36, 41, "LOC"),), ("alice", "bruno")),
        ((), ("chloe",)),  # chloe's version there: nothing
    ]
    assert v.f1 == pytest.approx((2 * 2 / 6 + 2 * 2 / 5 + 2 * 1 / 5) / 3)  # a-b, a-c, b-c


def test_rejecting_annotators_are_shown_but_not_counted() -> None:
    c = gather(
        {"a": [(0, 4, "ORG")], "b": [(0, 4, "ORG")], "c": []},
        {"a": "accept", "b": None, "c": "reject"},
    )
    assert c.counted == ("a", "b") and [v.key for v in c.agreed] == [(0, 4, "ORG")]
    assert not c.disagreements and not c.unanimous  # someone rejected the article


def test_two_texts_with_one_hash_stay_two_articles() -> None:
    a = record("Un texte.", "alice")
    b = record("Un autre.", "bruno")
    a.input_hash = b.input_hash = 7
    assert len(group_versions([a, b])) == 2


def test_worst_first() -> None:
    good = group_versions(
        [record("Paris.", "a", (0, 5, "LOC")), record("Paris.", "b", (0, 5, "LOC"))]
    )
    assert order(good + three(), "worst")[0].f1 < 1.0  # type: ignore[operator]


def session() -> CurationSession:
    return CurationSession(CurationSource(three()), load_scheme(), "lead")


def cursor_on(s: CurationSession, char: int) -> None:
    tokens = s.record.tokens or []
    s.set_cursor(next(t.id for t in tokens if t.start <= char < t.end))


def test_it_opens_with_agreed_spans_accepted_and_the_rest_pending() -> None:
    s = session()
    statuses = {(x.token_start, x.label): x.status for x in s.state.spans}
    assert Status.ACCEPTED in statuses.values()
    assert len(s.open_groups()) == 2
    assert s.cannot_decide("accept") is not None and s.cannot_decide("reject") is None


def org_spans(s: CurationSession) -> list[tuple[int, int]]:
    return [(x.token_start, x.token_end) for x in s.state.spans if x.label == "ORG" and x.live]


def test_accepting_a_span_rejects_what_it_overlaps_and_cycle_steps_through_versions() -> None:
    s = session()
    assert s.state.cursor == 0  # the article opens on its first disagreement
    assert s.accept_span()  # under the cursor: the most voted, "Meta Platforms"
    assert org_spans(s) == [(0, 1)]
    assert len(s.open_groups()) == 1  # Paris is still open
    assert s.cycle() and org_spans(s) == [(0, 0)]  # bruno's version: "Meta"
    assert s.cycle() and org_spans(s) == []  # then none of them
    assert s.cycle() and org_spans(s) == [(0, 1)]  # and the most voted again
    s.undo()
    assert org_spans(s) == []


def test_versions_keep_separate_spans_together() -> None:
    """Two annotators gave three names, one gave them as one span: the three names are one
    version (2 votes), not three alternatives of the long span."""
    text = "Brasil, Cuba y Rusia."
    three_names = [(0, 6, "ORG"), (8, 12, "ORG"), (15, 20, "ORG")]
    (v,) = group_versions(
        [
            record(text, "a", *three_names),
            record(text, "b", *three_names),
            record(text, "c", (0, 20, "ORG")),
        ]
    )
    (d,) = v.candidates.disagreements
    assert [(x.spans, x.voters) for x in d.versions] == [
        (tuple(three_names), ("a", "b")),
        (((0, 20, "ORG"),), ("c",)),
    ]
    s = CurationSession(CurationSource([v]), load_scheme(), "lead")
    assert s.take_majority() == 1
    out = s.submit()
    assert [x.key for x in out.spans or ()] == three_names


def test_a_lone_span_against_nothing_goes_with_the_majority() -> None:
    (v,) = group_versions(
        [record("Paris.", "a", (0, 5, "LOC")), record("Paris.", "b"), record("Paris.", "c")]
    )
    s = CurationSession(CurationSource([v]), load_scheme(), "lead")
    assert s.take_majority() == 1 and s.submit().spans == []


def test_a_label_outside_the_scheme_is_not_submitted() -> None:
    (v,) = group_versions(
        [record("Paris.", "a", (0, 5, "CITY")), record("Paris.", "b", (0, 5, "CITY"))]
    )
    s = CurationSession(CurationSource([v]), load_scheme(), "lead")
    reason = s.cannot_decide("accept")
    assert reason is not None and "'CITY' not in the scheme" in reason
    assert s.cannot_decide("reject") is None


def test_majority_then_submit_gives_the_gold_record() -> None:
    s = session()
    assert s.take_majority() == 2  # Meta Platforms 2/3, Paris 2/3
    assert not s.open_groups() and s.cannot_decide("accept") is None
    out = s.submit()
    assert out.annotator == "lead" and out.answer == "accept"
    assert [(x.start, x.end, x.label, x.source) for x in out.spans or ()] == [
        (0, 14, "ORG", "review:alice+chloe"),
        (23, 33, "PER", "review:alice+bruno+chloe"),
        (36, 41, "LOC", "review:alice+bruno"),
    ]
    assert out.extra["_review"] == {
        "annotators": ["alice", "bruno", "chloe"],
        "answers": {"alice": "accept", "bruno": "accept", "chloe": "accept"},
    }


def test_a_span_nobody_had_is_the_curators() -> None:
    s = session()
    s.take_majority()
    cursor_on(s, 15)  # "recrute"
    assert s.label("MISC")
    out = s.submit()
    assert ("MISC", CURATOR) in [(x.label, x.source) for x in out.spans or ()]


def test_what_each_annotator_said_here() -> None:
    s = session()
    cursor_on(s, 37)
    e = s.explain()
    assert e is not None and (e.start, e.end) == (36, 41)
    said = {x.annotator: x.spans for x in e.said}
    assert said == {"alice": ((36, 41, "LOC"),), "bruno": ((36, 41, "LOC"),), "chloe": ()}


def test_unanimous_gold_record() -> None:
    (v,) = group_versions(
        [record("Paris.", "a", (0, 5, "LOC")), record("Paris.", "b", (0, 5, "LOC"))]
    )
    assert v.candidates.unanimous
    gold = unanimous_gold(v, "lead", clock=lambda: 5)
    assert gold.to_dict()["spans"] == [
        {"start": 0, "end": 5, "label": "LOC", "source": "review:a+b"}
    ]
    assert gold.extra["_review"]["auto_accepted"] is True and gold.timestamp == 5


def test_agreed_spans_with_a_space_at_an_edge_are_agreed() -> None:
    (v,) = group_versions(
        [record("Meta recrute.", "a", (0, 5, "ORG")), record("Meta recrute.", "b", (0, 4, "ORG"))]
    )
    assert [x.key for x in v.candidates.agreed] == [(0, 4, "ORG")] and v.candidates.unanimous
    s = CurationSession(CurationSource([v]), load_scheme(), "lead")
    assert s.cannot_decide("accept") is None
    assert [(x.key, x.source) for x in s.submit().spans or ()] == [((0, 4, "ORG"), "review:a+b")]


def test_a_revived_edit_keeps_the_curator_as_its_source() -> None:
    s = session()
    cursor_on(s, 24)  # "Yann LeCun" (agreed PER)
    assert s.label("MISC")  # relabelled: the curator's
    assert s.reject_span() and s.accept_span()  # rejected, then brought back
    s.take_majority()
    out = {x.key: x.source for x in s.submit().spans or ()}
    assert out[(23, 33, "MISC")] == "curator"


def test_an_auto_accepted_article_reopens_decided() -> None:
    (v,) = group_versions(
        [record("Paris.", "a", (0, 5, "LOC")), record("Paris.", "b", (0, 5, "LOC"))]
    )
    gold = unanimous_gold(v, "lead")
    s = CurationSession(CurationSource([v]), load_scheme(), "lead", {gold.article_key: gold})
    assert s.state.answer == "accept" and not s.matches(0, "unreviewed")


def test_the_disputed_filter_passes_over_unreadable_articles(tmp_path: Path) -> None:
    from annotations.curation.index import VersionIndex

    path = tmp_path / "a.jsonl"
    bad = b'{"text":"Meta.","_input_hash":1,"spans":[{"start":"zz","end":4,"label":"ORG"}],"answer":"accept","_annotator_id":"a"}'
    ok = b'{"text":"Lyon.","_input_hash":2,"spans":[{"start":0,"end":4,"label":"LOC"}],"answer":"accept","_annotator_id":"a"}'
    other = b'{"text":"Lyon.","_input_hash":2,"spans":[],"answer":"accept","_annotator_id":"b"}'
    path.write_bytes(ok + b"\n" + bad + b"\n" + other + b"\n")
    s = CurationSession(CurationSource(VersionIndex([path])), load_scheme(), "lead")
    assert s.index == 0 and not s.matches(1, "disputed") and 1 in s.unreadable
