"""`relecture suggest` in parts: one process, two worker processes and a two-worker Dask
`LocalCluster` write the same file, byte for byte, as the one-process chain over every record
(what `suggest` did before it ran in parts); a run interrupted on the cluster resumes to the same
file; a Dask worker SIGKILLed while it suggests a part is replaced and the part run again, nothing
lost or doubled; bad input in a later part, an unreachable scheduler or a missing Dask extra are
one line. And what makes worker processes safe: a forked child does not hold OUT's lock, pool
workers leave with their parent, an `InputError` crosses processes.

`--model none` (the rules, patterns and memory: the same parts machinery); one test with the
model, on a few short articles. One cluster for the module (it takes a few seconds to start).
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from annotations.cli.app import build_app
from annotations.demo import demo_path
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.store.writer import FileLocked, JsonlWriter
from annotations.suggest import run as suggest_run
from annotations.suggest.factory import build_chain
from annotations.tokenize import french_tokenizer

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the cluster tests skip
    WorkerPlugin = object  # type: ignore[assignment,misc]

REPO = Path(__file__).resolve().parents[1]


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def sentences() -> list[str]:
    out = []
    for raw in demo_path().read_bytes().splitlines():
        for paragraph in orjson.loads(raw)["text"].split("\n"):
            out += [s.strip() + "." for s in paragraph.split(". ") if 40 < len(s) < 200]
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """47 short articles in JSONL, with what a reader must get right across parts: a BOM, blank
    lines, an article repeated, a Prodigy `_input_hash`, meta."""
    found = sentences()
    articles: list[dict[str, Any]] = [
        {"text": f"{a} {b}", "meta": {"n": i}} for i, (a, b) in enumerate(itertools.pairwise(found))
    ][:46]
    articles.insert(20, dict(articles[3]))  # the same article again: suggested again, as before
    articles[30]["_input_hash"] = 12345
    lines = [orjson.dumps(a) for a in articles]
    lines.insert(10, b"")
    lines.insert(25, b"   ")
    path = tmp_path_factory.mktemp("source") / "articles.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def unique(source: Path) -> tuple[Path, bytes]:
    """The source without its repeated article, and what one process writes for it. (A run
    resumed after the first copy was written skips the second one, as `suggest` always did:
    the article is in OUT.)"""
    lines = source.read_bytes().splitlines(keepends=True)
    path = source.with_name("unique.jsonl")
    again = lines.index(lines[3], 4)
    path.write_bytes(b"".join(lines[:again] + lines[again + 1 :]))
    return path, one_process_chain(path)


def one_process_chain(source: Path, model: str | None = None) -> bytes:
    """What `suggest` wrote before it ran in parts: the chain's stream over every record."""
    chain, _ = build_chain(model, scheme=load_scheme())
    records = [item.record for item in read(source)]
    return b"".join(r.to_json() + b"\n" for batch in chain.stream(iter(records)) for r in batch)


@pytest.fixture(scope="module")
def expected(source: Path) -> bytes:
    return one_process_chain(source)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Two worker processes, forked from this one: a spawned worker spends 5 to 15 s importing
    spaCy's French tokenizer (regular expressions compiled at import) before its first part."""
    distributed = pytest.importorskip("distributed")
    import dask

    french_tokenizer()
    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "fork"}),
        distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as local,
    ):
        yield local.scheduler_address


def suggest(source: Path, out: Path, *extra: object) -> str:
    code, err = run("suggest", source, "-o", out, "--model", "none", *extra)
    assert code == 0, err
    return err


def test_one_process_two_processes_and_a_cluster_write_the_same_file(
    source: Path, expected: bytes, cluster: str, tmp_path: Path
) -> None:
    suggest(source, tmp_path / "one.jsonl", "--processes", "1")
    err = suggest(source, tmp_path / "two.jsonl", "--processes", "2")
    assert "suggested 47 articles" in err
    suggest(source, tmp_path / "dask.jsonl", "--scheduler", cluster)
    assert len(expected.splitlines()) == 47
    for name in ("one", "two", "dask"):
        assert (tmp_path / f"{name}.jsonl").read_bytes() == expected, name


def test_other_formats_go_in_batches_of_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of .txt articles: read by the command (its reader tokenises them), suggested in
    batches by the workers, the same file as the reader's records through one chain."""
    folder = tmp_path / "txt"
    folder.mkdir()
    for i, text in enumerate(sentences()[:10]):
        (folder / f"{i:02d}.txt").write_text(f"Titre {i}\n{text}\n", "utf-8")
    monkeypatch.setattr(suggest_run, "BATCH", 3)
    suggest(folder, tmp_path / "out.jsonl", "--processes", "2")
    assert (tmp_path / "out.jsonl").read_bytes() == one_process_chain(folder)


