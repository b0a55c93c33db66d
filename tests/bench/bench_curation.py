"""The curation screen (`relecture review`): a fresh process to the first article that takes
keys, over 10k articles × 3 annotators; key press to repainted screen on a 20k-character article
with 3 annotators × 300 spans (TEXTUAL_FPS=1000: the app's own work).

    python -m tests.bench curation
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tests.bench.registry import Context, Row, benchmark, percentile, run_child

os.environ["TEXTUAL_FPS"] = "1000"  # before Textual is imported (see bench_tui)

OPEN_S = 2.0
KEY_P95_MS = 10.0
ARTICLES = int(os.environ.get("BENCH_CURATION_ARTICLES", "10000"))
RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "3"))
PRESSES = int(os.environ.get("BENCH_PRESSES", "60"))


def _files(ctx: Context) -> list[Path]:
    from tests.bench.bench_agree import ANNOTATORS, generate

    folder = ctx.scratch / "curation"
    paths = [folder / f"{name}.jsonl" for name in ANNOTATORS]
    if not all(p.exists() for p in paths):
        folder.mkdir(parents=True, exist_ok=True)
        handles = {name: path.open("wb") for name, path in zip(ANNOTATORS, paths, strict=True)}
        for record in generate(ARTICLES):
            handles[record.annotator or ""].write(orjson.dumps(record.to_dict()) + b"\n")
        for handle in handles.values():
            handle.close()
    return paths


@benchmark("curation")
def open_curation(ctx: Context) -> Iterator[Row]:
    """`relecture review` on three annotators' files of ARTICLES articles each (with tokens,
    ~20 spans): fresh process to the first key applied on the first article (median of RUNS)."""
    files = _files(ctx)
    keyed: list[float] = []
    shown: list[float] = []
    for run in range(RUNS):
        out = ctx.scratch / f"gold-{run}-{time.time_ns()}.jsonl"
        t0 = time.time()
        cli = ["review", *map(str, files), "-o", str(out), "--curator", "bench"]
        got: dict[str, Any] = run_child(
            "tests.bench.child_startup", "editable", "none", "--", *cli, timeout=300
        )
        keyed.append(got["key"] - t0)
        shown.append(got["shown"] - t0)
    size = sum(p.stat().st_size for p in files) / 1e6
    note = f"{ARTICLES:,} articles × 3 annotators, {size:.0f} MB; median of {RUNS}"
    yield Row("start → first article drawn", statistics.median(shown), "s", note=note)
    yield Row("start → first key applied", statistics.median(keyed), "s", OPEN_S)


def _versions(n_articles: int) -> list[Any]:
    """Three annotators on each long article: alice as generated, bruno relabels every 10th
    span, chloe grows every 7th by a token."""
    from dataclasses import replace

    from tests.bench.bench_tui import long_article

    labels = ["PER", "ORG", "LOC", "MISC"]
    records = []
    for a in range(n_articles):
        base = long_article(shift=97 * a)
        tokens = base.tokens or []
        spans = base.spans or []
        bruno = [
            replace(
                s, label=labels[(labels.index(s.label) + 1) % 4] if s.label in labels else "PER"
            )
            if i % 10 == 0
            else s
            for i, s in enumerate(spans)
        ]
        chloe = [
            replace(s, end=tokens[s.token_end + 1].end, token_end=s.token_end + 1)  # type: ignore[operator]
            if i % 7 == 0 and (s.token_end or 0) + 1 < len(tokens)
            else s
            for i, s in enumerate(spans)
        ]
        for name, mine in (("alice", spans), ("bruno", bruno), ("chloe", chloe)):
            records.append(
                replace(base, spans=list(mine), suggestions=None, annotator=name, answer="accept")
            )
    return records


async def _latencies(tmp: Path) -> dict[str, list[float]]:
    from annotations.curation.articles import CurationSource, group_versions
    from annotations.curation.session import CurationSession
    from annotations.labels import load_scheme
    from annotations.store.writer import JsonlWriter
    from tui.app import ChainOptions, RelectureApp

    versions = group_versions(_versions(PRESSES + 2))
    session = CurationSession(CurationSource(versions), load_scheme(), "bench")
    app = RelectureApp(session, JsonlWriter(tmp / "gold.jsonl"), ChainOptions(model=None))
    results: dict[str, list[float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        original = screen.refresh_view
        pending: list[tuple[asyncio.Future[float], float]] = []

        def refresh_view_then_mark() -> None:
            original()
            if pending:
                done, t0 = pending.pop()
                screen.call_after_refresh(
                    lambda: done.done() or done.set_result(time.perf_counter() - t0)
                )

        screen.refresh_view = refresh_view_then_mark  # type: ignore[method-assign]

        async def timed(name: str, key: str) -> None:
            done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            pending.append((done, time.perf_counter()))
            app.simulate_key(key)
            results.setdefault(name, []).append(1000 * await asyncio.wait_for(done, 5))

        for _ in range(PRESSES):
            await timed("move (→)", "right")
        for _ in range(PRESSES):
            await timed("next open disagreement (Tab)", "tab")
            await timed("cycle the versions (c)", "c")
            await pilot.press("u")
            await timed("accept a candidate (Enter)", "enter")
            await pilot.press("u")
            await timed("next article, seen before (n)", "n")
            await pilot.press("p")
        for _ in range(PRESSES):
            await timed("next article, first visit (n)", "n")
    return results


@benchmark("curation")
def curation_keys(ctx: Context) -> Iterator[Row]:
    """Key press to repainted curation screen: 20k characters, 3 annotators × 300 spans
    (~120 open disagreements), same technique as the review screen's `keys`."""
    results = asyncio.run(_latencies(ctx.scratch))
    for name, values in results.items():
        yield Row(f"key → repaint p50, {name}", percentile(values, 50), "ms")
        yield Row(f"key → repaint p95, {name}", percentile(values, 95), "ms", KEY_P95_MS)
