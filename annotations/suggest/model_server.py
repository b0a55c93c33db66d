"""The model in a process of its own (`python -m annotations.suggest.model_server NAME`), for the
review screen: loading a spaCy pipeline holds the interpreter for seconds, and running it on a
long article for tenths of one; in another process neither touches the screen's key presses.

It runs at a lower priority than the screen. Protocol, one JSON object per line: it first
writes `{"ready": NAME, "keeps_edges": BOOL}` (a model `relecture train` made) or
`{"error": MESSAGE}`; then for each `{"texts": [...]}` read on
stdin it writes `{"spans": [[[start, end, label, score], ...], ...]}` (one list per text), or
`{"error": MESSAGE}`. It ends at the end of its input (the screen closed it, or died).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from typing import Any

import orjson

from annotations.records import Record
from annotations.suggest.base import SuggesterError


def _write(obj: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj) + b"\n")
    sys.stdout.buffer.flush()


def end_with_parent() -> None:
    """Leave as soon as the screen's process is gone (killed, crashed), even mid-load."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def serve(name: str) -> int:
    from annotations.suggest.model import ModelSuggester

    end_with_parent()
    with contextlib.suppress(OSError):
        os.nice(10)
    try:
        model = ModelSuggester(name)
    except SuggesterError as exc:
        _write({"error": str(exc)})
        return 1
    _write({"ready": name, "keeps_edges": model.keeps_edges})
    for line in sys.stdin.buffer:
        try:
            texts = orjson.loads(line)["texts"]
            found = model.suggest([Record(text=t) for t in texts])
        except Exception as exc:  # one bad request must not end the model for the session
            _write({"error": f"{type(exc).__name__}: {exc}"})
            continue
        _write({"spans": [[[s.start, s.end, s.label, s.score] for s in ss] for ss in found]})
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
