"""Turn a dev set's spec (`<name>-gold.spec.json`) into gold records (offsets on token
boundaries) over its articles: `demo` is the five demo articles, `news` the ten articles of
`news/` written for the second dev set, `holdout` five more articles written after the rules
were, to see how far they generalise (never tuned on). Every span's text is its surface: a
surface that is not on token boundaries, or an article the spec does not cover, is an error."""

from __future__ import annotations

from pathlib import Path

import orjson

from annotations.demo import demo_path
from annotations.formats import read
from annotations.records import Record, Span
from annotations.tokenize import tokenize

HERE = Path(__file__).resolve().parent
SPEC = HERE / "demo-gold.spec.json"
DEV_SETS = {
    "demo": SPEC,
    "news": HERE / "news-gold.spec.json",
    "holdout": HERE / "holdout-gold.spec.json",
}


def articles(name: str) -> Path:
    return demo_path() if name == "demo" else HERE / name


def gold_records(name: str = "demo") -> list[Record]:
    spec = orjson.loads(DEV_SETS[name].read_bytes())
    out = []
    for item in read(articles(name)):
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
        assert all(record.text[s.start : s.end] in dict(entry["entities"]) for s in spans)
        out.append(
            Record(
                text=record.text,
                meta=record.meta,
                spans=sorted(spans, key=lambda s: s.start),
                answer="accept",
                annotator="gold",
            ).with_hashes()
        )
    covered = {r.meta["source"] for r in out}  # type: ignore[index]
    missing = sorted(set(spec) - {"_about"} - covered)
    if missing:
        raise ValueError(f"{DEV_SETS[name].name}: no article for {', '.join(missing)}")
    return out
