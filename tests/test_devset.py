"""The hand-made dev sets of the suggestion bench build: every surface of each spec is found on
token boundaries, every span's text is a surface the spec gives that label, no span overlaps."""

from __future__ import annotations

from itertools import pairwise

import orjson
import pytest

from tests.bench.devset.build import DEV_SETS, gold_records


@pytest.mark.parametrize("name", sorted(DEV_SETS))
def test_gold_spans_are_their_surfaces(name: str) -> None:
    spec = orjson.loads(DEV_SETS[name].read_bytes())
    records = gold_records(name)
    assert {r.meta["source"] for r in records} == set(spec) - {"_about"}  # type: ignore[index]
    for record in records:
        labels = {surface: label for surface, label in spec[record.meta["source"]]["entities"]}  # type: ignore[index]
        spans = record.spans or []
        for s in spans:
            assert labels[record.text[s.start : s.end]] == s.label
        for a, b in pairwise(spans):
            assert a.end <= b.start
    if name == "news":
        assert len(records) >= 8 and sum(len(r.spans or []) for r in records) > 300
