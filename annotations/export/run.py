"""The export, start to finish: select, split, make and write the chunks, and put DIR in place
whole or not at all (`annotations.store.atomic`: a scratch folder beside DIR, fsync, one rename;
an existing DIR is replaced only with `force` and only when it is an earlier export).

JSONL inputs (ours, Prodigy's) are exported in two passes, in flat memory: pass 1 indexes every
line (`index`: what the selection needs and where the line is, in numpy columns), the selection
runs on those columns (`columns`: tens of bytes an article, rows made a chunk at a time), and
pass 2 reads the chosen lines again by byte range, chunk by chunk, in worker processes
(`chunks`), while this process writes the pieces in order (`write`). Other formats are read
into memory first and take the same way from there (`export_records`), so the two give the same
files.
"""

from __future__ import annotations

import contextlib
import gc
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from annotations.align import Policy
from annotations.errors import InputError, UsageError
from annotations.export.ahead import Ahead
from annotations.export.card import Summary, readme
from annotations.export.chunks import Spec, build, chunks, load
from annotations.export.columns import RowTable, multi_records, select_index
from annotations.export.index import Index, check_lines, scan
from annotations.export.lines import LINE_FORMATS
from annotations.export.options import (
    FORMATS,
    MARKER,
    ONE_TAG_PER_TOKEN,
    NoProgress,
    Options,
    Progress,
    check_options,
    check_target,
)
from annotations.export.prepare import issue_text
from annotations.export.select import (
    Row,
    Selection,
    parse_policy,
    select,
)
from annotations.export.splits import SPLIT_NAMES, assign, assign_codes, parse_split
from annotations.export.write import split_name, write_folder
from annotations.labels import DEFAULT_SCHEME, load_scheme
from annotations.records import Record
from annotations.store import atomic
from annotations.stream.runner import Inline, Runner, runner

__all__ = ["FORMATS", "MARKER", "ExportResult", "Options", "export", "export_records"]

STREAMED = ("jsonl", "prodigy")
PARALLEL_FROM = 8 << 20  # bytes of input: below, worker processes cost more than they save
# rows per chunk of a line export (its pieces are only joined: any size gives the same files):
# fewer than `chunks.CHUNK`, as a chunk's records with their tokens are what a worker holds
LINE_CHUNK = 512


@dataclass
class ExportResult:
    out: Path
    summary: Summary
    warnings: list[str] = field(default_factory=list)

    def report_lines(self) -> list[str]:
        s = self.summary
        lines = list(s.selection.report_lines())
        for split in s.splits:
            lines.append(
                f"{split.name}: {_plural(split.rows, 'example')}, "
                f"{_plural(split.articles, 'article')}, "
                f"{_plural(sum(split.spans.values()), 'span')} -> {split.file}"
            )
        if s.empty_splits:
            lines.append(f"no {' / '.join(s.empty_splits)} split: too few articles for it")
        return lines


def read_inputs(
    inputs: Sequence[Path],
    input_format: str | None,
    policy: Policy,
    warn: Callable[[str], None],
    progress: Progress,
    spans_key: str | None = None,
) -> Iterator[tuple[Record, str]]:
    """Every record of `inputs`, read whole, with its `file:line`."""
    from annotations.formats import read

    progress.phase("reading", None)
    defaults = _default_annotators(inputs)
    for path, default in zip(inputs, defaults, strict=True):
        for item in read(path, input_format, policy=policy, spans_key=spans_key):
            record = item.record
            if default is not None and record.annotator is None:
                record.annotator = default
            # suggestions are never exported: dropped once they are in the task hash, rather
            # than held (as many spans again) in memory for the whole export
            record.with_hashes().suggestions = None
            for issue in item.issues:
                if issue.error and policy is Policy.STRICT:
                    raise InputError(
                        item.where, 0, f"{issue_text(issue)} (--align strict; try --align split)"
                    )
                warn(f"{item.where}: {issue_text(issue)}")
            progress.advance()
            yield record, item.where


def _default_annotators(inputs: Sequence[Path]) -> list[str | None]:
    """Several files without annotator ids (doccano exports one file per user) are told apart by
    their file names, as `relecture agree` does; a single file keeps records as they are."""
    from annotations.formats import annotator_name

    return [annotator_name(p) if len(inputs) > 1 else None for p in inputs]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while millions of long-lived objects (records, tokens) are
    made: each full collection would walk all of them, and an export creates no cycles to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Warnings:
    """Every warning of one export: kept for the report and passed on as it happens."""

    def __init__(self, sink: Callable[[str], None] | None) -> None:
        self.items: list[str] = []
        self.sink = sink

    def __call__(self, message: str) -> None:
        self.items.append(message)
        if self.sink is not None:
            self.sink(message)


