"""Kill -9 at random points: `annotate`, `suggest` and `export` are SIGKILLed at seeded random
delays, and after each kill nothing that was reported saved is lost, the output validates, nothing
is there twice or injected, a torn last line is set aside with a warning (never dropped silently),
a rerun resumes or redoes the same work, and an earlier export is intact.

The commands run in children forked from `tests.kill_server` (imports and the tokenizer paid once),
on small inputs. `RELECTURE_KILL_POINTS=200` kills more often (20 per command by default);
`RELECTURE_KILL_SEED=N` replays a seed (each failure names its seed; the kill delays are replayed,
the timing of the machine is not).
"""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from annotations.cli.validate import jsonl_problems
from annotations.demo import demo_path
from annotations.labels import load_scheme

REPO = Path(__file__).resolve().parents[1]
POINTS = int(os.environ.get("RELECTURE_KILL_POINTS", "20"))
SEED = int(os.environ.get("RELECTURE_KILL_SEED") or random.SystemRandom().randrange(1 << 32))
REPLAY = f"RELECTURE_KILL_SEED={SEED}"


@dataclass
class Outcome:
    code: int | None  # the exit code when the command ended on its own
    killed: bool
    stdout: str
    stderr: str


class Server:
    """The test's side of `tests.kill_server`: run one command in a fresh child, SIGKILL it after
    `kill_after` seconds (unless it ended before)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.kill_server"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._read() == {"ready": True}

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the kill server died (its traceback is in the test's stderr)"
        return orjson.loads(line)

    def _send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def run(
        self,
        *argv: str | Path,
        kill_after: float | None = None,
        drive: dict[str, Any] | None = None,
        batch: int | None = None,
        counting_from: Callable[[], bool] | None = None,
    ) -> Outcome:
        """`kill_after` counts from the fork, or from when `counting_from()` turns true."""
        out, err = self.folder / "child.out", self.folder / "child.err"
        request = {"argv": [str(a) for a in argv], "stdout": str(out), "stderr": str(err)}
        self._send(orjson.dumps({**request, "drive": drive, "batch": batch}))
        pid = self._read()["pid"]
        if kill_after is not None:
            until = time.monotonic() + 30
            while counting_from is not None and not counting_from() and time.monotonic() < until:
                time.sleep(0.005)
            time.sleep(kill_after)
            os.kill(pid, signal.SIGKILL)  # a child that has ended is a zombie until reaped: no-op
        self._send(b"reap")
        status = self._read()
        return Outcome(
            status["code"],
            status["signal"] == signal.SIGKILL,
            out.read_text("utf-8", "replace"),
            err.read_text("utf-8", "replace"),
        )

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("kill-server"))
    yield srv
    srv.close()


def rng_for(name: str) -> random.Random:
    print(f"kill harness: seed {SEED} ({REPLAY} to replay), {POINTS} points")
    return random.Random(f"{SEED}:{name}")


# -- inputs: short articles, so that a run takes a fraction of a second ---------------------------
def paragraphs() -> list[str]:
    out = []
    for raw in demo_path().read_bytes().splitlines():
        out += [p for p in orjson.loads(raw)["text"].split("\n") if len(p) > 80]
    return out


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


# -- what every kill is checked for ---------------------------------------------------------------
SCHEME = load_scheme()


def torn_tail(data: bytes) -> bytes:
    """The bytes after the last newline (a line cut off by the kill), b"" if none."""
    return data[data.rfind(b"\n") + 1 :]


def sidecars(out: Path) -> set[Path]:
    return set(out.parent.glob(out.name + ".torn-*"))


def after_open(
    before: bytes, out: Path, seen: set[Path], outcome: Outcome, went_on: bool, where: str
) -> bytes:
    """What OUT held once the run opened it: `before`, less a torn last line, which must have
    been copied whole to a new sidecar file before it left OUT, with a warning (on stderr,
    before the run `went_on` to its work). Returns that. A run killed while it set the line
    aside may leave it in OUT (and a sidecar, whole or not): the next run sets it aside again."""
    tail = torn_tail(before)
    new = sidecars(out) - seen
    seen |= new
    if not tail:
        assert not new, f"{where}: a torn-line sidecar appeared for a file that had none"
        return before
    data = out.read_bytes()
    if data == before:  # not recovered yet: killed before or while it was set aside
        return before
    kept = [p for p in new if p.read_bytes() == tail]
    assert kept, f"{where}: the torn last line left OUT and no sidecar has it whole: {new}"
    if went_on or outcome.code is not None:
        assert "last line was cut off" in outcome.stderr, f"{where}: no warning: {outcome.stderr}"
    return before[: len(before) - len(tail)]


def check_validates(out: Path, where: str) -> None:
    """OUT is valid records, but for a last line torn by the kill (one problem, on that line).
    An empty OUT (killed before the first decision) is no dataset yet, and reopens as such."""
    data = out.read_bytes()
    if not data:
        return
    found = list(jsonl_problems(out, SCHEME, True))
    if torn_tail(data):
        lines = data.count(b"\n") + 1
        assert len(found) == 1 and f":{lines}:" in found[0], f"{where}: {found}"
    else:
        assert found == [], f"{where}: {found}"


def tear(out: Path, rng: random.Random) -> None:
    """Simulate a crash in the middle of a write: half of a line appended to OUT."""
    lines = out.read_bytes().splitlines(keepends=True)
    line = lines[rng.randrange(len(lines))]
    with open(out, "ab") as fh:
        fh.write(line[: rng.randrange(1, len(line) - 2)])


# -- annotate ------------------------------------------------------------------------------------
# seconds: most kills land while keys are pressed (from the session's `ready`); one in four while
# the run starts (from the fork: reading OUT, recovering a torn line, restoring the draft)
TYPING_WINDOW, OPENING_WINDOW = 0.5, 1.0


def log_entries(log: Path, run: int) -> list[dict[str, Any]]:
    """The kill log's entries for one run (a last entry cut off by the kill is no entry)."""
    out = []
    for raw in log.read_bytes().splitlines(keepends=True):
        if raw.endswith(b"\n"):
            entry = orjson.loads(raw)
            if entry["run"] == run:
                out.append(entry)
    return out


