"""`relecture agree`: the report from memory (budget ≤ 2 s, DESIGN.md) and end to end (issue 16).

- Report: 10k articles × 3 annotators × ~20 spans generated in memory with their tokens (as files
  written by the annotation TUI have them): grouping, span F1, confusion, disagreements, token
  labels, Cohen/Fleiss/Krippendorff and α_U. Generation is not timed.
- End to end: `relecture agree --json` in a child process on 10k articles × 3 annotator files with
  tokens (the articles of `tests/bench/corpus.py` with spaCy tokens, ~23 KB a line, ~230 MB a
  file), its wall time and peak memory (budget ≤ 10 s, ≤ 1 GB), and in the same run the baseline:
  the same figures from a script with scikit-learn, statsmodels, krippendorff and nervaluate
  (`child_agree_peers.py`).
- Large, on demand (`--articles 1000000`, or `python -m tests.bench --articles 1000000 agree`):
  `agree --json` on two annotator files of that many generated articles without tokens, its peak
  memory (budget ≤ 1.5 GB).

    python -m tests.bench agree                      # through the registry
    python -m tests.bench.bench_agree [ARTICLES]     # the report from memory
    python -m tests.bench.bench_agree --end-to-end 10000
    python -m tests.bench.bench_agree --articles 1000000
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from annotations.records import Record, Span, Token
from tests.bench.registry import Context, Row, benchmark

AGREE_BUDGET_S = 2.0
END_TO_END_BUDGET_S = 10.0
END_TO_END_BUDGET_MB = 1000.0
LARGE_BUDGET_MB = 1500.0
LARGE_FROM = 500_000  # --articles from which the large mode runs
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


def annotated_files(
    root: Path,
    n_articles: int,
    seed: int = 0,
    tokens: bool = True,
    annotators: tuple[str, ...] = ANNOTATORS,
) -> list[Path]:
    """One JSONL file per annotator (named after them) on the same `n_articles` articles of
    `tests/bench/corpus.py` (with spaCy tokens when `tokens`). Each annotator's copy of the ~20
    spans differs now and then (2% missed, 2% relabelled, 2% with a moved end); 1% of the
    articles have an earlier line that a later one replaces, and 1% are rejected."""
    from tests.bench.bench_export import tokenised_records
    from tests.bench.corpus import records

    rnd = random.Random(seed)
    paths = [root / f"{name}.jsonl" for name in annotators]
    files = [open(p, "wb", buffering=1 << 20) for p in paths]  # noqa: SIM115
    try:
        source = tokenised_records(n_articles, seed) if tokens else records(n_articles, seed)
        for record in source:
            record.answer = "accept"
            base = record.with_hashes().to_dict()
            toks = base.get("tokens")
            for name, fh in zip(annotators, files, strict=True):
                spans = []
                for span in base["spans"]:
                    x = rnd.random()
                    if x < 0.02:
                        continue
                    if x < 0.04:
                        span = {**span, "label": rnd.choice(LABELS)}
                    elif x < 0.06:
                        span = _moved(span, toks, len(base["text"]))
                    spans.append(span)
                line = {**base, "spans": spans, "_annotator_id": name}
                if rnd.random() < 0.01:  # an earlier decision, replaced by the next line
                    fh.write(orjson.dumps({**line, "spans": [], "answer": "ignore"}) + b"\n")
                if rnd.random() < 0.01:
                    line["answer"] = "reject"
                fh.write(orjson.dumps(line) + b"\n")
    finally:
        for fh in files:
            fh.close()
    return paths


def _moved(span: dict[str, Any], tokens: list[dict[str, Any]] | None, n: int) -> dict[str, Any]:
    """The span with its end one token (or, without tokens, one character) earlier or later."""
    if tokens is None:
        end = span["end"] - 1 if span["end"] - span["start"] > 1 else min(n, span["end"] + 1)
        return {**span, "end": end}
    te = span["token_end"]
    te = te - 1 if te > span["token_start"] else min(len(tokens) - 1, te + 1)
    return {**span, "token_end": te, "end": tokens[te]["end"]}


def _child(command: list[str], out: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (with its worker processes) of a child
    process (`os.wait4`), stdout to `out`."""
    t0 = time.perf_counter()
    with open(out, "wb") as fh:
        child = subprocess.Popen(command, stdout=fh, stderr=subprocess.PIPE)
        assert child.stderr is not None
        err = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command[:4])} … failed: {err.decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1e3, usage.ru_utime + usage.ru_stime  # KB on Linux


def bench_end_to_end(
    n_articles: int = ARTICLES,
    scratch: Path | None = None,
    log: Callable[[str], None] = print,
    peers: bool = True,
) -> list[tuple[str, float, str, float | None]]:
    """Rows (name, value, unit, budget): `agree --json` on 3 annotator files with tokens, and the
    peers' script on the same files."""
    root = Path(tempfile.mkdtemp(prefix="relecture-bench-agree-", dir=scratch))
    try:
        log(f"agree: writing {n_articles:,} articles × {len(ANNOTATORS)} files with tokens …")
        files = annotated_files(root, n_articles)
        size = sum(p.stat().st_size for p in files) / len(files)
        what = f"{n_articles:,} articles × {len(ANNOTATORS)} files of {size / 1e6:,.0f} MB"
        command = [sys.executable, "-m", "tui", "agree", "--json", *map(str, files)]
        log("agree: relecture agree --json …")
        seconds, peak, _ = _child(command, root / "agree.json")
        rows: list[tuple[str, float, str, float | None]] = [
            (f"agree --json end to end ({what}): wall", seconds, "s", END_TO_END_BUDGET_S),
            ("agree --json end to end: peak memory (RSS)", peak, "MB", END_TO_END_BUDGET_MB),
        ]
        if peers:
            log("agree: the peers' script (sklearn, statsmodels, krippendorff, nervaluate) …")
            script = [sys.executable, "-m", "tests.bench.child_agree_peers", *map(str, files)]
            p_seconds, p_peak, _ = _child(script, root / "peers.json")
            done = orjson.loads((root / "peers.json").read_bytes())
            missing = " (nervaluate not installed)" if done.get("nervaluate") else ""
            rows += [
                (f"peers' script{missing}: wall", p_seconds, "s", None),
                (f"peers' script{missing}: peak memory (RSS)", p_peak, "MB", None),
                (
                    "agree --json: times faster than the peers' script",
                    p_seconds / seconds,
                    "×",
                    None,
                ),
            ]
        return rows
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench_large(
    n_articles: int, scratch: Path | None = None, log: Callable[[str], None] = print
) -> list[tuple[str, float, str, float | None]]:
    """Rows for `agree --json` on 2 annotator files of `n_articles` articles without tokens."""
    root = Path(tempfile.mkdtemp(prefix="relecture-bench-agree-large-", dir=scratch))
    try:
        log(f"agree: writing {n_articles:,} articles × 2 files without tokens …")
        files = annotated_files(root, n_articles, tokens=False, annotators=ANNOTATORS[:2])
        size = sum(p.stat().st_size for p in files)
        command = [sys.executable, "-m", "tui", "agree", "--json", *map(str, files)]
        log("agree: relecture agree --json …")
        seconds, peak, cpu = _child(command, root / "agree.json")
        what = f"{n_articles:,} articles × 2 files, {size / 1e9:.1f} GB, no tokens"
        return [
            (f"agree --json ({what}): wall", seconds, "s", None),
            (f"agree --json ({what}): CPU time, workers included", cpu, "s", None),
            (f"agree --json ({what}): peak memory (RSS)", peak, "MB", LARGE_BUDGET_MB),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)


@benchmark("agree")
def agree_report(ctx: Context) -> Iterator[Row]:
    """The whole agreement report on 10k articles × 3 annotators × ~20 spans (tokens present),
    then `agree --json` end to end on 10k × 3 files beside the peers' script; with
    `--articles 1000000` (≥ 500k), the large run's peak memory too."""
    ctx.log(f"agree: generating {ARTICLES:,} articles × {len(ANNOTATORS)} annotators …")
    for name, value, unit, budget, _ok in bench_agree(seed=ctx.seed):
        yield Row(name, value, unit, AGREE_BUDGET_S if budget else None)
    for name, value, unit, limit in bench_end_to_end(ARTICLES, ctx.scratch, ctx.log):
        yield Row(name, value, unit, limit, higher_is_better=unit == "×")
    if ctx.articles >= LARGE_FROM:
        for name, value, unit, limit in bench_large(ctx.articles, ctx.scratch, ctx.log):
            yield Row(name, value, unit, limit)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("report_articles", nargs="?", type=int, default=None)
    ap.add_argument("--end-to-end", type=int, default=None, metavar="ARTICLES")
    ap.add_argument("--no-peers", action="store_true", help="end to end: without the baseline")
    ap.add_argument("--articles", type=int, default=None, help="the large run (no tokens)")
    args = ap.parse_args()
    if args.end_to_end is not None:
        for row in bench_end_to_end(args.end_to_end, peers=not args.no_peers):
            print(*row, sep="\t")
    if args.articles is not None:
        for row in bench_large(args.articles):
            print(*row, sep="\t")
    if args.end_to_end is None and args.articles is None:
        for row in bench_agree(args.report_articles or ARTICLES):
            print(*row, sep="\t")
