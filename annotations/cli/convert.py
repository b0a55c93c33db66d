"""`relecture convert IN -o OUT [--to jsonl|prodigy|doccano|brat]`: any readable format to
JSONL (or a brat folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer

from annotations.align import POLICIES, Policy
from annotations.cli import options
from annotations.cli.errors import echo, one_line_errors
from annotations.errors import InputError, UsageError
from annotations.formats import READ_FORMATS, WRITE_FORMATS, complete, read, write_records
from annotations.labels import load_scheme
from annotations.outputs import check_output, command_inputs
from annotations.records import Record


@one_line_errors
def convert(
    source: Path = typer.Argument(..., help="Input file or folder.", readable=False),
    out: Path = typer.Option(..., "-o", "--out", help="Output file (--to brat: a folder)."),
    to: str = typer.Option("jsonl", "--to", help=f"Output format: {'|'.join(WRITE_FORMATS)}."),
    fmt: str | None = typer.Option(
        None,
        "--from",
        "--format",
        help=f"Input format ({'|'.join(READ_FORMATS)}); detected when omitted.",
    ),
    policy: str = typer.Option(
        "split", "--align", help=f"Spans off token boundaries: {'|'.join(POLICIES)}."
    ),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
    spans_key: str | None = options.SPANS_KEY,
    labels: Path | None = typer.Option(
        None,
        "--labels",
        help="--to brat: the label scheme annotation.conf lists (default: news-fr).",
    ),
) -> None:
    """Convert between formats; OUT is written whole or not at all."""
    if to not in WRITE_FORMATS:
        raise UsageError(f"--to must be one of {', '.join(WRITE_FORMATS)}")
    if policy not in POLICIES:
        raise UsageError(f"--align must be one of {', '.join(POLICIES)}")
    reads = command_inputs(source, labels=labels)
    check_output(out, reads)
    if out.exists() and not force:
        raise UsageError(f"{out} exists; pass --force to replace it")
    warnings = 0

    def records() -> Iterator[Record]:
        nonlocal warnings
        for item in read(source, fmt, policy=Policy(policy), spans_key=spans_key):
            issues = item.issues + complete(item.record, policy)
            for issue in issues:
                if issue.error and Policy(policy) is Policy.STRICT:
                    raise InputError(item.where, 0, str(issue))
                if issue.error or issue.label:
                    warnings += 1
                    echo(f"warning: {item.where}: {issue}", err=True)
            yield item.record

    scheme = load_scheme(labels) if to == "brat" else None
    count = write_records(
        records(),
        out,
        to,
        force=force,
        notice=lambda m: echo(m, err=True),
        scheme=scheme,
        reads=reads,
    )
    note = f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""
    echo(f"wrote {count} records to {out} ({to}){note}", err=True)
