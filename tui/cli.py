"""The full `relecture` command line: the domain commands plus the ones that open a screen."""

from __future__ import annotations

import typer

from annotations.cli.app import build_app
from annotations.cli.errors import fail
from annotations.demo import demo_path


def demo() -> None:
    """Open the review screen on the bundled demo articles."""
    path = demo_path()
    if not path.is_file():
        raise fail(f"the demo corpus is missing from the installation ({path})")
    raise fail(
        "the review screen is not built yet; meanwhile `relecture stats "
        f"{path}` shows the demo corpus"
    )


def build() -> typer.Typer:
    app = build_app()
    app.command()(demo)

    @app.callback(invoke_without_command=True)
    def default(ctx: typer.Context) -> None:
        """Review and curate span annotations on news articles, from the keyboard."""
        if ctx.invoked_subcommand is None:
            demo()

    return app
