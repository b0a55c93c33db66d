"""The export, start to finish: read, select, split, align, and write DIR whole or not at all
(`annotations.store.folders`: a scratch folder beside DIR, fsync, one rename; an existing DIR is
replaced only with `force` and only when it is an earlier export, holding `.relecture-export.json`).
"""

from __future__ import annotations

import contextlib
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from annotations import outputs
from annotations.align import POLICIES as ALIGN_POLICIES
from annotations.align import Policy
from annotations.errors import InputError, UsageError
from annotations.export.card import SplitStats, Summary, readme
from annotations.export.prepare import data_labels, is_ready, issue_text, prepare_row
from annotations.export.select import Row, Selection, parse_policy, select
from annotations.export.splits import DEFAULT_SPLIT, SPLIT_NAMES, assign, parse_split
from annotations.labels import DEFAULT_SCHEME, load_scheme
from annotations.records import Record
from annotations.store import folders

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
    folders.check_target(out, force, MARKER, "a relecture export", reads)


def read_inputs(
    inputs: Sequence[Path],
    input_format: str | None,
    policy: Policy,
    warn: Callable[[str], None],
    progress: Progress,
    spans_key: str | None = None,
) -> Iterator[tuple[Record, str]]:
    from annotations.formats import annotator_name, read

    progress.phase("reading", None)
    # Several files without annotator ids (doccano exports one file per user) are told apart by
    # their file names, as `relecture agree` does; a single file keeps records as they are.
    name_by_file = len(inputs) > 1
    for path in inputs:
        default = annotator_name(path) if name_by_file else None
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
    _check_options(options)
    check_target(Path(out), options.force, paths, options.labels)
    warnings = _Warnings(warn)
    prog = progress or NoProgress()
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


def _check_options(options: Options) -> None:
    if options.fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)} (got {options.fmt!r})")
    if options.align not in ALIGN_POLICIES:
        raise UsageError(f"--align must be one of {', '.join(ALIGN_POLICIES)}")
    parse_split(options.split)
    parse_policy(options.policy, options.annotator)


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
    with _gc_paused():
        return _export_records(records, out, options, inputs, warn, progress, notice, _warnings)


def _export_records(
    records: Iterable[tuple[Record, str]],
    out: str | Path,
    options: Options,
    inputs: Sequence[str],
    warn: Callable[[str], None] | None,
    progress: Progress | None,
    notice: Callable[[str], None] | None,
    _warnings: _Warnings | None,
) -> ExportResult:
    out = Path(out)
    _check_options(options)
    check_target(out, options.force, [Path(i) for i in inputs], options.labels)
    prog = progress or NoProgress()
    report = _warnings if _warnings is not None else _Warnings(warn)

    policy, annotator = parse_policy(options.policy, options.annotator)
    ratios = parse_split(options.split)
    align = Policy(options.align)

    selection = select(records, policy, annotator, require_answer=options.require_answer)
    if not selection.rows:
        raise UsageError(_nothing_to_export(selection))
    scheme = load_scheme(options.labels)
    if options.any_label:
        labels = data_labels(selection.rows, scheme.names)
        label_source = "the labels the data uses (`--any-label`)"
    else:
        labels = list(scheme.names)
        label_source = f"scheme `{scheme.name}`, declared in its order"
    if not labels:
        labels = list(scheme.names)

    split_of = assign((row.input_hash for row in selection.rows), ratios, options.seed)
    splits: dict[str, list[Row]] = {name: [] for name in SPLIT_NAMES[: len(ratios)]}
    for row in selection.rows:
        splits[split_of[row.input_hash]].append(row)

    allowed = frozenset(labels)
    one_tag = options.fmt in ONE_TAG_PER_TOKEN

    def prepare(rows: Sequence[Row]) -> None:  # called by the writers, chunk by chunk
        for row in rows:
            prepare_row(row, align, allowed, one_tag_per_token=one_tag, warn=report)

    def ready(record: Record) -> bool:  # nothing for `prepare` to do (the HF writer checks)
        return is_ready(record, allowed, one_tag)

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
        empty_splits=[_split_name(options.fmt, name) for name in empty],
        agreement=_agreement(options, selection),
        language="fr" if scheme.name == DEFAULT_SCHEME and not options.any_label else None,
    )
    prog.phase("writing", len(selection.rows))
    with folders.written_whole(out, "export", notice) as tmp:
        features = _write(tmp, options.fmt, splits, labels, summary, report, prog, prepare, ready)
        summary.warnings = len(report.items)
        (tmp / "README.md").write_text(readme(summary, features), encoding="utf-8")
        manifest = orjson.dumps(_manifest(summary), option=orjson.OPT_INDENT_2)
        (tmp / MARKER).write_bytes(manifest)
    return ExportResult(out, summary, report.items)


def _agreement(options: Options, selection: Selection) -> Mapping[str, Any] | None:
    if selection.multi_annotated == 0 or options.agreement is None:
        return None
    if callable(options.agreement):
        return options.agreement(selection.current_records)
    return options.agreement


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


def _split_name(fmt: str, split: str) -> str:
    return "validation" if fmt == "hf" and split == "dev" else split


def _nothing_to_export(selection: Selection) -> str:
    left = ", ".join(f"{n:,} {reason}" for reason, n in selection.left_out.items() if n)
    return "nothing to export: no accepted article" + (f" ({left})" if left else "")


def _stats(fmt: str, split: str, file: str, rows: list[Row]) -> SplitStats:
    stats = SplitStats(_split_name(fmt, split), file, rows=len(rows))
    stats.articles = len({row.record.article_key for row in rows})
    stats.tokens = sum(len(row.record.tokens or ()) for row in rows)
    for row in rows:
        stats.spans.update(span.label for span in row.record.spans or ())
    return stats


def _write(
    tmp: Path,
    fmt: str,
    splits: dict[str, list[Row]],
    labels: list[str],
    summary: Summary,
    warn: Callable[[str], None],
    prog: Progress,
    prepare: Callable[[Sequence[Row]], None],
    ready: Callable[[Record], bool],
) -> Any:
    """Write the format into `tmp`; `prepare` puts rows on tokens (and checks them) just before
    they are written, so that HF writing starts at once and overlaps with the checks; the HF
    writer calls it only for a chunk where `ready` is false for some record."""
    features = None
    if fmt == "hf":
        from annotations.export.hf import write_hf

        results, features = write_hf(
            tmp,
            splits,
            labels,
            description=f"relecture export: {summary.title}",
            advance=prog.advance,
            prepare=prepare,
            ready=ready,
        )
        by_name = {r.name: r for r in results}
        for split, rows in splits.items():
            res = by_name.get(_split_name(fmt, split))
            if res is None:
                continue
            stats = SplitStats(res.name, res.parquet, res.rows, tokens=res.tokens, spans=res.spans)
            stats.nbytes = res.nbytes
            stats.articles = len({row.record.article_key for row in rows})
            summary.splits.append(stats)
        return features
    for rows in splits.values():
        prepare(rows)
    if fmt == "spacy":
        from annotations.export.docbin import write_spacy

        files = write_spacy(tmp, splits, labels)
    elif fmt == "conll":
        from annotations.export.conll import write_conll

        files = write_conll(tmp, splits, warn)
    else:
        from annotations.export.lines import write_lines

        files = write_lines(tmp, splits, fmt)
    for split, rows in splits.items():
        if split in files:
            summary.splits.append(_stats(fmt, split, files[split], rows))
            prog.advance(len(rows))
    return features


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
