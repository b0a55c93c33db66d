"""The selection of `annotations.export.select` made on the columns of pass 1 (`index.Index`).

`select_index` gives the same `Selection` as `select` over the index's stubs (counts, reasons in
the same order, rows in the same order with the same ids), but its rows are a `RowTable`: numpy
columns saying which line each row is (and, under `majority`, which lines vote), ~16 bytes a
row. A row becomes a `Row` (its record a `Stub`, its `file:line` a string) only when it is read,
a chunk at a time (`RowTable[i:j]`), so that the process holds no object per article.

The rules are those of `select` (see there); the groups are found by sorting:

- an article is its hash and its text's digest (as `Stub`s compare), numbered in the order of
  its first line;
- the current record of an annotator on an article is their last line on it, in the order of
  their first line on it (as `store.latest` keeps a dict's order);
- an article's records are its current records in that order (as `identity.by_article`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from annotations.export.index import ANSWER_CODES, Index, Stub
from annotations.export.select import (
    NO_ANSWER,
    Row,
    Selection,
    not_gold,
    reason,
    resolve_policy,
)

Array = np.ndarray[Any, Any]

_CODE = {a: i for i, a in enumerate(ANSWER_CODES)}
_TIE = 1 << len(ANSWER_CODES)  # the reason code of a tie (below: sets of answers, as bits)
_BATCH = 4096


@dataclass
class Picked:
    """A selection's rows as columns over `index` (shared by the `RowTable`s cut from it)."""

    index: Index
    paths: tuple[str, ...]
    line: Array  # per row: the line of its record (`majority`: its first voter's)
    article: Array  # per row: its article (numbered in the order of their first lines)
    rank: Array  # per article: how many earlier articles have its hash (its id: `HASH-2`...)
    per_annotator: bool  # `all`: a row's id names its annotator
    voter_ptr: Array | None = None  # `majority`: row r's voters are voter_line[ptr[r]:ptr[r+1]]
    voter_line: Array | None = None
    position: Array | None = None  # `majority`: `Row.position`
    multi_lines: Array | None = None  # current lines of articles with several, in current order


class RowTable(Sequence[Row]):
    """Rows of a `Picked` (all of them, or those at `which`, in that order), made on demand."""

    def __init__(self, picked: Picked, which: Array | None = None) -> None:
        self.picked = picked
        self.which = np.arange(len(picked.line)) if which is None else which

    def __len__(self) -> int:
        return len(self.which)

    @overload
    def __getitem__(self, i: int) -> Row: ...

    @overload
    def __getitem__(self, i: slice) -> list[Row]: ...

    def __getitem__(self, i: int | slice) -> Row | list[Row]:
        if isinstance(i, slice):
            return self._rows(self.which[i])
        return self._rows(self.which[[i]])[0]

    def __iter__(self) -> Iterator[Row]:
        for start in range(0, len(self), _BATCH):
            yield from self[start : start + _BATCH]

    def take(self, at: Array) -> RowTable:
        """The rows at positions `at` of this table."""
        return RowTable(self.picked, self.which[at])

    def hash_columns(self) -> tuple[Array, Array]:
        """Each row's `_input_hash` as (its 64 bits, signed; whether it is 2**63 or more)."""
        lines = self.picked.line[self.which]
        return self.picked.index.bits[lines], self.picked.index.big[lines]

    def articles(self) -> int:
        """Distinct articles among the rows."""
        return len(np.unique(self.picked.article[self.which]))

    def lines_held(self) -> Array:
        """Every line a row holds (its record, or its voters')."""
        p = self.picked
        if p.voter_ptr is None or p.voter_line is None:
            return p.line[self.which]
        starts, ends = p.voter_ptr[self.which], p.voter_ptr[self.which + 1]
        return p.voter_line[_ranges(starts, ends)]

    def labels_used(self) -> set[str]:
        """The labels of the lines the rows hold."""
        index = self.picked.index
        used: set[str] = set()
        for code in np.unique(index.labels[self.lines_held()]).tolist():
            used.update(index.label_sets[code])
        return used

    def _rows(self, rows: Array) -> list[Row]:
        p = self.picked
        index, paths = p.index, p.paths
        lines = p.line[rows]
        wide = index.big[lines].tolist()
        hashes = [
            h + (1 << 64) if b else h for h, b in zip(index.bits[lines].tolist(), wide, strict=True)
        ]
        names = [
            str(h) if rank == 0 else f"{h}-{rank + 1}"
            for h, rank in zip(hashes, p.rank[p.article[rows]].tolist(), strict=True)
        ]
        if p.voter_ptr is None or p.voter_line is None or p.position is None:
            out = []
            stub: Any  # a `Stub` stands for the `Record` it is read into, in pass 2
            for stub, name in zip(index.stubs(lines), names, strict=True):
                who = [stub.annotator] if stub.annotator is not None else []
                rid = f"{name}:{stub.annotator or ''}" if p.per_annotator else name
                where = f"{paths[stub.file]}:{stub.line}"
                out.append(Row(stub, who, where, rid, stub.input_hash))
            return out
        starts, ends = p.voter_ptr[rows], p.voter_ptr[rows + 1]
        stubs: list[Any] = index.stubs(p.voter_line[_ranges(starts, ends)])
        voters = [(s, f"{paths[s.file]}:{s.line}") for s in stubs]
        out = []
        at = 0
        for name, n, position in zip(
            names, (ends - starts).tolist(), p.position[rows].tolist(), strict=True
        ):
            mine = voters[at : at + n]
            at += n
            base, where = mine[0]
            annotators = sorted(s.annotator for s, _ in mine if s.annotator is not None)
            row = Row(base, annotators, where, name, base.input_hash, mine)
            row.position = position
            out.append(row)
        return out


