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

Most tokens are covered by nobody's span: every annotator says `O` there. Those are not stored one
by one but counted per article (`TokenLabels.background`); each coefficient adds them exactly
as if they were listed (Σ_c n_uc² of such a unit is m_u², its coincidences are all O-O).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain, combinations
from operator import attrgetter

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
    """The tokens covered by at least one annotator's span, and how many others each article has.

    labels[a, t]: -1 when annotator a did not annotate token t's article, 0 for O, 1 + k for
    corpus.labels[k]. background[n]: tokens of article n that no span covers (O for everyone).
    """

    labels: npt.NDArray[np.int16]
    article: IntArray  # article index of each listed token
    background: IntArray  # (articles,)
    present: npt.NDArray[np.bool_]  # (articles, annotators), as in Corpus
    n_categories: int  # len(corpus.labels) + 1
    tokenized: int  # articles that had no tokens and were tokenised here

    def expanded(self) -> npt.NDArray[np.int16]:
        """Every token, background included (annotators x tokens): for tests and small data."""
        n = self.background
        art = np.repeat(np.arange(len(n)), n)
        bg = np.where(self.present[art].T, 0, -1).astype(np.int16)
        return np.concatenate([self.labels, bg.reshape(self.labels.shape[0], -1)], axis=1)


# code point -> str.isspace(), for the code points below U+3001 (none above is whitespace)
_IS_SPACE = np.array([chr(c).isspace() for c in range(0x3001)], dtype=bool)


def token_labels(corpus: Corpus, tokenizer: Tokenizer | None = None) -> TokenLabels:
    tok = tokenizer or _default_tokenizer
    lists: list[list[Token] | npt.NDArray[np.int32]] = []
    tokenized = 0
    for art in corpus.articles:
        if art.tokens is None:
            lists.append(tok(art.text))
            tokenized += 1
        else:
            lists.append(art.tokens)
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    total = int(counts.sum())
    t_article = np.repeat(np.arange(len(lists), dtype=np.int64), counts)
    shift = corpus.offset[t_article]
    if any(isinstance(x, np.ndarray) for x in lists):  # boundaries read as arrays
        bounds = np.concatenate([_bounds(x) for x in lists]) if lists else np.zeros((0, 2))
        t_start = bounds[:, 0].astype(np.int64) + shift
        t_end = bounds[:, 1].astype(np.int64) + shift
    else:
        get_start, get_end = attrgetter("start"), attrgetter("end")
        t_start = np.fromiter(map(get_start, chain.from_iterable(lists)), np.int64, total) + shift
        t_end = np.fromiter(map(get_end, chain.from_iterable(lists)), np.int64, total) + shift
    # boundaries given as arrays are of counted tokens already (`stream.lean.counted`)
    token_objects = not all(isinstance(x, np.ndarray) for x in lists)
    keep = _not_blank(corpus, t_start, t_end) if token_objects else np.ones(total, dtype=bool)
    if not keep.all():
        t_start, t_end, t_article = t_start[keep], t_end[keep], t_article[keep]
    if len(t_start) > 1 and not (np.all(np.diff(t_start) >= 0) and np.all(np.diff(t_end) >= 0)):
        order = np.lexsort((t_end, t_start))
        t_start, t_end, t_article = t_start[order], t_end[order], t_article[order]
    per_article = np.bincount(t_article, minlength=len(lists)).astype(np.int64)

    # the tokens each span covers (shares a character with)
    first = np.searchsorted(t_end, corpus.span_gstart, side="right")
    last = np.searchsorted(t_start, corpus.span_gend, side="left")
    count = np.maximum(last - first, 0)
    n_cover = int(count.sum())
    idx = np.repeat(first, count) + (
        np.arange(n_cover) - np.repeat(np.cumsum(count) - count, count)
    )
    hit = np.zeros(len(t_start), dtype=bool)
    hit[idx] = True
    covered = np.flatnonzero(hit)
    where = (np.cumsum(hit) - 1)[idx]  # position of each covered token in `covered`
    art_of = t_article[covered]
    n_ann = len(corpus.annotators)
    labels = np.where(corpus.present[art_of].T, 0, -1).astype(np.int16)
    labels = labels.reshape(n_ann, len(covered))
    value = np.repeat(corpus.span_label + 1, count).astype(np.int16)
    who = np.repeat(corpus.span_annotator, count)
    for a in range(n_ann):
        mine = who == a
        # spans come sorted by start, longest first: the first one covering a token wins
        uniq, pos = np.unique(where[mine], return_index=True)
        labels[a, uniq] = value[mine][pos]
    background = per_article - np.bincount(art_of, minlength=len(lists))
    return TokenLabels(
        labels, art_of, background, corpus.present, len(corpus.labels) + 1, tokenized
    )


