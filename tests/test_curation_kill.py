"""Kill -9 during curation: reopening GOLD restores every submitted gold article and the
article in progress (its choices among the alternatives)."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import orjson

from annotations.review.state import Status
from tests.test_tui_curation import curation_app, three_annotators
from tests.tui_helpers import kill_when_ready

REPO = Path(__file__).resolve().parents[1]

SESSION = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from tests.test_tui_curation import curation_app

    async def main():
        out = Path(sys.argv[1])
        app = curation_app([Path(p) for p in sys.argv[2:]], out)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.press("r")               # the first article: rejected (saved)
            await app.workers.wait_for_complete()
            await pilot.press("A")               # the second: the majority taken...
            await pilot.press("tab", "c")        # ...and one alternative chosen: not submitted
            draft = Path(str(out) + ".draft.json")
            for _ in range(200):                 # the autosave runs every 0.5 s
                await pilot.pause(0.1)
                await app.workers.wait_for_complete()
                if draft.exists() and b'"index":1' in draft.read_bytes().replace(b" ", b""):
                    break
            print("READY", flush=True)
            await asyncio.sleep(60)              # killed here

    asyncio.run(main())
    """
)


def test_sigkill_during_curation_then_reopen(tmp_path: Path) -> None:
    out = tmp_path / "gold.jsonl"
    files = three_annotators(tmp_path)  # with tokens: no tokenizer to load in the child
    kill_when_ready(SESSION, str(out), *map(str, files))
    (saved,) = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert saved["answer"] == "reject" and saved["_annotator_id"] == "lead"

    async def reopen() -> None:
        app = curation_app(files, out)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            session = app.session
            assert session.index == 1 and session.state_at(0).answer == "reject"
            statuses = [s.status for s in session.state.spans]
            assert statuses.count(Status.ACCEPTED) > statuses.count(Status.PENDING)
            assert Status.REJECTED in statuses  # the alternatives turned down came back too

    asyncio.run(reopen())
