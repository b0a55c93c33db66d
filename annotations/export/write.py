"""The files of an export, written from the chunks pass 2 makes (`chunks.Built`, in order): one
file per split (parquet + Arrow for hf, DocBin, CoNLL, JSONL), with the counts of each split."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from annotations.export.card import SplitStats, Summary
from annotations.export.chunks import Built
from annotations.export.columns import RowTable
from annotations.export.options import Progress
from annotations.export.select import Row

LINE_FILES = {"train": "train.jsonl", "dev": "dev.jsonl", "test": "test.jsonl"}


def split_name(fmt: str, split: str) -> str:
    return "validation" if fmt == "hf" and split == "dev" else split


def articles(rows: Sequence[Row]) -> int:
    """Distinct articles among rows (an article is its hash and its text)."""
    if isinstance(rows, RowTable):
        return rows.articles()
    return len({(row.input_hash, row.record.text) for row in rows})


def write_folder(
    tmp: Path,
    fmt: str,
    splits: Mapping[str, Sequence[Row]],
    labels: list[str],
    summary: Summary,
    built: Iterable[Built],
    warn: Callable[[str], None],
    prog: Progress,
) -> Any:
    """Write the format into `tmp` from `built` (every chunk of every split, in order); fills
    `summary.splits`; returns the `datasets.Features` of an hf export (else None)."""
    late: list[str] = []

    def each() -> Iterable[Built]:
        for piece in built:
            for message in piece.warnings:
                warn(message)
            late.extend(piece.late_warnings)
            yield piece
            prog.advance(piece.rows)

    if fmt == "hf":
        feats = _hf(tmp, splits, labels, summary, each())
    else:
        feats = None
        _files(tmp, fmt, splits, labels, summary, each())
    for message in late:
        warn(message)
    return feats


def _hf(
    tmp: Path,
    splits: Mapping[str, Sequence[Row]],
    labels: list[str],
    summary: Summary,
    built: Iterable[Built],
) -> Any:
    from annotations.export.hf import HfWriter, fingerprint

    prints = {split: fingerprint(split, rows, labels) for split, rows in splits.items() if rows}
    with HfWriter(tmp, labels, prints, f"relecture export: {summary.title}") as writer:
        for piece in built:
            writer.add(piece.split, piece.payload, piece.tokens, piece.spans)
        results = writer.finish()
    by_name = {r.name: r for r in results}
    for split, rows in splits.items():
        res = by_name.get(split_name("hf", split))
        if res is None:
            continue
        stats = SplitStats(res.name, res.parquet, res.rows, tokens=res.tokens, spans=res.spans)
        stats.nbytes = res.nbytes
        stats.articles = articles(rows)
        summary.splits.append(stats)
    return writer.feats


class _SplitFile:
    """One split's file of a spacy, conll or line export, and its counts."""

    def __init__(self, tmp: Path, fmt: str, split: str, rows: Sequence[Row]) -> None:
        from annotations.export.conll import CONLL_FILES
        from annotations.export.docbin import SPACY_FILES

        self.fmt = fmt
        self.name = {"spacy": SPACY_FILES, "conll": CONLL_FILES}.get(fmt, LINE_FILES)[split]
        self.path = tmp / self.name
        self.stats = SplitStats(split_name(fmt, split), self.name, rows=len(rows))
        self.stats.articles = articles(rows)
        self.stats.spans = Counter()
        self.fh: IO[Any] | None = None
        self.docbin: Any = None
        if fmt == "spacy":
            from annotations.export.docbin import layout
            from annotations.export.spacy_file import DocBinFile

            version, attrs, _each = layout()
            self.docbin = DocBinFile(self.path, version, attrs)
        elif fmt == "conll":
            self.fh = open(self.path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        else:
            self.fh = open(self.path, "wb")  # noqa: SIM115

    def add(self, piece: Built) -> None:
        self.stats.tokens += piece.tokens
        self.stats.spans.update(piece.spans)
        if self.docbin is not None:
            self.docbin.add(piece.payload)
        else:
            assert self.fh is not None
            self.fh.write(piece.payload)

    def close(self) -> None:
        if self.docbin is not None:
            self.docbin.close()
        elif self.fh is not None:
            self.fh.close()

    def abandon(self) -> None:
        """Let go of what is open (after `close`, or when the export stopped midway)."""
        if self.docbin is not None:
            self.docbin.discard()
        elif self.fh is not None:
            self.fh.close()


def _files(
    tmp: Path,
    fmt: str,
    splits: Mapping[str, Sequence[Row]],
    labels: list[str],
    summary: Summary,
    built: Iterable[Built],
) -> None:
    files = {split: _SplitFile(tmp, fmt, split, rows) for split, rows in splits.items() if rows}
    try:
        for piece in built:
            files[piece.split].add(piece)
        for file in files.values():
            file.close()
            summary.splits.append(file.stats)
    finally:
        for file in files.values():
            file.abandon()
    if fmt == "spacy":
        from annotations.export.docbin import config_text

        (tmp / "config.cfg").write_text(config_text(labels), encoding="utf-8")
