"""The full `relecture` command line: the domain commands plus the ones that open a screen."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import typer

from annotations.cli import options
from annotations.cli.app import build_app
from annotations.cli.errors import one_line_errors
from annotations.demo import demo_path
from annotations.errors import UsageError
from annotations.formats import read
from annotations.labels import load_scheme
from annotations.records import Record
from annotations.review.session import ReviewSession
from annotations.store.index import JsonlIndex
from annotations.store.writer import JsonlWriter


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "relecture"


def open_source(source: Path, fmt: str | None) -> list[Record] | JsonlIndex:
    """A JSONL source is indexed (opened lazily, any size); other formats are read whole."""
    from annotations.formats import detect

    if (fmt or detect(source)) in ("jsonl", "prodigy"):
        return JsonlIndex(source)
    return [item.record for item in read(source, fmt)]


def run_review(
    source: Path,
    out: Path,
    annotator: str,
    labels: Path | None = None,
    model: str = "fr_core_news_md",
    patterns: tuple[Path, ...] = (),
    learn_from: tuple[Path, ...] = (),
    fmt: str | None = None,
    keymap: Path | None = None,
) -> None:
    from tui.app import ChainOptions, RelectureApp
    from tui.keymap import load_user_keymap

    keys = load_user_keymap(keymap)  # a bad keymap stops here, before anything is opened
    scheme = load_scheme(labels)
    articles = open_source(source, fmt)
    if len(articles) == 0:
        raise UsageError(f"{source}: no articles")
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = JsonlWriter(out)  # a second instance on the same OUT stops here with a clear message
    if writer.torn:
        typer.echo(f"warning: {writer.torn}", err=True)
    saved = {}
    if out.stat().st_size:
        for item in read(out, "jsonl"):
            if item.record.annotator == annotator:
                saved[item.record.key[1]] = item.record
    session = ReviewSession(articles, scheme, annotator, saved)  # type: ignore[arg-type]
    options = ChainOptions(None if model.lower() == "none" else model, patterns, learn_from)
    RelectureApp(session, writer, options, keymap=keys).run()
    writer.close()
    typer.echo(f"{session.reviewed_count()} articles reviewed, saved in {out}", err=True)


@one_line_errors
def annotate(
    source: Path = options.SOURCE,
    out: Path = typer.Option(
        ..., "-o", "--out", help="Output JSONL (appended; resumes where it left off)."
    ),
    annotator: str = typer.Option(..., "--annotator", help="Your name, written in every record."),
    labels: Path | None = options.LABELS,
    model: str = options.MODEL,
    patterns: list[Path] = options.PATTERNS,
    learn_from: list[Path] = options.LEARN_FROM,
    fmt: str | None = options.FORMAT,
    keymap: Path | None = options.KEYMAP,
) -> None:
    """Review articles and their suggested spans from the keyboard."""
    run_review(
        source, out, annotator, labels, model, tuple(patterns), tuple(learn_from), fmt, keymap
    )


@one_line_errors
def demo(
    out: Path | None = typer.Option(
        None, "-o", "--out", help="Where to save (default: your data folder)."
    ),
    annotator: str | None = typer.Option(
        None, "--annotator", help="Your name (default: your login)."
    ),
    model: str = options.MODEL,
    keymap: Path | None = options.KEYMAP,
) -> None:
    """Open the review screen on the five bundled demo articles, suggestions on."""
    name = annotator or getpass.getuser() or "demo"
    target = out or data_dir() / f"demo-{name}.jsonl"
    run_review(demo_path(), target, name, model=model, keymap=keymap)


def build() -> typer.Typer:
    app = build_app()
    app.command()(annotate)
    app.command()(demo)

    @app.callback(invoke_without_command=True)
    def default(ctx: typer.Context, keymap: Path | None = options.KEYMAP) -> None:
        """Review and curate span annotations on news articles, from the keyboard."""
        if ctx.invoked_subcommand is None:
            demo(out=None, annotator=None, model="fr_core_news_md", keymap=keymap)

    return app
