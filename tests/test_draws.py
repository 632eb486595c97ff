"""Weighted draws of rows (init='random', the first k-means++ seed): the engine's draws give
the same indices as NumPy's RandomState.choice with scikit-learn's p, and leave the random
state where choice leaves it, so every later draw agrees too."""

from __future__ import annotations

import numpy as np
import pytest

from quickmeans import _core
from quickmeans._init import choose_row, choose_rows, selection_probabilities


def cases():
    rng = np.random.RandomState(7)
    for case in range(60):
        n = int(rng.randint(1, 3000)) if case % 4 else int(rng.randint(1, 6))
        kind = case % 3
        if kind == 0:
            weights = None
        else:
            weights = rng.uniform(0, 5, size=n)
            if kind == 2:  # many zero weights: plateaus in the cumulative sums
                weights[rng.rand(n) < 0.6] = 0.0
            weights[rng.randint(n)] = 1.5
        yield case, n, weights


@pytest.mark.parametrize(("case", "n", "weights"), list(cases()))
def test_draws_equal_numpy_choice(case, n, weights) -> None:
    p = selection_probabilities(weights, n)
    positive = int(np.count_nonzero(p))
    # Tiny n make repeated indices common: the redraw rounds are exercised too.
    for size in sorted({1, min(2, positive), min(3, positive), positive}):
        ours, theirs = np.random.RandomState(case), np.random.RandomState(case)
        got = choose_rows(n, size, weights, ours)
        expected = theirs.choice(n, size=size, replace=False, p=p)
        np.testing.assert_array_equal(got, expected)
        assert ours.random_sample() == theirs.random_sample()
    ours, theirs = np.random.RandomState(case), np.random.RandomState(case)
    assert choose_row(n, weights, ours) == theirs.choice(n, p=p)
    assert ours.random_sample() == theirs.random_sample()


def test_a_redraw_among_two_rows_is_numpys() -> None:
    # With two equally likely rows, half of all first rounds repeat an index.
    redrawn = 0
    for seed in range(40):
        first = np.random.RandomState(seed).random_sample(2)
        redrawn += (first[0] < 0.5) == (first[1] < 0.5)
        got = choose_rows(2, 2, None, np.random.RandomState(seed))
        expected = np.random.RandomState(seed).choice(2, size=2, replace=False, p=[0.5, 0.5])
        np.testing.assert_array_equal(got, expected)
    assert redrawn > 5


def test_too_few_positive_weights_is_an_error_not_a_hang() -> None:
    weights = np.array([0.0, 2.0, 0.0])
    with pytest.raises(ValueError, match="non-zero entries"):
        choose_rows(3, 2, weights, np.random.RandomState(0))


@pytest.mark.parametrize("n", [*range(1, 40), 2**16 - 1, 2**16, 2**16 + 1, 3**13, 1_048_579])
def test_unit_weight_draws_land_on_every_boundary_of_numpys_cumsum(n) -> None:
    # Unit weights are drawn from closed-form runs of NumPy's cumulative sums, not the sums
    # themselves: every quotient cdf[i] / cdf[-1], and the floats either side of it, must
    # find the index NumPy's searchsorted finds (one ulp off anywhere moves a boundary).
    cdf = np.cumsum(np.full(n, 1.0 / n))
    cdf /= cdf[-1]
    uniforms = np.concatenate([cdf, np.nextafter(cdf, 0.0), np.nextafter(cdf, 2.0)])
    uniforms = uniforms[(uniforms >= 0.0) & (uniforms < 1.0)]
    got = _core.inverse_cdf_draws(None, 0.0, n, uniforms)
    np.testing.assert_array_equal(got, cdf.searchsorted(uniforms, side="right"))