def _ranges(starts: Array, ends: Array) -> Array:
    """The concatenation of `arange(s, e)` for each pair (in order)."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    result: Array = offsets + np.arange(total)
    return result


def _groups(keys: Sequence[Array]) -> tuple[Array, Array]:
    """A stable sort by `keys` (the first the main one) and where each run of equal keys
    starts in it."""
    n = len(keys[0])
    order = np.lexsort(tuple(reversed(keys)))
    new = np.ones(n, np.bool_)
    if n:
        new[1:] = False
        for key in keys:
            sorted_key = key[order]
            new[1:] |= sorted_key[1:] != sorted_key[:-1]
    return order, np.flatnonzero(new)


def _number(order: Array, starts: Array, n: int) -> tuple[Array, Array]:
    """Each element's group (numbered by their first element) and each group's first element,
    from `_groups`."""
    firsts = order[starts]  # the sort is stable: a run's first element is its earliest
    by_first = np.argsort(firsts)
    renumber = np.empty(len(starts), np.int64)
    renumber[by_first] = np.arange(len(starts))
    group = np.empty(n, np.int64)
    new = np.zeros(n, np.bool_)
    new[starts] = True
    group[order] = renumber[np.cumsum(new) - 1]
    return group, firsts[by_first]


def _first_seen(values: Array) -> list[tuple[int, int]]:
    """(value, how many) of each distinct value, in the order each first occurs."""
    if not len(values):
        return []
    uniq, first, counts = np.unique(values, return_index=True, return_counts=True)
    order = np.argsort(first)
    return list(zip(uniq[order].tolist(), counts[order].tolist(), strict=True))


def _answer_name(code: int) -> str:
    return ANSWER_CODES[code] or NO_ANSWER


def select_index(
    index: Index,
    paths: Sequence[str],
    policy: str | None = None,
    annotator: str | None = None,
    *,
    require_answer: bool = False,
    purpose: str = "export",
) -> Selection:
    """`select(stubs, policy, annotator, require_answer=..., purpose=..., defer_votes=True)`
    on the index's lines with `file:line` from `paths`, in columns (see the module
    docstring)."""
    n = len(index)
    order, starts = _groups([index.big, index.bits, index.blank, index.digest])
    art, art_first = _number(order, starts, n)
    n_articles = len(art_first)
    del order, starts

    # the current record per annotator and article: their last line, at their first line's place
    key = art * max(1, len(index.annotators)) + index.annotator
    order = np.argsort(key, kind="stable")
    edges = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1]]) if n else order
    del key
    first = order[edges]
    last = order[np.r_[edges[1:], n] - 1] if n else order
    by_first = np.argsort(first)
    cur_line = last[by_first]
    del order, edges, first, last, by_first
    cur_art = art[cur_line]

    # an article's records: its current ones, in current order
    grouped = np.argsort(cur_art, kind="stable")
    g_line, g_art = cur_line[grouped], cur_art[grouped]
    del grouped
    g_ans = index.answer[g_line]
    counts = np.bincount(g_art, minlength=n_articles)
    ptr = np.r_[0, np.cumsum(counts)]
    multi = int((counts > 1).sum())
    names = sorted(
        name
        for name in (index.annotators[c] for c in np.unique(index.annotator[cur_line]).tolist())
        if name is not None
    )

    policy = resolve_policy(policy, annotator, multi, names, purpose)
    sel = Selection([], policy, n, len(cur_line), n_articles, multi, names)
    for code, k in _first_seen(index.answer[cur_line]):
        sel.answers[_answer_name(code)] = k
    blank_art = index.blank[art_first] if n else np.zeros(0, np.bool_)
    blank = int(blank_art.sum())
    if blank:
        sel.left_out["articles whose text is only whitespace"] += blank
    kept_art = ~blank_art
    in_kept = kept_art[g_art]
    rank = _ranks(index, art_first)
    multi_lines = cur_line[counts[cur_art] > 1]
    del cur_line, cur_art

    def picked(line: Array, article: Array, **more: Any) -> Picked:
        return Picked(index, tuple(paths), line, article, rank, policy == "all", **more)

    accepted = [_CODE["accept"]] if require_answer else [_CODE["accept"], _CODE[None]]
    if policy == "majority":
        is_voter = np.isin(g_ans, accepted) & in_kept
        voters = np.bincount(g_art[is_voter], minlength=n_articles)
        rejecters = np.bincount(g_art[g_ans == _CODE["reject"]], minlength=n_articles)
        answered = np.zeros(n_articles, np.int64)  # the set of answers, as bits
        for code in range(len(ANSWER_CODES)):
            answered |= (np.bincount(g_art[g_ans == code], minlength=n_articles) > 0) << code
        why = np.full(n_articles, -1, np.int64)  # per article: the reason code, if left out
        why[kept_art & (voters == 0)] = answered[kept_art & (voters == 0)]
        why[kept_art & (voters > 0) & (voters <= rejecters)] = _TIE
        met = np.flatnonzero(why >= 0)
        first_met: list[int] = []
        for code, k in _first_seen(why[met]):
            text = _majority_reason(code)
            sel.left_out[text] += k
            sel.reason_at[text] = len(sel.reason_at)
            first_met.append(int(met[np.argmax(why[met] == code)]))
        rows = np.flatnonzero(kept_art & (voters > rejecters))
        voter_line = g_line[is_voter & (voters > rejecters)[g_art]]
        voter_ptr = np.r_[0, np.cumsum(voters[rows])]
        position = np.searchsorted(np.sort(np.array(first_met, np.int64)), rows, side="right")
        sel.rows = RowTable(
            picked(
                voter_line[voter_ptr[:-1]],
                rows,
                voter_ptr=voter_ptr,
                voter_line=voter_line,
                position=position,
                multi_lines=multi_lines,
            )
        )
        return sel

    if policy == "gold" and multi:
        several = np.flatnonzero(kept_art & (counts > 1))
        if len(several):
            k = int(several[0])
            first_stub, second_stub = index.stubs(g_line[ptr[k] : ptr[k] + 2])
            where = index.where(int(g_line[ptr[k]]), paths)
            raise not_gold(where, first_stub.annotator, second_stub.annotator)
    considered = in_kept
    if policy == "annotator":
        code_of = index.annotators.index(annotator)
        considered = in_kept & (index.annotator[g_line] == code_of)
    kept = considered & np.isin(g_ans, accepted)
    for code, k in _first_seen(g_ans[considered & ~kept]):
        sel.left_out[reason(_answer_name(code))] += k
    sel.rows = RowTable(picked(g_line[kept], g_art[kept], multi_lines=multi_lines))
    if policy == "annotator":
        has = np.bincount(g_art[considered], minlength=n_articles) > 0
        missing = int((kept_art & ~has).sum())
        if missing:
            sel.left_out[f"articles not annotated by {annotator}"] += missing
    return sel


def _majority_reason(code: int) -> str:
    if code == _TIE:
        return "articles rejected by as many annotators as accepted them or more"
    answers = sorted(_answer_name(c) for c in range(len(ANSWER_CODES)) if code >> c & 1)
    return f"articles answered {'/'.join(answers)} by every annotator"


def _ranks(index: Index, art_first: Array) -> Array:
    """Per article: how many earlier articles share its hash (`identity.ids`)."""
    n = len(art_first)
    order, starts = _groups([index.big[art_first], index.bits[art_first]])
    rank = np.empty(n, np.int64)
    run_start = np.zeros(n, np.int64)
    run_start[starts] = starts
    rank[order] = np.arange(n) - np.maximum.accumulate(run_start) if n else rank
    return rank


def multi_records(selection: Selection) -> list[Stub] | None:
    """The current records (stubs) of the articles with several annotators, in current order,
    when the selection was made on an index (else None)."""
    rows = selection.rows
    if not isinstance(rows, RowTable) or rows.picked.multi_lines is None:
        return None
    return rows.picked.index.stubs(rows.picked.multi_lines)
