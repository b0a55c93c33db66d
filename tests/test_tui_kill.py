"""Kill -9 during a review session: reopening restores every submitted article and the draft."""

from __future__ import annotations

import textwrap
from pathlib import Path

import orjson

from annotations.review.state import Status
from tests.tui_helpers import kill_when_ready, make_app

REPO = Path(__file__).resolve().parents[1]

SESSION = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from tests.tui_helpers import kill_when_ready, make_app

    async def main():
        app = make_app(Path(sys.argv[1]))
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            for _ in range(2):
                await pilot.press("space")          # submit two articles
                await app.workers.wait_for_complete()
                await pilot.pause()
            await pilot.press("tab", "tab", "x")    # then reject a span on the third...
            await pilot.press("right", "shift+right", "7")  # ...and create a DATE span
            draft = Path(sys.argv[1] + ".draft.json")
            for _ in range(200):                    # the autosave runs every 0.5 s
                await pilot.pause(0.1)
                await app.workers.wait_for_complete()
                if draft.exists() and b'"DATE"' in draft.read_bytes():
                    break
            print("READY", flush=True)
            await asyncio.sleep(60)                 # killed here, mid-session

    asyncio.run(main())
    """
)


def test_sigkill_then_reopen_restores_submissions_and_draft(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    kill_when_ready(SESSION, str(out))
    saved = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [r["answer"] for r in saved] == ["accept", "accept"]
    draft = orjson.loads(out.with_name(out.name + ".draft.json").read_bytes())
    assert draft["index"] == 2

    import asyncio

    async def reopen() -> None:
        app = make_app(out)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            session = app.session
            assert session.index == 2
            assert [session.state_at(i).answer for i in (0, 1)] == ["accept", "accept"]
            statuses = [s.status for s in session.state.spans]
            assert Status.REJECTED in statuses and any(
                s.label == "DATE" and s.status is Status.NEW for s in session.state.spans
            )

    asyncio.run(reopen())
