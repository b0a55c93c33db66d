"""A fork server for the kill harness (tests/test_kill_harness.py).

Python's start-up and relecture's imports (Textual, spaCy's French tokenizer, pyarrow) take seconds,
far more than the small runs the harness kills. This process pays them once, then runs each
command in a child forked from it, so a kill point costs only the command's own work. Each child
is a real `relecture` process as far as the kill is concerned: it runs the CLI (`tui.cli.build()`)
with its own stdout/stderr files, and the test SIGKILLs it by pid.

Protocol (JSON lines on stdin/stdout): a request `{"argv": [...], "stdout": path, "stderr": path,
"drive": {...} or null, "batch": N or null}` is answered `{"pid": N}` once the child is running; the next line the test
sends ("reap") makes the server wait for the child and answer `{"code": int|null, "signal":
int|null}`. `drive` makes `annotate` run its screen under Pilot with scripted keys (see
`tests.tui_helpers.scripted_run`) instead of on the terminal; `batch` makes `suggest` write its
output in several parts (8) and batches of N articles, as a large input is written.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import orjson


def preload() -> None:
    """Everything the commands import, and the tokenizer, loaded before any fork."""
    import datasets.info
    import datasets.utils.metadata
    import datasets.utils.py_utils
    import huggingface_hub
    import numpy
    import pyarrow.parquet

    import annotations.export.hf
    import annotations.export.lines
    import tests.tui_helpers
    import tui.app
    import tui.cli
    from annotations.tokenize import french_tokenizer

    french_tokenizer()
    del datasets, huggingface_hub, numpy, pyarrow, annotations, tests, tui


def child(request: dict[str, Any]) -> None:
    """In the forked child: run one command, then leave without running the parent's atexit."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, fd)
            os.close(out)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        from tui.cli import build

        if request.get("batch") is not None:  # suggest writes every N articles (64 in use)
            from annotations.suggest import run
            from annotations.suggest.chain import Chain

            Chain.stream.__defaults__ = (request["batch"],)
            run.PARTS_PER_PROCESS = 8  # and one part is one write: a small input in 8 of them
        if request.get("drive") is not None:
            from tests.tui_helpers import scripted_run

            scripted_run(request["drive"])
        try:
            build()(args=request["argv"], prog_name="relecture")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    preload()
    answer = sys.stdout.buffer
    answer.write(b'{"ready": true}\n')
    answer.flush()
    for line in sys.stdin.buffer:
        request = orjson.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request)
        answer.write(orjson.dumps({"pid": pid}) + b"\n")
        answer.flush()
        sys.stdin.buffer.readline()  # "reap": the pid stays ours (a zombie) until then
        _, status = os.waitpid(pid, 0)
        reply = {
            "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        }
        answer.write(orjson.dumps(reply) + b"\n")
        answer.flush()


if __name__ == "__main__":
    main()