def export(
    inputs: Sequence[str | Path],
    out: str | Path,
    options: Options,
    *,
    warn: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
) -> ExportResult:
    """Read `inputs` (any readable format) and write the export to `out` as `options` say.
    `notice` is told of each leftover of a killed export that is removed."""
    paths = [Path(p) for p in inputs]
    check_options(options)
    check_target(Path(out), options.force, paths, options.labels)
    warnings = _Warnings(warn)
    prog = progress or NoProgress()
    if _streamed(paths, options.input_format):
        return _export_streamed(paths, Path(out), options, prog, notice, warnings)
    records = read_inputs(
        paths, options.input_format, Policy(options.align), warnings, prog, options.spans_key
    )
    return export_records(
        records,
        out,
        options,
        inputs=[str(p) for p in paths],
        progress=prog,
        notice=notice,
        _warnings=warnings,
    )


def _streamed(paths: Sequence[Path], fmt: str | None) -> bool:
    from annotations.formats.detect import detect
    from annotations.inputs import check_path

    for path in paths:
        if not stat.S_ISREG(check_path(path).st_mode) or (fmt or detect(path)) not in STREAMED:
            return False
    return True


def _export_streamed(
    paths: list[Path],
    out: Path,
    options: Options,
    prog: Progress,
    notice: Callable[[str], None] | None,
    report: _Warnings,
) -> ExportResult:
    size = sum(p.stat().st_size for p in paths)
    small = options.scheduler is None and options.processes is None and size < PARALLEL_FROM
    # imports and compiles what the workers will use, while this thread cuts the inputs into
    # parts (a read of every byte), before the workers are forked
    warming = None if small else Ahead(options.fmt, paths)
    run = Inline() if small else runner(options.processes, options.scheduler)
    names = tuple(str(p) for p in paths)
    index = Index()

    def choose(policy: str | None, annotator: str | None) -> Selection:
        nonlocal index
        prog.phase("indexing", None)
        before_fork = warming.wait if warming is not None else None
        index = scan(paths, _default_annotators(paths), run, prog.advance, before_fork)
        return select_index(index, names, policy, annotator, require_answer=options.require_answer)

    def check_rest(selection: Selection) -> None:
        """The lines no row holds are checked whole too, as the whole read checks them."""
        assert isinstance(selection.rows, RowTable)
        held = np.zeros(len(index), np.bool_)
        held[selection.rows.lines_held()] = True
        # small batches: a few superseded lines should not all fall to one worker
        batches = ((names, batch) for batch in index.locations(np.flatnonzero(~held), 128))
        for _ in run.map(check_lines, batches):
            pass

    try:
        with _gc_paused():
            return _export_rows(
                choose, out, options, list(names), prog, notice, report, run, names, check_rest
            )
    finally:
        run.close()


def export_records(
    records: Iterable[tuple[Record, str]],
    out: str | Path,
    options: Options,
    *,
    inputs: Sequence[str] = (),
    warn: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
    _warnings: _Warnings | None = None,
) -> ExportResult:
    """The export from (record, `file:line`) pairs (what `export` and the benchmark call).
    Writes `out` whole or not at all. Records are changed in place (tokens, aligned spans)."""
    report = _warnings if _warnings is not None else _Warnings(warn)

    def choose(policy: str | None, annotator: str | None) -> Selection:
        return select(
            records, policy, annotator, require_answer=options.require_answer, defer_votes=True
        )

    with _gc_paused():
        return _export_rows(
            choose, Path(out), options, inputs, progress or NoProgress(), notice, report, Inline()
        )


