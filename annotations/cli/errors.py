"""Turning bad input into one line on stderr and exit code 1, never a traceback; and the one way
a command prints a line that may quote data (`echo`: shown literally, see `text_safety`)."""

from __future__ import annotations

import contextlib
import functools
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

from annotations.errors import InputError, UsageError
from annotations.stream.runner import WorkerLost
from annotations.suggest.base import SuggesterError
from annotations.text_safety import safe_text

F = TypeVar("F", bound=Callable[..., Any])


def echo(message: str, err: bool = False) -> None:
    """Print one line that may quote data (file names, labels, annotator ids): its control and
    format characters are shown as visible stand-ins, never obeyed by the terminal."""
    typer.echo(safe_text(message), err=err)


def fail(message: str) -> typer.Exit:
    """The one error line (`error: file[:line]: what is wrong`, drawn literally) and exit 1."""
    echo(f"error: {message}", err=True)
    return typer.Exit(1)


def one_line_errors(func: F) -> F:
    """Report InputError / UsageError / OSError as `error: file:line: message`, exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (InputError, UsageError, SuggesterError, WorkerLost) as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"{where}{exc.strerror or exc}") from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def usage_line(exc: typer.TyperException) -> str:
    """A command-line error (unknown option or command, missing or bad value) as one line, with
    the command's help hint on the same line."""
    message = " ".join(x.strip() for x in exc.format_message().splitlines() if x.strip())
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return message
    return f"{message.rstrip('.')} (try '{ctx.command_path} --help')"


class OneLineGroup(TyperGroup):
    """The `relecture` command group: every command-line error of every command is one line on
    stderr and exit code 1, instead of Click's framed box with the usage and exit code 2. This is
    `main`, so it holds for the console script and for `CliRunner().invoke(...)` alike."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # the caller handles the exceptions itself
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            # not standalone: the usage errors come here instead of to Typer's error box; a
            # `typer.Exit(code)` (from --help, `fail`, Ctrl+C) comes back as its code
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as exc:
            echo(f"error: {usage_line(exc)}", err=True)
            sys.exit(1)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


class _LiteralLog(logging.Handler):
    """The `relecture.*` loggers' warnings (a brat file's discontinuous span...) as `warning: ...`
    lines on stderr drawn literally: without a handler, Python's last resort prints them raw."""

    def emit(self, record: logging.LogRecord) -> None:
        echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)


def log_literally() -> None:
    """Route the `relecture` loggers through `_LiteralLog` (once per process)."""
    logger = logging.getLogger("relecture")
    if not any(isinstance(h, _LiteralLog) for h in logger.handlers):
        logger.addHandler(_LiteralLog(logging.WARNING))


@contextlib.contextmanager
def terminated_unwinds() -> Iterator[None]:
    """SIGTERM (a `kill`, a job scheduler's timeout) ends the command as an error would, through
    its `finally` blocks, so that its temporary folders are removed; the handler it replaced is
    put back afterwards."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        before = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (a test runner's worker): nothing to change
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
