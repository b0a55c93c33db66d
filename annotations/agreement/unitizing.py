"""Krippendorff's unitizing alpha (α_U) on a continuum, as DKPro Agreement computes it.

`alpha_u(study)` follows `KrippendorffAlphaUnitizingAgreement` of DKPro Agreement (Meyer et al.
2014), the implementation INCEpTION uses, which implements Krippendorff (1995; 2004, pp. 251-256):

- every rater's continuum [B, B+L) is cut into units of category c and gaps (the rest);
- observed disagreement, per category c: D_o(c) = 2 / (R(R−1)L²) · Σ over rater pairs of
  Σ over overlapping segment pairs of δ², where δ² = (b_i − b_j)² + (e_i − e_j)² for two units
  that overlap, l² for a unit lying inside a gap of the other rater, and 0 otherwise;
- expected disagreement, per category c, with N_c units of lengths l and the gaps g of every
  rater: D_e(c) = 2/L · Σ_units [(N_c − 1)(2l³ − 3l² + l)/3 + l² Σ_{g ≥ l}(g − l + 1)]
  / (RL(RL − 1) − Σ_units l(l − 1));
- α_U(c) = 1 − D_o(c)/D_e(c) (DKPro returns 0 when D_o = D_e), and the overall α_U is
  1 − Σ_c D_o(c) / Σ_c D_e(c) (DKPro's mean over categories of each, the same ratio).

Units of one category by one rater must not overlap; `drop_self_overlaps` removes the later ones
the way INCEpTION does before building its study (sorted by begin, longest first; a unit is
skipped when it overlaps an earlier unit of the same rater and category).

Everything is vectorised with numpy: the cost is O(units · log units) per category and pair.
The sums are integers (`unit_parts`: Σ δ² per category, the units' lengths and the gaps counted
per value, each rater's first and last unit), so that stretches of a continuum laid end to end
add up exactly (`UnitTotals`: the gap between two stretches is closed when the next one comes);
`alpha_u` is that over one study.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from annotations.agreement.load import Corpus, lex_order

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class UnitizingStudy:
    """Units on a continuum [begin, begin + length): parallel arrays, one entry per unit.

    `rater` in range(raters); `category` in range(len(categories)), the category names are only
    carried for the report. Offsets are integers (character positions here).
    """

    begin: int
    length: int
    raters: int
    offset: IntArray
    unit_length: IntArray
    rater: IntArray
    category: IntArray
    categories: tuple[str, ...]

    @classmethod
    def from_units(
        cls,
        begin: int,
        length: int,
        raters: int,
        units: list[tuple[int, int, int, str]],
    ) -> UnitizingStudy:
        """From (offset, length, rater, category name) tuples, as in DKPro's `addUnit`."""
        categories = tuple(sorted({u[3] for u in units}))
        index = {c: i for i, c in enumerate(categories)}
        arr = np.array([(o, n, r, index[c]) for o, n, r, c in units], dtype=np.int64)
        arr = arr.reshape(-1, 4)
        return cls(begin, length, raters, arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], categories)


@dataclass(frozen=True)
class CategoryAlpha:
    observed: float  # D_o(c)
    expected: float  # D_e(c)
    alpha: float | None  # None when D_e(c) = 0


@dataclass(frozen=True)
class AlphaU:
    per_category: dict[str, CategoryAlpha]
    alpha: float | None  # 1 − Σ D_o / Σ D_e; None when Σ D_e = 0 or no category


def drop_self_overlaps(
    start: IntArray, end: IntArray, rater: IntArray, category: IntArray
) -> npt.NDArray[np.bool_]:
    """Which units to keep so that no rater has two overlapping units of one category.

    INCEpTION's rule: in (begin ascending, end descending) order, a unit is skipped when it begins
    before the end of an earlier unit (kept or skipped) of the same rater and category.
    """
    n = len(start)
    keep = np.ones(n, dtype=bool)
    if n == 0:
        return keep
    span = int(end.max()) - min(int(start.min()), 0) + 1
    group = rater * (int(category.max()) + 1) + category
    order = lex_order(group, start, -end)
    shift = group[order] * span
    s = start[order] + shift
    e = end[order] + shift
    previous_end = np.maximum.accumulate(e)
    ok = np.ones(n, dtype=bool)
    ok[1:] = s[1:] >= previous_end[:-1]
    keep[order] = ok
    return keep


