"""What the command line says when a review or curation screen closes: how many articles are
decided and where, what the file does not hold yet, the lines that could not be read (then exit
1), or that the screen stopped on an error (exit 1)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer

from annotations.cli.errors import echo
from annotations.errors import InputError
from annotations.review.session import ReviewSession

DONE = {"review": "reviewed", "curation": "curated"}


def end_of_session(
    return_code: int | None,
    session: ReviewSession,
    screen: str,
    out: Path,
    left_out: Sequence[InputError] = (),
) -> None:
    exit_if_stopped(return_code, screen, out)
    n = session.reviewed_count()
    echo(f"{n} article{'' if n == 1 else 's'} {DONE[screen]}, saved in {out}", err=True)
    say_what_the_file_keeps(session)
    exit_if_unreadable([*left_out, *(e for _i, e in sorted(session.unreadable.items()))])


def say_what_the_file_keeps(session: ReviewSession) -> None:
    """At quit: decided articles changed since, and decisions undone, are not the file's yet."""

    def listed(articles: list[int]) -> str:
        shown = ", ".join(str(i + 1) for i in articles[:10]) + ("…" if len(articles) > 10 else "")
        return f"article{'' if len(articles) == 1 else 's'} {shown}"

    changed = [i for i in session.unsaved() if session.changed_since_decided(i)]
    if changed:
        echo(
            f"note: {listed(changed)} changed since decided: kept in the draft, saved to the "
            "file once decided again (Space, r or i)",
            err=True,
        )
    undone = session.undone_decisions()
    if undone:
        echo(
            f"note: {listed(undone)}: the decision was undone on screen, but the file keeps it "
            "until the article is decided again (Space, r or i)",
            err=True,
        )


def exit_if_unreadable(errors: list[InputError]) -> None:
    """Lines the screen passed over (or left out): each said, and never an exit 0 after."""
    if not errors:
        return
    for error in errors[:10]:
        echo(f"error: {error}", err=True)
    if len(errors) > 10:
        echo(f"error: and {len(errors) - 10} more unreadable lines", err=True)
    raise typer.Exit(1)


def exit_if_stopped(return_code: int | None, screen: str, out: Path) -> None:
    """A screen that stopped on an error never ends in exit 0."""
    if return_code:
        echo(
            f"error: the {screen} screen stopped on an error; decisions and the draft were "
            f"saved in {out} as far as they could be",
            err=True,
        )
        raise typer.Exit(1)
