"""SphericalMiniBatchKMeans: each step against a NumPy transcription of the online spherical
update, fits against SphericalKMeans and by hand (cosines, unit centers), dense and CSR."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from conftest import directions
from quickmeans import SphericalKMeans, SphericalMiniBatchKMeans

DTYPES = [np.float64, np.float32]



def unit(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def reference_step(X: np.ndarray, w: np.ndarray, centers: np.ndarray,
                   counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One online spherical step in plain NumPy: labels by maximum cosine, each hit center
    moved to the direction of count * c + sum of w x/|x| over its rows."""
    Xn = unit(X)
    labels = np.argmax(Xn @ unit(centers).T, axis=1)
    new_centers, new_counts = unit(centers), counts.copy()
    for j in range(len(centers)):
        members = labels == j
        if w[members].sum() > 0:
            merged = counts[j] * new_centers[j] + (w[members, None] * Xn[members]).sum(axis=0)
            new_centers[j] = merged / np.linalg.norm(merged)
            new_counts[j] += w[members].sum()
    return labels, new_centers, new_counts


def cosines(X, centers: np.ndarray) -> np.ndarray:
    X = X.toarray() if sp.issparse(X) else X
    return unit(X) @ unit(centers).T


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_partial_fit_steps_follow_the_reference(dtype, weighted) -> None:
    X = directions(3000, 12, 4, seed=1, dtype=dtype, noise=0.3)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(X)) if weighted else np.ones(len(X))
    init = X[[0, 700, 1400, 2100]]
    model = SphericalMiniBatchKMeans(4, init=init, n_init=1, reassignment_ratio=0.0)
    centers, counts = unit(init), np.zeros(4)
    for batch in np.array_split(np.arange(len(X)), 3):
        model.partial_fit(X[batch], sample_weight=w[batch] if weighted else None)
        _, centers, counts = reference_step(X[batch], w[batch], centers, counts)
        np.testing.assert_allclose(model.cluster_centers_, centers,
                                   rtol=0, atol=1e-12 if dtype == np.float64 else 2e-6)
        # partial_fit's labels_ are the batch's against the moved centers, as MiniBatchKMeans'
        np.testing.assert_array_equal(model.labels_, np.argmax(cosines(X[batch], centers), axis=1))
        assert model.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_finds_the_directions_sphericalkmeans_finds(dtype) -> None:
    X = directions(20000, 16, 6, seed=3, dtype=dtype, noise=0.3)
    mini = SphericalMiniBatchKMeans(6, random_state=0, batch_size=1024).fit(X)
    full = SphericalKMeans(6, random_state=0).fit(X)
    assert adjusted_rand_score(full.labels_, mini.labels_) > 0.99
    matched = cosines(mini.cluster_centers_, full.cluster_centers_).max(axis=1)
    assert matched.min() > 0.999
    np.testing.assert_allclose(np.linalg.norm(mini.cluster_centers_.astype(np.float64), axis=1),
                               1.0, atol=1e-6)
    assert mini.inertia_ == pytest.approx(full.inertia_, rel=0.01)


def test_objective_transform_predict_and_score_by_hand() -> None:
    X = directions(4000, 10, 5, seed=4, noise=0.3)
    w = np.random.default_rng(5).uniform(0.1, 3.0, len(X))
    model = SphericalMiniBatchKMeans(5, random_state=1, batch_size=512).fit(X, sample_weight=w)
    cos = cosines(X, model.cluster_centers_)
    np.testing.assert_array_equal(model.labels_, np.argmax(cos, axis=1))
    assigned = cos[np.arange(len(X)), model.labels_]
    assert model.inertia_ == pytest.approx(float(w @ (1 - assigned)), rel=1e-9)
    np.testing.assert_allclose(model.transform(X), 1 - cos, atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    assert model.score(X, sample_weight=w) == pytest.approx(-model.inertia_, rel=1e-9)


def test_lengths_of_rows_do_not_matter() -> None:
    X = directions(5000, 8, 4, seed=6, noise=0.3)
    scales = np.random.default_rng(7).uniform(0.01, 100.0, (len(X), 1))
    a = SphericalMiniBatchKMeans(4, random_state=3, batch_size=256).fit(X)
    b = SphericalMiniBatchKMeans(4, random_state=3, batch_size=256).fit(X * scales)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, atol=1e-9)


def test_sparse_rows_match_their_dense_copy() -> None:
    rng = np.random.default_rng(8)
    dense = np.where(rng.random((3000, 60)) < 0.1, rng.uniform(0.5, 2.0, (3000, 60)), 0.0)
    dense[:, :3] += 3 * (rng.integers(0, 3, (3000, 1)) == np.arange(3))  # 3 topics
    dense[17] = 0.0  # a row of norm zero
    X = sp.csr_matrix(dense)
    a = SphericalMiniBatchKMeans(3, random_state=0, batch_size=256).fit(X)
    b = SphericalMiniBatchKMeans(3, random_state=0, batch_size=256).fit(dense)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, atol=1e-10)
    assert a.labels_[17] == 0
    np.testing.assert_allclose(a.transform(X)[17], 1.0)
    assert X.nnz == np.count_nonzero(dense)  # the input is untouched


def test_partial_fit_streams_and_clones_and_pickles() -> None:
    X = directions(6000, 24, 3, seed=9, dtype=np.float32, noise=0.3)
    before = X.copy()
    model = SphericalMiniBatchKMeans(3, random_state=0)
    for batch in np.array_split(X, 12):
        model.partial_fit(batch)
    np.testing.assert_array_equal(X, before)
    assert model.n_steps_ == 12
    full = SphericalKMeans(3, random_state=0).fit(X)
    assert cosines(model.cluster_centers_, full.cluster_centers_).max(axis=1).min() > 0.99
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    assert clone(model).get_params() == model.get_params()


def test_bad_input_is_a_clear_error() -> None:
    X = directions(200, 5, 2, seed=10, noise=0.3)
    with pytest.raises(ValueError, match="all zeros"):
        SphericalMiniBatchKMeans(2, init=np.array([[1.0, 0, 0, 0, 0], [0.0] * 5]),
                                 n_init=1).fit(X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SphericalMiniBatchKMeans(2).fit(bad)
    model = SphericalMiniBatchKMeans(2, random_state=0).partial_fit(X)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :4])
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :4])