def check_decisions(base: bytes, out: Path, entries: list[dict[str, Any]], where: str) -> None:
    """OUT is what it held when the run opened it, then the run's decisions in the order they
    were made, up to at least the last one reported saved; nothing else (OUT is append-only and
    the latest line wins: a re-decision is a later line, never a rewrite). The decision being
    written when the kill came may be there as a torn last line."""
    data = out.read_bytes()
    assert data.startswith(base), f"{where}: what OUT held before the run was changed"
    handed = [e["line"].encode() + b"\n" for e in entries if e["kind"] == "handed"]
    assert [e["n"] for e in entries if e["kind"] == "handed"] == list(range(len(handed))), where
    saved = [e["n"] for e in entries if e["kind"] == "saved"]
    new, pos, k = data[len(base) :], 0, 0
    while k < len(handed) and new.startswith(handed[k], pos):
        pos, k = pos + len(handed[k]), k + 1
    tail = new[pos:]
    assert not tail or (k < len(handed) and handed[k].startswith(tail)), (
        f"{where}: OUT has {len(tail)} bytes after the run's first {k} decisions that are "
        f"none of the decisions it made: {tail[:200]!r}"
    )
    assert k > max(saved, default=-1), (
        f"{where}: decision {max(saved)} was reported saved, OUT has only the first {k} "
        f"({len(handed)} made, {len(saved)} reported saved)"
    )


