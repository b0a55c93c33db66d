"""Cohen's κ, Fleiss' κ and Krippendorff's α: the published worked examples to 4 decimals, and
random data against scikit-learn, statsmodels and krippendorff to 1e-9."""

from __future__ import annotations

from typing import Any

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotations.agreement.coefficients import (
    cohen_kappa,
    cohen_kappa_table,
    fleiss_kappa,
    krippendorff_alpha_nominal,
    value_counts,
)

FOUR = 5e-5  # "to 4 decimals"


def test_krippendorff_2011_nominal(cases: dict[str, Any]) -> None:
    case = cases["krippendorff_2011_reliability_data"]
    counts, _ = value_counts(case["coders_x_units"])
    alpha = krippendorff_alpha_nominal(counts)
    assert alpha == pytest.approx(case["expected"]["nominal"], abs=5e-4)  # published: 0.743
    assert alpha == pytest.approx(0.7434, abs=FOUR)


def test_wikipedia_krippendorff_nominal(cases: dict[str, Any]) -> None:
    case = cases["wikipedia_krippendorff_example"]
    counts, _ = value_counts(case["coders_x_units"])
    alpha = krippendorff_alpha_nominal(counts)
    assert alpha == pytest.approx(case["expected"]["nominal"], abs=5e-4)  # published: 0.691
    assert alpha == pytest.approx(0.6914, abs=FOUR)


def test_fleiss_1971_diagnoses(cases: dict[str, Any]) -> None:
    case = cases["fleiss_1971_diagnoses"]
    raters_x_units = np.array(case["subjects_x_raters"]).T.tolist()
    counts, categories = value_counts(raters_x_units)
    assert counts.sum(axis=0).tolist() == case["category_totals"]
    assert categories == [1, 2, 3, 4, 5]
    assert fleiss_kappa(counts) == pytest.approx(case["expected"]["fleiss_kappa"], abs=FOUR)
    # the same data read as Krippendorff's α (the reference says 0.4334)
    assert krippendorff_alpha_nominal(counts) == pytest.approx(
        case["verified_with"]["krippendorff alpha nominal (same data)"], abs=FOUR
    )


def test_wikipedia_fleiss(cases: dict[str, Any]) -> None:
    case = cases["wikipedia_fleiss_example"]
    kappa = fleiss_kappa(case["subjects_x_category_counts"])
    assert kappa == pytest.approx(case["expected"]["fleiss_kappa"], abs=5e-4)  # published: 0.210
    assert kappa == pytest.approx(0.2099, abs=FOUR)


def test_cohen_wikipedia_2x2(cases: dict[str, Any]) -> None:
    case = cases["cohen_wikipedia_2x2"]
    table = case["contingency_A_rows_B_cols"]
    assert cohen_kappa_table(table) == pytest.approx(case["expected"]["cohen_kappa"], abs=FOUR)
    # the same from the 50 proposals, one by one
    a, b = [], []
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            a += [case["labels"][i]] * n
            b += [case["labels"][j]] * n
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=FOUR)


def test_cohen_sas_table10(cases: dict[str, Any]) -> None:
    case = cases["cohen_sas_table10"]
    assert cohen_kappa_table(case["contingency"]) == pytest.approx(
        case["expected"]["kappa"], abs=FOUR
    )


def test_cohen_irr_anxiety(cases: dict[str, Any]) -> None:
    case = cases["cohen_irr_anxiety_r2_r3"]
    kappa = cohen_kappa(case["rater2"], case["rater3"])
    assert kappa == pytest.approx(case["expected"]["unweighted"], abs=FOUR)


def test_undefined_is_none_not_nan() -> None:
    assert cohen_kappa_table([[5, 0], [0, 0]]) is None  # both always said the first category
    assert cohen_kappa_table([[0, 0], [0, 0]]) is None  # no unit
    assert fleiss_kappa([[3, 0], [3, 0]]) is None
    assert fleiss_kappa(np.zeros((0, 2))) is None
    assert krippendorff_alpha_nominal([[2, 0], [3, 0]]) is None
    assert krippendorff_alpha_nominal([[1, 0], [0, 1]]) is None  # nothing pairable
    with pytest.raises(ValueError):
        fleiss_kappa([[2, 0], [1, 2]])  # not the same number of ratings per unit


@pytest.mark.parametrize("seed", range(20))
def test_cohen_against_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    k = int(rng.integers(2, 7))
    a = rng.integers(0, k, n)
    b = np.where(rng.random(n) < rng.random(), a, rng.integers(0, k, n))
    if len(set(a.tolist()) | set(b.tolist())) < 2:
        b[0] = (a[0] + 1) % k
    ours = cohen_kappa(a, b)
    assert ours is not None
    assert ours == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_fleiss_against_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    units = int(rng.integers(2, 300))
    raters = int(rng.integers(2, 8))
    k = int(rng.integers(2, 6))
    truth = rng.integers(0, k, units)
    data = np.where(
        rng.random((units, raters)) < 0.7, truth[:, None], rng.integers(0, k, (units, raters))
    )
    table, _ = aggregate_raters(data)
    assert fleiss_kappa(table) == pytest.approx(sm_fleiss_kappa(table, method="fleiss"), abs=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_krippendorff_against_package(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    coders = int(rng.integers(2, 7))
    units = int(rng.integers(3, 300))
    k = int(rng.integers(2, 6))
    truth = rng.integers(0, k, units)
    data = np.where(rng.random((coders, units)) < 0.75, truth, rng.integers(0, k, (coders, units)))
    data = data.astype(float)
    data[rng.random((coders, units)) < 0.25] = np.nan  # missing values, some units unpairable
    ratings = [[None if np.isnan(v) else int(v) for v in row] for row in data]
    counts, _ = value_counts(ratings)
    if counts.sum(axis=1).max() < 2 or len(set(np.flatnonzero(counts.sum(axis=0)))) < 2:
        pytest.skip("degenerate draw")
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert krippendorff_alpha_nominal(counts) == pytest.approx(expected, abs=1e-9)
