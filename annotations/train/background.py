"""One run of the model loop (`relecture annotate --update-every N`) in a process of its own:
`python -m annotations.train.background REQUEST.json`.

The review screen must not wait for training, nor lose the processor to it: the process runs at
a lower priority (`os.nice(10)`), its numeric libraries on one thread each, and it ends when the
screen's process does. It trains with `annotations.train.run.fit` (spaCy's training loop, early
stopping on the held-out part, a time limit) from the request's base, scores the suggestion chain
(rules and model, as `relecture suggest` runs it, `job.chain_suggestions`) with the model in use
and with the new one on the same held-out part, and writes the new model to its versioned folder
(whole, `model_dir.save_model`) only when it is better (`retraining.better`). Its stdout is one
JSON line: the result (`TrainingResult`'s fields) or `{"error": "one line"}`.

`BackgroundRun` is the screen's side: it writes the request to a temporary folder, starts the
process, waits for its line and turns anything else (a crash, a kill) into `TrainingFailed`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import orjson

from annotations.errors import InputError, UsageError
from annotations.labels import scheme_dict, scheme_from_dict
from annotations.records import Record
from annotations.review.retraining import (
    LOOP_FACTS,
    Settings,
    TrainingRequest,
    TrainingResult,
    better,
)

COMMAND = [sys.executable, "-m", "annotations.train.background"]  # + the request's path
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
NEW_MODEL = "rules + new model"


class TrainingFailed(Exception):
    """A run that gave no model: the process's one-line reason, or how it ended."""


# -- the request, as a file ----------------------------------------------------------------------
def write_request(request: TrainingRequest, path: Path) -> None:
    data = {
        "version": request.version,
        "out": str(request.out),
        "base": request.base,
        "current": request.current,
        "scheme": scheme_dict(request.scheme),
        "settings": dataclasses.asdict(request.settings),
        "sources": list(request.sources),
        "train": [r.to_dict() for r in request.train],
        "held_out": [r.to_dict() for r in request.held_out],
    }
    path.write_bytes(orjson.dumps(data))


def read_request(path: Path) -> TrainingRequest:
    data = orjson.loads(path.read_bytes())
    return TrainingRequest(
        version=int(data["version"]),
        out=Path(data["out"]),
        base=str(data["base"]),
        current=data["current"],
        train=tuple(Record.from_dict(r) for r in data["train"]),
        held_out=tuple(Record.from_dict(r) for r in data["held_out"]),
        scheme=scheme_from_dict(data["scheme"]),
        settings=Settings(**data["settings"]),
        sources=tuple(data["sources"]),
    )


# -- the process ---------------------------------------------------------------------------------
def train(request: TrainingRequest) -> TrainingResult:
    """Train, score both chains, write the model when it is better."""
    from annotations.train.config import inspect_base
    from annotations.train.data import rows_of, split_data
    from annotations.train.job import chain_suggestions
    from annotations.train.model_dir import About, check_model_target, save_model
    from annotations.train.run import fit_in_temp
    from annotations.train.scores import score

    opts, scheme = request.settings, request.scheme
    check_model_target(request.out, force=False)
    try:
        base = inspect_base(request.base)
    except UsageError:
        raise UsageError(
            f"cannot train from {request.base}: it is not an installed spaCy pipeline "
            "(with --model none the loop trains from blank)"
        ) from None

    def warn(message: str) -> None:
        print(f"warning: {message}", file=sys.stderr)

    pairs = [(r, f"request:{i + 1}") for i, r in enumerate((*request.train, *request.held_out))]
    rows, selection = rows_of(pairs, scheme, "all", None, warn)
    held = {r.article_key for r in request.held_out}
    eval_rows = [row for row in rows if row.record.article_key in held]
    data = split_data(rows, selection, scheme, eval_rows, eval_name="the held-out part")
    result = fit_in_temp(
        data.train,
        data.eval,
        data.labels,
        base,
        "relecture-loop-",
        seed=opts.seed,
        max_minutes=opts.max_minutes,
        max_steps=opts.max_steps,
        width=opts.width,
        depth=opts.depth,
    )
    in_use = "rules only" if request.current is None else f"rules + {request.current}"
    scores = {
        in_use: score(
            data.eval, chain_suggestions(data.eval, scheme, request.current), data.labels
        ),
        NEW_MODEL: score(
            data.eval,
            chain_suggestions(data.eval, scheme, str(request.out), result.nlp),
            data.labels,
        ),
    }
    f1, current_f1 = scores[NEW_MODEL].f1, scores[in_use].f1
    path = None
    if better(f1, current_f1):
        facts = {"version": request.version, "f1": f1, "current": request.current}
        about = About(list(request.sources), request.base, opts.seed, opts.max_minutes)
        loop = {LOOP_FACTS: facts | {"current_f1": current_f1}}
        save_model(request.out, about, data, result, scores, extra=loop)
        path = request.out
    return TrainingResult(request.version, f1, current_f1, path, result.seconds, result.stopped)


