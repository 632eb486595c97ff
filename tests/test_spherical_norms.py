"""Spherical k-means clusters directions, whatever the rows' norms: rows scaled by powers of
two (exact in binary floating point, so the directions are the same bits) must give the
NumPy reference's run on the unscaled rows. The engine ranks unit centers by Euclidean
distance, whose rounding grows with | |x| - 1/|x| |: before the rows far from norm 1 were
normalised (_spherical_norms.rows_for_cosines), float64 rows scaled by 2^-40 or 2^70 got
most of their labels wrong, silently."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import directions
from quickmeans import SphericalKMeans, SphericalMiniBatchKMeans
from quickmeans import reference as ref
from quickmeans._spherical_norms import row_norms

SCALES = {np.float64: [-540, -60, -14, 14, 60, 400], np.float32: [-60, -14, 14, 60]}


def _cases():
    return [(dtype, e) for dtype, exponents in SCALES.items() for e in exponents]


def _tol(dtype) -> float:
    return 1e-9 if dtype == np.float64 else 1e-4


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize(("dtype", "exponent"), _cases())
def test_scaled_rows_give_the_reference_run_on_the_unscaled_rows(dtype, exponent, sparse) -> None:
    X = directions(1500, 12, 5, seed=21, dtype=dtype)
    scaled = X * dtype(2.0) ** exponent
    assert np.all(np.isfinite(scaled)) and np.all(scaled != 0)  # an exact power-of-two scaling
    before = scaled.copy()
    init = X[[0, 300, 600, 900, 1200]]
    expected_centers, labels, inertia, n_iter = ref.spherical_kmeans(X, init, max_iter=100)
    data = sp.csr_matrix(scaled) if sparse else scaled
    model = SphericalKMeans(5, init=init, max_iter=100, tol=0).fit(data)
    np.testing.assert_array_equal(model.labels_, labels)
    assert model.n_iter_ == n_iter
    np.testing.assert_allclose(model.cluster_centers_, expected_centers, atol=_tol(dtype))
    assert model.inertia_ == pytest.approx(inertia, rel=10 * _tol(dtype))
    np.testing.assert_array_equal(model.predict(data), labels)
    unscaled = SphericalKMeans(5, init=init, max_iter=100, tol=0).fit(X)
    np.testing.assert_allclose(model.transform(data), unscaled.transform(X), atol=_tol(dtype))
    assert model.score(data) == pytest.approx(unscaled.score(X), rel=10 * _tol(dtype))
    np.testing.assert_array_equal(scaled, before)  # the user's X is not modified


@pytest.mark.parametrize("sparse", [False, True])
def test_rows_of_norms_from_1e_minus_18_to_1e18_give_the_reference_run(sparse) -> None:
    X = directions(2000, 10, 6, seed=23)
    exponents = np.random.default_rng(24).integers(-60, 61, len(X))
    scaled = X * np.exp2(exponents.astype(np.float64))[:, None]
    init = X[[1, 2, 3, 4, 5, 6]]
    data = sp.csr_matrix(scaled) if sparse else scaled
    model = SphericalKMeans(6, init=init, tol=0).fit(data)
    _, labels, inertia, n_iter = ref.spherical_kmeans(X, init)
    np.testing.assert_array_equal(model.labels_, labels)
    assert model.n_iter_ == n_iter
    assert model.inertia_ == pytest.approx(inertia, rel=1e-9)


def test_default_fit_does_not_depend_on_the_scale() -> None:
    X = directions(3000, 16, 8, seed=25, dtype=np.float32)
    a = SphericalKMeans(8, random_state=0).fit(X)
    for exponent in (-50, 50):
        b = SphericalKMeans(8, random_state=0).fit(X * np.float32(2.0) ** exponent)
        np.testing.assert_array_equal(b.labels_, a.labels_)
        np.testing.assert_allclose(b.cluster_centers_, a.cluster_centers_, atol=1e-5)


def test_minibatch_steps_do_not_depend_on_the_scale() -> None:
    X = directions(1200, 8, 4, seed=26)
    init = X[[0, 1, 2, 3]]
    plain = SphericalMiniBatchKMeans(4, init=init, n_init=1, reassignment_ratio=0.0)
    scaled = SphericalMiniBatchKMeans(4, init=init, n_init=1, reassignment_ratio=0.0)
    for batch in np.array_split(np.arange(len(X)), 6):
        plain.partial_fit(X[batch])
        scaled.partial_fit(X[batch] * 2.0**-70)
        np.testing.assert_array_equal(scaled.labels_, plain.labels_)
    np.testing.assert_allclose(scaled.cluster_centers_, plain.cluster_centers_, atol=1e-12)


def test_norms_of_rows_whose_squares_underflow() -> None:
    X = directions(50, 7, 2, seed=27)
    tiny = X * 2.0**-600  # every square underflows to zero or a denormal
    np.testing.assert_allclose(row_norms(tiny) * 2.0**600, np.linalg.norm(X, axis=1), rtol=1e-14)
    np.testing.assert_allclose(row_norms(sp.csr_matrix(tiny)) * 2.0**600,
                               np.linalg.norm(X, axis=1), rtol=1e-14)
    mixed = tiny.copy()
    mixed[3], mixed[5] = 0.0, X[5]  # an empty CSR row and a normal one among the tiny ones
    np.testing.assert_allclose(row_norms(sp.csr_matrix(mixed)), row_norms(mixed), rtol=1e-14)
    assert row_norms(mixed)[3] == 0 and row_norms(mixed)[4] > 0
    # Such rows have a direction: they are clustered, not taken for zero rows.
    model = SphericalKMeans(2, init=X[:2], tol=0).fit(tiny)
    np.testing.assert_array_equal(model.labels_, ref.spherical_kmeans(X, X[:2])[1])
    with pytest.raises(ValueError, match="Every row of X is all zeros"):
        SphericalKMeans(2).fit(np.zeros((5, 3)))
