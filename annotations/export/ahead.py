"""What an export's workers will use, imported (and compiled) in this process before they are
forked, so that they share it rather than each paying for it: `Ahead(fmt, inputs)` does it in a
thread while this one cuts the inputs into parts; `wait()` before the fork."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path


def _warm(fmt: str, tokens: bool = True) -> None:
    """Import here what `build` will import for `fmt`, before the worker processes are forked:
    they then share it rather than each paying for it (`datasets` takes ~1 s). `tokens`: the
    inputs seem to hold tokens (the compiled token reader is then loaded too, ~0.5 s; a worker
    that meets tokens anyway loads it itself)."""
    if fmt == "hf":
        from annotations.export import token_reader
        from annotations.export.hf import features

        features(())
        if tokens:
            token_reader.warm()  # compiled, or loaded from numba's cache: once, not per worker


def _with_tokens(paths: Sequence[Path], head: int = 1 << 16) -> bool:
    """Whether the first bytes of an input hold a record with tokens (a guess: what it decides
    is only what to load ahead)."""
    for path in paths:
        with contextlib.suppress(OSError), open(path, "rb") as fh:
            if b'"tokens":' in fh.read(head):
                return True
    return False


class Ahead:
    """`_warm(fmt, ...)` for `inputs` in a thread from now; `wait()` for it (with its exception
    if it raised one)."""

    def __init__(self, fmt: str, inputs: Sequence[Path]) -> None:
        self._error: BaseException | None = None
        tokens = _with_tokens(inputs)

        def run() -> None:
            try:
                _warm(fmt, tokens)
            except BaseException as exc:  # raised in `wait`, in the thread that waits
                self._error = exc

        self._thread = threading.Thread(target=run, name="export-ahead")
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error
