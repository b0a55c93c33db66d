"""Span-level agreement: pairwise F1 (exact or overlap), the label confusion matrix and the
disagreements, all from one pass over clusters of overlapping spans.

A cluster is a maximal group of spans of one article, from any annotator, that overlap one another
transitively. Spans of different clusters never overlap, so every matching happens inside one.
Most clusters are one span (same start and end) given by some of the article's annotators, each
once, maybe with different labels; those are counted with numpy in bulk. Only the others
(different boundaries, several spans from one annotator) are looked at one by one.

Matching two annotators' spans:

- `exact`: a span matches the other annotator's span with the same start, end and label;
- `overlap`: spans with the same label that share at least one character; each span is matched at
  most once, exact matches first, then the largest overlap (then leftmost), greedily.

F1 between annotators A and B over a set of articles is 2·matched / (|A| + |B|), the spans pooled
over the articles both annotated (micro). The confusion matrix aligns spans whatever their label
(same label first, then exact, then largest overlap, each span at most once) and counts, for each
ordered pair of annotators, (label from one, label from the other), with `O` when a span overlaps
nothing of the other annotator's.

A cluster is a disagreement when the annotators of its article do not all give it the same spans
(`exact`), or the same labels in the same order (`overlap`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from annotations.agreement.load import Corpus

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
SpanTuple = tuple[int, int, int]  # start, end, label index
L = TypeVar("L", int, str)  # a label: its index, or its name

MATCH_MODES = ("exact", "overlap")


@dataclass(slots=True)
class Disagreement:
    article: int  # index into Corpus.articles
    start: int  # the cluster's extent in the article's text
    end: int
    kind: str  # "missing", "label", "boundary", joined by "+" when several
    spans: dict[int, list[SpanTuple]]  # annotator index -> their spans here ([] = said nothing)


@dataclass
class SpanAgreement:
    match: str
    pairs: list[tuple[int, int]]  # annotator indices, i < j
    pair_present: BoolArray  # (articles, pairs): both annotated the article
    pair_matched: IntArray  # (pairs, labels)
    pair_total: IntArray  # (pairs, labels): |A| + |B| on the articles both annotated
    article_matched: IntArray  # (articles, pairs)
    article_total: IntArray  # (articles, pairs)
    confusion: IntArray  # (labels + 1, labels + 1); the last row/column is O (no span)
    article_disagreements: IntArray  # (articles,)
    # the disagreements, as clusters: first span index, number of spans, article, extent, kind
    dis_first: IntArray
    dis_size: IntArray
    dis_article: IntArray
    dis_start: IntArray
    dis_end: IntArray
    dis_kind: list[str]

    def disagreement(self, corpus: Corpus, k: int) -> Disagreement:
        """The k-th disagreement, with every annotator's spans in it."""
        a = int(self.dis_article[k])
        spans: dict[int, list[SpanTuple]] = {i: [] for i in corpus.articles[a].annotators}
        first = int(self.dis_first[k])
        for x in range(first, first + int(self.dis_size[k])):
            spans[int(corpus.span_annotator[x])].append(
                (int(corpus.span_start[x]), int(corpus.span_end[x]), int(corpus.span_label[x]))
            )
        return Disagreement(
            a, int(self.dis_start[k]), int(self.dis_end[k]), self.dis_kind[k], spans
        )


def _overlap(a: tuple[int, int, L], b: tuple[int, int, L]) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def match_spans(
    a: list[tuple[int, int, L]], b: list[tuple[int, int, L]], same_label: bool
) -> list[tuple[int, int]]:
    """Greedy one-to-one alignment of overlapping spans: pairs of indices (into a, into b).

    Candidates are ordered by: same label first (when labels may differ), exact offsets first,
    larger overlap first, then leftmost; each span is taken at most once.
    """
    cands: list[tuple[bool, bool, int, int, int, int, int]] = []
    for x, sa in enumerate(a):
        for y, sb in enumerate(b):
            if same_label and sa[2] != sb[2]:
                continue
            ov = _overlap(sa, sb)
            if ov > 0:
                cands.append((sa[2] != sb[2], sa[:2] != sb[:2], -ov, sa[0], sb[0], x, y))
    cands.sort()
    used_a: set[int] = set()
    used_b: set[int] = set()
    out: list[tuple[int, int]] = []
    for *_, x, y in cands:
        if x not in used_a and y not in used_b:
            used_a.add(x)
            used_b.add(y)
            out.append((x, y))
    return out


