"""Chance-corrected agreement coefficients on coded units: Cohen's κ, Fleiss' κ, Krippendorff's α.

Pure functions on numpy arrays, with no knowledge of spans or tokens, so that they can be checked
against the published worked examples and the reference packages. Each returns `None` when the
coefficient is undefined (its expected disagreement is zero: every rating is the same category),
never NaN; `why_undefined` says why in words.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def contingency(a: npt.ArrayLike, b: npt.ArrayLike, n_categories: int) -> IntArray:
    """The `n_categories`² table of how often rater A said row and rater B said column.

    `a` and `b` hold category indices in `range(n_categories)`, one per unit, same length.
    """
    x = np.asarray(a, dtype=np.int64)
    y = np.asarray(b, dtype=np.int64)
    if x.shape != y.shape:
        raise ValueError("both raters must rate the same units")
    flat = np.bincount(x * n_categories + y, minlength=n_categories * n_categories)
    return flat.reshape(n_categories, n_categories)


def cohen_kappa_table(table: npt.ArrayLike) -> float | None:
    """Cohen's (1960) κ from a square contingency table (rows: rater A, columns: rater B).

    κ = (p_o − p_e) / (1 − p_e), p_o the observed proportion of agreement (the diagonal), p_e the
    one expected from each rater's own category proportions. None when p_e = 1 or no units.
    """
    t = np.asarray(table, dtype=np.float64)
    n = t.sum()
    if n <= 0:
        return None
    p_o = np.trace(t) / n
    p_e = float(np.dot(t.sum(axis=1), t.sum(axis=0))) / (n * n)
    if p_e >= 1.0:
        return None
    return float((p_o - p_e) / (1.0 - p_e))


def cohen_kappa(a: npt.ArrayLike, b: npt.ArrayLike) -> float | None:
    """Cohen's κ of two raters' category codes (any hashable values), one pair per unit."""
    codes, inverse = np.unique(np.concatenate([np.asarray(a), np.asarray(b)]), return_inverse=True)
    half = len(inverse) // 2
    return cohen_kappa_table(contingency(inverse[:half], inverse[half:], len(codes)))


def fleiss_kappa(counts: npt.ArrayLike) -> float | None:
    """Fleiss' (1971) κ from a units × categories table of how many raters chose each category.

    Every unit must have the same number of ratings n ≥ 2. P_i = (Σ_j n_ij² − n) / (n(n − 1)),
    P̄ their mean, p_j = Σ_i n_ij / (N n), P_e = Σ_j p_j², κ = (P̄ − P_e) / (1 − P_e).
    None when there are no units or P_e = 1.
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] == 0:
        return None
    per_unit = c.sum(axis=1)
    n = per_unit[0]
    if n < 2 or not np.all(per_unit == n):
        raise ValueError("Fleiss' kappa needs the same number (≥ 2) of ratings for every unit")
    return fleiss_from_sums(c.shape[0], int(n), float((c * c).sum()), c.sum(axis=0))


def fleiss_from_sums(
    n_units: int, n_raters: int, sum_sq: float, totals: npt.NDArray[np.float64]
) -> float | None:
    """Fleiss' κ from N units, n raters per unit, Σ_ij n_ij² and the category totals Σ_i n_ij."""
    if n_units == 0 or n_raters < 2:
        return None
    n = float(n_raters)
    p_bar = (sum_sq - n_units * n) / (n_units * n * (n - 1.0))
    p_j = np.asarray(totals, dtype=np.float64) / (n_units * n)
    p_e = float(np.dot(p_j, p_j))
    if p_e >= 1.0:
        return None
    return (p_bar - p_e) / (1.0 - p_e)


def krippendorff_alpha_nominal(counts: npt.ArrayLike) -> float | None:
    """Krippendorff's α for nominal data from a units × categories table of value counts n_uc.

    Units may have any number of values (missing ratings are simply not counted); units with
    fewer than two values are not pairable and are left out. With m_u = Σ_c n_uc, the coincidences
    o_cc = Σ_u n_uc(n_uc − 1)/(m_u − 1), n_c = Σ_u n_uc over pairable units, n = Σ_c n_c:
    α = 1 − (n − 1)(n − Σ_c o_cc) / (n² − Σ_c n_c²). None when fewer than two pairable values or
    when every value is the same category (no expected disagreement).
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError("counts must be a units × categories table")
    m = c.sum(axis=1)
    keep = m >= 2
    c = c[keep]
    m = m[keep]
    return alpha_from_sums(
        float(c.sum()),
        float(((c * (c - 1.0)).sum(axis=1) / (m - 1.0)).sum()),
        c.sum(axis=0),
    )


def alpha_from_sums(n: float, o_diag: float, n_c: FloatArray) -> float | None:
    """α from n (pairable values), Σ_c o_cc and the marginals n_c (see krippendorff_alpha_nominal)."""
    if n < 2:
        return None
    expected = n * n - float(np.dot(n_c, n_c))
    if expected <= 0:
        return None
    return 1.0 - (n - 1.0) * (n - o_diag) / expected


def value_counts(
    ratings: Sequence[Sequence[Hashable | None]],
) -> tuple[IntArray, list[Hashable]]:
    """A raters × units matrix (None = missing) as the units × categories count table that
    `krippendorff_alpha_nominal` and `fleiss_kappa` take, and the categories in column order."""
    distinct = {v for row in ratings for v in row if v is not None}
    try:
        values: list[Hashable] = sorted(distinct)  # type: ignore[type-var]
    except TypeError:  # mixed types: any stable order will do
        values = sorted(distinct, key=repr)
    index = {v: i for i, v in enumerate(values)}
    n_units = max((len(row) for row in ratings), default=0)
    out = np.zeros((n_units, len(values)), dtype=np.int64)
    for row in ratings:
        for u, v in enumerate(row):
            if v is not None:
                out[u, index[v]] += 1
    return out, values
