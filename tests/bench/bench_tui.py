"""The review screen: start to first article, key press to repainted screen on a long article,
opening a 200k-article file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.bench.registry import REPO, Context, Row, benchmark, percentile

# Textual reads its frame rate when imported: without this its 60 fps pacing (up to 16.7 ms)
# would be counted in every key press; we measure the app's own work
os.environ["TEXTUAL_FPS"] = "1000"

START_S = 0.5
KEY_P95_MS = 10.0
OPEN_S = 1.0
PRESSES = int(os.environ.get("BENCH_PRESSES", "60"))


def _first_article(source: Path, model: str) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TEXTUAL_FPS": "1000"}
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.bench.child_tui_start", str(source), model],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["visible"] - t0, result["articles"]


@benchmark("tui")
def start(ctx: Context) -> Iterator[Row]:
    """A fresh process (Python start included) to the first demo article on screen, model on."""
    from annotations.demo import demo_path

    runs = [_first_article(demo_path(), "fr_core_news_md")[0] for _ in range(5)]
    yield Row("start → first article visible (demo, median of 5)", sorted(runs)[2], "s", START_S)


@benchmark("tui")
def open_large(ctx: Context) -> Iterator[Row]:
    """A fresh process to the first article of the 200k-article corpus (no tokens in it)."""
    path, _info = ctx.corpus()
    seconds, n = _first_article(path, "none")
    yield Row(f"open {n:,}-article JSONL → first article visible", seconds, "s", OPEN_S)


def long_article(chars: int = 20_000, spans: int = 300, shift: int = 0):
    from annotations.demo import demo_path
    from annotations.formats import read
    from annotations.records import Record, Span
    from annotations.tokenize import tokenize

    base = "\n".join(item.record.text for item in read(demo_path()))
    text = (base * (chars // len(base) + 2))[shift : shift + chars]
    tokens = tokenize(text)
    words = [t for t in tokens if t.text.strip() and t.text[0].isalpha()]
    step = max(len(words) // spans, 2)
    labels = ["PER", "ORG", "LOC", "MISC", "MONEY", "PERCENT", "DATE"]
    suggestions = [
        Span(t.start, t.end, labels[i % len(labels)], t.id, t.id, source="model:bench", score=0.5)
        for i, t in enumerate(words[::step][:spans])
    ]
    return Record(text=text, tokens=tokens, suggestions=suggestions, spans=list(suggestions))


async def _latencies(tmp: Path) -> dict[str, list[float]]:
    from tests.tui_helpers import make_app

    # distinct articles, so that "next article" meets one it has never drawn
    records = [long_article(shift=97 * i) for i in range(PRESSES + 2)]
    app = make_app(tmp / "out.jsonl", records)
    results: dict[str, list[float]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()

        screen = app.screen
        original_refresh_view = screen.refresh_view
        pending: list[asyncio.Future[float]] = []

        def refresh_view_then_mark() -> None:
            # the screen's redraw after an action (saving posts one more, after the fsync): the
            # repaint that follows it is the one we time
            original_refresh_view()
            if pending:
                done, t0 = pending.pop(), starts.pop()
                screen.call_after_refresh(
                    lambda: done.done() or done.set_result(time.perf_counter() - t0)
                )

        starts: list[float] = []
        screen.refresh_view = refresh_view_then_mark  # type: ignore[method-assign]

        async def timed(name: str, key: str) -> None:
            done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            pending.append(done)
            starts.append(time.perf_counter())
            app.simulate_key(key)
            results.setdefault(name, []).append(1000 * await asyncio.wait_for(done, 5))

        async def untimed(*keys: str) -> None:
            await pilot.press(*keys)

        for _ in range(PRESSES):
            await timed("move (→)", "right")
        await untimed("tab")
        for _ in range(PRESSES):
            await timed("accept span (Enter)", "enter")
            await untimed("u")
            await timed("reject span (x)", "x")
            await untimed("u")
            await timed("relabel (2)", "2")
            await untimed("u")
            await timed("resize (})", "right_curly_bracket")
            await untimed("u")
            await timed("next article, seen before (n)", "n")
            await untimed("p")
        for _ in range(PRESSES):
            await timed("next article, first visit (n)", "n")
    return results


@benchmark("tui")
def keys(ctx: Context) -> Iterator[Row]:
    """Key press to repainted screen, 20k-character article with 300 spans, TEXTUAL_FPS=1000:
    from `app.simulate_key` to a `screen.call_after_refresh` callback scheduled when the key's
    action has redrawn (scheduled at once, it would run before the key is even handled)."""
    results = asyncio.run(_latencies(ctx.scratch))
    for name, values in results.items():
        yield Row(f"key → repaint p50, {name}", percentile(values, 50), "ms")
        yield Row(f"key → repaint p95, {name}", percentile(values, 95), "ms", KEY_P95_MS)


SUBMIT_P95_MS = 50.0
SUBMITS = int(os.environ.get("BENCH_SUBMITS", "20"))


async def _submit_latencies(tmp: Path) -> list[float]:
    from tests.tui_helpers import make_app

    records = [long_article(chars=101_000, spans=1_571, shift=97 * i) for i in range(SUBMITS + 2)]
    app = make_app(tmp / "out.jsonl", records)
    times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        original_refresh_view = screen.refresh_view
        waiting: list[tuple[int, float, asyncio.Future[float]]] = []

        def refresh_view_then_mark() -> None:
            original_refresh_view()
            # the first redraw that shows the next article (the save worker posts it once the
            # line is on disk); the repaint that follows it is the one we time
            if waiting and app.session.index == waiting[0][0]:
                _target, t0, done = waiting.pop()
                screen.call_after_refresh(
                    lambda: done.done() or done.set_result(time.perf_counter() - t0)
                )

        screen.refresh_view = refresh_view_then_mark  # type: ignore[method-assign]
        for _ in range(SUBMITS):
            done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            waiting.append((app.session.index + 1, time.perf_counter(), done))
            app.simulate_key("space")
            times.append(1000 * await asyncio.wait_for(done, 30))
            # the annotator reads the article before the next Space: let the draft, the
            # suggestions and the preparation of the article after it finish
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
    return times


@benchmark("tui")
def submit(ctx: Context) -> Iterator[Row]:
    """Space on a 101k-character article with 1,571 spans to the next such article drawn
    (saved durably, learned, drawn), TEXTUAL_FPS=1000, same technique as `keys`."""
    values = asyncio.run(_submit_latencies(ctx.scratch))
    yield Row(
        f"submit → next article p50 (101k chars, 1,571 spans, {len(values)} submits)",
        percentile(values, 50),
        "ms",
    )
    yield Row(
        "submit → next article p95 (101k chars, 1,571 spans)",
        percentile(values, 95),
        "ms",
        SUBMIT_P95_MS,
    )
