"""quickmeans.dask.KMeans(spherical=True) against the single-process SphericalKMeans (same
init: same labels, unit centers and inertia) and by hand, on dask's synchronous scheduler
and a 2-process LocalCluster."""

from __future__ import annotations

from collections.abc import Iterator

import dask
import dask.array as da
import distributed
import numpy as np
import pytest

from quickmeans import SphericalKMeans
from quickmeans.dask import KMeans


def directions(n: int, d: int, k: int, *, seed: int = 0, noise: float = 0.5,
               dtype: type = np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    axes = rng.standard_normal((k, d))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    X = axes[rng.integers(0, k, n)] + noise * rng.standard_normal((n, d)) / np.sqrt(d)
    X *= rng.uniform(0.2, 5.0, (n, 1))  # lengths that must not matter
    return X.astype(dtype)


def cosines(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    return Xn.astype(np.float64) @ centers.astype(np.float64).T


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_run_as_sphericalkmeans_from_the_same_init(dtype) -> None:
    X = directions(3000, 8, 6, seed=1, dtype=dtype)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(X))
    init = X[:6].copy()
    local = SphericalKMeans(6, init=init, n_init=1).fit(X, sample_weight=w)
    with dask.config.set(scheduler="synchronous"):
        km = KMeans(6, init=init, spherical=True).fit(da.from_array(X, chunks=(700, 8)),
                                                      sample_weight=da.from_array(w, chunks=700))
        labels = km.labels_.compute()
    np.testing.assert_array_equal(labels, local.labels_)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(km.cluster_centers_, local.cluster_centers_, atol=tol)
    assert km.inertia_ == pytest.approx(local.inertia_, rel=tol)
    assert km.n_iter_ == local.n_iter_
    assert km.cluster_centers_.dtype == dtype


def test_on_a_cluster_objective_transform_predict_score_by_hand(client) -> None:
    X = directions(4000, 10, 5, seed=3, noise=0.2)
    X[11] = 0.0  # no direction: label 0, cosine 0 to every center
    before = X.copy()
    dX = da.from_array(X, chunks=(900, 10))
    km = KMeans(5, random_state=0, spherical=True).fit(dX)
    np.testing.assert_array_equal(X, before)
    centers = km.cluster_centers_
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, atol=1e-12)
    with np.errstate(invalid="ignore"):
        cos = np.nan_to_num(cosines(X, centers))
    labels = km.labels_.compute()
    expected = np.argmax(cos, axis=1)
    expected[11] = 0
    np.testing.assert_array_equal(labels, expected)
    assigned = cos[np.arange(len(X)), labels]
    assert km.inertia_ == pytest.approx(float(np.sum(1 - assigned)), rel=1e-9)
    np.testing.assert_allclose(km.transform(X), 1 - cos, atol=1e-12)
    np.testing.assert_array_equal(km.predict(X), labels)
    assert km.score(dX) == pytest.approx(-km.inertia_, rel=1e-9)
    # It found the directions SphericalKMeans finds.
    local = SphericalKMeans(5, random_state=0).fit(X)
    assert cosines(centers, local.cluster_centers_).max(axis=1).min() > 0.999


def test_bad_parameters_and_init() -> None:
    X = da.from_array(directions(200, 4, 2, seed=4), chunks=100)
    with pytest.raises(ValueError, match="'spherical' parameter"):
        KMeans(2, spherical="yes").fit(X)
    with pytest.raises(ValueError, match="all zeros"):
        KMeans(2, init=np.array([[1.0, 0, 0, 0], [0.0] * 4]), spherical=True).fit(X)
