"""`relecture agree FILE... --gold GOLD`: how each annotator, and each suggestion source, scores
against the gold (tables, or `--json`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from annotations.text_safety import literal

if TYPE_CHECKING:
    from annotations.agreement.gold import GoldReport, Scored


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _errors(row: Scored) -> Text:
    kinds = [(k, n) for k, n in row.errors.most_common() if n]
    return Text(", ".join(f"{k} {n}" for k, n in kinds) or "none")


def _table(title: str, rows: list[Scored], first: str) -> Table:
    t = Table(title=title, title_justify="left")
    t.add_column(first)
    t.add_column("label")
    for name in ("P", "R", "F1", "hit/theirs/gold"):
        t.add_column(name, justify="right", no_wrap=True)
    t.add_column("errors", min_width=12)
    for row in rows:
        s = row.overall
        t.add_row(
            literal(row.name, "bold"),
            Text("all", style="bold"),
            _num(s.precision),
            _num(s.recall),
            _num(s.f1),
            f"{s.matched}/{s.predicted}/{s.gold}",
            _errors(row),
        )
        for label, score in sorted(row.per_label.items()):
            t.add_row(
                "",
                literal(label),
                _num(score.precision),
                _num(score.recall),
                _num(score.f1),
                f"{score.matched}/{score.predicted}/{score.gold}",
                "",
            )
        t.add_section()
    return t


def render_gold(report: GoldReport, console: Console) -> None:
    title = f"Against the gold ({report.gold_articles} articles, {report.match} match)"
    console.print(_table(title, report.annotators, "annotator"))
    if report.suggestions:
        console.print(_table("Suggestions against the gold", report.suggestions, "source"))
    for note in report.notes:
        console.print(Text("note: ", style="yellow").append_text(literal(note)))