@dataclass
class UnitCategory:
    """One category's units in a stretch of the continuum (offsets from its start)."""

    observed: int  # Σ δ² over the pairs of raters
    lengths: Counter[int]  # unit length -> how many
    gaps: Counter[int]  # gap length between two units of one rater -> how many
    first: list[int]  # per rater, the start of their first unit (-1: none)
    last: list[int]  # per rater, the end of their last unit


@dataclass
class UnitParts:
    length: int = 0  # of the stretch: the articles every annotator annotated
    raters: int = 0
    categories: dict[str, UnitCategory] = field(default_factory=dict)


def _observed_pair(s1: IntArray, e1: IntArray, s2: IntArray, e2: IntArray) -> int:
    """Σ δ² over the overlapping segment pairs of two raters for one category."""
    total = 0
    lo = np.searchsorted(e2, s1, side="right")
    hi = np.searchsorted(s2, e1, side="left")
    count = np.maximum(hi - lo, 0)
    alone1 = count == 0
    total += int(((e1[alone1] - s1[alone1]) ** 2).sum())
    n_pairs = int(count.sum())
    if n_pairs:
        i = np.repeat(np.arange(len(s1)), count)
        first = np.repeat(lo, count)
        within = np.arange(n_pairs) - np.repeat(np.cumsum(count) - count, count)
        j = first + within
        db = s1[i] - s2[j]
        de = e1[i] - e2[j]
        total += int((db * db + de * de).sum())
    lo2 = np.searchsorted(e1, s2, side="right")
    hi2 = np.searchsorted(s1, e2, side="left")
    alone2 = (hi2 - lo2) <= 0
    total += int(((e2[alone2] - s2[alone2]) ** 2).sum())
    return total


def _counter(values: IntArray) -> Counter[int]:
    keys, counts = np.unique(values, return_counts=True)
    return Counter(dict(zip(keys.tolist(), counts.tolist(), strict=True)))


def unit_parts(study: UnitizingStudy | None) -> UnitParts:
    """What α_U needs of a study (offsets from its begin), to be added up (`UnitTotals`)."""
    if study is None:
        return UnitParts()
    R = study.raters
    parts = UnitParts(study.length, R)
    order = lex_order(study.category * R + study.rater, study.offset)
    start = study.offset[order]
    end = start + study.unit_length[order]
    group = study.category[order] * R + study.rater[order]
    cuts = np.searchsorted(group, np.arange(len(study.categories) * R + 1), side="left")
    for c_idx, name in enumerate(study.categories):
        lo_c, hi_c = int(cuts[c_idx * R]), int(cuts[(c_idx + 1) * R])
        if lo_c == hi_c:
            continue
        by_rater = []
        for r in range(R):
            lo, hi = int(cuts[c_idx * R + r]), int(cuts[c_idx * R + r + 1])
            by_rater.append((start[lo:hi], end[lo:hi]))
        observed = 0
        for r1 in range(R):
            for r2 in range(r1 + 1, R):
                observed += _observed_pair(*by_rater[r1], *by_rater[r2])
        gaps: Counter[int] = Counter()
        first, last = [], []
        for s, e in by_rater:
            if len(s):
                g = s[1:] - e[:-1]
                gaps.update(_counter(g[g > 0]))
                first.append(int(s[0]) - study.begin)
                last.append(int(e[-1]) - study.begin)
            else:
                first.append(-1)
                last.append(-1)
        lengths = _counter(end[lo_c:hi_c] - start[lo_c:hi_c])
        parts.categories[name] = UnitCategory(observed, lengths, gaps, first, last)
    return parts