def test_annotate_killed_at_random_points(server: Server, tmp_path: Path) -> None:
    rng = rng_for("annotate")
    source = write_jsonl(tmp_path / "src.jsonl", [{"text": t} for t in paragraphs()[:8]])
    out, log = tmp_path / "out.jsonl", tmp_path / "kill-log.jsonl"
    argv = ("annotate", source, "-o", out, "--annotator", "alice", "--model", "none")
    before, seen = b"", set[Path]()
    torn_at = rng.randrange(POINTS)
    for run in range(POINTS + 1):
        last = run == POINTS  # a last run without a kill: it reopens, checks, quits
        opening = rng.random() < 0.25
        delay = None if last else rng.uniform(0, OPENING_WINDOW if opening else TYPING_WINDOW)
        when = "the fork" if opening else "ready"
        where = f"{REPLAY}, annotate run {run}, killed {delay}s after {when}"
        # one run in three quits (q) after a few keys: the kill may come while it quits
        keys = 0 if last else rng.randint(2, 30) if rng.random() < 1 / 3 else 400
        drive = {"log": str(log), "seed": rng.randrange(1 << 32), "keys": keys}

        def is_ready(run: int = run) -> bool:
            return log.exists() and any(e["kind"] == "ready" for e in log_entries(log, run))

        outcome = server.run(
            *argv,
            kill_after=delay,
            drive={**drive, "run": run},
            counting_from=None if opening else is_ready,
        )
        entries = log_entries(log, run)
        ready = [e for e in entries if e["kind"] == "ready"]
        assert ready or outcome.killed, f"{where}: never ready: {outcome.stderr[-3000:]}"
        if not outcome.killed:
            assert outcome.code == 0 and "saved in" in outcome.stderr, f"{where}: {outcome}"
        if ready:  # reopened on what the previous kill left: every decision and the draft back
            assert ready[0]["problems"] == [], f"{where}: {ready[0]['problems']}"
        if not out.exists():  # killed before it opened OUT
            assert not [e for e in entries if e["kind"] == "handed"], where
            continue
        base = after_open(before, out, seen, outcome, bool(ready), where)
        check_decisions(base, out, entries, where)
        check_validates(out, where)
        if run == torn_at and not torn_tail(out.read_bytes()) and out.stat().st_size:
            tear(out, rng)
        before = out.read_bytes()
    assert not outcome.killed, "the last run was not left to finish"


# -- suggest -------------------------------------------------------------------------------------
SUGGEST_BATCH = 6  # articles per write, so that the small input below is written in 8 batches


def suggest_source(folder: Path) -> Path:
    """48 one-sentence articles."""
    sentences = [s for p in paragraphs() for s in p.split(". ") if 40 < len(s) < 160]
    return write_jsonl(folder / "articles.jsonl", [{"text": s} for s in sentences[:48]])


@pytest.fixture(scope="module")
def suggested(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, bytes, float]:
    """The source, what an uninterrupted `suggest` writes (the same twice), and how long that
    takes."""
    folder = tmp_path_factory.mktemp("suggested")
    source = suggest_source(folder)
    outputs, took = [], []
    for name in ("first.jsonl", "second.jsonl"):
        start = time.monotonic()
        outcome = server.run(
            "suggest", source, "-o", folder / name, "--model", "none", batch=SUGGEST_BATCH
        )
        took.append(time.monotonic() - start)
        assert outcome.code == 0, outcome.stderr
        outputs.append((folder / name).read_bytes())
    assert outputs[0] == outputs[1], "suggest writes different outputs from the same input"
    return source, outputs[0], min(took)


def test_suggest_killed_at_random_points(
    server: Server, suggested: tuple[Path, bytes, float], tmp_path: Path
) -> None:
    """Kills come in chains of one to four on the same OUT, each rerun resuming where the last
    one was killed; a chain ends with a run left to finish, which must have written exactly
    what an uninterrupted run writes."""
    rng = rng_for("suggest")
    source, reference, took = suggested
    out = tmp_path / "out.jsonl"
    argv = ("suggest", source, "-o", out, "--model", "none")
    before, seen, left = b"", set[Path](), 0
    torn_at = rng.randrange(POINTS)
    for point in range(POINTS):
        delay = rng.uniform(0, took * 1.1)
        where = f"{REPLAY}, suggest point {point}, killed after {delay:.3f}s"
        outcome = server.run(*argv, kill_after=delay, batch=SUGGEST_BATCH)
        if out.exists():
            base = after_open(
                before, out, seen, outcome, len(out.read_bytes()) > len(before), where
            )
            data = out.read_bytes()
            assert data.startswith(base), f"{where}: what OUT held before the run was changed"
            complete = data[: len(data) - len(torn_tail(data))]
            assert reference.startswith(complete), (
                f"{where}: OUT is not the start of what an uninterrupted run writes"
            )
            check_validates(out, where)
            if point == torn_at and complete:
                tear(out, rng)
        before = out.read_bytes() if out.exists() else b""
        left = left - 1 if left else rng.randint(1, 4)
        if left == 0 or point == POINTS - 1:
            where = f"{REPLAY}, suggest rerun after point {point}"
            finished = server.run(*argv, batch=SUGGEST_BATCH)
            assert finished.code == 0, f"{where}: {finished.stderr[-3000:]}"
            after_open(before, out, seen, finished, True, where)
            assert out.read_bytes() == reference, f"{where}: the resumed run differs"
            out.unlink()
            before = b""


