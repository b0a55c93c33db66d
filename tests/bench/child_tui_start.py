"""Child process for the review-screen start benchmarks: opens SOURCE in the review app (headless,
120x40) and prints, as JSON, the wall-clock time at which the first article was on screen."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path


async def main(source: Path, model: str) -> None:
    from annotations.labels import load_scheme
    from annotations.review.session import ReviewSession
    from annotations.store.writer import JsonlWriter
    from tui.app import ChainOptions, RelectureApp
    from tui.cli import open_source
    from tui.widgets.article.article_view import ArticleView

    out = Path(tempfile.mkdtemp()) / "out.jsonl"
    session = ReviewSession(open_source(source, None), load_scheme(), "bench")
    app = RelectureApp(
        session, JsonlWriter(out), ChainOptions(model=None if model == "none" else model)
    )
    shown = asyncio.get_running_loop().create_future()
    async with app.run_test(size=(120, 40)):
        while True:
            views = app.screen.query(ArticleView)
            if views and views.first().record is not None:
                app.screen.call_after_refresh(lambda: shown.done() or shown.set_result(time.time()))
                break
            await asyncio.sleep(0.001)
        visible = await shown
        print(json.dumps({"visible": visible, "articles": len(session)}), flush=True)
        os._exit(0)  # do not wait for the model: the point is what happens before it


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
