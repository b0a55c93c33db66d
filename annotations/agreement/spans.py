"""Span-level agreement: pairwise F1 (exact or overlap), the label confusion matrix and the list
of disagreements, all from one pass over clusters of overlapping spans.

A cluster is a maximal group of spans of one article, from any annotator, that overlap one another
transitively. Spans of different clusters never overlap, so every matching happens inside one.
Most clusters are the same span from every annotator of the article; those are counted with
numpy in bulk, and only the others are looked at one by one.

Matching two annotators' spans:

- `exact`: a span matches the other annotator's span with the same start, end and label;
- `overlap`: spans with the same label that share at least one character; each span is matched at
  most once, exact matches first, then the largest overlap (then leftmost), greedily.

F1 between annotators A and B over a set of articles is 2·matched / (|A| + |B|), the spans pooled
over the articles both annotated (micro). The confusion matrix aligns spans whatever their label
(same-label, exact, then largest overlap first, each span at most once) and counts, for each
ordered pair of annotators, (label of A, label of B), with `O` for a span that overlaps nothing of
the other annotator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import numpy.typing as npt

from annotations.agreement.load import Corpus

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
SpanTuple = tuple[int, int, int]  # start, end, label index

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
    disagreements: list[Disagreement] = field(default_factory=list)
    article_disagreements: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))


def _overlap(a: SpanTuple, b: SpanTuple) -> int:
    return min(a[1], b[1]) - max(a[0], b[0])


def match_spans(a: list[SpanTuple], b: list[SpanTuple], same_label: bool) -> list[tuple[int, int]]:
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
                cands.append(
                    (sa[2] != sb[2], sa[:2] != sb[:2], -ov, sa[0], sb[0], x, y),
                )
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
    kinds = []
    if any(not spans for spans in lists):
        kinds.append("missing")
    said = [spans for spans in lists if spans]
    offsets = {tuple(s[:2] for s in spans) for spans in said}
    labels = {tuple(s[2] for s in spans) for spans in said}
    if len(labels) > 1 or (len(offsets) == 1 and len({tuple(x) for x in said}) > 1):
        kinds.append("label")
    if len(offsets) > 1:
        kinds.append("boundary")
    return "+".join(kinds) or "label"


def span_agreement(corpus: Corpus, match: str = "exact") -> SpanAgreement:
    """Pairwise matches and totals per label and article, confusion counts, disagreements."""
    if match not in MATCH_MODES:
        raise ValueError(f"match must be one of {', '.join(MATCH_MODES)}, not {match!r}")
    n_ann = len(corpus.annotators)
    K = len(corpus.labels)
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
        pair_total[p] = np.bincount(lab[mine], minlength=K)
        article_total[:, p] = np.bincount(art[mine], minlength=N)

    pair_matched = np.zeros((P, K), dtype=np.int64)
    article_matched = np.zeros((N, P), dtype=np.int64)
    confusion = np.zeros((K + 1, K + 1), dtype=np.int64)
    article_disagreements = np.zeros(N, dtype=np.int64)
    disagreements: list[Disagreement] = []
    result = SpanAgreement(
        match,
        pairs,
        pair_present,
        pair_matched,
        pair_total,
        article_matched,
        article_total,
        confusion,
        disagreements,
        article_disagreements,
    )
    if S == 0:
        return result

    # clusters: spans are sorted by article then start, articles are apart in the continuum
    gs = corpus.span_gstart
    ge = corpus.span_gend
    reach = np.maximum.accumulate(ge)
    new = np.ones(S, dtype=bool)
    new[1:] = gs[1:] >= reach[:-1]
    bounds = np.flatnonzero(new)
    sizes = np.diff(np.append(bounds, S))
    c_art = art[bounds]
    c_lab = lab[bounds]
    n_present = present.sum(axis=1)[c_art]
    trivial = (
        (np.maximum.reduceat(gs, bounds) == gs[bounds])
        & (np.maximum.reduceat(ge, bounds) == np.minimum.reduceat(ge, bounds))
        & (np.maximum.reduceat(lab, bounds) == np.minimum.reduceat(lab, bounds))
        & (sizes == n_present)
    )

    # the same span from every annotator of the article: matched for every pair, both modes
    t_art = c_art[trivial]
    t_lab = c_lab[trivial]
    t_m = n_present[trivial]
    per_article = np.bincount(t_art, minlength=N)
    for p in range(P):
        pair_matched[p] += np.bincount(t_lab[pair_present[t_art, p]], minlength=K)
        article_matched[:, p] += per_article * pair_present[:, p]
    diag = np.bincount(t_lab, weights=(t_m * (t_m - 1)).astype(np.float64), minlength=K)
    confusion[np.arange(K), np.arange(K)] += diag.astype(np.int64)

    # the others, one by one
    starts = corpus.span_start.tolist()
    ends = corpus.span_end.tolist()
    labs = lab.tolist()
    anns = ann.tolist()
    matched_flat = np.zeros(P * K, dtype=np.int64)
    article_flat = np.zeros(N * P, dtype=np.int64)
    conf = np.zeros((K + 1) * (K + 1), dtype=np.int64)
    O = K
    exact = match == "exact"
    for c in np.flatnonzero(~trivial).tolist():
        b = int(bounds[c])
        e = b + int(sizes[c])
        a = int(c_art[c])
        who = corpus.articles[a].annotators
        by_ann: dict[int, list[SpanTuple]] = {i: [] for i in who}
        for k in range(b, e):
            by_ann[anns[k]].append((starts[k], ends[k], labs[k]))
        for i, j in combinations(who, 2):
            p = pair_index[(i, j)]
            sa, sb = by_ann[i], by_ann[j]
            if exact:
                common = set(sa).intersection(sb)
                for s in common:
                    matched_flat[p * K + s[2]] += 1
                article_flat[a * P + p] += len(common)
            else:
                found = match_spans(sa, sb, same_label=True)
                for x, _ in found:
                    matched_flat[p * K + sa[x][2]] += 1
                article_flat[a * P + p] += len(found)
            aligned = match_spans(sa, sb, same_label=False)
            done_a = set()
            done_b = set()
            for x, y in aligned:
                la, lb = sa[x][2], sb[y][2]
                conf[la * (K + 1) + lb] += 1
                conf[lb * (K + 1) + la] += 1
                done_a.add(x)
                done_b.add(y)
            for x, s in enumerate(sa):
                if x not in done_a:
                    conf[s[2] * (K + 1) + O] += 1
                    conf[O * (K + 1) + s[2]] += 1
            for y, s in enumerate(sb):
                if y not in done_b:
                    conf[s[2] * (K + 1) + O] += 1
                    conf[O * (K + 1) + s[2]] += 1
        lists = [by_ann[i] for i in who]
        if exact:
            agree = all(spans == lists[0] for spans in lists[1:])
        else:
            seq = [s[2] for s in lists[0]]
            agree = all([s[2] for s in spans] == seq for spans in lists[1:])
        if not agree:
            disagreements.append(
                Disagreement(a, starts[b], max(ends[b:e]), _kind(lists), by_ann)
            )
            article_disagreements[a] += 1
    pair_matched += matched_flat.reshape(P, K)
    article_matched += article_flat.reshape(N, P)
    confusion += conf.reshape(K + 1, K + 1)
    return result