def _write(obj: Any) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj) + b"\n")
    sys.stdout.buffer.flush()


def main(argv: list[str]) -> int:
    from annotations.suggest.model_server import end_with_parent

    end_with_parent()
    # stopped by the screen (it quits): unwind, so that the scratch folders are removed
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(1))
    with contextlib.suppress(OSError):
        os.nice(10)
    try:
        result = train(read_request(Path(argv[0])))
    except (UsageError, InputError) as exc:
        _write({"error": str(exc)})
        return 1
    except Exception as exc:  # whatever it is, the screen gets one line and goes on
        _write({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    out = dataclasses.asdict(result)
    out["path"] = None if result.path is None else str(result.path)
    _write(out)
    return 0


# -- the screen's side ---------------------------------------------------------------------------
class BackgroundRun:
    """`start()` writes the request and starts the process (in a worker: writing the records
    takes a moment); `wait()` blocks until its line; `kill()` ends it, from any thread."""

    def __init__(self, request: TrainingRequest) -> None:
        self.request = request
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._killed = False
        self._folder: Path | None = None  # the request's file (every curated record) lives here

    def start(self) -> BackgroundRun:
        """Write the request and start the process; on any failure (stopped meanwhile, the
        process cannot start) the request's folder is removed before the error goes up."""
        self._folder = Path(tempfile.mkdtemp(prefix="relecture-loop-request-"))
        try:
            path = self._folder / "request.json"
            write_request(self.request, path)
            env = os.environ | {name: os.environ.get(name, "1") for name in ONE_THREAD}
            with self._lock:
                if self._killed:
                    raise TrainingFailed("stopped before it started")
                self._proc = subprocess.Popen(
                    [*COMMAND, str(path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                )
        except BaseException:
            self._remove_request()
            raise
        return self

    def _remove_request(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def wait(self) -> TrainingResult:
        proc = self._proc
        if proc is None:
            raise TrainingFailed("not started")
        try:
            out, err = proc.communicate()
        finally:
            self._remove_request()
        answer = _last_object(out)
        if answer is not None and "error" in answer:
            raise TrainingFailed(str(answer["error"]))
        if answer is None or proc.returncode != 0:
            reason = _last_line(err)
            ended = "was stopped" if self._killed else f"ended (exit code {proc.returncode})"
            raise TrainingFailed(
                f"the training process {ended}" + (f": {reason}" if reason else "")
            )
        path = answer.get("path")
        return TrainingResult(
            version=int(answer["version"]),
            f1=float(answer["f1"]),
            current_f1=float(answer["current_f1"]),
            path=None if path is None else Path(path),
            seconds=float(answer.get("seconds") or 0.0),
            stopped=str(answer.get("stopped") or ""),
        )

    def kill(self) -> None:
        """Stop the run (SIGTERM: it removes its scratch folders as it goes)."""
        with self._lock:
            self._killed = True
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()


def _last_object(out: bytes) -> dict[str, Any] | None:
    for line in reversed(out.splitlines()):
        with contextlib.suppress(orjson.JSONDecodeError):
            obj = orjson.loads(line)
            if isinstance(obj, dict):
                return obj
    return None


def _last_line(err: bytes) -> str:
    lines = [line.strip() for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
