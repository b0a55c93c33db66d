"""Run the benchmarks and print one table: benchmark | value | budget | ok.

    python -m tests.bench                 # every group
    python -m tests.bench store           # one group (several may be named)
    python -m tests.bench --articles 20000 --corpus existing.jsonl --list

Benchmarks are `@benchmark(group)` functions in `tests/bench/bench_*.py` (see `registry.py`).
The exit code is 0 even when a value is over its budget (the table says which); 1 if a benchmark
crashed, 2 for an unknown group.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tests.bench.registry import BENCHMARKS, Context, Row


def load_benchmarks() -> None:
    here = Path(__file__).parent
    for mod in pkgutil.iter_modules([str(here)]):
        if mod.name.startswith("bench_"):
            importlib.import_module(f"tests.bench.{mod.name}")


def main(argv: list[str] | None = None) -> int:
    load_benchmarks()
    ap = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "groups", nargs="*", help=f"groups to run (default all: {', '.join(BENCHMARKS)})"
    )
    ap.add_argument("--articles", type=int, default=200_000, help="corpus size (default 200000)")
    ap.add_argument("--corpus", type=Path, help="reuse this JSONL instead of generating one")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args(argv)

    console = Console()
    err = Console(stderr=True, style="dim")
    unknown = [g for g in args.groups if g not in BENCHMARKS]
    if unknown:
        err.print(
            f"unknown group(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", style="red"
        )
        return 2
    groups = args.groups or list(BENCHMARKS)
    if args.list:
        for g in groups:
            for fn in BENCHMARKS[g]:
                doc = (fn.__doc__ or "").strip().splitlines()[0]
                console.print(escape(f"{g}.{fn.__name__}: {doc}"))
        return 0

    ctx = Context(articles=args.articles, seed=args.seed, corpus_path=args.corpus, log=err.print)
    results: list[tuple[str, Row | str]] = []  # (group, row or error message)
    t0 = time.perf_counter()
    try:
        for g in groups:
            for fn in BENCHMARKS[g]:
                try:
                    for row in fn(ctx):  # rows yielded before a crash are kept
                        results.append((g, row))
                except Exception as exc:
                    err.print(traceback.format_exc(), style="red", markup=False)
                    results.append((g, f"{fn.__name__}: crashed ({type(exc).__name__}: {exc})"))
    finally:
        ctx.close()

    table = Table(
        title=f"relecture benchmarks ({time.perf_counter() - t0:.0f} s)", title_justify="left"
    )
    table.add_column("benchmark")
    table.add_column("value", justify="right")
    table.add_column("budget", justify="right")
    table.add_column("ok", justify="center")
    notes: list[str] = []
    over: list[Row] = []
    for i, (g, item) in enumerate(results):
        if i and results[i - 1][0] != g:
            table.add_section()
        if isinstance(item, str):
            table.add_row(escape(f"{g}: {item}"), "—", "", "[bold red]ERROR[/]")
            continue
        ok = {True: "[green]ok[/]", False: "[bold red]OVER[/]", None: ""}[item.ok]
        style = "bold red" if item.ok is False else None
        table.add_row(escape(item.name), item.value_text, item.budget_text, ok, style=style)
        if item.ok is False:
            over.append(item)
        if item.note and item.note not in notes:
            notes.append(item.note)
    if notes:
        table.caption = escape("; ".join(notes))
        table.caption_justify = "left"
    console.print(table)
    crashed = [item for _, item in results if isinstance(item, str)]
    if over:
        console.print(
            f"[bold red]{len(over)} over budget:[/] "
            + escape("; ".join(f"{r.name} = {r.value_text} (budget {r.budget_text})" for r in over))
        )
    else:
        console.print("[green]all within budget[/]" if not crashed else "")
    if crashed:
        console.print(f"[bold red]{len(crashed)} benchmark(s) crashed[/]")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
