"""The foundation data layer: open a large JSONL (index), random access, durable append."""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Iterator

from tests.bench.registry import Context, Row, benchmark, percentile, run_child

OPEN_FIRST_S = 1.0  # DESIGN.md budgets
OPEN_RSS_MB = 300.0
SUBMIT_P95_MS = 5.0
RANDOM_READS = 10_000
APPENDS = 500


@benchmark("store")
def open_index(ctx: Context) -> Iterator[Row]:
    """`JsonlIndex(path)` then `index[0]`, in a fresh interpreter; warm page cache."""
    path, info = ctx.corpus()
    n = info["records"]
    yield Row(
        f"corpus: {n:,} articles", info["bytes"] / 1e6, "MB", note="generated, warm page cache"
    )
    yield Row("corpus: average article", info["bytes"] / n / 1e3, "KB")
    ctx.log("store: opening the corpus in a fresh interpreter …")
    t0 = time.perf_counter()
    res = run_child("tests.bench.child_open_index", str(path))
    wall = time.perf_counter() - t0
    yield Row("open: import annotations.store.index", res["import_s"] * 1e3, "ms")
    yield Row("open: build the index", res["build_s"] * 1e3, "ms")
    yield Row("open: parse record 0", res["first_s"] * 1e3, "ms")
    yield Row("open: index + first article", res["build_s"] + res["first_s"], "s", OPEN_FIRST_S)
    yield Row("open: whole child process (python start → exit)", wall, "s")
    yield Row("open: RSS after imports", res["rss_imported_mb"], "MB")
    yield Row("open: peak RSS (index + record 0)", res["rss_peak_mb"], "MB", OPEN_RSS_MB)
    if res.get("rss_file_mb") is not None:
        yield Row("open: RSS at the end, file pages (mmap)", res["rss_file_mb"], "MB")
        yield Row("open: RSS at the end, anonymous", res["rss_anon_mb"], "MB")


@benchmark("store")
def random_access(ctx: Context) -> Iterator[Row]:
    """`index[i]` for distinct random i (the LRU cache never serves them), on a fresh index."""
    from annotations.store.index import JsonlIndex

    path, _ = ctx.corpus()
    ctx.log(f"store: {RANDOM_READS:,} random reads …")
    with JsonlIndex(path) as index:
        n = len(index)
        picks = random.Random(ctx.seed).sample(range(n), min(RANDOM_READS, n))
        _ = index.raw(picks[-1])  # warm-up: first call through each code path
        file_rss0 = _rss_file_mb()
        raw_us, rec_us = [], []
        clock = time.perf_counter_ns
        for i in picks:
            t0 = clock()
            index.raw(i)
            t1 = clock()
            raw_us.append((t1 - t0) / 1e3)
        for i in picks:  # distinct indices: every one is an LRU miss
            t0 = clock()
            index[i]
            t1 = clock()
            rec_us.append((t1 - t0) / 1e3)
        file_rss = _rss_file_mb() - file_rss0
    k = len(picks)
    yield Row(f"random index[i] p50 ({k:,} misses)", percentile(rec_us, 50), "µs")
    yield Row(f"random index[i] p95 ({k:,} misses)", percentile(rec_us, 95), "µs")
    yield Row("random raw bytes (mmap slice) p50", percentile(raw_us, 50), "µs")
    yield Row("random raw bytes (mmap slice) p95", percentile(raw_us, 95), "µs")
    if file_rss == file_rss:  # not NaN: /proc available
        yield Row(f"random: RSS growth, file pages after {k:,} reads", file_rss, "MB")


def _rss_file_mb() -> float:
    """This process's resident file-backed pages (mmap'd files), MB; NaN if unknown."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("RssFile:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return float("nan")


def _filesystem(path: str) -> str:
    try:
        out = subprocess.run(
            ["df", "--output=source,fstype", path], capture_output=True, text=True, check=True
        ).stdout.split()
        return f"{out[-1]} on {out[-2]}"
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "?"


@benchmark("store")
def append_fsync(ctx: Context) -> Iterator[Row]:
    """`JsonlWriter(path).append(record)`: one ~3.6 KB record per call, fsync'd each time."""
    from annotations.store.writer import JsonlWriter
    from tests.bench.corpus import records

    folder = ctx.same_fs_scratch()
    path = folder / "appended.jsonl"
    recs = list(records(APPENDS, seed=ctx.seed + 1))
    size = sum(len(r.to_json()) + 1 for r in recs) / len(recs)
    ctx.log("store: sync (flush the generated corpus first, so that it is not timed) …")
    os.sync()
    ctx.log(f"store: {APPENDS} appends + fsync in {folder} ({_filesystem(str(folder))}) …")
    ms = []
    with JsonlWriter(path) as writer:
        for rec in recs:
            t0 = time.perf_counter_ns()
            writer.append(rec)
            ms.append((time.perf_counter_ns() - t0) / 1e6)
    path.unlink()
    fs = _filesystem(str(folder))
    yield Row(
        f"append+fsync p50 ({APPENDS} × {size / 1e3:.1f} KB)", percentile(ms, 50), "ms", note=fs
    )
    yield Row(
        "append+fsync p95 (submit, durable)", percentile(ms, 95), "ms", SUBMIT_P95_MS, note=fs
    )
    yield Row("append+fsync max", max(ms), "ms", note=fs)
