"""The one error type for bad input: it knows its file and line and prints as `file:line: message`."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem with the user's input, reported as `file:line: message` (line 0 = the whole file)."""

    def __init__(self, path: str | Path | None, line: int, message: str) -> None:
        self.path = str(path) if path is not None else "<input>"
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[InputError], tuple[str, int, str]]:
        # raised in a worker process (or on a Dask worker), it is pickled back to the command
        return (InputError, (self.path, self.line, self.message))

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"


class UsageError(Exception):
    """A command used wrongly (an existing output without --force, a locked file...)."""