@dataclass
class UnitTotals:
    """α_U's sums over the chunks so far, per category (see the module docstring)."""

    length: int = 0
    raters: int = 0
    observed: Counter[str] = field(default_factory=Counter)
    lengths: dict[str, Counter[int]] = field(default_factory=dict)
    gaps: dict[str, Counter[int]] = field(default_factory=dict)
    last: dict[str, list[int]] = field(default_factory=dict)  # per rater, where the gap opens

    def add(self, parts: UnitParts) -> None:
        base = self.length
        self.raters = max(self.raters, parts.raters)
        for name, c in parts.categories.items():
            self.observed[name] += c.observed
            self.lengths.setdefault(name, Counter()).update(c.lengths)
            gaps = self.gaps.setdefault(name, Counter())
            gaps.update(c.gaps)
            last = self.last.setdefault(name, [0] * len(c.first))
            for r, (s, e) in enumerate(zip(c.first, c.last, strict=True)):
                if s < 0:
                    continue
                if base + s > last[r]:
                    gaps[base + s - last[r]] += 1
                last[r] = base + e
        self.length += parts.length

    def alpha(self, categories: list[str]) -> tuple[dict[str, CategoryAlpha], float | None]:
        """`unitizing.alpha_u` of the whole continuum: per category and overall."""
        R = self.raters
        L = float(self.length)
        per: dict[str, CategoryAlpha] = {}
        if R < 2 or self.length <= 0:
            return per, None
        sum_o = 0.0
        sum_e = 0.0
        for name in categories:
            lengths = self.lengths.get(name)
            if not lengths:
                continue
            d_o = 2.0 * float(self.observed[name]) / (R * (R - 1) * L * L)
            gaps = Counter(self.gaps[name])
            for end in self.last[name]:
                if self.length > end:
                    gaps[self.length - end] += 1
            values = sorted(gaps)
            # per gap value (ascending): Σ and count of the gaps at least that long, exactly
            suffix_sum = [0] * (len(values) + 1)
            suffix_n = [0] * (len(values) + 1)
            for k in range(len(values) - 1, -1, -1):
                v = values[k]
                suffix_sum[k] = suffix_sum[k + 1] + v * gaps[v]
                suffix_n[k] = suffix_n[k + 1] + gaps[v]
            sorted_gaps = np.array(values, dtype=np.int64)
            n_c = sum(lengths.values())
            numerator = 0
            ll1 = 0
            for length, count in lengths.items():
                at = int(np.searchsorted(sorted_gaps, length, side="left"))
                gap_term = suffix_sum[at] - (length - 1) * suffix_n[at]
                within = (n_c - 1) * (2 * length**3 - 3 * length**2 + length) // 3
                numerator += count * (within + length * length * gap_term)
                ll1 += count * length * (length - 1)
            denominator = R * L * (R * L - 1.0) - float(ll1)
            d_e = float(numerator) * 2.0 / L / denominator if denominator > 0 else 0.0
            if d_e > 0:
                value: float | None = 0.0 if d_o == d_e else 1.0 - d_o / d_e
            else:
                value = None
            per[name] = CategoryAlpha(d_o, d_e, value)
            sum_o += d_o
            sum_e += d_e
        return per, (1.0 - sum_o / sum_e) if sum_e > 0 else None


def alpha_u(study: UnitizingStudy) -> AlphaU:
    """α_U per category and overall (see the module docstring for the definitions)."""
    totals = UnitTotals()
    totals.add(unit_parts(study))
    per, overall = totals.alpha(list(study.categories))
    return AlphaU(per, overall)


def corpus_study(corpus: Corpus, articles: IntArray | None = None) -> UnitizingStudy | None:
    """The unitizing study of the given articles (default: those every annotator annotated),
    their texts laid end to end as one character continuum; every annotator is a rater and every
    label a category. Same-label overlaps of one annotator are dropped (`drop_self_overlaps`).
    None when there is no such article."""
    if articles is None:
        articles = np.flatnonzero(corpus.present.all(axis=1))
    chosen = np.asarray(articles, dtype=np.int64)
    if len(chosen) == 0:
        return None
    who = np.flatnonzero(corpus.present[chosen].all(axis=0))
    lengths = np.array([len(corpus.articles[a].text) for a in chosen.tolist()], dtype=np.int64)
    where = np.full(len(corpus.articles), -1, dtype=np.int64)
    where[chosen] = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    rater_of = np.full(len(corpus.annotators), -1, dtype=np.int64)
    rater_of[who] = np.arange(len(who))
    take = (where[corpus.span_article] >= 0) & (rater_of[corpus.span_annotator] >= 0)
    start = corpus.span_start[take] + where[corpus.span_article[take]]
    end = corpus.span_end[take] + where[corpus.span_article[take]]
    rater = rater_of[corpus.span_annotator[take]]
    category = corpus.span_label[take]
    keep = drop_self_overlaps(start, end, rater, category)
    return UnitizingStudy(
        begin=0,
        length=int(lengths.sum()),
        raters=len(who),
        offset=start[keep],
        unit_length=(end - start)[keep],
        rater=rater[keep],
        category=category[keep],
        categories=tuple(corpus.labels),
    )
