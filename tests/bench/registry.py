"""The benchmark registry: groups of functions that each return rows (name, value, unit, budget, ok).

Add a benchmark by writing a `tests/bench/bench_<group>.py` module with functions decorated by
`@benchmark("<group>")`; `python -m tests.bench` imports every `bench_*` module and runs them.
A benchmark takes the shared `Context` (scratch folders, the generated corpus) and returns rows.
Only the standard library is imported here, so that child processes stay small.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Row:
    """One measured value. `budget` is a bound in the same unit: an upper bound, or a lower
    bound when `higher_is_better` (throughputs). Without a budget the row is informational."""

    name: str
    value: float | None
    unit: str
    budget: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ok(self) -> bool | None:
        if self.budget is None or self.value is None:
            return None
        return self.value >= self.budget if self.higher_is_better else self.value <= self.budget

    @property
    def budget_text(self) -> str:
        if self.budget is None:
            return ""
        return f"{'≥' if self.higher_is_better else '≤'} {fmt(self.budget)} {self.unit}".strip()

    @property
    def value_text(self) -> str:
        return "—" if self.value is None else f"{fmt(self.value)} {self.unit}".strip()


def fmt(x: float) -> str:
    if x == int(x) and abs(x) >= 1000:  # counts: 200,000
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, `q` in [0, 100]."""
    s = sorted(values)
    if not s:
        raise ValueError("no values")
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return s[k]


@dataclass
class Context:
    """What benchmarks share: the corpus size, scratch folders (deleted at the end), the corpus."""

    articles: int = 200_000
    seed: int = 0
    corpus_path: Path | None = None  # an existing corpus to reuse instead of generating one
    log: Callable[[str], None] = print
    _scratch: Path | None = None
    _extra_dirs: list[Path] = field(default_factory=list)
    _corpus_info: dict[str, Any] = field(default_factory=dict)

    @property
    def scratch(self) -> Path:
        """A temporary folder outside the repository, removed by `close()`."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="relecture-bench-"))
        return self._scratch

    def same_fs_scratch(self, near: Path = REPO) -> Path:
        """A scratch folder on the same filesystem as `near` (for fsync timings)."""
        if os.stat(self.scratch).st_dev == os.stat(near).st_dev:
            return self.scratch
        path = Path(tempfile.mkdtemp(prefix=".bench-tmp-", dir=Path(__file__).parent))
        self._extra_dirs.append(path)
        return path

    def corpus(self) -> tuple[Path, dict[str, Any]]:
        """The JSONL corpus of `articles` records (generated once) and facts about it."""
        if self.corpus_path is None:
            from tests.bench.corpus import write_corpus

            path = self.scratch / f"corpus-{self.articles}.jsonl"
            self.log(f"generating {self.articles:,} articles in {path} …")
            t0 = time.perf_counter()
            n = write_corpus(path, self.articles, seed=self.seed)
            self._corpus_info = {"generated_s": time.perf_counter() - t0, "records": n}
            self.corpus_path = path
        if "bytes" not in self._corpus_info:
            size = self.corpus_path.stat().st_size
            with open(self.corpus_path, "rb") as fh:
                records = self._corpus_info.get("records") or sum(1 for _ in fh)
            self._corpus_info.update(bytes=size, records=records)
            info = self._corpus_info
            gen = f", generated in {info['generated_s']:.1f} s" if "generated_s" in info else ""
            self.log(
                f"corpus: {records:,} articles, {size / 1e6:,.0f} MB, "
                f"{size / max(records, 1) / 1e3:.2f} KB/article on average{gen}"
            )
        return self.corpus_path, self._corpus_info

    def close(self) -> None:
        for path in [*self._extra_dirs, self._scratch]:
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
        self._scratch = None
        self._extra_dirs.clear()


Benchmark = Callable[[Context], Iterable[Row]]
BENCHMARKS: dict[str, list[Benchmark]] = {}


def benchmark(group: str) -> Callable[[Benchmark], Benchmark]:
    """Register a benchmark function in `group` (run by `python -m tests.bench [group]`)."""

    def register(fn: Benchmark) -> Benchmark:
        BENCHMARKS.setdefault(group, []).append(fn)
        return fn

    return register


def run_child(module: str, *args: str, timeout: float = 120) -> dict[str, Any]:
    """Run `python -m module args…` from the repository root in a fresh interpreter (so that its
    peak RSS is its own) and return the JSON object it prints as its last stdout line."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{module} failed ({proc.returncode}):\n{proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
