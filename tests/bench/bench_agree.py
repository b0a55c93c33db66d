"""`relecture agree` on 10k articles × 3 annotators × ~20 spans: budget ≤ 2 s (DESIGN.md).

The records are generated in memory with their tokens (as files written by the annotation TUI
have them), so the figure is the agreement report itself: grouping, span F1, confusion,
disagreements, token labels, Cohen/Fleiss/Krippendorff and α_U. Generation is not timed.

    python -m tests.bench agree      # through the registry
    python -m tests.bench.bench_agree [ARTICLES]
"""

from __future__ import annotations

import io
import random
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial

import orjson

from annotations.records import Record, Span, Token
from tests.bench.registry import Context, Row, benchmark

AGREE_BUDGET_S = 2.0
ARTICLES = 10_000
ANNOTATORS = ("alice", "bruno", "chloe")
SPANS = 20
WORDS = 250
LABELS = ("PER", "ORG", "LOC", "MISC", "MONEY", "PERCENT", "DATE")
VOCAB = [
    "le",
    "la",
    "les",
    "un",
    "une",
    "de",
    "du",
    "des",
    "et",
    "à",
    "en",
    "pour",
    "sur",
    "avec",
    "dans",
    "par",
    "que",
    "qui",
    "selon",
    "Meta",
    "OpenAI",
    "Zuckerberg",
    "milliards",
    "dollars",
    "chercheurs",
    "recrutement",
    "laboratoire",
    "intelligence",
    "artificielle",
    "annonce",
    "lundi",
    "juin",
    "2025",
    "Paris",
    "Californie",
    "accord",
    "société",
    "groupe",
    "modèle",
    "équipe",
    "salaire",
    "millions",
    "prime",
    "offre",
    "poste",
]


def generate(
    n_articles: int = ARTICLES, seed: int = 0, annotators: tuple[str, ...] = ANNOTATORS
) -> list[Record]:
    """One record per annotator and article, with tokens; annotators disagree on ~10% of spans
    (label changed, boundary moved, span missed) and add a span now and then."""
    rnd = random.Random(seed)
    out: list[Record] = []
    for a in range(n_articles):
        words = [rnd.choice(VOCAB) for _ in range(WORDS)]
        tokens: list[Token] = []
        pos = 0
        for i, w in enumerate(words):
            tokens.append(Token(w, pos, pos + len(w), i, True))
            pos += len(w) + 1
        text = " ".join(words)
        slots = sorted(rnd.sample(range(0, WORDS - 4, 4), SPANS + rnd.randint(-3, 3)))
        gold = [(t, t + rnd.randint(0, 2), rnd.choice(LABELS)) for t in slots]
        for name in annotators:
            spans: list[Span] = []
            for ts, te, label in gold:
                x = rnd.random()
                if x < 0.02:
                    continue  # missed
                if x < 0.04:
                    label = rnd.choice(LABELS)
                elif x < 0.06:
                    te = ts + (te - ts + 1) % 3  # boundary moved (stays inside the slot)
                spans.append(Span(tokens[ts].start, tokens[te].end, label, ts, te))
            if rnd.random() < 0.1:
                t = rnd.randrange(2, WORDS - 4, 4) + 1  # between the slots: never overlaps gold
                spans.append(Span(tokens[t].start, tokens[t].end, rnd.choice(LABELS), t, t))
            out.append(
                Record(
                    text=text,
                    meta={"source": f"article-{a:05d}"},
                    input_hash=a,
                    tokens=tokens,
                    spans=spans,
                    answer="accept",
                    annotator=name,
                )
            )
    return out


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of `repeat` calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def bench_agree(
    n_articles: int = ARTICLES, seed: int = 0, repeat: int = 3
) -> list[tuple[str, float, str, str, bool]]:
    """Rows (name, value, unit, budget text, within budget); times are the best of `repeat`."""
    from rich.console import Console

    from annotations.agreement import agreement_report
    from annotations.cli.agree import render

    records = generate(n_articles, seed)
    n_spans = sum(len(r.spans or ()) for r in records)
    size = f"{n_articles:,} articles × {len(ANNOTATORS)} annotators × {n_spans / len(records):.1f} spans"
    budget = f"≤ {AGREE_BUDGET_S:g} s"
    rows: list[tuple[str, float, str, str, bool]] = []
    report = agreement_report(records, "exact")  # warm-up (imports, first allocations)
    for match in ("exact", "overlap"):
        wall, cpu = _best(partial(agreement_report, records, match), repeat)
        rows.append(
            (f"agree --match {match}: report ({size})", wall, "s", budget, wall <= AGREE_BUDGET_S)
        )
        rows.append((f"agree --match {match}: report, CPU time", cpu, "s", "", True))

    def with_json() -> None:
        orjson.dumps(agreement_report(records, "exact").as_dict())

    wall, _ = _best(with_json, repeat)
    rows.append(("agree --json: report + JSON", wall, "s", budget, wall <= AGREE_BUDGET_S))
    sink = Console(file=io.StringIO(), width=120)
    wall, _ = _best(lambda: render(report, sink), repeat)
    rows.append(("agree: rich tables (after the report)", wall * 1e3, "ms", "", True))
    rows.append(("agree: disagreements found", float(len(report.disagreements)), "", "", True))
    rows.append(("agree: mean pairwise F1 (exact)", report.f1_mean or 0.0, "", "", True))
    return rows


@benchmark("agree")
def agree_report(ctx: Context) -> Iterator[Row]:
    """The whole agreement report on 10k articles × 3 annotators × ~20 spans (tokens present)."""
    ctx.log(f"agree: generating {ARTICLES:,} articles × {len(ANNOTATORS)} annotators …")
    for name, value, unit, budget, _ok in bench_agree(seed=ctx.seed):
        yield Row(name, value, unit, AGREE_BUDGET_S if budget else None)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else ARTICLES
    for row in bench_agree(n):
        print(*row, sep="\t")