# -- export --------------------------------------------------------------------------------------
# EXPECTATION (issue 12, item 5, helper `alias`): the next run of a command recognises and removes
# the temporary folders a killed export left beside its target. Until that work (its module
# `annotations.store.scratch`) has landed, leftovers are only listed and the test is marked xfail
# when there are some; from then on they fail it.
LEFTOVERS_REMOVED_BY_RERUN = importlib.util.find_spec("annotations.store.scratch") is not None


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (path relative to it -> bytes); {} when it does not exist."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def annotated(
    suggested: tuple[Path, bytes, float], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An annotator's file: the suggested articles, most accepted, a few rejected or ignored."""
    answers = ["accept"] * 5 + ["reject", "ignore"]
    records = [
        {**orjson.loads(raw), "answer": answers[i % 7], "_annotator_id": "alice"}
        for i, raw in enumerate(suggested[1].splitlines())
    ]
    return write_jsonl(tmp_path_factory.mktemp("annotated") / "alice.jsonl", records)


@pytest.mark.parametrize("fmt", ["jsonl", "hf"])
def test_export_killed_at_random_points(
    server: Server, annotated: Path, fmt: str, tmp_path: Path
) -> None:
    """A new export with --force over an earlier one, killed: the target is the earlier export,
    byte for byte, or the new one complete; never half of one, never missing. A rerun succeeds
    and writes what an uninterrupted run writes."""
    rng = rng_for(f"export-{fmt}")
    work, old_copy = tmp_path / "work", tmp_path / "old"
    target = work / "dataset"  # always this path: the dataset card names its folder

    def export(*more: str, kill_after: float | None = None) -> Outcome:
        args: tuple[str | Path, ...] = ("export", annotated, "-o", target, "--format", fmt, *more)
        return server.run(*args, kill_after=kill_after)

    took = []
    for force in ((), ("--force",)):
        start = time.monotonic()
        outcome = export(*force)
        took.append(time.monotonic() - start)
        assert outcome.code == 0, outcome.stderr
        if not force:
            reference = tree(target)
    assert tree(target) == reference, "two exports of the same input differ"
    assert export("--force", "--seed", "1").code == 0
    old = tree(target)
    assert old != reference, "the earlier export must differ from the new one"
    shutil.copytree(target, old_copy)
    leftovers: set[str] = set()
    for point in range(max(POINTS // 2, 1)):
        if tree(target) != old:
            shutil.rmtree(target)
            shutil.copytree(old_copy, target)
        delay = rng.uniform(0, min(took) * 1.1)
        where = f"{REPLAY}, export {fmt} point {point}, killed after {delay:.3f}s"
        outcome = export("--force", kill_after=delay)
        now = tree(target)
        assert now in (old, reference), (
            f"{where}: the target is neither the earlier export nor the new one: "
            f"{sorted(now)} (code {outcome.code}, {outcome.stderr[-2000:]})"
        )
        rerun = export("--force")
        assert rerun.code == 0, f"{where}: the rerun failed: {rerun.stderr[-3000:]}"
        assert tree(target) == reference, f"{where}: the rerun wrote another dataset"
        left = {p.name for p in work.iterdir() if p != target}
        if LEFTOVERS_REMOVED_BY_RERUN:
            assert not left, f"{where}: left beside the target after the rerun: {sorted(left)}"
        leftovers |= left
    if leftovers:
        pytest.xfail(
            f"killed exports left {sorted(leftovers)} beside the target, which the rerun kept "
            "(expected once issue 12 item 5, helper alias, has landed: annotations.store.scratch)"
        )
