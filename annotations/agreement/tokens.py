"""Token-level labels and the chance-corrected coefficients computed on them.

Every token of an article gets, from each annotator, the label of the span covering it, or `O`
when no span of theirs covers it (`IO` tagging; a token is covered when it shares at least one
character with the span; where spans nest or overlap, the one starting first wins, the longest
on ties). Tokens are the record's own when it has them (the first annotator's, so everyone is
compared on the same tokens), otherwise spaCy's French tokenisation of the text. Tokens made only
of whitespace are not counted.

On those labels: Cohen's κ for each pair of annotators over the tokens of the articles both
annotated; Fleiss' κ over the articles every annotator annotated; Krippendorff's α (nominal) over
every article annotated by two or more, an annotator who did not annotate an article being a
missing value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt

from annotations.agreement.coefficients import (
    alpha_from_sums,
    cohen_kappa_table,
    contingency,
    fleiss_from_sums,
)
from annotations.agreement.load import Corpus
from annotations.records import Token

IntArray = npt.NDArray[np.int64]
Tokenizer = Callable[[str], list[Token]]


def _default_tokenizer(text: str) -> list[Token]:
    from annotations.tokenize import tokenize

    return tokenize(text)


@dataclass
class TokenLabels:
    """labels[a, t]: -1 when annotator a did not annotate token t's article, 0 for O, 1 + k for
    corpus.labels[k]."""

    labels: npt.NDArray[np.int16]
    article: IntArray  # article index of each token
    n_categories: int  # len(corpus.labels) + 1
    tokenized: int  # articles that had no tokens and were tokenised here


def token_labels(corpus: Corpus, tokenizer: Tokenizer | None = None) -> TokenLabels:
    tok = tokenizer or _default_tokenizer
    starts: list[int] = []
    ends: list[int] = []
    counts: list[int] = []
    tokenized = 0
    for art in corpus.articles:
        tokens = art.tokens
        if tokens is None:
            tokens = tok(art.text)
            tokenized += 1
        kept = [t for t in tokens if not t.text.isspace()]
        starts.extend([t.start for t in kept])
        ends.extend([t.end for t in kept])
        counts.append(len(kept))
    n_per = np.array(counts, dtype=np.int64)
    t_article = np.repeat(np.arange(len(counts), dtype=np.int64), n_per)
    shift = corpus.offset[t_article]
    t_start = np.array(starts, dtype=np.int64) + shift
    t_end = np.array(ends, dtype=np.int64) + shift
    if len(t_start) > 1 and not (np.all(np.diff(t_start) >= 0) and np.all(np.diff(t_end) >= 0)):
        order = np.lexsort((t_end, t_start))
        t_start, t_end, t_article = t_start[order], t_end[order], t_article[order]

    n_ann = len(corpus.annotators)
    T = len(t_start)
    labels = np.where(corpus.present[t_article].T, 0, -1).astype(np.int16)
    labels = labels.reshape(n_ann, T)

    gs = corpus.span_gstart
    ge = corpus.span_gend
    first = np.searchsorted(t_end, gs, side="right")  # first token ending after the span start
    last = np.searchsorted(t_start, ge, side="left")  # tokens starting before the span end
    count = np.maximum(last - first, 0)
    total = int(count.sum())
    if total:
        idx = np.repeat(first, count) + (
            np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        )
        value = np.repeat(corpus.span_label + 1, count)
        who = np.repeat(corpus.span_annotator, count)
        for a in range(n_ann):
            mine = who == a
            # spans come sorted by start, longest first: the first one covering a token wins
            uniq, pos = np.unique(idx[mine], return_index=True)
            labels[a, uniq] = value[mine][pos]
    return TokenLabels(labels, t_article, len(corpus.labels) + 1, tokenized)


def cohen_pairs(tl: TokenLabels) -> dict[tuple[int, int], tuple[float | None, int]]:
    """Cohen's κ and the number of tokens, per pair of annotators (indices, i < j)."""
    out: dict[tuple[int, int], tuple[float | None, int]] = {}
    L = tl.labels
    for i, j in combinations(range(L.shape[0]), 2):
        both = (L[i] >= 0) & (L[j] >= 0)
        n = int(both.sum())
        if n == 0:
            continue
        table = contingency(L[i][both], L[j][both], tl.n_categories)
        out[(i, j)] = (cohen_kappa_table(table), n)
    return out


def fleiss(tl: TokenLabels) -> tuple[float | None, int]:
    """Fleiss' κ over the tokens every annotator labelled, and that number of tokens."""
    L = tl.labels
    complete = np.all(L >= 0, axis=0)
    n_units = int(complete.sum())
    if n_units == 0:
        return None, 0
    Lc = L[:, complete]
    sum_sq = 0.0
    totals = np.zeros(tl.n_categories, dtype=np.float64)
    for k in range(tl.n_categories):
        n_k = (Lc == k).sum(axis=0, dtype=np.int64).astype(np.float64)
        sum_sq += float(np.dot(n_k, n_k))
        totals[k] = n_k.sum()
    return fleiss_from_sums(n_units, L.shape[0], sum_sq, totals), n_units


def krippendorff(tl: TokenLabels) -> tuple[float | None, int]:
    """Krippendorff's α (nominal) over every token with two or more labels, and their number."""
    L = tl.labels
    m = (L >= 0).sum(axis=0, dtype=np.int64).astype(np.float64)
    pairable = m >= 2
    n_units = int(pairable.sum())
    if n_units == 0:
        return None, 0
    Lp = L[:, pairable]
    mp = m[pairable]
    o_diag = 0.0
    n_c = np.zeros(tl.n_categories, dtype=np.float64)
    for k in range(tl.n_categories):
        n_k = (Lp == k).sum(axis=0, dtype=np.int64).astype(np.float64)
        o_diag += float((n_k * (n_k - 1.0) / (mp - 1.0)).sum())
        n_c[k] = n_k.sum()
    return alpha_from_sums(float(mp.sum()), o_diag, n_c), n_units