def _bounds(tokens: list[Token] | npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """An article's token starts and ends as an (n, 2) array."""
    if isinstance(tokens, np.ndarray):
        return tokens
    return np.array([(t.start, t.end) for t in tokens], dtype=np.int32).reshape(-1, 2)


def _not_blank(corpus: Corpus, t_start: IntArray, t_end: IntArray) -> npt.NDArray[np.bool_]:
    """False for empty tokens and tokens made only of whitespace (offsets in the continuum)."""
    keep = t_end > t_start
    if not len(t_start):
        return keep
    joined = "\x00".join(a.text for a in corpus.articles)  # the continuum of Corpus.offset
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    first = np.minimum(points[np.minimum(t_start, len(points) - 1)], len(_IS_SPACE) - 1)
    suspect = np.flatnonzero(keep & _IS_SPACE[first])
    for t in suspect.tolist():  # a token starting with whitespace: rare, check it whole
        if joined[t_start[t] : t_end[t]].isspace():
            keep[t] = False
    return keep


@dataclass
class TokenAgreement:
    cohen: dict[tuple[int, int], float | None]  # per pair of annotator indices (i < j)
    cohen_tokens: dict[tuple[int, int], int]  # tokens both labelled
    fleiss: float | None
    fleiss_tokens: int  # tokens every annotator labelled
    alpha: float | None  # Krippendorff's α, nominal
    alpha_tokens: int  # tokens with two or more labels


@dataclass
class TokenSums:
    """What Cohen's, Fleiss' and Krippendorff's coefficients are computed from (categories:
    0 is O, 1 + k the k-th label)."""

    n_raters: int
    n_categories: int
    cohen_table: dict[tuple[int, int], IntArray] = field(default_factory=dict)
    fleiss_units: int = 0
    fleiss_sum_sq: int = 0
    fleiss_totals: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    alpha_units: int = 0
    alpha_values: int = 0  # Σ m_u over the listed pairable tokens
    alpha_background: int = 0  # labels of background tokens on pairable articles
    alpha_agreeing: Counter[int] = field(default_factory=Counter)  # m_u -> Σ agreeing pairs
    alpha_n_c: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def token_agreement(tl: TokenLabels) -> TokenAgreement:
    """Cohen's κ per pair, Fleiss' κ and Krippendorff's α on the token labels.

    Fleiss and Krippendorff need Σ_c n_uc² per unit; with m_u labels on a unit that is
    m_u + 2·(pairs of annotators agreeing on it), so one pass over the pairs serves all three.
    A background token of an article with m annotators is m labels O that all agree.
    """
    return token_coefficients(token_sums(tl))


def token_sums(tl: TokenLabels) -> TokenSums:
    """The integer sums `token_agreement` computes the coefficients from: added over chunks of
    articles (`scores.Totals`) they give the coefficients of the whole."""
    L = tl.labels
    K1 = tl.n_categories
    n_raters = L.shape[0]
    has = L >= 0
    m = has.sum(axis=0, dtype=np.int64)
    bg = tl.background
    m_art = tl.present.sum(axis=1).astype(np.int64)
    agreeing = np.zeros(L.shape[1], dtype=np.int64)
    out = TokenSums(n_raters, K1)
    for i, j in combinations(range(n_raters), 2):
        both = has[i] & has[j]
        bg_both = int(bg[tl.present[:, i] & tl.present[:, j]].sum())
        if int(both.sum()) + bg_both == 0:
            continue
        agreeing += (L[i] == L[j]) & both
        table = contingency(L[i][both], L[j][both], K1)
        table[0, 0] += bg_both
        out.cohen_table[(i, j)] = table

    complete = m == n_raters
    bg_complete = int(bg[m_art == n_raters].sum())
    n_complete = int(complete.sum())
    out.fleiss_units = n_complete + bg_complete
    out.fleiss_sum_sq = (
        n_complete * n_raters
        + 2 * int(agreeing[complete].sum())
        + bg_complete * n_raters * n_raters
    )
    totals = np.bincount(L[:, complete].ravel(), minlength=K1).astype(np.int64)
    totals[0] += bg_complete * n_raters
    out.fleiss_totals = totals

    pairable = m >= 2
    bg_pairable = m_art >= 2
    out.alpha_units = int(pairable.sum()) + int(bg[bg_pairable].sum())
    out.alpha_values = int(m[pairable].sum())
    out.alpha_background = int((bg * m_art)[bg_pairable].sum())  # each agrees with the others
    m_p, agree_p = m[pairable], agreeing[pairable]
    for value in np.unique(m_p).tolist():
        out.alpha_agreeing[value] += int(agree_p[m_p == value].sum())
    n_c = np.bincount(L[has & pairable], minlength=K1).astype(np.int64)
    n_c[0] += out.alpha_background
    out.alpha_n_c = n_c
    return out


def token_coefficients(s: TokenSums) -> TokenAgreement:
    """Cohen's κ per pair, Fleiss' κ and Krippendorff's α from the sums."""
    cohen: dict[tuple[int, int], float | None] = {}
    cohen_tokens: dict[tuple[int, int], int] = {}
    for pair in combinations(range(s.n_raters), 2):
        table = s.cohen_table.get(pair)
        if table is not None:
            cohen[pair] = cohen_kappa_table(table)
            cohen_tokens[pair] = int(table.sum())
    fleiss = None
    if s.fleiss_units:
        fleiss = fleiss_from_sums(
            s.fleiss_units,
            s.n_raters,
            float(s.fleiss_sum_sq),
            s.fleiss_totals.astype(np.float64),
        )
    alpha = None
    if s.alpha_units:
        bg_values = float(s.alpha_background)
        o_diag = float(
            sum((Fraction(2 * a, m - 1) for m, a in sorted(s.alpha_agreeing.items())), Fraction())
        )
        alpha = alpha_from_sums(
            float(s.alpha_values) + bg_values, o_diag + bg_values, s.alpha_n_c.astype(np.float64)
        )
    return TokenAgreement(cohen, cohen_tokens, fleiss, s.fleiss_units, alpha, s.alpha_units)
