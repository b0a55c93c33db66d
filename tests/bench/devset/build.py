"""Turn demo-gold.spec.json into gold records (offsets on token boundaries) over the demo corpus."""

from __future__ import annotations

from pathlib import Path

import orjson

from annotations.demo import demo_path
from annotations.formats import read
from annotations.records import Record, Span
from annotations.tokenize import tokenize

SPEC = Path(__file__).resolve().parent / "demo-gold.spec.json"


def gold_records() -> list[Record]:
    spec = orjson.loads(SPEC.read_bytes())
    out = []
    for item in read(demo_path()):
        record = item.record
        entry = spec[record.meta["source"]]  # type: ignore[index]
        tokens = tokenize(record.text)
        starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
        skip = {(s, n) for s, n in entry.get("skip", [])}
        taken: list[tuple[int, int]] = []
        spans: list[Span] = []
        for surface, label in sorted(entry["entities"], key=lambda e: -len(e[0])):
            at, n, found = record.text.find(surface), 0, False
            while at >= 0:
                end = at + len(surface)
                if at in starts and end in ends and all(end <= a or at >= b for a, b in taken):
                    found = True
                    if (surface, n) not in skip:
                        spans.append(Span(at, end, label))
                        taken.append((at, end))
                    n += 1
                at = record.text.find(surface, at + 1)
            if not found:
                raise ValueError(f"{record.meta}: {surface!r} not found on token boundaries")
        out.append(
            Record(
                text=record.text,
                meta=record.meta,
                spans=sorted(spans, key=lambda s: s.start),
                answer="accept",
                annotator="gold",
            ).with_hashes()
        )
    return out
