"""Export to a Hugging Face dataset: 100k generated articles with tokens, budget ≥ 20k articles/s.

The articles are those of `tests/bench/corpus.py` (~1,500 characters, ~20 spans) with spaCy French
tokens added (each paragraph tokenised once, then offset).

- In memory (the budget): the records are held in memory; generation and the imports of
  `datasets` / `pyarrow` are not timed. What is timed is `annotations.export.export_records` from
  those records to a folder: the selection (latest record per annotator and article), the split,
  the span checks, the Arrow tables, `save_to_disk`, the parquet files, the dataset card, fsync
  and the rename.
- End to end (what a user waits for, no budget): `relecture export FILE -o DIR --format hf` in a
  child process on the same articles written as one JSONL file, with its peak memory. Reading
  and checking ~23 KB of JSON per article is most of it.

    python -m tests.bench export                    # 100k articles
    python -m tests.bench export --articles 20000   # fewer (the figure is per second)
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from annotations.records import Record, Token
from tests.bench.registry import Context, Row, benchmark

BUDGET = 20_000.0  # articles/s, DESIGN.md
ARTICLES = 100_000


def tokenised_records(n: int, seed: int = 0) -> Iterator[Record]:
    """The benchmark corpus with tokens and token-aligned spans (spans off tokens are dropped)."""
    from annotations.tokenize import tokenize
    from tests.bench.corpus import records

    cache: dict[str, list[tuple[str, int, int, bool]]] = {}
    for record in records(n, seed):
        tokens: list[Token] = []
        pos = 0
        for para in record.text.split("\n"):
            if para not in cache:
                cache[para] = [(t.text, t.start, t.end, bool(t.ws)) for t in tokenize(para)]
            if pos:
                tokens.append(Token("\n", pos - 1, pos, len(tokens), False))
            for text, start, end, ws in cache[para]:
                tokens.append(Token(text, start + pos, end + pos, len(tokens), ws))
            pos += len(para) + 1
        starts = {t.start: t.id for t in tokens}
        ends = {t.end: t.id for t in tokens}
        spans = []
        for span in record.spans or ():
            ts, te = starts.get(span.start), ends.get(span.end)
            if ts is not None and te is not None:
                span.token_start, span.token_end = ts, te
                spans.append(span)
        record.spans = spans
        record.tokens = tokens
        yield record


def bench_export(
    n: int = ARTICLES, scratch: Path | None = None, log: Callable[[str], None] = print
) -> list[tuple[str, float, str, str, bool]]:
    """Rows (name, value, unit, budget text, within budget) for an HF export of `n` articles."""
    import tempfile

    from annotations.export import Options, export_records

    say = log
    root = Path(tempfile.mkdtemp(prefix="relecture-bench-export-", dir=scratch))
    try:
        say(f"export: generating {n:,} articles with tokens (not timed) …")
        t0 = time.perf_counter()
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            pairs = [(r, f"bench:{i + 1}") for i, r in enumerate(tokenised_records(n))]
        finally:
            if was_enabled:
                gc.enable()
        gen_s = time.perf_counter() - t0
        n_tokens = sum(len(r.tokens or ()) for r, _ in pairs)
        n_spans = sum(len(r.spans or ()) for r, _ in pairs)
        say(f"export: generated in {gen_s:.1f} s; exporting to HF …")
        import datasets  # noqa: F401  (imported once per process: not part of the rate)
        import pyarrow.parquet  # noqa: F401

        out = root / "hf"
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        result = export_records(pairs, out, Options(fmt="hf"))
        seconds = time.perf_counter() - t0
        cores = (time.process_time() - cpu0) / seconds
        rows = sum(s.rows for s in result.summary.splits)  # generated texts may repeat
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        rate = rows / seconds
        return [
            (
                f"export HF: {rows:,} articles, {n_tokens / n:.0f} tokens and "
                f"{n_spans / n:.0f} spans each",
                seconds,
                "s",
                "",
                True,
            ),
            (
                "export HF: articles per second",
                rate,
                "articles/s",
                f"≥ {BUDGET:,.0f}",
                rate >= BUDGET,
            ),
            ("export HF: folder size (Arrow + parquet)", size / 1e6, "MB", "", True),
            ("export HF: CPU cores used (process CPU time / wall time)", cores, "", "", True),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench_end_to_end(
    n: int = ARTICLES, scratch: Path | None = None, log: Callable[[str], None] = print
) -> list[tuple[str, float, str]]:
    """Rows (name, value, unit) for `relecture export` of a JSONL file of `n` articles."""
    import tempfile

    import orjson

    root = Path(tempfile.mkdtemp(prefix="relecture-bench-export-file-", dir=scratch))
    try:
        log(f"export: writing {n:,} articles with tokens to a JSONL file (not timed) …")
        src = root / "articles.jsonl"
        with open(src, "wb") as fh:
            for record in tokenised_records(n):
                record.answer = "accept"
                fh.write(orjson.dumps(record.with_hashes().to_dict()) + b"\n")
        size = src.stat().st_size
        log(f"export: {size / 1e9:.2f} GB written; running relecture export on it …")
        out = root / "hf"
        command = [sys.executable, "-m", "tui", "export", str(src), "-o", str(out), "-f", "hf"]
        log_path = root / "export.log"
        t0 = time.perf_counter()
        with open(log_path, "wb") as log_file:
            child = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
            child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        if child.returncode != 0:
            raise RuntimeError(f"relecture export failed: {log_path.read_text()}")
        peak_kb = usage.ru_maxrss  # KB on Linux
        return [
            (f"export HF end to end: {size / 1e9:.2f} GB JSONL file, wall time", seconds, "s"),
            ("export HF end to end: articles per second", n / seconds, "articles/s"),
            ("export HF end to end: peak memory (RSS)", peak_kb / 1e3, "MB"),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)


@benchmark("export")
def export_hf(ctx: Context) -> Iterator[Row]:
    """Export 100k generated articles (tokens present, generation not timed) to a HF dataset:
    from memory (the budget), then end to end from a JSONL file."""
    n = min(ctx.articles, ARTICLES)
    rows = bench_export(n, ctx.scratch, ctx.log)
    for name, value, unit, _budget, _ok in rows:
        per_second = unit == "articles/s"
        yield Row(
            name,
            value,
            unit,
            budget=BUDGET if per_second else None,
            higher_is_better=per_second,
            note="export: records in memory with tokens; generation not timed"
            if per_second
            else "",
        )
    for name, value, unit in bench_end_to_end(n, ctx.scratch, ctx.log):
        yield Row(name, value, unit, note="export: the CLI on a file (what a user waits for)")


if __name__ == "__main__":
    import sys

    for row in bench_export(int(sys.argv[1]) if len(sys.argv) > 1 else ARTICLES):
        print(row)