def _kind(lists: list[list[SpanTuple]]) -> str:
    """missing: an annotator has no span here; label: they use different labels (or the same
    offsets labelled differently); boundary: their offsets differ."""
    kinds = []
    if any(not spans for spans in lists):
        kinds.append("missing")
    said = [spans for spans in lists if spans]
    offsets = {tuple(s[:2] for s in spans) for spans in said}
    label_sets = {frozenset(s[2] for s in spans) for spans in said}
    if len(label_sets) > 1 or (len(offsets) == 1 and len({tuple(x) for x in said}) > 1):
        kinds.append("label")
    if len(offsets) > 1:
        kinds.append("boundary")
    return "+".join(kinds) or "label"


def _count(index: IntArray, size: int) -> IntArray:
    return np.bincount(index, minlength=size).astype(np.int64)


def span_agreement(corpus: Corpus, match: str = "exact") -> SpanAgreement:
    """Pairwise matches and totals per label and article, confusion counts, disagreements."""
    if match not in MATCH_MODES:
        raise ValueError(f"match must be one of {', '.join(MATCH_MODES)}, not {match!r}")
    n_ann = len(corpus.annotators)
    K = len(corpus.labels)
    K1 = K + 1
    none = K  # the O row/column
    N = len(corpus.articles)
    pairs = list(combinations(range(n_ann), 2))
    P = len(pairs)
    pair_index = {pair: p for p, pair in enumerate(pairs)}
    present = corpus.present
    pair_present = np.stack([present[:, i] & present[:, j] for i, j in pairs], axis=1)

    art = corpus.span_article
    ann = corpus.span_annotator
    lab = corpus.span_label
    S = len(art)

    pair_total = np.zeros((P, K), dtype=np.int64)
    article_total = np.zeros((N, P), dtype=np.int64)
    for p, (i, j) in enumerate(pairs):
        mine = ((ann == i) | (ann == j)) & pair_present[art, p]
        pair_total[p] = _count(lab[mine], K)
        article_total[:, p] = _count(art[mine], N)

    pair_matched = np.zeros((P, K), dtype=np.int64)
    article_matched = np.zeros((N, P), dtype=np.int64)
    conf = np.zeros(K1 * K1, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if S == 0:
        return SpanAgreement(
            match, pairs, pair_present, pair_matched, pair_total, article_matched,
            article_total, conf.reshape(K1, K1), np.zeros(N, dtype=np.int64),
            empty, empty, empty, empty, empty, [],
        )  # fmt: skip

    # clusters: spans are sorted by article then start, articles are apart in the continuum
    gs = corpus.span_gstart
    ge = corpus.span_gend
    reach = np.maximum.accumulate(ge)
    new = np.ones(S, dtype=bool)
    new[1:] = gs[1:] >= reach[:-1]
    bounds = np.flatnonzero(new)
    sizes = np.diff(np.append(bounds, S))
    cluster = np.cumsum(new) - 1  # cluster of each span
    c_art = art[bounds]
    n_present = present.sum(axis=1)[c_art]
    c_end = np.maximum.reduceat(ge, bounds)
    # one span (same offsets) given once by each of some annotators: spans in a cluster are
    # sorted by start, longest first, then annotator, so a repeated annotator is adjacent
    repeated = np.zeros(len(bounds), dtype=np.int64)
    if S > 1:
        again = (ann[1:] == ann[:-1]) & ~new[1:]
        repeated = _count(cluster[1:][again], len(bounds))
    simple = (
        (np.maximum.reduceat(gs, bounds) == gs[bounds])
        & (np.minimum.reduceat(ge, bounds) == c_end)
        & (repeated == 0)
    )

    # simple clusters in bulk: an annotator x cluster table of labels (-1: no span there)
    s_ids = np.flatnonzero(simple)
    s_pos = np.full(len(bounds), -1, dtype=np.int64)
    s_pos[s_ids] = np.arange(len(s_ids))
    in_simple = simple[cluster]
    table = np.full((n_ann, len(s_ids)), -1, dtype=np.int64)
    table[ann[in_simple], s_pos[cluster[in_simple]]] = lab[in_simple]
    s_art = c_art[s_ids]
    for p, (i, j) in enumerate(pairs):
        li, lj = table[i], table[j]
        both_here = pair_present[s_art, p]
        has_i = both_here & (li >= 0)
        has_j = both_here & (lj >= 0)
        both = has_i & has_j
        same = both & (li == lj)
        pair_matched[p] += _count(li[same], K)
        article_matched[:, p] += _count(s_art[same], N)
        conf += _count(li[both] * K1 + lj[both], K1 * K1)
        conf += _count(lj[both] * K1 + li[both], K1 * K1)
        for only, lo in ((has_i & ~has_j, li), (has_j & ~has_i, lj)):
            conf += _count(lo[only] * K1 + none, K1 * K1)
            conf += _count(none * K1 + lo[only], K1 * K1)
    s_size = sizes[s_ids]
    s_missing = s_size < n_present[s_ids]
    s_relabel = np.maximum.reduceat(lab, bounds)[s_ids] != np.minimum.reduceat(lab, bounds)[s_ids]
    s_dis = s_missing | s_relabel
    kind_names = np.array(["", "missing", "label", "missing+label"], dtype=object)
    s_kind = kind_names[s_missing.astype(np.int64) + 2 * s_relabel.astype(np.int64)]

    # the others, one by one (plain lists: faster than numpy for single increments)
    starts = corpus.span_start.tolist()
    ends = corpus.span_end.tolist()
    labs = lab.tolist()
    anns = ann.tolist()
    matched_flat = [0] * (P * K)
    article_flat = [0] * (N * P)
    conf_flat = [0] * (K1 * K1)
    exact = match == "exact"
    pairs_of: dict[tuple[int, ...], list[tuple[int, int, int]]] = {}
    other_dis: list[int] = []
    other_kind: list[str] = []
    for c in np.flatnonzero(~simple).tolist():
        b = int(bounds[c])
        e = b + int(sizes[c])
        a = int(c_art[c])
        who = corpus.articles[a].annotators
        by_ann: dict[int, list[SpanTuple]] = {i: [] for i in who}
        for k in range(b, e):
            by_ann[anns[k]].append((starts[k], ends[k], labs[k]))
        todo = pairs_of.get(who)
        if todo is None:
            todo = pairs_of[who] = [(i, j, pair_index[(i, j)]) for i, j in combinations(who, 2)]
        for i, j, p in todo:
            sa, sb = by_ann[i], by_ann[j]
            if exact:
                common = set(sa).intersection(sb)
                for sp in common:
                    matched_flat[p * K + sp[2]] += 1
                article_flat[a * P + p] += len(common)
            else:
                found = match_spans(sa, sb, same_label=True)
                for x_i, _ in found:
                    matched_flat[p * K + sa[x_i][2]] += 1
                article_flat[a * P + p] += len(found)
            aligned = match_spans(sa, sb, same_label=False)
            done_a = {x_i for x_i, _ in aligned}
            done_b = {y_i for _, y_i in aligned}
            for x_i, y_i in aligned:
                lx, ly = sa[x_i][2], sb[y_i][2]
                conf_flat[lx * K1 + ly] += 1
                conf_flat[ly * K1 + lx] += 1
            for x_i, sp in enumerate(sa):
                if x_i not in done_a:
                    conf_flat[sp[2] * K1 + none] += 1
                    conf_flat[none * K1 + sp[2]] += 1
            for y_i, sp in enumerate(sb):
                if y_i not in done_b:
                    conf_flat[sp[2] * K1 + none] += 1
                    conf_flat[none * K1 + sp[2]] += 1
        lists = list(by_ann.values())
        first = lists[0]
        if exact:
            agree = all(spans == first for spans in lists[1:])
        else:
            seq = [sp[2] for sp in first]
            agree = all([sp[2] for sp in spans] == seq for spans in lists[1:])
        if not agree:
            other_dis.append(c)
            other_kind.append(_kind(lists))
    pair_matched += np.array(matched_flat, dtype=np.int64).reshape(P, K)
    article_matched += np.array(article_flat, dtype=np.int64).reshape(N, P)
    conf += np.array(conf_flat, dtype=np.int64)

    dis = np.concatenate([s_ids[s_dis], np.array(other_dis, dtype=np.int64)])
    kinds = [*s_kind[s_dis].tolist(), *other_kind]
    dis_article = c_art[dis]
    return SpanAgreement(
        match=match,
        pairs=pairs,
        pair_present=pair_present,
        pair_matched=pair_matched,
        pair_total=pair_total,
        article_matched=article_matched,
        article_total=article_total,
        confusion=conf.reshape(K1, K1),
        article_disagreements=_count(dis_article, N),
        dis_first=bounds[dis],
        dis_size=sizes[dis],
        dis_article=dis_article,
        dis_start=corpus.span_start[bounds[dis]],
        dis_end=c_end[dis] - corpus.offset[dis_article],
        dis_kind=kinds,
    )
