"""Shared pieces for the Pilot tests: an app on the demo articles with a temporary output, and
the scripted annotator of the kill harness."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from textual import events
from textual.keys import _character_to_key

from annotations.demo import demo_path
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.records import Record
from annotations.review.session import ReviewSession
from annotations.review.state import output_spans
from annotations.store.writer import JsonlWriter
from tui.app import ChainOptions, RelectureApp


def demo_records() -> list[Record]:
    return [item.record for item in read(demo_path())]


def make_app(
    out: Path,
    records: list[Record] | None = None,
    model: str | None = None,
    annotator: str = "alice",
    keymap: Mapping[str, str] | None = None,
) -> RelectureApp:
    saved = {}
    if out.exists() and out.stat().st_size:
        saved = {
            i.record.key[1]: i.record for i in read(out, "jsonl") if i.record.annotator == annotator
        }
    session = ReviewSession(
        records if records is not None else demo_records(), load_scheme(), annotator, saved
    )
    return RelectureApp(session, JsonlWriter(out), ChainOptions(model=model), keymap=keymap)


# -- the kill harness's review driver (tests/test_kill_harness.py, run in tests.kill_server) ----
# Keys a scripted annotator presses, with their weights: mostly span work, a decision in four.
SCRIPT_KEYS = {
    "right": 6, "shift+right": 3, "tab": 4, "enter": 3, "x": 2, "1": 1, "4": 1, "7": 1,
    "]": 1, "}": 1, "A": 1, "space": 6, "r": 1, "i": 1, "n": 1, "p": 1, "u": 2, "ctrl+y": 1,
}  # fmt: skip


class KillLog:
    """What the review screen reported, appended to a side file and fsync'd at once, so that the
    harness can compare what the UI claimed with OUT after a SIGKILL. Entries: `handed` (a
    decision given out for saving: `line` is its JSON, exactly what the writer appends) and
    `saved` (the app confirmed that decision on disk: what the status line reports as saved)."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, **entry: Any) -> None:
        os.write(self._fd, orjson.dumps(entry) + b"\n")
        os.fsync(self._fd)


def watch_session(session: ReviewSession, log: KillLog, run: int) -> None:
    """Log every decision `session` hands out and every one it is told is saved."""
    numbers: dict[int, int] = {}
    decide, saved_ok = session.decide, session.saved_ok

    def logged_decide(answer: str) -> Record:
        record = decide(answer)
        numbers[id(record)] = n = len(numbers)
        log.write(kind="handed", run=run, n=n, line=record.to_json().decode())
        return record

    def logged_saved_ok(record: Record) -> None:
        saved_ok(record)
        log.write(kind="saved", run=run, n=numbers[id(record)])

    session.decide = logged_decide  # type: ignore[method-assign]
    session.saved_ok = logged_saved_ok  # type: ignore[method-assign]


def resume_problems(session: ReviewSession, out: Path, draft: bytes | None) -> list[str]:
    """What a reopened session gets wrong about OUT and the draft it was reopened on: every
    article shows this annotator's latest decision in OUT, and every draft entry that still
    applies (same article, same decision as in OUT) is back: its cursor and every span the
    annotator decided (pending suggestions may be renewed by the suggesters)."""
    latest: dict[str, dict[str, Any]] = {}
    if out.exists():
        for raw in out.read_bytes().splitlines():
            obj = orjson.loads(raw)
            if obj.get("_annotator_id") == session.annotator:
                latest[obj["text"]] = obj
    problems = []
    entries: list[Any] = []
    if draft is not None:
        drafts = orjson.loads(draft)
        entries = drafts.get("articles", [drafts]) if isinstance(drafts, dict) else []
    drafted = {e["index"] for e in entries}
    for i in range(len(session)):
        saved = latest.get(session.record_at(i).text)
        want = saved.get("answer") if saved else None
        state = session.state_at(i)
        if state.answer != want:
            problems.append(f"article {i}: answer {state.answer!r} on screen, {want!r} in OUT")
        elif saved is not None and i not in drafted:
            shown = [(s.start, s.end, s.label) for s in output_spans(session.record_at(i), state)]
            kept = [(s["start"], s["end"], s["label"]) for s in saved.get("spans") or ()]
            if shown != kept:
                problems.append(f"article {i}: spans on screen {shown} differ from OUT's {kept}")
    for entry in entries:
        i = entry["index"]
        want = latest.get(session.record_at(i).text, {}).get("answer")
        if entry.get("answer") != want:
            continue  # decided (otherwise) since the draft was written: the decision wins
        now = session.draft(i)
        decided = [row for row in entry["spans"] if row[3] != "pending"]
        if (now["cursor"], [r for r in now["spans"] if r[3] != "pending"]) != (
            entry["cursor"],
            decided,
        ):
            problems.append(f"article {i}: draft {entry} not restored, screen shows {now}")
    return problems


def key_event(key: str) -> events.Key:
    """The event of a key press, as Pilot makes it."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    return events.Key(key, " " if key == "space" else key if len(key) == 1 else None)


def scripted_run(spec: dict[str, Any]) -> None:
    """Make `RelectureApp.run` (what `relecture annotate` calls once it has opened OUT) run the
    screen under Pilot with seeded random keys, logging to `spec["log"]` (see `KillLog`): first
    a `ready` entry with the resume problems (see `resume_problems`), then the keys; it quits
    with `q` after `spec["keys"]` keys, unless it is killed first."""
    import asyncio
    import random

    def run(app: RelectureApp, *args: Any, **kwargs: Any) -> None:
        asyncio.run(drive(app))

    async def drive(app: RelectureApp) -> None:
        out = app.writer.path
        draft = app.draft_path.read_bytes() if app.draft_path.exists() else None
        log = KillLog(spec["log"])
        watch_session(app.session, log, spec["run"])
        rng = random.Random(spec["seed"])
        keys, weights = list(SCRIPT_KEYS), list(SCRIPT_KEYS.values())
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            log.write(
                kind="ready", run=spec["run"], problems=resume_problems(app.session, out, draft)
            )
            for _ in range(spec["keys"]):  # a fast typist: Pilot's press waits for idle
                app.post_message(key_event(rng.choices(keys, weights)[0]))
                await asyncio.sleep(rng.uniform(0, 0.02))
            await pilot.press("q")
            await app.workers.wait_for_complete()

    RelectureApp.run = run  # type: ignore[method-assign,assignment]


def kill_when_ready(script: str, *args: str) -> None:
    """Run `python -c script args...` from the repository, and SIGKILL it once it prints READY."""
    import os
    import signal
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=repo, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "READY"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
