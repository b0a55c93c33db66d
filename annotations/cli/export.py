"""`relecture export FILE... -o DIR --format hf|spacy|conll|jsonl|doccano|prodigy`: training data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from annotations.align import POLICIES as ALIGN_POLICIES
from annotations.cli.bar import Bar
from annotations.cli.errors import echo, one_line_errors
from annotations.cli.options import SPANS_KEY
from annotations.export import DEFAULT_SPLIT, FORMATS, Options
from annotations.export import export as run_export
from annotations.formats import READ_FORMATS
from annotations.records import Record


class _ExportBar:
    """The export's progress (`export.options.Progress`: one call per article) on a `Bar`."""

    def __init__(self, bar: Bar) -> None:
        self.bar = bar

    def phase(self, name: str, total: int | None) -> None:
        self.bar.phase(name, total, "articles")

    def advance(self, n: int = 1) -> None:
        self.bar.advance(n, n)


def agreement_for_card(records: list[Record]) -> Mapping[str, Any] | None:
    """Agreement figures for the export's dataset card, from the current records (latest per
    annotator and article) when some article has several annotators; None when they cannot be
    computed (the card then says to run `relecture agree`)."""
    from annotations.agreement import AgreementError, agreement_report

    try:
        rep = agreement_report(records)
    except AgreementError:
        return None
    table: dict[str, Any] = {
        "articles with ≥ 2 annotators": rep.articles,
        "pairwise span F1, exact match": rep.f1_mean,
        "Cohen's kappa (mean over pairs, tokens)": rep.cohen_mean,
        "Fleiss' kappa (tokens)": rep.fleiss_kappa,
        "Krippendorff's alpha (tokens)": rep.krippendorff_alpha,
        "unitizing alpha (characters)": rep.alpha_u,
    }
    table = {k: v for k, v in table.items() if v is not None}
    if rep.f1_per_label:
        table["span F1 per label"] = {k: v for k, v in rep.f1_per_label.items() if v is not None}
    return table


@one_line_errors
def export(
    files: list[Path] = typer.Argument(
        ..., help="Annotation files or folders (any readable format).", readable=False
    ),
    out: Path = typer.Option(
        ..., "-o", "--out", help="Output folder (written whole or not at all)."
    ),
    fmt: str = typer.Option("hf", "--format", "-f", help=f"Output format: {'|'.join(FORMATS)}."),
    split: str = typer.Option(
        DEFAULT_SPLIT, "--split", help="Proportions train,dev,test (1 to 3 numbers)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the split (same seed, same split)."),
    policy: str | None = typer.Option(
        None,
        "--policy",
        help="Several annotators: gold|majority|annotator:NAME|all (required when an article "
        "has several).",
    ),
    annotator: str | None = typer.Option(
        None, "--annotator", help="With --policy annotator: whose records."
    ),
    labels: Path | None = typer.Option(
        None, "--labels", help="Label scheme file (default: news-fr)."
    ),
    any_label: bool = typer.Option(
        False, "--any-label", help="Take the labels from the data instead of a scheme."
    ),
    align: str = typer.Option(
        "split", "--align", help=f"Spans off token boundaries: {'|'.join(ALIGN_POLICIES)}."
    ),
    require_answer: bool = typer.Option(
        False, "--require-answer", help="Leave out records that have no answer at all."
    ),
    input_format: str | None = typer.Option(
        None, "--from", help=f"Input format ({'|'.join(READ_FORMATS)}); detected when omitted."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace the output folder if it is an earlier export."
    ),
    processes: int | None = typer.Option(
        None,
        "--processes",
        help="Worker processes for JSONL inputs (default: one per core; 1: this process only).",
    ),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="A Dask scheduler (tcp://HOST:PORT) to run on; the inputs must be at the same path "
        "on every worker (relecture[dask]).",
    ),
    spans_key: str | None = SPANS_KEY,
) -> None:
    """Export accepted articles as training data (HF dataset, spaCy, CoNLL, JSONL, doccano, Prodigy)."""
    console = Console(stderr=True, highlight=False, soft_wrap=True)

    def warn(message: str) -> None:
        echo(f"warning: {message}", err=True)

    def notice(message: str) -> None:
        echo(message, err=True)

    options = Options(
        fmt=fmt,
        policy=policy,
        annotator=annotator,
        split=split,
        seed=seed,
        labels=labels,
        any_label=any_label,
        align=align,
        require_answer=require_answer,
        force=force,
        input_format=input_format,
        spans_key=spans_key,
        processes=processes,
        scheduler=scheduler,
        agreement=agreement_for_card,
    )
    with Bar(console) as bar:
        progress = _ExportBar(bar)
        result = run_export(files, out, options, warn=warn, progress=progress, notice=notice)
    for line in result.report_lines():
        echo(line, err=True)
    n = len(result.warnings)
    note = f" ({n:,} warning{'s' * (n != 1)})" if n else ""
    echo(f"wrote {fmt} export to {out}{note}", err=True)
