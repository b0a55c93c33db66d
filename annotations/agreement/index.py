"""Pass 1 of `relecture agree` in flat memory: who annotated what, and where each record is.

`RecordIndex` keeps, per record read (`stream.lean.read_files` in index mode for JSONL; the
records of other formats as they come), only its annotator, article identity (input hash and
text digest), answer, and place: file, line order, byte offset and length of its line (or, for
the few records of other formats, the record's own text, spans and tokens). That is some 40
bytes a record, in numpy columns.

`RecordIndex.plan()` then decides what `Latest.corpus()` (`agreement.collect`) decides, on
those columns: the latest record per annotator and article wins (the value of the last file
holding it, the place of its first appearance), records answered `reject` or `ignore` are left
out, the articles two or more annotators kept are the shared ones, in the same order, with the
same ids (`HASH`, `HASH-2`). A `Plan` says, per shared article, which records to read again
(pass 2, `agreement.chunks`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from annotations.agreement.load import (
    EXCLUDED_ANSWERS,
    need_shared,
    need_two_annotators,
)
from annotations.records import Record, input_hash, name_from_meta
from annotations.stream.lean import PartRecords, text_digest
from annotations.stream.line_check import counted

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]

# a record kept whole (of another format than JSONL, or a JSONL line with tokens while they
# fit in KEEP_BYTES): text, meta name, spans as (start, end, label) rows (label: index into the
# list that follows) and the boundaries of its counted tokens (or None)
Inline = tuple[str, str | None, I64, list[str], npt.NDArray[np.int32] | None]

# JSONL lines with tokens are costly to read again (tokens are most of a line, and what agree
# needs of them is a third of their JSON): pass 1 keeps what pass 2 needs of them, up to this
KEEP_BYTES = 384 << 20


def _hashes(values: list[int]) -> tuple[I64, BoolArray]:
    """Input hashes as int64, those of 2^63 and above wrapped (and flagged): orjson reads
    integers in [-2^63, 2^64)."""
    try:
        return np.array(values, dtype=np.int64), np.zeros(len(values), dtype=bool)
    except OverflowError:
        big = np.array([h >= 1 << 63 for h in values], dtype=bool)
        wrapped = [h - (1 << 64) if h >= 1 << 63 else h for h in values]
        return np.array(wrapped, dtype=np.int64), big


def unwrap(h: int, big: bool) -> int:
    """The input hash `_hashes` stored as (h, big)."""
    return h + (1 << 64) if big else h


@dataclass
class Plan:
    """What pass 2 reads and what the report says of pass 1 (see the module docstring)."""

    names: list[str]  # annotators, sorted
    per_annotator: Counter[str]  # kept (not excluded) records per annotator
    excluded: Counter[str]  # reject, ignore, single_annotator_articles
    paths: list[str]  # the input files, by index
    # per shared article: its input hash (`_hashes`), and how many articles before it have
    # that hash (its id is `HASH`, else `HASH-2`, `HASH-3`...: `identity.ids`)
    hash: I64
    big: BoolArray
    later: I64
    first_record: I64  # per shared article, where its records start in the columns below
    # per record of a shared article (grouped by article, by annotator within one)
    annotator: I64  # index into names
    file: I64
    start: I64  # byte offset of its line (-1: an inline record, `length` is its index)
    length: I64
    inline: list[Inline]

    @property
    def articles(self) -> int:
        return len(self.hash)

    def article(self, a: int) -> tuple[int, str]:
        """The input hash and id of shared article `a`."""
        h = unwrap(int(self.hash[a]), bool(self.big[a]))
        k = int(self.later[a])
        return h, str(h) if k == 0 else f"{h}-{k + 1}"


class RecordIndex:
    """Pass 1's columns (see the module docstring), filled part by part."""

    def __init__(self, defaults: list[str]) -> None:
        self.defaults = defaults  # per file, the annotator of records without `_annotator_id`
        self._annotators: dict[str, int] = {}
        self._answers: dict[str | None, int] = {}
        # annotator, hash, big, digest, answer, file, line order, start, length: a list of
        # arrays (one per part) each
        self._columns: list[list[Any]] = [[] for _ in range(9)]
        self._seq: Counter[int] = Counter()  # records so far per file
        self._pending: list[tuple[int, Record]] = []  # records of other formats (few)
        self.inline: list[Inline] = []
        self.kept_bytes = 0

    def keep(self) -> bool:
        """Whether pass 1 may keep more lines whole (`KEEP_BYTES`)."""
        return self.kept_bytes < KEEP_BYTES

    def _keep(self, item: Inline) -> int:
        self.inline.append(item)
        text, _, rows, _, tokens = item
        self.kept_bytes += 2 * len(text) + rows.nbytes + (0 if tokens is None else tokens.nbytes)
        return len(self.inline) - 1

    def _ids(self, table: dict[Any, int], values: list[Any]) -> I64:
        get = table.get
        out = np.empty(len(values), dtype=np.int64)
        for k, v in enumerate(values):
            i = get(v)
            if i is None:
                i = table[v] = len(table)
            out[k] = i
        return out

    def _add(
        self,
        file: int,
        annotators: list[str | None],
        hashes: list[int],
        digests: list[int],
        answers: list[str | None],
        starts: I64,
        lengths: I64,
    ) -> None:
        n = len(hashes)
        default = self.defaults[file]
        names = [default if a is None else a for a in annotators]
        h, big = _hashes(hashes)
        seq = np.arange(self._seq[file], self._seq[file] + n, dtype=np.int64)
        self._seq[file] += n
        columns = (
            self._ids(self._annotators, names),
            h,
            big,
            np.array(digests, dtype=np.uint64),
            self._ids(self._answers, answers),
            np.full(n, file, dtype=np.int64),
            seq,
            starts,
            lengths,
        )
        for to, column in zip(self._columns, columns, strict=True):
            to.append(column)

    def add_part(self, part: PartRecords) -> None:
        starts, lengths = part.starts, part.lengths
        if any(k is not None for k in part.kept) and self.keep():
            starts, lengths = starts.copy(), lengths.copy()
            for i, k in enumerate(part.kept):
                if k is not None:
                    text, name, rows, tokens = k
                    starts[i] = -1
                    lengths[i] = self._keep((text, name, rows, part.labels, tokens))
        self._add(
            part.file,
            part.annotators,
            part.hashes,
            part.digests,
            part.answers,
            starts,
            lengths,
        )

    def add_record(self, file: int, record: Record) -> None:
        text = record.text
        tokens = None
        if record.tokens is not None:
            tokens = counted(((t.start, t.end) for t in record.tokens), text)
        labels: dict[str, int] = {}
        rows = [
            (s.start, s.end, labels.setdefault(s.label, len(labels))) for s in record.spans or ()
        ]
        at = self._keep(
            (
                text,
                name_from_meta(record.meta),
                np.array(rows, dtype=np.int64).reshape(-1, 3),
                list(labels),
                tokens,
            )
        )
        h = record.input_hash if record.input_hash is not None else input_hash(text)
        self._add(
            file,
            [record.annotator],
            [h],
            [text_digest(text)],
            [record.answer],
            np.array([-1], dtype=np.int64),
            np.array([at], dtype=np.int64),
        )

    def plan(self, paths: list[str]) -> Plan:
        """The latest records, the exclusions and the shared articles (module docstring).
        Raises `AgreementError` as `load.build_corpus` does."""
        types = (
            np.int64,
            np.int64,
            bool,
            np.uint64,
            np.int64,
            np.int64,
            np.int64,
            np.int64,
            np.int64,
        )
        cols = []
        for parts, t in zip(self._columns, types, strict=True):  # one column at a time
            cols.append(np.concatenate(parts) if parts else np.zeros(0, dtype=t))
            parts.clear()
        ann, h, big, dig, ans, file, seq, start, length = cols
        del cols
        # the records of one key (annotator, article) together, in file and line order
        order = np.lexsort((seq, file, dig, big, h, ann))
        n = len(order)
        new = np.ones(n, dtype=bool)
        if n > 1:
            o = order
            new[1:] = (
                (ann[o[1:]] != ann[o[:-1]])
                | (h[o[1:]] != h[o[:-1]])
                | (big[o[1:]] != big[o[:-1]])
                | (dig[o[1:]] != dig[o[:-1]])
            )
        firsts = np.flatnonzero(new)
        lasts = np.append(firsts[1:], n) - 1
        first_at = order[firsts]  # its first appearance: the place of the key
        value = order[lasts]  # the latest record: the key's value
        # the keys in the order of the merged table (file, then first line)
        by_place = np.lexsort((seq[first_at], file[first_at]))
        value = value[by_place]

        excluded: Counter[str] = Counter({answer: 0 for answer in EXCLUDED_ANSWERS})
        is_excluded = np.zeros(len(value), dtype=bool)
        for answer in EXCLUDED_ANSWERS:
            code = self._answers.get(answer)
            if code is not None:
                hit = ans[value] == code
                excluded[answer] += int(hit.sum())
                is_excluded |= hit
        kept = value[~is_excluded]  # record index of each kept key, in table order
        annotator_names = {i: a for a, i in self._annotators.items()}
        counts = np.bincount(ann[kept], minlength=len(annotator_names))
        per_annotator: Counter[str] = Counter()
        for i in np.flatnonzero(counts).tolist():
            per_annotator[annotator_names[i]] = int(counts[i])
        names = sorted(per_annotator)
        need_two_annotators(names, excluded)

        # articles, in the order their first kept key comes in the table
        art_order = np.lexsort((np.arange(len(kept)), dig[kept], big[kept], h[kept]))
        k_sorted = kept[art_order]
        a_new = np.ones(len(k_sorted), dtype=bool)
        if len(k_sorted) > 1:
            a_new[1:] = (
                (h[k_sorted[1:]] != h[k_sorted[:-1]])
                | (big[k_sorted[1:]] != big[k_sorted[:-1]])
                | (dig[k_sorted[1:]] != dig[k_sorted[:-1]])
            )
        group_sorted = np.cumsum(a_new) - 1  # article (in hash order) of each kept key
        n_groups = int(a_new.sum())
        group_first = art_order[np.flatnonzero(a_new)]  # its first kept key (table order)
        rank = np.empty(n_groups, dtype=np.int64)
        rank[np.argsort(group_first, kind="stable")] = np.arange(n_groups)
        group_of = np.empty(len(kept), dtype=np.int64)
        group_of[art_order] = rank[group_sorted]  # article (in table order) of each kept key
        sizes = np.bincount(group_of, minlength=n_groups)
        g_hash = np.empty(n_groups, dtype=np.int64)
        g_big = np.empty(n_groups, dtype=bool)
        g_hash[group_of] = h[kept]
        g_big[group_of] = big[kept]
        later = _later(g_hash, g_big)
        shared = np.flatnonzero(sizes >= 2)
        need_shared(shared.tolist()[:1], names, per_annotator)
        excluded["single_annotator_articles"] = n_groups - len(shared)

        # the records of the shared articles, by article then annotator
        name_index = np.full(len(annotator_names), -1, dtype=np.int64)
        for i, name in annotator_names.items():
            if name in per_annotator:
                name_index[i] = names.index(name)
        shared_rank = np.full(n_groups, -1, dtype=np.int64)
        shared_rank[shared] = np.arange(len(shared))
        mine = shared_rank[group_of] >= 0
        rec = kept[mine]
        who = name_index[ann[rec]]
        order2 = np.lexsort((who, shared_rank[group_of[mine]]))
        rec = rec[order2]
        first_record = np.concatenate([[0], np.cumsum(sizes[shared])]).astype(np.int64)
        return Plan(
            names=names,
            per_annotator=per_annotator,
            excluded=excluded,
            paths=paths,
            hash=g_hash[shared],
            big=g_big[shared],
            later=later[shared],
            first_record=first_record,
            annotator=who[order2],
            file=file[rec],
            start=start[rec],
            length=length[rec],
            inline=self.inline,
        )


def _later(hashes: I64, big: BoolArray) -> I64:
    """Per article, how many articles before it have its hash (`identity.ids_from_hashes`)."""
    n = len(hashes)
    order = np.lexsort((np.arange(n), big, hashes))
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = (hashes[order[1:]] != hashes[order[:-1]]) | (big[order[1:]] != big[order[:-1]])
    run_start = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    out = np.empty(n, dtype=np.int64)
    out[order] = np.arange(n) - run_start
    return out
