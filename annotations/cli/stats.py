"""`relecture stats FILE...`: articles, answers, spans per label, annotators."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.console import Console
from rich.table import Table

from annotations.cli import options
from annotations.cli.bar import Bar
from annotations.cli.errors import fail, one_line_errors
from annotations.stats import Stats, file_stats
from annotations.stream.runner import WorkerLost
from annotations.text_safety import literal, safe_json


def _table(stats: Stats) -> Table:
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("articles", str(stats.articles))
    table.add_row("records (latest per annotator)", str(stats.records))
    if stats.lines != stats.records:
        table.add_row("lines (with superseded)", str(stats.lines))
    for answer, n in sorted(stats.answers.items()):
        table.add_row(literal(f"  answer {answer}"), str(n))
    table.add_row("spans", str(sum(stats.labels.values())))
    for label, n in stats.labels.most_common():
        table.add_row(literal(f"  {label}"), str(n))
    table.add_row("annotators", str(len(stats.annotators)))
    for name, n in stats.annotators.most_common():
        table.add_row(literal(f"  {name}"), f"{n} records")
    return table


@one_line_errors
def stats(
    files: list[Path] = typer.Argument(
        ..., help="Files or folders (any readable format).", readable=False
    ),
    fmt: str | None = typer.Option(None, "--format", help="Input format; detected when omitted."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file."),
    spans_key: str | None = options.SPANS_KEY,
) -> None:
    """Count articles, answers, spans per label and annotators."""
    console = Console()
    for path in files:
        with Bar() as bar:
            try:
                result = file_stats(path, fmt, bar, read_options={"spans_key": spans_key})
            except WorkerLost as exc:
                raise fail(str(exc)) from None
        if as_json:
            typer.echo(safe_json(orjson.dumps({"file": str(path), **result.as_dict()}).decode()))
        else:
            console.print(literal(path, "bold"), soft_wrap=True)
            console.print(_table(result))
