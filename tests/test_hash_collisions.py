"""Two different texts sharing an `_input_hash` (Prodigy's are 32-bit and collide) are two
articles in every command: validate warns with both lines, stats counts both, export writes both,
agree scores both, suggest and the review session resume each on its own. A genuinely repeated
article (same text, same hash: two annotators, or two decisions of one) still groups as one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotations.cli.app import build_app
from annotations.export.select import select
from annotations.formats import read
from annotations.identity import Collisions, by_article, ids
from annotations.labels import load_scheme
from annotations.records import Record
from annotations.review.learning import Learning
from annotations.review.session import ReviewSession
from annotations.store.latest import latest
from annotations.suggest.memory import Memory

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

H = -1_283_492_105  # a 32-bit hash, as Prodigy writes them: shared by the two texts below
A = "Emmanuel Macron a reçu Olaf Scholz à Paris ."
B = "La Banque de France relève sa prévision de croissance ."
C = "Airbus livre trois avions à Toulouse ."
SPANS = {A: [("Emmanuel Macron", "PER"), ("Paris", "LOC")], B: [("Banque de France", "ORG")]}
runner = CliRunner()


def prodigy(text: str, h: int = H, annotator: str = "alice", **extra: Any) -> dict[str, Any]:
    """A `ner_manual` line as Prodigy writes it: tokens, token-aligned spans, hashes, view id,
    session and annotator ids."""
    tokens, pos = [], 0
    for i, word in enumerate(text.split(" ")):
        start = text.index(word, pos)
        pos = start + len(word)
        tokens.append({"text": word, "start": start, "end": pos, "id": i, "ws": pos < len(text)})
    spans = []
    for surface, label in SPANS.get(text, []):
        s = text.index(surface)
        e = s + len(surface)
        ts = next(t["id"] for t in tokens if t["start"] == s)
        te = next(t["id"] for t in tokens if t["end"] == e)
        spans.append({"start": s, "end": e, "token_start": ts, "token_end": te, "label": label})
    return {
        "text": text,
        "meta": {"section": "actualités"},
        "_input_hash": h,
        "_task_hash": h ^ 0x5F3759DF,
        "tokens": tokens,
        "spans": spans,
        "_view_id": "ner_manual",
        "answer": "accept",
        "_timestamp": 1_763_800_000,
        "_annotator_id": f"news-{annotator}",
        "_session_id": f"news-{annotator}",
        **extra,
    }


def write(path: Path, *lines: dict[str, Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    return path


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def texts_of(path: Path) -> list[str]:
    return [item.record.text for item in read(path, "jsonl")]


# -- validate ------------------------------------------------------------------------------


def test_validate_warns_once_per_collision_with_both_lines(tmp_path: Path) -> None:
    src = write(
        tmp_path / "news.jsonl",
        prodigy(A),
        prodigy(C, h=7),
        prodigy(B),  # line 3: H again, another text
        prodigy(A, annotator="bruno"),  # the same article again: no collision
        prodigy(B, answer="reject"),  # B again: already reported
    )
    code, out, err = run("validate", src)
    assert code == 0
    assert out.splitlines() == [
        f"{src}:3: warning: _input_hash {H} is also used by line 1 for a different text"
    ]
    assert err.strip() == f"{src}: ok (1 warning)"


def test_validate_a_warning_does_not_hide_an_error(tmp_path: Path) -> None:
    src = write(tmp_path / "news.jsonl", prodigy(A), prodigy(B, answer="maybe"))
    code, out, err = run("validate", src)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{src}:2: 'answer' must be one of")
    assert (
        lines[1] == f"{src}:2: warning: _input_hash {H} is also used by line 1 for a different text"
    )
    assert "1 problem in 1 file(s)" in err


def test_validate_no_warning_for_a_repeated_article(tmp_path: Path) -> None:
    src = write(tmp_path / "news.jsonl", prodigy(A), prodigy(A, annotator="bruno"), prodigy(A))
    assert run("validate", src) == (0, "", f"{src}: ok\n")


def test_collisions_three_texts() -> None:
    found = Collisions()
    checks = [found.check(1, t, f"line {i}") for i, t in enumerate([A, B, A, C, B], 1)]
    assert checks == [
        None,
        "warning: _input_hash 1 is also used by line 1 for a different text",
        None,
        "warning: _input_hash 1 is also used by line 1 for a different text",
        None,
    ]


# -- stats ---------------------------------------------------------------------------------


def test_stats_counts_both_articles(tmp_path: Path) -> None:
    src = write(
        tmp_path / "news.jsonl",
        prodigy(A),
        prodigy(B),
        prodigy(A, annotator="bruno"),
        prodigy(A, answer="reject"),  # alice again on A: replaces her first record
    )
    code, out, _ = run("stats", src, "--json")
    assert code == 0
    got = orjson.loads(out)
    assert (got["lines"], got["records"], got["articles"]) == (4, 3, 2)
    assert got["answers"] == {"reject": 1, "accept": 2}
    assert got["annotators"] == {"news-alice": 2, "news-bruno": 1}


# -- export --------------------------------------------------------------------------------


def test_export_jsonl_writes_both_articles(tmp_path: Path) -> None:
    src = write(tmp_path / "news.jsonl", prodigy(A), prodigy(C, h=7), prodigy(B))
    out = tmp_path / "out"
    code, _, err = run("export", src, "-o", out, "-f", "jsonl", "--split", "1")
    assert code == 0, err
    written = [orjson.loads(x) for x in (out / "train.jsonl").read_bytes().splitlines()]
    assert sorted(x["text"] for x in written) == sorted([A, B, C])
    assert [x["_input_hash"] for x in written if x["text"] in (A, B)] == [H, H]  # kept as is
    manifest = orjson.loads((out / ".relecture-export.json").read_bytes())
    assert manifest["splits"]["train"]["articles"] == 3


def test_export_hf_writes_both_articles_with_distinct_ids(tmp_path: Path) -> None:
    import datasets

    src = write(tmp_path / "news.jsonl", prodigy(A), prodigy(B), prodigy(C, h=7))
    out = tmp_path / "hf"
    code, _, err = run("export", src, "-o", out, "-f", "hf", "--split", "1")
    assert code == 0, err
    rows = datasets.load_from_disk(str(out))["train"]
    assert sorted(rows["text"]) == sorted([A, B, C])
    ids = dict(zip(rows["text"], rows["id"], strict=True))
    assert ids == {A: str(H), B: f"{H}-2", C: "7"}


def test_export_groups_a_repeated_article(tmp_path: Path) -> None:
    """Two annotators on A, and a collision with B: A is one article of two annotators."""
    src = write(tmp_path / "news.jsonl", prodigy(A), prodigy(A, annotator="bruno"), prodigy(B))
    out = tmp_path / "out"
    code, _, err = run("export", src, "-o", out, "-f", "jsonl", "--split", "1")
    assert code == 1  # several annotators on A: a policy is needed, as before
    assert "1 article have records from several annotators" in err
    code, _, err = run(
        "export", src, "-o", out, "-f", "jsonl", "--split", "1", "--policy", "majority"
    )
    assert code == 0, err
    written = [orjson.loads(x) for x in (out / "train.jsonl").read_bytes().splitlines()]
    assert sorted(x["text"] for x in written) == sorted([A, B])
    by_text = {x["text"]: x for x in written}
    assert by_text[A]["_annotators"] == ["news-alice", "news-bruno"]


def test_export_policy_all_ids_tell_colliding_articles_apart() -> None:
    pairs = [
        (Record.from_dict(prodigy(t, annotator=who)), f"f:{i}")
        for i, (t, who) in enumerate([(A, "alice"), (B, "alice"), (A, "bruno"), (B, "bruno")])
    ]
    sel = select(pairs, "all")
    assert [r.id for r in sel.rows] == [
        f"{H}:news-alice",
        f"{H}:news-bruno",
        f"{H}-2:news-alice",
        f"{H}-2:news-bruno",
    ]
    assert (sel.current, sel.articles, sel.multi_annotated) == (4, 2, 2)


# -- agree ---------------------------------------------------------------------------------


def test_agree_scores_two_units(tmp_path: Path) -> None:
    alice = write(tmp_path / "alice.jsonl", prodigy(A), prodigy(B), prodigy(C, h=7))
    bruno = write(
        tmp_path / "bruno.jsonl",
        prodigy(A, annotator="bruno"),
        prodigy(B, annotator="bruno", spans=[]),  # bruno missed the ORG in B
        prodigy(C, h=7, annotator="bruno"),
    )
    code, out, err = run("agree", alice, bruno, "--json")
    assert code == 0, err
    report = orjson.loads(out)
    assert report["articles"] == 3
    names = {a["article"]: a["input_hash"] for a in report["per_article"]}
    assert names == {str(H): H, f"{H}-2": H, "7": 7}  # no meta name: the hash, told apart
    assert [(d["article"], d["text"]) for d in report["disagreements"]] == [
        (f"{H}-2", "Banque de France")
    ]


def test_agree_repeated_article_is_one_unit(tmp_path: Path) -> None:
    alice = write(tmp_path / "alice.jsonl", prodigy(A), prodigy(A))
    bruno = write(tmp_path / "bruno.jsonl", prodigy(A, annotator="bruno"))
    code, out, err = run("agree", alice, bruno, "--json")
    assert code == 0, err
    assert orjson.loads(out)["articles"] == 1


# -- suggest resume ------------------------------------------------------------------------


def test_suggest_resume_keeps_the_colliding_article(tmp_path: Path) -> None:
    src = write(tmp_path / "src.jsonl", prodigy(A), prodigy(B), prodigy(C, h=7))
    out = write(tmp_path / "out.jsonl", prodigy(A))  # A done by an earlier run
    code, _, err = run("suggest", src, "-o", out, "--model", "none")
    assert code == 0, err
    assert "resuming: 1 articles already" in err
    assert texts_of(out) == [A, B, C]
    code, _, err = run("suggest", src, "-o", out, "--model", "none")  # all done: nothing added
    assert code == 0, err
    assert texts_of(out) == [A, B, C]


# -- review session resume -----------------------------------------------------------------


def decided(text: str, answer: str = "accept") -> Record:
    return Record.from_dict(prodigy(text, annotator="alice", answer=answer, _annotator_id="alice"))


def source() -> list[Record]:
    """Articles to review: Prodigy lines without their answer and annotator."""
    out = []
    for text in (A, B, C):
        line = prodigy(text)
        for key in ("answer", "_annotator_id", "_session_id", "_timestamp"):
            del line[key]
        out.append(Record.from_dict(line))
    return out


def test_review_session_resumes_each_colliding_article(tmp_path: Path) -> None:
    out = write(
        tmp_path / "out.jsonl", decided(A, "reject").to_dict(), decided(A, "accept").to_dict()
    )
    # the mapping `relecture annotate` builds from OUT: this annotator's records by article
    saved = {i.record.key[1]: i.record for i in read(out, "jsonl")}
    session = ReviewSession(source(), load_scheme(), "alice", saved)
    assert session.answer_at(0) == "accept"  # the latest line for A
    assert session.answer_at(1) is None  # B shares A's hash: not decided
    assert session.index == 1 and session.reviewed_count() == 1
    assert session.record.text == B
    record = session.decide("ignore")
    assert (record.text, record.input_hash) == (B, H)
    assert session.answer_at(0) == "accept" and session.answer_at(1) == "ignore"
    assert session.reviewed_count() == 2
    assert session.save_failed(record) == 1  # B taken back, A untouched
    assert session.answer_at(0) == "accept" and session.answer_at(1) is None
    assert session.saved[(H, A)].answer == "accept"


def test_review_session_repeated_article_opens_as_decided() -> None:
    session = ReviewSession(source(), load_scheme(), "alice", [decided(A), decided(B)])
    assert [session.answer_at(i) for i in range(3)] == ["accept", "accept", None]
    assert session.index == 2
    assert session.record_at(1).text == B  # the saved record is B's, not A's


def test_memory_keeps_both_contributions() -> None:
    memory = Memory()
    learning = Learning(memory)
    a, b = decided(A), decided(B)
    learning.decided(a)
    learning.decided(b)
    assert a.key in memory and b.key in memory
    assert memory.decision("Banque de France") is not None
    learning.undone("alice", a.article_key, None)  # forgetting A leaves B's teaching
    assert a.key not in memory and b.key in memory
    assert memory.decision("Banque de France") is not None
    assert memory.decision("Emmanuel Macron") is None


# -- the selection, property-based -----------------------------------------------------------

POOL = [(1, A), (1, B), (2, A), (3, C), (1, C)]  # (hash, text): hash 1 has three texts


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(POOL),
            st.sampled_from(["alice", "bruno", None]),
            st.sampled_from(["accept", "reject", None]),
        ),
        max_size=12,
    )
)
def test_selection_keeps_one_record_per_annotator_and_text(
    draws: list[tuple[tuple[int, str], str | None, str | None]],
) -> None:
    records = [
        Record(text, input_hash=h, task_hash=h, annotator=who, answer=answer, timestamp=i)
        for i, ((h, text), who, answer) in enumerate(draws)
    ]
    expected: dict[tuple[str | None, int, str], Record] = {}
    for r in records:
        expected[(r.annotator, r.input_hash, r.text)] = r  # type: ignore[index]
    current = latest(records)
    assert [(r.annotator, r.input_hash, r.text) for r in current] == list(expected)
    assert all(r is expected[(r.annotator, r.input_hash, r.text)] for r in current)  # type: ignore[index]
    # the corpus-wide passes find the articles of `Record.key` / `Record.article_key`
    assert current == list({r.key: r for r in records}.values())
    by_key: dict[tuple[int, str], list[Record]] = {}
    for r in current:
        by_key.setdefault(r.article_key, []).append(r)
    assert [[r for r, _ in group] for group in by_article((r, 0) for r in current)] == list(
        by_key.values()
    )

    sel = select(((r, f"f:{i}") for i, r in enumerate(records)), "all")
    articles = {(h, t) for (_who, h, t) in expected}
    assert sel.current == len(expected)
    assert sel.articles == len(articles)
    kept = [r for r in expected.values() if r.answer in ("accept", None)]
    assert sorted(row.record.timestamp for row in sel.rows) == sorted(  # type: ignore[type-var]
        r.timestamp for r in kept
    )
    ids = [row.id for row in sel.rows]
    assert len(set(ids)) == len(ids)  # one id per annotator and article, even when hashes collide


def test_ids_tell_the_texts_of_one_hash_apart() -> None:
    keys = [(1, A), (2, A), (1, B), (1, C), (3, C)]
    groups = by_article((Record(text, input_hash=h), None) for h, text in keys)
    assert ids(groups) == ["1", "2", "1-2", "1-3", "3"]


@pytest.mark.parametrize("policy", ["majority", "gold"])
def test_selection_policies_over_a_collision(policy: str) -> None:
    pairs = [(Record.from_dict(prodigy(t)), f"f:{i}") for i, t in enumerate([A, B])]
    sel = select(pairs, policy)
    assert [(row.record.text, row.id) for row in sel.rows] == [(A, str(H)), (B, f"{H}-2")]
