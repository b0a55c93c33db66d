"""The full `relecture` command line: the domain commands plus the ones that open a screen."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import typer

from annotations.cli import options
from annotations.cli.app import build_app
from annotations.cli.errors import echo, one_line_errors
from annotations.demo import demo_path
from annotations.errors import UsageError
from annotations.formats import read
from annotations.keymap import default_path as default_keymap_path
from annotations.labels import load_scheme
from annotations.outputs import check_output, command_inputs, models_path, review_side_files
from annotations.records import Record
from annotations.review.retraining import check_models_folder, model_loop
from annotations.review.session import ReviewSession
from annotations.store.index import JsonlIndex
from annotations.store.writer import JsonlWriter
from annotations.suggest.check import check_inputs
from tui.cli_review import review
from tui.session_end import end_of_session


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "relecture"


def open_source(
    source: Path, fmt: str | None, spans_key: str | None = None
) -> list[Record] | JsonlIndex:
    """A JSONL source is indexed (opened lazily, any size); other formats are read whole."""
    from annotations.formats import detect

    if (fmt or detect(source)) in ("jsonl", "prodigy") and spans_key is None:
        return JsonlIndex(source)
    return [item.record for item in read(source, fmt, tokens=False, spans_key=spans_key)]


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
    update_every: int = 0,
    spans_key: str | None = None,
) -> None:
    from tui.app import ChainOptions, RelectureApp
    from tui.keymap import load_user_keymap

    # OUT (and its draft) is never an input: refused before anything is read or written
    check_output(
        out,
        command_inputs(source, patterns, labels, learn_from, keymap or default_keymap_path()),
        side_files=review_side_files(out),
    )
    keys = load_user_keymap(keymap)  # a bad keymap stops here, before anything is opened
    check_models_folder(update_every, models_path(out))
    # every input is checked before OUT is touched and before the screen opens: a bad file is
    # one line and exit 1 here, never a traceback from a worker inside the app
    scheme = load_scheme(labels)
    articles = open_source(source, fmt, spans_key)
    if len(articles) == 0:
        raise UsageError(f"{source}: no articles")
    inputs = check_inputs(patterns, learn_from, scheme)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = JsonlWriter(out)  # a second instance on the same OUT stops here with a clear message
    try:
        if writer.torn:
            echo(f"warning: {writer.torn}", err=True)
        saved = {}
        if out.stat().st_size:
            for item in read(out, "jsonl"):
                if item.record.annotator == annotator:
                    saved[item.record.key[1]] = item.record
        session = ReviewSession(articles, scheme, annotator, saved)  # type: ignore[arg-type]
        session.peek(session.index)  # the first article shown is readable (a JSONL is lazy)
        model_name = None if model.lower() == "none" else model
        options = ChainOptions(model_name, patterns, learn_from, inputs)
        sources = (str(out), *map(str, learn_from))
        loop = model_loop(update_every, models_path(out), model_name, scheme, sources)
        app = RelectureApp(session, writer, options, keymap=keys, retraining=loop)
        app.run()
    finally:
        writer.close()
    end_of_session(app.return_code, session, "review", out)


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
    update_every: int = typer.Option(
        0,
        "--update-every",
        metavar="N",
        help="Retrain the model in the background after every N submitted articles (from OUT "
        "and --learn-from), and suggest with it when it does better on held-out articles.",
    ),
    spans_key: str | None = options.SPANS_KEY,
) -> None:
    """Review articles and their suggested spans from the keyboard."""
    run_review(
        source,
        out,
        annotator,
        labels,
        model,
        tuple(patterns),
        tuple(learn_from),
        fmt,
        keymap,
        update_every,
        spans_key,
    )


DEMO_OUT = typer.Option(None, "-o", "--out", help="Where to save (default: your data folder).")
DEMO_ANNOTATOR = typer.Option(None, "--annotator", help="Your name (default: your login).")
DEMO_OPTIONS = ("out", "annotator", "model", "keymap")


@one_line_errors
def demo(
    out: Path | None = DEMO_OUT,
    annotator: str | None = DEMO_ANNOTATOR,
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
    app.command()(review)
    app.command()(demo)

    @app.callback(invoke_without_command=True)
    @one_line_errors
    def default(
        ctx: typer.Context,
        out: Path | None = DEMO_OUT,
        annotator: str | None = DEMO_ANNOTATOR,
        model: str = options.MODEL,
        keymap: Path | None = options.KEYMAP,
    ) -> None:
        """Review and curate span annotations on news articles, from the keyboard.

        Without a command: the demo (`relecture demo`), with its options."""
        if ctx.invoked_subcommand is None:
            demo(out=out, annotator=annotator, model=model, keymap=keymap)
            return
        given = [name for name in DEMO_OPTIONS if _given(ctx, name)]
        if given:
            flags = ", ".join("-o/--out" if n == "out" else f"--{n}" for n in given)
            cmd = ctx.invoked_subcommand
            raise UsageError(
                f"{flags} before '{cmd}' only applies to the demo (relecture without a command); "
                f"give it after '{cmd}'"
            )

    return app


def _given(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"
