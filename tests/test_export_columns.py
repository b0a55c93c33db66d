"""Pass 1 in columns (`export.index.Index`) and the selection made on them (`export.columns`):
the same selection, row for row, as `select` over the index's lines as stubs (the object path),
on generated files with several annotators, superseded lines, hash collisions and blank texts."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.errors import UsageError
from annotations.export.columns import RowTable, multi_records, select_index
from annotations.export.index import Index, digest, scan
from annotations.export.select import Selection, select
from annotations.export.splits import SPLIT_NAMES, assign, assign_codes
from annotations.export.write import articles
from annotations.records import input_hash
from annotations.stream.runner import Inline

TEXTS = ["Paris est belle.", "Lyon aussi.", "   ", "Marie Curie à Paris.", "Renault."]
HASHES = [None, None, None, 7, -3, (1 << 64) - 1, 1 << 63, -(1 << 63)]
LINE = st.fixed_dictionaries(
    {
        "text": st.sampled_from(TEXTS),
        "annotator": st.sampled_from([None, "alice", "bob", "chloe"]),
        "answer": st.sampled_from([None, "accept", "accept", "reject", "ignore"]),
        "hash": st.sampled_from(HASHES),
        "labels": st.lists(st.sampled_from(["PER", "ORG", "LOC"]), max_size=3),
    }
)
POLICY = st.sampled_from([None, "gold", "majority", "all", "annotator:alice", "annotator:zed"])


def _write(folder: Path, lines: list[dict[str, Any]], files: int) -> list[Path]:
    paths = [folder / f"in{i}.jsonl" for i in range(files)]
    handles = [open(p, "wb") for p in paths]  # noqa: SIM115  (closed below)
    try:
        for i, line in enumerate(lines):
            record: dict[str, Any] = {"text": line["text"]}
            if line["hash"] is not None:
                record["_input_hash"] = line["hash"]
            if line["annotator"] is not None:
                record["_annotator_id"] = line["annotator"]
            if line["answer"] is not None:
                record["answer"] = line["answer"]
            record["spans"] = [{"start": 0, "end": 1, "label": lab} for lab in line["labels"]]
            handles[i % files].write(orjson.dumps(record) + b"\n")
            if i % 5 == 3:
                handles[i % files].write(b"\n")  # blank lines count in line numbers
    finally:
        for fh in handles:
            fh.close()
    return paths


def _index(paths: list[Path]) -> tuple[Index, tuple[str, ...]]:
    defaults = [p.stem for p in paths] if len(paths) > 1 else [None]
    seen: list[int] = []
    index = scan(paths, defaults, Inline(), seen.append)
    assert sum(seen) == len(index)
    return index, tuple(str(p) for p in paths)


def _both(
    index: Index, names: tuple[str, ...], policy: str | None, require_answer: bool
) -> tuple[Selection | str, Selection | str]:
    name = None
    if policy is not None and policy.startswith("annotator:"):
        policy, name = "annotator", policy.split(":", 1)[1]
    out: list[Selection | str] = []
    pairs = [(s, f"{names[s.file]}:{s.line}") for s in index.stubs()]
    for make in (
        lambda: select(pairs, policy, name, require_answer=require_answer, defer_votes=True),
        lambda: select_index(index, names, policy, name, require_answer=require_answer),
    ):
        try:
            out.append(make())
        except UsageError as e:
            out.append(str(e))
    return out[0], out[1]


def _assert_same(old: Selection, new: Selection) -> None:
    for field in ("policy", "lines", "current", "articles", "multi_annotated", "annotators"):
        assert getattr(old, field) == getattr(new, field), field
    assert list(old.answers.items()) == list(new.answers.items())
    assert list(old.left_out.items()) == list(new.left_out.items())
    assert list(old.reason_at.items()) == list(new.reason_at.items())
    assert isinstance(new.rows, RowTable)
    assert list(new.rows) == old.rows
    assert new.rows[: len(old.rows)] == old.rows
    assert articles(new.rows) == articles(old.rows)
    held = sorted(s.line + 1000 * s.file for r in old.rows for s, _ in r.voters or [(r.record, "")])
    lines = new.rows.lines_held()
    idx = new.rows.picked.index
    assert sorted((idx.line[lines] + 1000 * idx.file[lines]).tolist()) == held
    per_article = Counter((r.input_hash, r.text) for r in old.current_records)
    multi = [r for r in old.current_records if per_article[(r.input_hash, r.text)] > 1]
    assert multi_records(new) == multi


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(LINE, min_size=1, max_size=40),
    files=st.integers(1, 2),
    policy=POLICY,
    require_answer=st.booleans(),
    seed=st.integers(0, 3),
)
def test_the_columnar_selection_is_the_object_selection(
    lines: list[dict[str, Any]], files: int, policy: str | None, require_answer: bool, seed: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = _write(Path(tmp), lines, files)
        if files == 2 and len(lines) < 2:
            return  # an empty file is refused
        index, names = _index(paths)
        old, new = _both(index, names, policy, require_answer)
        if isinstance(old, str) or isinstance(new, str):
            assert old == new
            return
        _assert_same(old, new)
        # the splits: the same rows in each, in the same order
        rows = new.rows
        assert isinstance(rows, RowTable)
        ratios = (0.5, 0.3, 0.2)
        codes = assign_codes(*rows.hash_columns(), ratios, seed)
        split_of = assign((r.input_hash for r in old.rows), ratios, seed)
        for k, name in enumerate(SPLIT_NAMES):
            part = rows.take(np.flatnonzero(codes == k))
            assert list(part) == [r for r in old.rows if split_of[r.input_hash] == name]


def test_an_index_line_is_the_stub_of_its_line(tmp_path: Path) -> None:
    lines = [
        {"text": t, "annotator": a, "answer": ans, "hash": h, "labels": labs}
        for t, a, ans, h, labs in [
            ("Paris est belle.", "alice", "accept", None, ["PER", "LOC", "PER"]),
            ("   ", None, None, (1 << 64) - 1, []),
            ("Lyon aussi.", "bob", "reject", -(1 << 63), ["ORG"]),
        ]
    ]
    paths = _write(tmp_path, lines, 1)
    index, _ = _index(paths)
    stubs = index.stubs()
    assert [s.annotator for s in stubs] == ["alice", None, "bob"]
    assert [s.input_hash for s in stubs] == [
        input_hash("Paris est belle."),
        (1 << 64) - 1,
        -(1 << 63),
    ]
    assert [s.text for s in stubs] == [digest(d["text"]) for d in lines]
    assert [s.text.isspace() for s in stubs] == [False, True, False]
    assert [s.answer for s in stubs] == ["accept", None, "reject"]
    assert [s.labels for s in stubs] == [("LOC", "PER"), (), ("ORG",)]
    raw = paths[0].read_bytes()
    for stub in stubs:
        line = raw[stub.offset : stub.offset + stub.length]
        assert orjson.loads(line)["text"] == lines[[1, 2, 3].index(stub.line)]["text"]
    assert index.stubs([2, 0]) == [stubs[2], stubs[0]]


@given(
    hashes=st.lists(
        st.one_of(st.integers(-(1 << 63), (1 << 64) - 1), st.sampled_from([0, -1, 1 << 63])),
        max_size=60,
    ),
    ratios=st.sampled_from([(1.0,), (0.8, 0.2), (0.8, 0.1, 0.1), (0.34, 0.33, 0.33)]),
    seed=st.integers(0, 2**32),
)
def test_splits_in_columns_are_the_splits(
    hashes: list[int], ratios: tuple[float, ...], seed: int
) -> None:
    bits = np.array([h - (1 << 64) if h >= 1 << 63 else h for h in hashes], np.int64)
    big = np.array([h >= 1 << 63 for h in hashes], np.bool_)
    codes = assign_codes(bits, big, ratios, seed)
    split_of = assign(hashes, ratios, seed)
    assert [SPLIT_NAMES[c] for c in codes.tolist()] == [split_of[h] for h in hashes]


@pytest.mark.parametrize("policy", ["majority", "all"])
def test_a_row_table_is_a_sequence_of_rows(tmp_path: Path, policy: str) -> None:
    lines = [
        {"text": t, "annotator": a, "answer": "accept", "hash": None, "labels": ["PER"]}
        for t in TEXTS
        for a in ("alice", "bob")
    ]
    index, names = _index(_write(tmp_path, lines, 1))
    rows = select_index(index, names, policy).rows
    assert isinstance(rows, RowTable)
    every = list(rows)
    assert len(every) == len(rows) == (4 if policy == "majority" else 8)
    assert rows[1] == every[1] and rows[-1] == every[-1]
    assert rows[1:3] == every[1:3]
    assert list(rows.take(np.array([2, 0]))) == [every[2], every[0]]
    assert rows.labels_used() == {"PER"}


def test_majority_reasons_keep_the_order_they_are_first_met(tmp_path: Path) -> None:
    plan = [  # (text, [answers of alice, bob, chloe])
        ("Un.", ["reject", "reject", "ignore"]),
        ("Deux.", ["accept", "reject", None]),
        ("Trois.", ["ignore", "ignore", "ignore"]),
        ("Quatre.", ["accept", "accept", "reject"]),
        ("Cinq.", ["reject", "ignore", "reject"]),
        ("Six.", ["accept", "reject", "reject"]),
        ("Sept.", ["ignore", "ignore", "ignore"]),
    ]
    lines = [
        {"text": text, "annotator": who, "answer": answer, "hash": None, "labels": []}
        for text, answers in plan
        for who, answer in zip(("alice", "bob", "chloe"), answers, strict=True)
    ]
    index, names = _index(_write(tmp_path, lines, 1))
    old, new = _both(index, names, "majority", True)
    assert isinstance(old, Selection) and isinstance(new, Selection)
    assert len(old.left_out) == 3 and len(old.rows) == 1
    _assert_same(old, new)
