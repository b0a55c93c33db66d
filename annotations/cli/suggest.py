"""`relecture suggest SOURCE -o OUT.jsonl`: batch pre-annotation with a progress bar; resumable."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from annotations.cli import options
from annotations.cli.errors import one_line_errors
from annotations.errors import UsageError
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.outputs import check_output, command_inputs
from annotations.records import Record
from annotations.store.writer import JsonlWriter
from annotations.suggest.base import SuggesterError
from annotations.suggest.factory import build_chain
from annotations.text_safety import literal


@one_line_errors
def suggest(
    source: Path = options.SOURCE,
    out: Path = typer.Option(
        ..., "-o", "--out", help="Output JSONL; existing articles are skipped."
    ),
    model: str = options.MODEL,
    patterns: list[Path] = options.PATTERNS,
    learn_from: list[Path] = options.LEARN_FROM,
    n_process: int = typer.Option(1, "--n-process", min=1, help="Model worker processes."),
    labels: Path | None = options.LABELS,
    fmt: str | None = options.FORMAT,
) -> None:
    """Pre-annotate articles with suggestions (model, rules, patterns, memory)."""
    check_output(out, command_inputs(source, patterns, labels, learn_from))
    scheme = load_scheme(labels)
    console = Console(stderr=True, soft_wrap=True)
    try:
        chain, _ = build_chain(model, patterns, learn_from, n_process, scheme)
    except SuggesterError as exc:
        raise UsageError(str(exc)) from None
    with JsonlWriter(out) as writer:
        if writer.torn:
            console.print(literal(f"warning: {writer.torn}"))
        done = {item.record.key[1] for item in read(out, "jsonl")} if out.stat().st_size else set()
        todo = [item.record for item in read(source, fmt) if item.record.key[1] not in done]
        if done:
            console.print(literal(f"resuming: {len(done)} articles already in {out}"))
        count, elapsed = _run(chain.stream(iter(todo)), writer, len(todo), console)
    rate = count / max(elapsed, 1e-9)
    console.print(
        literal(f"suggested {count} articles in {elapsed:.2f} s ({rate:.1f} articles/s) → {out}")
    )


def _run(
    batches: Iterator[list[Record]], writer: JsonlWriter, total: int, console: Console
) -> tuple[int, float]:
    count = 0
    columns = (
        TextColumn("suggest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} articles/s"),
        TimeElapsedColumn(),
    )
    start = time.perf_counter()
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("suggest", total=total, rate="–")
        for batch in batches:
            writer.append_many(batch)
            count += len(batch)
            rate = count / max(time.perf_counter() - start, 1e-9)
            progress.update(task, advance=len(batch), rate=f"{rate:.1f}")
    return count, time.perf_counter() - start
