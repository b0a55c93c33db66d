"""`relecture review FILE... -o GOLD.jsonl --curator NAME`: curate several annotators' versions
into a gold file on the curation screen."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer

from annotations.cli import options
from annotations.cli.errors import echo, one_line_errors
from annotations.curation.articles import CurationSource, Versions, order
from annotations.curation.gold import auto_accept as auto_accept_unanimous
from annotations.curation.gold import load_versions, saved_gold
from annotations.curation.session import CurationSession
from annotations.errors import UsageError
from annotations.keymap import default_path as default_keymap_path
from annotations.labels import load_scheme
from annotations.outputs import check_output, command_inputs, inputs, review_side_files
from annotations.store.writer import JsonlWriter
from tui.session_end import end_of_session, exit_if_unreadable

ORDERS = ("input", "worst")


def run_curation(
    files: list[Path],
    out: Path,
    curator: str,
    labels: Path | None = None,
    auto_accept: bool = False,
    how: str = "input",
    fmt: str | None = None,
    keymap: Path | None = None,
) -> None:
    from tui.app import ChainOptions, RelectureApp
    from tui.keymap import load_user_keymap

    if how not in ORDERS:
        raise UsageError(f"--order must be input or worst (got {how!r})")
    # GOLD (and its draft) is never one of the annotators' files: refused before anything
    reads = [
        *inputs("an annotator's file", files),
        *command_inputs(None, (), labels, (), keymap or default_keymap_path()),
    ]
    check_output(out, reads, side_files=review_side_files(out))
    keys = load_user_keymap(keymap)
    scheme = load_scheme(labels)
    index = load_versions(files, fmt)
    versions: Sequence[Versions] = index
    if auto_accept or how != "input":  # these read every article first
        versions = index.readable()
    for error in index.unreadable:
        echo(f"warning: left out: {error}", err=True)
    if not versions:
        raise UsageError(f"{', '.join(map(str, files))}: no articles")
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = JsonlWriter(out)  # one curator per GOLD at a time
    try:
        if writer.torn:
            echo(f"warning: {writer.torn}", err=True)
        saved = saved_gold(out, curator)
        notes = [f"{len(index.unreadable)} unreadable lines left out"] if index.unreadable else []
        if auto_accept:
            auto = auto_accept_unanimous(versions, saved, curator)
            writer.append_many(auto.written)  # durable before the screen says so
            saved.update((r.article_key, r) for r in auto.written)
            n = len(auto.written)
            said = f"auto-accepted {n} unanimous article{'s' if n != 1 else ''}"
            said += f" ({auto.earlier} earlier)" if auto.earlier else ""
            echo(f"{said}, written to {out}", err=True)
            notes.insert(0, said)
            versions = auto.left
            if not versions:
                echo("nothing left to curate: every article was unanimous", err=True)
                exit_if_unreadable(index.unreadable)
                return
        session = CurationSession(CurationSource(order(versions, how)), scheme, curator, saved)
        session.peek(session.index)  # the first article shown is readable (else one line here)
        app = RelectureApp(
            session, writer, ChainOptions(model=None), keymap=keys, note="; ".join(notes)
        )
        app.run()
    finally:
        writer.close()
    end_of_session(app.return_code, session, "curation", out, index.unreadable)


@one_line_errors
def review(
    files: list[Path] = typer.Argument(
        ..., help="The annotators' files (one per annotator, or records with _annotator_id)."
    ),
    out: Path = typer.Option(..., "-o", "--out", help="The gold JSONL (appended; resumes)."),
    curator: str = typer.Option(..., "--curator", help="Your name, written in every record."),
    labels: Path | None = options.LABELS,
    auto_accept: bool = typer.Option(
        False, "--auto-accept", help="Write unanimous articles to GOLD without showing them."
    ),
    how: str = typer.Option(
        "input", "--order", help="input: as they come; worst: least agreed first."
    ),
    fmt: str | None = options.FORMAT,
    keymap: Path | None = options.KEYMAP,
) -> None:
    """Curate the annotators' versions of each article into a gold file, from the keyboard."""
    run_curation(files, out, curator, labels, auto_accept, how, fmt, keymap)
