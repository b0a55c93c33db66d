"""`relecture validate FILE...`: every problem as `file:line: message`; exit 1 if any.

Warnings (`file:line: warning: ...`, exit 0 when there is nothing else) say what is valid but
worth knowing: an `_input_hash` given to two different texts (they stay two articles)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer

from annotations.checks import problems
from annotations.cli import options
from annotations.cli.errors import echo, one_line_errors
from annotations.errors import InputError
from annotations.formats import detect, read
from annotations.identity import Collisions
from annotations.inputs import open_input
from annotations.labels import LabelScheme, load_scheme
from annotations.store.lines import decode_line, iter_raw_lines


def jsonl_problems(
    path: Path, scheme: LabelScheme, check_labels: bool, warnings: list[str] | None = None
) -> Iterator[str]:
    collisions = Collisions()
    with open_input(path) as fh:
        empty = True
        for lineno, raw in iter_raw_lines(fh, path):
            empty = False
            if isinstance(raw, InputError):
                yield str(raw)
                continue
            try:
                obj = decode_line(raw, path, lineno)
            except InputError as exc:
                yield str(exc)
                continue
            for message in problems(obj, scheme, check_labels):
                yield f"{path}:{lineno}: {message}"
            if warnings is not None and isinstance(obj, dict):
                h, text = obj.get("_input_hash"), obj.get("text")
                warn(collisions, h, text, f"line {lineno}", f"{path}:{lineno}", warnings)
        if empty:
            yield f"{path}: file is empty (no records)"


def warn(
    collisions: Collisions, h: object, text: object, place: str, where: str, out: list[str]
) -> None:
    """A collision warning for the record at `where` (named `place` by later warnings)."""
    if type(h) is int and isinstance(text, str):
        warning = collisions.check(h, text, place)
        if warning is not None:
            out.append(f"{where}: {warning}")


def file_problems(
    path: Path,
    fmt: str | None,
    scheme: LabelScheme,
    check_labels: bool,
    warnings: list[str] | None = None,
    spans_key: str | None = None,
) -> tuple[int, list[str]]:
    """(records read, problems) for one file of any format; `warnings` (if given) receives the
    warnings."""
    try:
        fmt = fmt or detect(path)
        if fmt in ("jsonl", "prodigy"):
            found = list(jsonl_problems(path, scheme, check_labels, warnings))
            return -1, found
        found = []
        count = 0
        collisions = Collisions()
        for item in read(path, fmt, spans_key=spans_key):
            count += 1
            if warnings is not None:
                record = item.record
                warn(collisions, record.input_hash, record.text, item.where, item.where, warnings)
            for message in problems(item.record.to_dict(), scheme, check_labels):
                found.append(f"{item.where}: {message}")
            found += [f"{item.where}: {issue}" for issue in item.issues if issue.error]
        return count, found
    except InputError as exc:
        return 0, [str(exc)]


@one_line_errors
def validate(
    files: list[Path] = typer.Argument(
        ..., help="Files or folders to check (any readable format).", readable=False
    ),
    labels: Path | None = typer.Option(
        None, "--labels", help="Label scheme JSON (default: news-fr)."
    ),
    any_label: bool = typer.Option(False, "--any-label", help="Accept labels outside the scheme."),
    fmt: str | None = typer.Option(None, "--format", help="Input format; detected when omitted."),
    spans_key: str | None = options.SPANS_KEY,
) -> None:
    """Check files against the record format and the label scheme."""
    scheme = load_scheme(labels)
    total = 0
    for path in files:
        warnings: list[str] = []
        _count, found = file_problems(path, fmt, scheme, not any_label, warnings, spans_key)
        for line in [*found, *warnings]:
            echo(line)
        total += len(found)
        if not found:
            noted = f" ({len(warnings)} warning{'s' * (len(warnings) != 1)})" if warnings else ""
            echo(f"{path}: ok{noted}", err=True)
    if total:
        typer.echo(f"{total} problem{'s' * (total != 1)} in {len(files)} file(s)", err=True)
        raise typer.Exit(1)
