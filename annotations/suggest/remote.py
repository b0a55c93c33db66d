"""A suggester whose model runs in a process of its own (see `model_server`): the same spans as
`ModelSuggester`, with none of the loading or the inference in the caller's interpreter."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO

import orjson

from annotations.records import Record, Span
from annotations.suggest.base import SuggesterError


class RemoteModel:
    """Starts the model process at once; `wait_ready()` blocks until it has loaded (or raises
    SuggesterError with its one-line reason); `suggest` is thread-safe (one request at a time)."""

    def __init__(self, name: str) -> None:
        self.model_name = name
        self.name = f"model:{name}"
        self._lock = threading.Lock()
        self._ready = False
        self.keeps_edges = False  # what the process says once ready (see ModelSuggester)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "annotations.suggest.model_server", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def _read(self) -> dict[str, object]:
        out: IO[bytes] | None = self._proc.stdout
        line = out.readline() if out is not None else b""
        if not line:
            raise SuggesterError(f"the {self.name} process ended (exit code {self._proc.poll()})")
        answer = orjson.loads(line)
        if not isinstance(answer, dict):
            raise SuggesterError(f"the {self.name} process answered {line[:80]!r}")
        if "error" in answer:
            raise SuggesterError(str(answer["error"]))
        return answer

    def wait_ready(self) -> RemoteModel:
        with self._lock:
            if not self._ready:
                self.keeps_edges = self._read().get("keeps_edges") is True
                self._ready = True
        return self

    def suggest(self, records: Sequence[Record]) -> list[list[Span]]:
        self.wait_ready()
        with self._lock:
            stdin = self._proc.stdin
            if stdin is None or self._proc.poll() is not None:
                raise SuggesterError(f"the {self.name} process is not running")
            try:
                stdin.write(orjson.dumps({"texts": [r.text for r in records]}) + b"\n")
                stdin.flush()
            except OSError as exc:
                raise SuggesterError(f"the {self.name} process: {exc}") from None
            found = self._read()["spans"]
        assert isinstance(found, list)
        return [
            [Span(a, b, label, source=self.name, score=score) for a, b, label, score in spans]
            for spans in found
        ]

    def close(self) -> None:
        """End the process: at once while it is still loading, else once it has answered."""
        if not self._ready:
            self._proc.kill()
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
