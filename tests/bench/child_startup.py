"""Child process for the startup benchmarks: runs the real command line (`relecture ARGS…`) with
the app headless at 120x40 and drives it from the first moment, printing what it saw as JSON.

    python -m tests.bench.child_startup editable WANT -- annotate SRC -o OUT --annotator bench
    python -m tests.bench.child_startup keys PRESSES -- demo -o OUT --annotator bench

`editable`: a `right` is sent every 20 ms from the moment the app runs until one has moved the
cursor (the first article opens with its cursor on token 0); the wall-clock times at which that
happened and at which the fast suggestions (`rules:`, `patterns:`, `memory`) and, when WANT says
`model`, the model's (`model:`) are in the article's state are printed.
`keys`: once the article can be read, `right`/`left` are pressed one after the other (20 ms
apart), each timed from `simulate_key` to the repaint after its redraw, tagged with
`app.model_state` at press time; then PRESSES more once the model is ready.

Only `app.session`, `app.model_state`, `app.screen.refresh_view` and the article view's record
are looked at, so the same child measures the app whatever its internals become.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("TEXTUAL_FPS", "1000")  # before Textual is imported (it reads it then)

FAST = ("rules:", "patterns:", "memory")
KEY_EVERY_S = 0.02
KEY_TIMEOUT_S = 2.0
WAIT_S = 90.0


def _record(app: Any) -> Any:
    """The record the article view shows (None before the first article is drawn)."""
    from tui.widgets.article.article_view import ArticleView

    try:
        views = app.screen.query(ArticleView)
    except Exception:  # no screen yet
        return None
    return views.first().record if views else None


def _state(app: Any) -> Any:
    """The session's state of the article on screen, or None while its tokens do not exist
    (reading it then would tokenise on the UI thread and change what is measured)."""
    record = _record(app)
    if record is None or record.tokens is None:
        return None
    return app.session.state


def _sources(state: Any) -> list[str]:
    return [s.source or "" for s in state.spans]


async def editable(app: Any, want: set[str]) -> dict[str, Any]:
    marks: dict[str, float | None] = {"running": time.time(), "shown": None, "key": None}
    if "fast" in want:  # (curation has no suggesters: WANT is "none")
        marks["fast"] = None
    if "model" in want:
        marks["model"] = None
    sent = 0

    async def send() -> None:
        nonlocal sent
        while marks["key"] is None:
            app.simulate_key("right")
            sent += 1
            await asyncio.sleep(KEY_EVERY_S)

    sender = asyncio.create_task(send())
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and any(v is None for v in marks.values()):
        if marks["shown"] is None and _record(app) is not None:
            marks["shown"] = time.time()
        state = _state(app)
        if state is not None:
            now = time.time()
            sources = _sources(state)
            if marks["key"] is None and state.cursor > 0:
                marks["key"] = now
            if marks.get("fast", 0) is None and any(s.startswith(FAST) for s in sources):
                marks["fast"] = now
            if marks.get("model", 0) is None and any(s.startswith("model:") for s in sources):
                marks["model"] = now
        await asyncio.sleep(0.002)
    sender.cancel()
    return {**marks, "keys_sent": sent, "model_state": app.model_state}


async def keys(app: Any, presses_after: int) -> dict[str, Any]:
    while _state(app) is None:
        await asyncio.sleep(0.001)
    screen = app.screen
    original = screen.refresh_view
    pending: list[tuple[asyncio.Future[float], float, int, int]] = []  # done, t0, cursor, way

    def check() -> None:
        if not pending:
            return
        done, t0, before, way = pending[0]
        state = _state(app)
        if state is not None and (state.cursor - before) * way > 0 and not done.done():
            screen.call_after_refresh(
                lambda: done.done() or done.set_result(time.perf_counter() - t0)
            )

    def refresh_view_then_mark(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        check()  # the key's redraw happened: the repaint that follows is the one timed
        return result

    screen.refresh_view = refresh_view_then_mark
    loop = asyncio.get_running_loop()
    way, run = 1, 0
    timings: list[dict[str, Any]] = []

    async def press() -> None:
        nonlocal way, run
        state = _state(app)
        n = len(app.session.record.tokens or ())
        if run >= 40 or (way > 0 and state.cursor >= n - 1) or (way < 0 and state.cursor <= 0):
            way, run = -way, 0
        run += 1
        loading = app.model_state == "loading"
        done: asyncio.Future[float] = loop.create_future()
        pending[:] = [(done, time.perf_counter(), state.cursor, way)]
        app.simulate_key("right" if way > 0 else "left")
        ms: float | None = None
        end = time.monotonic() + KEY_TIMEOUT_S
        while not done.done() and time.monotonic() < end:
            check()  # also when a redraw does not go through `refresh_view`
            await asyncio.wait([done], timeout=0.001)
        if done.done():
            ms = 1000 * done.result()
        pending.clear()
        timings.append({"loading": loading, "ms": ms, "at": time.time()})
        await asyncio.sleep(KEY_EVERY_S)

    deadline = time.monotonic() + WAIT_S
    while app.model_state == "loading" and time.monotonic() < deadline:
        await press()
    for _ in range(presses_after):
        await press()
    return {"running": time.time(), "presses": timings, "model_state": app.model_state}


def main(argv: list[str]) -> None:
    mode, arg = argv[0], argv[1]
    cli_args = argv[argv.index("--") + 1 :]
    from textual.app import App

    def run_headless(app: Any, *args: Any, **kwargs: Any) -> None:
        async def drive() -> None:
            async with app.run_test(size=(120, 40)):
                if mode == "editable":
                    result = await editable(app, set(arg.split(",")))
                else:
                    result = await keys(app, int(arg))
                print(json.dumps(result), flush=True)
                os._exit(0)  # neither wait for the model nor save: what is measured is done

        asyncio.run(drive())

    App.run = run_headless  # type: ignore[method-assign]
    from tui.cli import build

    build()(cli_args, prog_name="relecture")


if __name__ == "__main__":
    main(sys.argv[1:])