def test_bad_line_in_a_later_part_is_one_line_and_out_is_untouched(
    source: Path, tmp_path: Path
) -> None:
    lines = source.read_bytes().splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(lines[:40]) + b'{"text": 3}\n' + b"".join(lines[40:]))
    out = tmp_path / "out.jsonl"
    suggest(source, out, "--processes", "2")
    before = out.read_bytes()
    code, err = run("suggest", bad, "-o", out, "--model", "none", "--processes", "2")
    assert code == 1
    assert err.splitlines() == [err.strip()] and err.startswith(f"error: {bad}:41: "), err
    assert out.read_bytes() == before


def test_resume_after_an_interrupted_cluster_run(
    unique: tuple[Path, bytes], cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped after two parts were written (Ctrl+C), the rerun skips what OUT holds and
    writes the rest: the file an uninterrupted run writes."""
    source, expected = unique
    out = tmp_path / "out.jsonl"
    append = JsonlWriter.append_lines
    calls = []

    def append_then_stop(self: JsonlWriter, data: bytes) -> int:
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(data)
        return append(self, data)

    monkeypatch.setattr(JsonlWriter, "append_lines", append_then_stop)
    code, err = run("suggest", source, "-o", out, "--model", "none", "--scheduler", cluster)
    assert code == 130, err
    monkeypatch.undo()
    written = out.read_bytes()
    assert written == b"".join(calls) and 0 < len(written) < len(expected)
    assert expected.startswith(written)
    err = suggest(source, out, "--scheduler", cluster)
    assert f"resuming: {len(written.splitlines())} articles already in {out}" in err
    assert out.read_bytes() == expected


KILL: dict[str, Any] = {}  # marker, line: set in the process whose workers are to die
UNPATCHED = suggest_run.suggest_work


def kill_once_then_suggest(work: suggest_run.Work) -> tuple[int, bytes]:
    """`suggest_work`, but the first worker to suggest a part from line KILL["line"] on
    SIGKILLs itself in it, once (the marker file says it happened), as a machine lost mid-part."""
    part = work.piece.part if work.piece is not None else None
    if KILL and part is not None and part.first_line >= KILL["line"]:
        marker = Path(KILL["marker"])
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(0.2)  # mid-part
            os.kill(os.getpid(), signal.SIGKILL)
    return UNPATCHED(work)


class KillOnce(WorkerPlugin):
    """On every Dask worker (those that replace a dead one too): `kill_once_then_suggest`."""

    name = "kill-once"

    def __init__(self, marker: str, line: int) -> None:
        self.marker, self.line = marker, line

    def setup(self, worker: Any) -> None:
        KILL.update(marker=self.marker, line=self.line)
        suggest_run.suggest_work = kill_once_then_suggest  # type: ignore[assignment]

    def teardown(self, worker: Any) -> None:
        KILL.clear()
        suggest_run.suggest_work = UNPATCHED  # type: ignore[assignment]


def test_a_worker_process_killed_mid_part_is_one_line_and_the_rerun_completes(
    unique: tuple[Path, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On this machine a dead worker ends the run (there is no one to give its part to): one
    line, OUT holds the parts before it, whole, and the rerun writes the rest."""
    source, expected = unique
    out = tmp_path / "out.jsonl"
    monkeypatch.setitem(KILL, "marker", str(tmp_path / "killed"))
    monkeypatch.setitem(KILL, "line", 20)
    monkeypatch.setattr(suggest_run, "suggest_work", kill_once_then_suggest)
    code, err = run("suggest", source, "-o", out, "--model", "none", "--processes", "2")
    assert (tmp_path / "killed").exists()
    last = err.splitlines()[-1]  # after the bar as it stood
    assert code == 1 and last.startswith("error: a worker process died"), err
    assert last.endswith(f"{out} keeps what was written: run again to resume"), err
    assert out.read_bytes() and expected.startswith(out.read_bytes())
    monkeypatch.undo()
    suggest(source, out, "--processes", "2")
    assert out.read_bytes() == expected


def test_a_worker_killed_mid_part_is_replaced_and_nothing_is_lost_or_doubled(
    source: Path, expected: bytes, cluster: str, tmp_path: Path
) -> None:
    from distributed import Client

    marker = tmp_path / "killed"
    with Client(cluster, set_as_default=False) as client:
        client.register_plugin(KillOnce(str(marker), line=20))
        try:
            suggest(source, tmp_path / "out.jsonl", "--scheduler", cluster)
        finally:
            client.unregister_worker_plugin(KillOnce.name)
    assert marker.exists(), "no worker was killed"
    assert (tmp_path / "out.jsonl").read_bytes() == expected


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_an_unreachable_scheduler_is_one_line(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    from annotations.stream import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 0.5)
    out = tmp_path / "out.jsonl"
    address = f"tcp://127.0.0.1:{free_port()}"
    code, err = run("suggest", source, "-o", out, "--model", "none", "--scheduler", address)
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith(f"error: cannot reach the Dask scheduler at {address} "), err
    code, err = run("suggest", source, "-o", out, "--scheduler", "http://example")
    assert code == 1 and err.count("\n") == 1, err
    assert "not a scheduler address (tcp://HOST:PORT)" in err
    assert not out.exists()


def test_scheduler_without_dask_says_what_to_install(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed: ImportError
    code, err = run(
        "suggest", source, "-o", tmp_path / "o.jsonl", "--scheduler", "tcp://127.0.0.1:8786"
    )
    assert code == 1
    assert (
        err
        == "error: --scheduler needs Dask, which is not installed: pip install 'relecture[dask]'\n"
    )


def test_the_model_in_two_processes_writes_what_one_writes(tmp_path: Path) -> None:
    """fr_core_news_md, loaded once before the workers fork and shared with them: the parts
    two processes suggest are what one process suggests (the second run reuses the loaded
    chain: one model load for the test)."""
    src = tmp_path / "src.jsonl"
    src.write_bytes(b"".join(orjson.dumps({"text": s}) + b"\n" for s in sentences()[:12]))
    for n in (1, 2):
        code, err = run("suggest", src, "-o", tmp_path / f"{n}.jsonl", "--processes", n)
        assert code == 0, err
    written = (tmp_path / "2.jsonl").read_bytes()
    assert written == (tmp_path / "1.jsonl").read_bytes()
    assert b'"source":"model:fr_core_news_md"' in written


def test_a_forked_child_does_not_hold_the_writers_lock(tmp_path: Path) -> None:
    """A worker forked while OUT is open used to keep its lock: a rerun after the command was
    SIGKILLed was refused while the orphan lived."""
    out = tmp_path / "out.jsonl"
    writer = JsonlWriter(out)
    ready, tell = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: past fork() (its at-fork handlers have run), alive a moment
        os.write(tell, b"x")
        time.sleep(0.5)
        os._exit(0)
    try:
        os.read(ready, 1)
        writer.close()
        try:
            JsonlWriter(out).close()
        except FileLocked:
            pytest.fail("the forked child holds OUT's lock")
    finally:
        os.waitpid(pid, 0)
        os.close(ready)
        os.close(tell)


CHILD = """
import os, sys, time
from annotations.stream.runner import Processes
def pid(_):
    time.sleep(0.05)
    return os.getpid()
pool = Processes(2)
print(" ".join(str(p) for p in set(pool.map(pid, range(8)))), flush=True)
time.sleep(60)
"""


def test_pool_workers_leave_when_their_parent_is_killed() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    workers = [int(p) for p in child.stdout.readline().split()]
    child.kill()
    child.wait()
    child.stdout.close()
    deadline = time.monotonic() + 5
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in workers if _running(p)]
    assert workers and not alive, f"workers {alive} outlived their parent"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_an_input_error_crosses_processes() -> None:
    """In a fresh interpreter: once Dask is imported, tblib pickles every exception its way."""
    code = (
        "import pickle; from annotations.errors import InputError; "
        "exc = pickle.loads(pickle.dumps(InputError('in.jsonl', 7, 'invalid JSON'))); "
        "print(type(exc).__name__, exc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.stdout == "InputError in.jsonl:7: invalid JSON\n", done.stderr


def test_export_on_a_cluster_writes_the_same_files(tmp_path: Path, cluster: str) -> None:
    """`relecture export --scheduler` (issue 16): both passes on the cluster's workers, the
    same folder as on local worker processes."""
    from annotations.export import Options, export
    from tests.test_export_stream import _files, _records, _write

    src = _write(tmp_path / "a.jsonl", _records(80, 9, ("alice", "bob"), with_tokens=False))
    results = []
    for options in (
        Options(fmt="hf", policy="majority", processes=2),
        Options(fmt="hf", policy="majority", scheduler=cluster),
    ):
        out = tmp_path / "out"
        export([src], out, options)
        results.append(_files(out))
        shutil.rmtree(out)
    assert results[0] == results[1]