def _export_rows(
    choose: Callable[[str | None, str | None], Selection],
    out: Path,
    options: Options,
    inputs: Sequence[str],
    prog: Progress,
    notice: Callable[[str], None] | None,
    report: _Warnings,
    run: Runner,
    paths: tuple[str, ...] = (),
    check_rest: Callable[[Selection], None] | None = None,
) -> ExportResult:
    check_options(options)
    check_target(out, options.force, [Path(i) for i in inputs], options.labels)
    policy, annotator = parse_policy(options.policy, options.annotator)
    ratios = parse_split(options.split)

    selection = choose(policy, annotator)
    if check_rest is not None:
        check_rest(selection)
    if not selection.rows:
        raise UsageError(_nothing_to_export(selection))
    scheme = load_scheme(options.labels)
    if options.any_label:
        labels = _data_labels(selection.rows, scheme.names)
        label_source = "the labels the data uses (`--any-label`)"
    else:
        labels = list(scheme.names)
        label_source = f"scheme `{scheme.name}`, declared in its order"
    if not labels:
        labels = list(scheme.names)

    splits = _splits(selection.rows, ratios, options.seed)

    empty = [name for name, rows in splits.items() if not rows]
    summary = Summary(
        fmt=options.fmt,
        title=out.name or "export",
        out=str(out),
        inputs=list(inputs),
        labels=labels,
        label_source=label_source,
        selection=selection,
        ratios=ratios,
        seed=options.seed,
        align=options.align,
        splits=[],
        empty_splits=[split_name(options.fmt, name) for name in empty],
        agreement=_agreement(options, selection, paths),
        language="fr" if scheme.name == DEFAULT_SCHEME and not options.any_label else None,
    )
    spec = Spec(options.fmt, tuple(labels), options.align, options.fmt in ONE_TAG_PER_TOKEN, paths)
    prog.phase("writing", len(selection.rows))
    with atomic.written_whole(out, "export", notice) as tmp:
        size = LINE_CHUNK if options.fmt in LINE_FORMATS else None
        built = run.map(partial(build, spec), chunks(splits, size))
        features = write_folder(
            tmp, options.fmt, splits, labels, summary, _counted(built, selection), report, prog
        )
        summary.warnings = len(report.items)
        (tmp / "README.md").write_text(readme(summary, features), encoding="utf-8")
        manifest = orjson.dumps(_manifest(summary), option=orjson.OPT_INDENT_2)
        (tmp / MARKER).write_bytes(manifest)
    return ExportResult(out, summary, report.items)


def _splits(rows: Sequence[Row], ratios: tuple[float, ...], seed: int) -> dict[str, Sequence[Row]]:
    """The rows of each split, in the selection's order (`splits.assign`)."""
    names = SPLIT_NAMES[: len(ratios)]
    if isinstance(rows, RowTable):
        codes = assign_codes(*rows.hash_columns(), ratios, seed)
        return {name: rows.take(np.flatnonzero(codes == k)) for k, name in enumerate(names)}
    split_of = assign((row.input_hash for row in rows), ratios, seed)
    splits: dict[str, list[Row]] = {name: [] for name in names}
    for row in rows:
        splits[split_of[row.input_hash]].append(row)
    return dict(splits)


def _counted(built: Iterable[Any], selection: Selection) -> Iterator[Any]:
    """The chunks; then the spans that had no majority are counted as left out."""
    dropped, first = 0, None
    for piece in built:
        dropped += piece.dropped_spans
        if piece.first_drop is not None and (first is None or piece.first_drop < first):
            first = piece.first_drop
        yield piece
    selection.place_votes(dropped, first)


def _data_labels(rows: Sequence[Row], scheme_labels: Sequence[str]) -> list[str]:
    """`--any-label`: the labels the rows use (a `majority` row: its voters'), the scheme's
    first (in its order)."""
    if isinstance(rows, RowTable):
        used = rows.labels_used()
    else:
        used = set()
        for row in rows:
            for record, _ in row.voters if row.voters is not None else [(row.record, "")]:
                used.update(span.label for span in record.spans or ())
    return [label for label in scheme_labels if label in used] + sorted(used - set(scheme_labels))


def _agreement(
    options: Options, selection: Selection, paths: Sequence[str]
) -> Mapping[str, Any] | None:
    if selection.multi_annotated == 0 or options.agreement is None:
        return None
    if not callable(options.agreement):
        return options.agreement
    current = selection.current_records
    stubs = multi_records(selection)
    if stubs is not None:
        # only articles with several annotators count: read those records whole, not the rest
        current = [load(stub, paths)[0] for stub in stubs]
    return options.agreement(current)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _nothing_to_export(selection: Selection) -> str:
    left = ", ".join(f"{n:,} {reason}" for reason, n in selection.left_out.items() if n)
    return "nothing to export: no accepted article" + (f" ({left})" if left else "")


def _manifest(summary: Summary) -> dict[str, Any]:
    sel = summary.selection
    return {
        "tool": "relecture export",
        "format": summary.fmt,
        "inputs": summary.inputs,
        "policy": sel.policy,
        "split": list(summary.ratios),
        "seed": summary.seed,
        "align": summary.align,
        "labels": summary.labels,
        "splits": {
            s.name: {
                "file": s.file,
                "examples": s.rows,
                "articles": s.articles,
                "tokens": s.tokens,
                "spans": dict(Counter(s.spans).most_common()),
            }
            for s in summary.splits
        },
        "empty_splits": summary.empty_splits,
        "records_read": sel.lines,
        "answers": dict(sel.answers),
        "left_out": {k: v for k, v in sel.left_out.items() if v},
        "annotators": sel.annotators,
        "warnings": summary.warnings,
    }
