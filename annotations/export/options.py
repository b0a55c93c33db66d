"""What an export is asked to do (`Options`), the checks made before anything is read, and the
progress protocol the CLI implements."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from annotations import outputs
from annotations.align import POLICIES as ALIGN_POLICIES
from annotations.errors import UsageError
from annotations.export.select import parse_policy
from annotations.export.splits import DEFAULT_SPLIT, parse_split
from annotations.records import Record
from annotations.store import atomic

FORMATS = ("hf", "spacy", "conll", "jsonl", "doccano", "prodigy")
ONE_TAG_PER_TOKEN = frozenset(("hf", "spacy", "conll"))
MARKER = ".relecture-export.json"


class Progress(Protocol):
    """What the export reports while it runs (the CLI shows it as a Rich progress bar)."""

    def phase(self, name: str, total: int | None) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class NoProgress:
    def phase(self, name: str, total: int | None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


@dataclass
class Options:
    fmt: str = "hf"
    policy: str | None = None
    annotator: str | None = None
    split: str = DEFAULT_SPLIT
    seed: int = 0
    labels: str | Path | None = None  # label scheme file; None: the default (news-fr)
    any_label: bool = False
    align: str = "split"
    require_answer: bool = False
    force: bool = False
    input_format: str | None = None
    spans_key: str | None = None  # which spans a DocBin / INCEpTION input gives (`read`)
    # worker processes for the second pass (None: one per core); a Dask scheduler's address
    # runs it on that cluster instead
    processes: int | None = None
    scheduler: str | None = None
    # hook: agreement figures for the README / dataset card, shown when some article has several
    # annotators: a mapping (measure -> number, or -> {label: number}), or a function computing
    # it from the current records (latest per annotator and article)
    agreement: Mapping[str, Any] | Callable[[list[Record]], Mapping[str, Any] | None] | None = None


def check_target(
    out: Path, force: bool, inputs: Sequence[Path] = (), labels: str | Path | None = None
) -> None:
    """Refuse a target that exists (without force), is a file, is not an export, is or holds an
    input (by identity: see `annotations.outputs`), or lies inside an input folder."""
    reads = [*outputs.inputs("the input", inputs), *outputs.inputs("the --labels file", [labels])]
    atomic.check_target(out, force, MARKER, "a relecture export", reads)


def check_options(options: Options) -> None:
    if options.fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)} (got {options.fmt!r})")
    if options.align not in ALIGN_POLICIES:
        raise UsageError(f"--align must be one of {', '.join(ALIGN_POLICIES)}")
    if options.processes is not None and options.processes < 1:
        raise UsageError(f"--processes must be at least 1 (got {options.processes})")
    parse_split(options.split)
    parse_policy(options.policy, options.annotator)
