"""Batch commands on corpora of any size (issue 16): `relecture export` end to end, each against
its baseline timed in the same run, with the peak memory of the whole process tree (the command
and its worker processes: the sum of their proportional set sizes, sampled every 50 ms).

- 100k articles with tokens (~2.35 GB) → hf: budget ≤ 20 s, ≤ 1.5 GB;
- 50k articles without tokens → CoNLL: budget ≤ 35 s, ≤ 500 MB; the baseline is Label Studio's
  converter (`label-studio-converter export -f CONLL2003`) on the same articles as a Label
  Studio JSON export, when it is installed (`BENCH_LS_CONVERTER=/path/to/label-studio-converter`);
- 10k articles without tokens → hf and → spacy: budget ≥ 1.8× faster than the scripts a user
  would write (`tests/bench/baselines/`);
- with `--articles 1000000` (on demand): 1M generated articles → jsonl, peak memory ≤ 1.5 GB.

    python -m tests.bench stream
    python -m tests.bench stream --articles 1000000
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from tests.bench.registry import REPO, Context, Row, benchmark

GB = 1e9


def _pss(proc: Any) -> int:
    """Proportional set size: forked workers share their parent's pages (imported modules, the
    spaCy tokenizer), which plain RSS would count once per process."""
    try:
        return int(proc.memory_full_info().pss)
    except (AttributeError, OSError):
        return int(proc.memory_info().rss)


def run_measured(
    command: list[str], log: Path, outputs: Sequence[Path] = (), once: bool = False
) -> tuple[float, float]:
    """Wall seconds of `command` run alone, and its peak memory (bytes: the sum of the PSS of
    `command` and of every process it starts, sampled every 50 ms) in a second run, `outputs`
    removed in between. Apart because sampling reads each process's page tables
    (`/proc/PID/smaps`, ~10 ms a GB): on 2 cores, every 50 ms, that is a third of a core or
    more taken from the command being timed. `once`: one sampled run gives both (the 1M export,
    whose budget is its memory)."""
    if once:
        return _run(command, log, sampled=True)
    seconds, _ = _run(command, log, sampled=False)
    for path in outputs:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    _, peak = _run(command, log, sampled=True)
    return seconds, peak


def _run(command: list[str], log: Path, sampled: bool) -> tuple[float, float]:
    import psutil

    peak = 0
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        proc = psutil.Process(child.pid)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                try:
                    tree = [proc, *proc.children(recursive=True)]
                    peak = max(peak, sum(_pss(p) for p in tree if p.is_running()))
                except psutil.Error:
                    pass
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        if sampled:
            sampler.start()
        code = child.wait()
        done.set()
        if sampled:
            sampler.join()
    seconds = time.perf_counter() - t0
    if code != 0:
        raise RuntimeError(f"{command[:4]} failed ({code}): {log.read_text()[-2000:]}")
    return seconds, peak


def _relecture(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui", *args]


def _plain_records(path: Path, n: int, seed: int = 0) -> Path:
    """`n` generated articles without tokens (`corpus.py`), accepted, as our JSONL."""
    from tests.bench.corpus import records

    with open(path, "wb") as fh:
        for record in records(n, seed):
            record.answer = "accept"
            fh.write(orjson.dumps(record.with_hashes().to_dict()) + b"\n")
    return path


def _labelstudio(src: Path, dest: Path) -> Path:
    """The same articles as a Label Studio JSON export (one annotation per task)."""
    tasks = []
    with open(src, "rb") as fh:
        for i, line in enumerate(fh, 1):
            record = orjson.loads(line)
            result = [
                {
                    "id": f"r{i}-{k}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {
                        "start": s["start"],
                        "end": s["end"],
                        "text": record["text"][s["start"] : s["end"]],
                        "labels": [s["label"]],
                    },
                }
                for k, s in enumerate(record.get("spans") or [])
            ]
            tasks.append(
                {
                    "id": i,
                    "data": {"text": record["text"]},
                    "annotations": [{"id": i, "result": result}],
                }
            )
    dest.write_bytes(orjson.dumps(tasks))
    return dest


LS_CONFIG = """<View><Labels name="label" toName="text">
<Label value="PER"/><Label value="ORG"/><Label value="LOC"/><Label value="MISC"/>
<Label value="MONEY"/><Label value="PERCENT"/><Label value="DATE"/></Labels>
<Text name="text" value="$text"/></View>"""


@benchmark("stream")
def stream(ctx: Context) -> Iterator[Row]:
    root = ctx.scratch / "stream"
    root.mkdir(exist_ok=True)
    log = root / "run.log"
    yield from _hf_with_tokens(ctx, root, log)
    yield from _conll_without_tokens(ctx, root, log)
    yield from _against_scripts(ctx, root, log)
    if ctx.articles >= 1_000_000:
        yield from _million(ctx, root, log)


def _hf_with_tokens(ctx: Context, root: Path, log: Path) -> Iterator[Row]:
    from tests.bench.bench_export import tokenised_records

    n = min(ctx.articles, 100_000)
    src = root / "tokens.jsonl"
    ctx.log(f"stream: writing {n:,} articles with tokens (not timed) …")
    with open(src, "wb") as fh:
        for record in tokenised_records(n):
            record.answer = "accept"
            fh.write(orjson.dumps(record.with_hashes().to_dict()) + b"\n")
    size = src.stat().st_size
    ctx.log(f"stream: {size / GB:.2f} GB; relecture export -f hf …")
    seconds, peak = run_measured(
        _relecture("export", str(src), "-o", str(root / "hf"), "-f", "hf"), log, [root / "hf"]
    )
    shutil.rmtree(root / "hf")
    src.unlink()
    note = f"{n:,} articles with tokens, {size / GB:.2f} GB"
    scale = n / 100_000
    yield Row(f"export hf, {n:,} with tokens: wall time", seconds, "s", 20.0 * scale, note=note)
    yield Row(f"export hf, {n:,} with tokens: peak memory", peak / 1e6, "MB", 1500.0, note=note)
    yield Row(f"export hf, {n:,} with tokens: articles/s", n / seconds, "articles/s")


def _conll_without_tokens(ctx: Context, root: Path, log: Path) -> Iterator[Row]:
    n = min(ctx.articles, 50_000)
    src = _plain_records(root / "plain50k.jsonl", n)
    ctx.log(f"stream: relecture export -f conll on {n:,} articles without tokens …")
    seconds, peak = run_measured(
        _relecture("export", str(src), "-o", str(root / "conll"), "-f", "conll"),
        log,
        [root / "conll"],
    )
    shutil.rmtree(root / "conll")
    scale = n / 50_000
    note = f"{n:,} articles without tokens"
    converter = os.environ.get("BENCH_LS_CONVERTER")
    base = None
    if converter:
        tasks = _labelstudio(src, root / "tasks.json")
        (root / "config.xml").write_text(LS_CONFIG)
        ctx.log("stream: label-studio-converter on the same articles …")
        base, base_peak = run_measured(
            [
                converter,
                "export",
                "-i",
                str(tasks),
                "-c",
                str(root / "config.xml"),
                "-o",
                str(root / "ls-conll"),
                "-f",
                "CONLL2003",
            ],
            log,
            [root / "ls-conll"],
        )
        yield Row("label-studio-converter → CoNLL: wall time", base, "s", note=note)
        yield Row("label-studio-converter → CoNLL: peak memory", base_peak / 1e6, "MB", note=note)
    src.unlink()
    yield Row(
        f"export conll, {n:,} without tokens: wall time", seconds, "s", 35.0 * scale, note=note
    )
    yield Row(
        f"export conll, {n:,} without tokens: peak memory", peak / 1e6, "MB", 500.0, note=note
    )
    if base is not None:
        yield Row(
            "export conll: times faster than label-studio-converter", base / seconds, "×", 2.0, True
        )


def _against_scripts(ctx: Context, root: Path, log: Path) -> Iterator[Row]:
    n = min(ctx.articles, 10_000)
    src = _plain_records(root / "plain10k.jsonl", n, seed=1)
    note = f"{n:,} articles without tokens; the script in tests/bench/baselines/"
    for fmt, script, target in (
        ("hf", "hf_script", root / "hf-script"),
        ("spacy", "docbin_script", root / "script.spacy"),
    ):
        ctx.log(f"stream: {script} and relecture export -f {fmt} on {n:,} articles …")
        base, base_peak = run_measured(
            [sys.executable, "-m", f"tests.bench.baselines.{script}", str(src), str(target)],
            log,
            [target],
        )
        ours, peak = run_measured(
            _relecture("export", str(src), "-o", str(root / fmt), "-f", fmt), log, [root / fmt]
        )
        shutil.rmtree(root / fmt)
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(
            missing_ok=True
        )
        yield Row(f"{script}: wall time", base, "s", note=note)
        yield Row(f"export {fmt}: wall time", ours, "s", note=note)
        yield Row(
            f"export {fmt}: peak memory (script: {base_peak / 1e6:,.0f} MB)", peak / 1e6, "MB"
        )
        yield Row(f"export {fmt}: times faster than the script", base / ours, "×", 1.8, True, note)
    src.unlink()


def _million(ctx: Context, root: Path, log: Path) -> Iterator[Row]:
    n = ctx.articles
    src = _plain_records(root / "million.jsonl", n)
    ctx.log(f"stream: relecture export -f jsonl on {n:,} articles …")
    seconds, peak = run_measured(
        _relecture("export", str(src), "-o", str(root / "million"), "-f", "jsonl"),
        log,
        once=True,
    )
    shutil.rmtree(root / "million")
    src.unlink()
    yield Row(f"export jsonl, {n:,} articles: wall time", seconds, "s")
    yield Row(f"export jsonl, {n:,} articles: peak memory", peak / 1e6, "MB", 1500.0)
