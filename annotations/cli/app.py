"""The Typer application with the domain commands (no screen)."""

from __future__ import annotations

import typer

from annotations.cli.agree import agree
from annotations.cli.convert import convert
from annotations.cli.errors import OneLineGroup, log_literally
from annotations.cli.export import export
from annotations.cli.stats import stats
from annotations.cli.suggest import suggest
from annotations.cli.train import train_command, train_curve_command
from annotations.cli.validate import validate


def build_app() -> typer.Typer:
    log_literally()
    app = typer.Typer(
        name="relecture",
        cls=OneLineGroup,
        help="Review and curate span annotations on news articles, from the keyboard.",
        add_completion=False,
        no_args_is_help=False,
        pretty_exceptions_enable=False,
    )
    app.command()(validate)
    app.command()(stats)
    app.command()(convert)
    app.command()(suggest)
    app.command()(agree)
    app.command()(export)
    app.command("train")(train_command)
    app.command("train-curve")(train_curve_command)
    return app
