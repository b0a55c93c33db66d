"""`relecture agree FILE... [--match exact|overlap] [--json]`: agreement between annotators.

Rich tables by default (pairs, labels, chance-corrected coefficients, confusion matrix, worst
articles, the first disagreements); `--json` prints the whole report as one object. Undefined
values are shown as "—" with a note saying why, never as NaN.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # the agreement code (numpy...) is imported when the command runs, so that
    # `relecture` opens its screen without it
    from annotations.agreement.report import AgreementReport
from annotations.cli import options
from annotations.cli.errors import fail, one_line_errors
from annotations.errors import UsageError
from annotations.text_safety import literal, safe_json

SHOWN_ARTICLES = 10
SHOWN_DISAGREEMENTS = 20
SNIPPET = 60


def _plain(value: object, limit: int | None = None) -> Text:
    """Text shown literally (`text_safety`: no markup, control and format characters made
    visible), cut to `limit` characters."""
    text = literal(value)
    if limit is not None and len(text) > limit:
        text.truncate(limit - 1)
        text.append("…")
    return text


def _num(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _summary(r: AgreementReport) -> Table:
    t = Table(title="Agreement", title_justify="left", show_header=False)
    t.add_column(style="bold")
    t.add_column(justify="right")
    t.add_row("annotators", _plain(", ".join(r.annotators)))
    t.add_row("articles annotated by ≥ 2 (counted)", str(r.articles))
    t.add_row("  of which by all annotators", str(r.articles_all_annotators))
    left_out = [f"{n} {what.replace('_', ' ')}" for what, n in sorted(r.excluded.items()) if n]
    t.add_row("left out", _plain(", ".join(left_out) or "nothing"))
    t.add_row(
        f"span F1 ({r.match}), mean ± SD over pairs",
        f"{_num(r.f1_mean)} ± {_num(r.f1_std)}" if r.f1_mean is not None else "—",
    )
    t.add_row("Cohen's κ (tokens), mean over pairs", _num(r.cohen_mean))
    t.add_row("Fleiss' κ (tokens, all annotators)", _num(r.fleiss_kappa))
    t.add_row("Krippendorff's α (tokens, nominal)", _num(r.krippendorff_alpha))
    t.add_row("Krippendorff's α_U (characters)", _num(r.alpha_u))
    return t


def _pairs(r: AgreementReport) -> Table:
    t = Table(title="Pairs", title_justify="left")
    t.add_column("annotators")
    t.add_column(f"span F1 ({r.match})", justify="right")
    t.add_column("Cohen's κ", justify="right")
    for key in sorted(set(r.f1_pairs) | set(r.cohen_pairs)):
        t.add_row(_plain(key), _num(r.f1_pairs.get(key)), _num(r.cohen_pairs.get(key)))
    return t


def _labels(r: AgreementReport) -> Table:
    t = Table(title="Labels", title_justify="left")
    t.add_column("label")
    t.add_column("F1 mean", justify="right")
    t.add_column("F1 SD", justify="right")
    t.add_column("α_U", justify="right")
    for label in r.f1_per_label:
        t.add_row(
            _plain(label),
            _num(r.f1_per_label[label]),
            _num(r.f1_per_label_std.get(label)),
            _num(r.alpha_u_per_label.get(label)),
        )
    return t


def _confusion(r: AgreementReport) -> Table:
    t = Table(
        title="Label confusion over overlapping spans",
        title_justify="left",
        caption="row: one annotator's label; column: another's on the overlapping span; "
        "O: nothing there",
        caption_justify="left",
    )
    t.add_column("")
    for label in r.confusion_labels:
        t.add_column(_plain(label), justify="right")
    for label, row in zip(r.confusion_labels, r.confusion, strict=True):
        t.add_row(_plain(label), *(str(n) if n else "·" for n in row))
    return t


def _articles(r: AgreementReport) -> Table:
    shown = r.per_article[:SHOWN_ARTICLES]
    t = Table(
        title=f"Articles, worst first ({len(shown)} of {len(r.per_article)})",
        title_justify="left",
    )
    t.add_column("article")
    t.add_column("F1", justify="right")
    t.add_column("disagreements", justify="right")
    t.add_column("spans", justify="right")
    t.add_column("annotators")
    for a in shown:
        t.add_row(
            _plain(a.article, SNIPPET),
            _num(a.f1),
            str(a.disagreements),
            str(a.spans),
            _plain(", ".join(a.annotators), SNIPPET),
        )
    return t


def _disagreements(r: AgreementReport) -> Table:
    shown = r.disagreements[:SHOWN_DISAGREEMENTS]
    more = len(r.disagreements) - len(shown)
    t = Table(
        title=f"Disagreements, worst articles first ({len(shown)} of {len(r.disagreements)}"
        + ("; --json lists them all" if more else "")
        + ")",
        title_justify="left",
    )
    t.add_column("where")
    t.add_column("annotator")
    t.add_column("said")
    for d in shown:
        where = _plain(d["article"], 30)
        where.append(f"\n{d['start']}-{d['end']} {d['kind']}\n", style="dim")
        where.append_text(_plain(f"«{d['text']}»", 30))
        rows = list(d["annotations"].items())
        for n, (name, spans) in enumerate(rows):
            said = Text()
            for k, s in enumerate(spans):
                if k:
                    said.append("\n")
                said.append_text(literal(f"{s['label']} ", "bold"))
                said.append_text(_plain(f"«{s['text']}»", 40))
                said.append(f" {s['start']}-{s['end']}", style="dim")
            if not spans:
                said.append("nothing", style="dim")
            t.add_row(where if n == 0 else "", _plain(name, 20), said)
        t.add_section()
    return t


def render(report: AgreementReport, console: Console) -> None:
    console.print(_summary(report))
    console.print(_pairs(report))
    if report.f1_per_label:
        console.print(_labels(report))
        console.print(_confusion(report))
    console.print(_articles(report))
    if report.disagreements:
        console.print(_disagreements(report))
    for note in report.notes:
        console.print(Text("note: ", style="yellow").append_text(_plain(note)))


@one_line_errors
def agree(
    files: list[Path] = typer.Argument(
        ...,
        readable=False,  # the readers say what is wrong with a file (options.SOURCE)
        help="One file per annotator (its name is the annotator), or files whose records carry "
        "_annotator_id; any readable format (a brat project folder: one subfolder per annotator).",
    ),
    match: str = typer.Option(
        "exact",
        "--match",
        help="Span F1 matching: exact (same start, end, label) or overlap (same label, "
        "overlapping; each span matched at most once).",
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the whole report as one JSON object."
    ),
    gold: Path | None = typer.Option(
        None,
        "--gold",
        help="A gold file (from `relecture review`): score each annotator, and the suggestions "
        "they were shown, against it instead.",
    ),
    spans_key: str | None = options.SPANS_KEY,
) -> None:
    """Agreement between annotators: span F1, Cohen/Fleiss κ, Krippendorff α and α_U, disagreements."""
    from annotations.agreement import AgreementError
    from annotations.agreement.spans import MATCH_MODES

    if match not in MATCH_MODES:
        raise fail(f"--match must be one of {', '.join(MATCH_MODES)}, not {match!r}")
    if gold is not None:
        return _against_gold(files, gold, match, as_json, spans_key)
    try:
        report = _report(files, match, spans_key)
    except AgreementError as exc:
        raise fail(str(exc)) from None
    if as_json:
        for piece in report.json():  # a large corpus's report is written as it is read
            typer.echo(safe_json(piece.decode()), nl=False)
        typer.echo("")
    else:
        render(report, Console())


def _report(files: list[Path], match: str, spans_key: str | None) -> AgreementReport:
    """Read on every core (`agreement.collect`), a bar on stderr while it takes time."""
    from annotations.agreement.collect import report_from_files
    from annotations.agreement.report import no_gc
    from annotations.cli.bar import Bar
    from annotations.stream.runner import WorkerLost

    with no_gc(), Bar() as bar:
        try:
            return report_from_files(files, match, bar, read_options={"spans_key": spans_key})
        except WorkerLost as exc:
            raise fail(str(exc)) from None


def _against_gold(
    files: list[Path], gold: Path, match: str, as_json: bool, spans_key: str | None
) -> None:
    from annotations.agreement import records_from_files
    from annotations.agreement.gold import gold_report
    from annotations.cli.agree_gold import render_gold
    from annotations.formats import read

    for path in files:  # the gold scored against itself would say nothing
        if gold.exists() and path.exists() and os.path.samefile(gold, path):
            raise UsageError(f"{gold}: the gold file is also one of the annotators' files ({path})")
    gold_records = [item.record for item in read(gold, tokens=False)]  # spans are enough
    report = gold_report(
        records_from_files(files, tokens=False, spans_key=spans_key), gold_records, match
    )
    if as_json:
        typer.echo(safe_json(orjson.dumps(report.as_dict()).decode()))
    else:
        render_gold(report, Console())
