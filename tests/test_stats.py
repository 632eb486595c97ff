"""mean_feature_variance (scikit-learn's scale for tol) against NumPy's np.var, the oracle."""

from __future__ import annotations

import numpy as np
import pytest

from quickmeans import _core


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("n", "d", "offset"), [
    (1, 4, 0.0), (7, 300, 1e8), (1000, 3, 0.0), (5000, 1, -3e4), (100_000, 5, 1e6),
    (70_001, 9, 2.5), (5000, 600, -7.0)])
def test_mean_feature_variance_equals_numpy(dtype, n, d, offset) -> None:
    rng = np.random.default_rng(n + d)
    X = (rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d) + offset).astype(dtype)
    before = X.copy()
    expected = float(np.mean(np.var(X.astype(np.float64), axis=0)))
    got = [_core.mean_feature_variance(X, threads) for threads in (1, 2, 8)]
    # Data far from the origin: the chunks' merged deviations lose nothing to cancellation.
    assert got[0] == pytest.approx(expected, rel=1e-11, abs=1e-300)
    assert got[0] == got[1] == got[2]  # chunks merged in order: any thread count
    np.testing.assert_array_equal(X, before)


def test_mean_feature_variance_by_hand() -> None:
    # Columns (0, 2, 4) and (1, 1, 1): variances 8/3 and 0, mean 4/3.
    X = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    assert _core.mean_feature_variance(X, 2) == pytest.approx(4 / 3, rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mean_feature_variance_with_a_limit_is_nan_past_it(dtype) -> None:
    # With a limit, the pass is also all_finite's check: NaN for NaN, infinity or a value
    # above the limit in magnitude (KMeans.fit then raises check_finite's error), anywhere.
    rng = np.random.default_rng(4)
    X = rng.normal(size=(20_000, 6)).astype(dtype)
    expected = _core.mean_feature_variance(X, 2)
    assert _core.mean_feature_variance(X, 2, 4.0 * float(np.abs(X).max())) == expected
    for row in (0, 9_999, 19_999):
        for bad in (np.nan, np.inf, -np.inf, 1e30):
            Y = X.copy()
            Y[row, 3] = bad
            got = [_core.mean_feature_variance(Y, threads, 1e20) for threads in (1, 2)]
            assert np.isnan(got).all(), (row, bad)


@pytest.mark.parametrize("column", [0, 7, 8, 12])
def test_mean_feature_variance_limit_checks_every_block_of_features(column) -> None:
    # Features are summed in blocks of 8 (the last one shorter): a bad value in any block,
    # first or last feature of it, makes the result NaN.
    X = np.random.default_rng(5).normal(size=(3_000, 13))
    assert np.isfinite(_core.mean_feature_variance(X, 2, 1e20))
    X[1_234, column] = np.inf
    assert np.isnan(_core.mean_feature_variance(X, 2, 1e20))
