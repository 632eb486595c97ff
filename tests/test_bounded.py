"""Carried cluster sums over long fits: the bound-based algorithms (Elkan, Hamerly) against
Lloyd's run, and Lloyd against the NumPy reference. Their cluster sums are carried from
iteration to iteration by the samples that moved (moving_sums.hpp), recomputed exactly once
n moves have been carried, after an empty cluster was relocated, when a cluster's weight
nears zero, and before the centers are returned (Lloyd's also on the first pass, on the
last one max_iter allows, and after a step that moved an eighth of the samples).
Each case here crosses one of those paths.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_blobs
from quickmeans import _core, _engine
from quickmeans import reference as ref
from quickmeans._validation import check_data

BOUNDED = ["elkan", "hamerly"]


def fit(X, init, algorithm, weights=None, tol=0.0, max_iter=300, threads=1, sparse=False):
    if sparse:  # the same rows as CSR (sparse Lloyd carries its sums in a pass of its own)
        from scipy import sparse as sp

        data = check_data(sp.csr_matrix(X), estimator="KMeans", n_threads=threads, finite=True)
        return _engine.fit(data, weights, init.copy(), algorithm, max_iter, tol, threads, None)
    return _core.fit(X, weights, init, algorithm, max_iter, tol, threads)


def assert_same_as_lloyd(X, init, algorithm, weights=None, tol=0.0, max_iter=300) -> tuple:
    expected = fit(X, init, "lloyd", weights, tol, max_iter)
    got = fit(X, init, algorithm, weights, tol, max_iter)
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[3] == expected[3]
    # Both take the returned centers from sums of every sample in the same order.
    np.testing.assert_array_equal(got[0], expected[0])
    assert got[2] == expected[2]
    return expected


def assert_lloyd_is_reference(X, init, weights=None, tol=0.0, max_iter=300, sparse=False) -> int:
    """Lloyd with carried sums gives the reference's labels and n_iter, its centers to
    rounding; returns n_iter."""
    centers, labels, inertia, n_iter = fit(X, init, "lloyd", weights, tol, max_iter, sparse=sparse)
    expected = ref.lloyd(X, init, sample_weight=weights, tol=tol, max_iter=max_iter)
    np.testing.assert_array_equal(labels, expected[1])
    assert n_iter == expected[3]
    rtol = 1e-12 if X.dtype == np.float64 else 1e-6
    np.testing.assert_allclose(centers, expected[0], rtol=rtol, atol=rtol)
    assert inertia == pytest.approx(expected[2], rel=rtol)
    return n_iter


def overlapping_run(dtype) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping blobs and k above their number: dozens of iterations, most moving a few
    samples, so the sums are carried across several exact refreshes."""
    X = make_blobs(4000, 5, 6, seed=8, spread=3.0, dtype=dtype)
    return X, X[np.random.RandomState(0).choice(len(X), 40, replace=False)].copy()


def zero_weight_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Samples of weight zero, which can leave a cluster with members but no weight."""
    rng = np.random.RandomState(4)
    X = make_blobs(2500, 3, 8, seed=4, spread=2.0)
    weights = rng.uniform(0.5, 2.0, len(X))
    weights[rng.rand(len(X)) < 0.3] = 0.0
    return X, weights, X[rng.choice(len(X), 30, replace=False)].copy()


def clumped_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Many clusters on little, clumped data with repeated rows: clusters empty out at
    various iterations and are relocated, after which carried sums are stale."""
    rng = np.random.RandomState(seed)
    base = rng.randint(0, 6, size=(60, 2)).astype(np.float64)
    X = np.repeat(base, rng.randint(1, 6, size=len(base)), axis=0) + rng.normal(0, 0.01, (1, 2))
    X = np.concatenate([X, make_blobs(400, 2, 3, seed=seed, spread=1.5)])
    init = np.concatenate([X[rng.choice(len(X), 20)], rng.uniform(-15, 15, (10, 2))])
    return X, init


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("sparse", [False, True])
def test_lloyd_carrying_its_sums_is_the_reference(dtype, threads, sparse) -> None:
    # As CSR, a third of the values are zeros (not stored).
    X, init = overlapping_run(dtype)
    if sparse:
        X[np.random.RandomState(1).rand(*X.shape) < 0.3] = 0
        init = X[np.random.RandomState(0).choice(len(X), 40, replace=False)].copy()
    assert assert_lloyd_is_reference(X, init, sparse=sparse) > 20
    for max_iter in (7, 19):  # the last step max_iter allows sums all samples
        assert assert_lloyd_is_reference(X, init, max_iter=max_iter, sparse=sparse) == max_iter
    one = fit(X, init, "lloyd", threads=1, sparse=sparse)
    two = fit(X, init, "lloyd", threads=threads, sparse=sparse)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.filterwarnings("ignore:Number of distinct clusters")  # repeated rows
def test_lloyd_weights_with_zeros_and_relocations_are_the_reference(sparse) -> None:
    # Weightless samples move without moving any weight; clusters empty out and are relocated.
    X, weights, init = zero_weight_case()
    assert_lloyd_is_reference(X, init, weights, sparse=sparse)
    for seed in range(12):
        X, init = clumped_case(seed)
        assert_lloyd_is_reference(X, init, max_iter=60, sparse=sparse)
        weights = np.random.RandomState(seed).randint(0, 3, len(X)).astype(np.float64)
        assert_lloyd_is_reference(X, init, weights, max_iter=60, sparse=sparse)


@pytest.mark.parametrize("algorithm", BOUNDED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_long_overlapping_run_equals_lloyd_and_reference(algorithm, dtype) -> None:
    X, init = overlapping_run(dtype)
    expected = assert_same_as_lloyd(X, init, algorithm)
    assert expected[3] > 20
    _, labels, _, n_iter = ref.lloyd(X.astype(np.float64), init.astype(np.float64), tol=0.0)
    if dtype == np.float64:
        np.testing.assert_array_equal(expected[1], labels)
        assert expected[3] == n_iter


@pytest.mark.parametrize(("algorithm", "sparse"),
                         [(a, False) for a in BOUNDED + ["lloyd"]] + [("lloyd", True)])
def test_tol_stop_between_refreshes_returns_exact_centers(algorithm, sparse) -> None:
    # Stopping by tol with carried (not exact) sums: the centers must be the
    # means of the final labels, as Lloyd's are, bit for bit in float64 here.
    X = make_blobs(3000, 4, 5, seed=2, spread=2.5)
    init = X[:25].copy()
    for tol in (1e-3, 1e-5, 1e-7):
        centers, labels, _, _ = fit(X, init, algorithm, tol=tol, sparse=sparse)
        expected = fit(X, init, "lloyd", tol=tol)
        np.testing.assert_array_equal(labels, expected[1])
        means = np.array([X[labels == c].mean(axis=0) for c in range(25)])
        np.testing.assert_allclose(centers, means, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("algorithm", BOUNDED)
def test_weights_with_zeros_and_clusters_of_zero_weight(algorithm) -> None:
    # A cluster's emptiness (and so the relocation) must be judged on exact sums, not on
    # carried ones.
    X, weights, init = zero_weight_case()
    assert_same_as_lloyd(X, init, algorithm, weights)


@pytest.mark.parametrize("algorithm", BOUNDED)
@pytest.mark.parametrize("seed", range(12))
def test_runs_with_empty_clusters_relocated_equal_lloyd(algorithm, seed) -> None:
    X, init = clumped_case(seed)
    assert_same_as_lloyd(X, init, algorithm, max_iter=60)


@pytest.mark.parametrize("algorithm", BOUNDED)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_results_do_not_depend_on_threads(algorithm, dtype) -> None:
    X = make_blobs(30_000, 12, 10, seed=6, spread=3.0, dtype=dtype)
    init = X[:48].copy()
    one = fit(X, init, algorithm, threads=1)
    two = fit(X, init, algorithm, threads=2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("algorithm", BOUNDED)
def test_float64_data_beyond_float32_range(algorithm) -> None:
    # The bounds are stored as float32, rounded outwards: distances past its range must
    # still give Lloyd's run (the bounds then decide nothing, so every sample is scanned).
    X = make_blobs(2000, 3, 4, seed=9, spread=1.5) * 1e30
    init = X[:12].copy()
    assert_same_as_lloyd(X, init, algorithm)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("threads", [1, 2])
def test_hamerly_offsets_from_running_totals_equal_lloyd(dtype, threads) -> None:
    # Hamerly keeps each bound as an offset from its center's running total of shifts
    # (hamerly.hpp). Centers started in one corner travel far, so the totals grow well past
    # the distances and the offsets go negative; rows repeated many times sit at distance
    # 0 from their center; and in the first iterations most rows fail. Lloyd's run all the
    # same, offset from the origin by 1e4 so the float bounds round at a coarse scale.
    rng = np.random.RandomState(11)
    X = make_blobs(20_000, 4, 12, seed=11, spread=2.5)
    X = np.concatenate([X, np.repeat(X[rng.choice(len(X), 40)], 50, axis=0)]) + 1e4
    X = X.astype(dtype)
    init = (X.min(axis=0) + rng.uniform(0, 0.5, (24, X.shape[1]))).astype(dtype)
    expected = fit(X, init, "lloyd", threads=threads)
    got = fit(X, init, "hamerly", threads=threads)
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[3] == expected[3] > 10
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(got[0], expected[0], rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_two_center_margins_equal_lloyd(dtype, threads, weighted) -> None:
    # With two centers Hamerly keeps one float a sample: its margin plus the running total of
    # both centers' shifts (two_center_bounds.hpp). Both centers start in one corner, so the
    # total grows far past the margins; repeated rows and a row equidistant from both
    # centers' paths make zero margins and exact ties (the lower index must win); offset by
    # 1e4, the floats round at a coarse scale. Lloyd's run all the same.
    rng = np.random.RandomState(4)
    X = make_blobs(6000, 3, 2, seed=4, spread=3.0)
    X = np.concatenate([X, np.repeat(X[rng.choice(len(X), 20)], 30, axis=0)]) + 1e4
    X = X.astype(dtype)
    init = (X.min(axis=0) + np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.25]])).astype(dtype)
    w = rng.uniform(0.1, 4.0, len(X)) if weighted else None
    expected = fit(X, init, "lloyd", w, threads=threads)
    got = fit(X, init, "hamerly", w, threads=threads)
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[3] == expected[3] > 5
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(got[0], expected[0], rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hamerly_float_bounds_test_equals_lloyd_at_every_simd_level(dtype) -> None:
    # The bounds test runs in float with each sample's per-center totals looked up by a
    # permute of one vector (k up to the lanes: 4 generic, 8 AVX2, 16 AVX-512), of two, or
    # lane by lane beyond: each k here crosses one of those at some level, with the totals
    # grown past the distances (centers start in a corner) and many rows failing early.
    rng = np.random.RandomState(5)
    original = _core.simd_level()
    try:
        for level in _core.simd_levels():
            _core.set_simd_level(level)
            for k in (2, 3, 4, 5, 8, 9, 16, 17, 33):
                X = (make_blobs(3000, 5, k, seed=k, spread=2.0) + 1e3).astype(dtype)
                init = (X.min(axis=0) + rng.uniform(0, 0.5, (k, 5))).astype(dtype)
                expected = fit(X, init, "lloyd")
                got = fit(X, init, "hamerly", threads=2)
                np.testing.assert_array_equal(got[1], expected[1], err_msg=f"{level} k={k}")
                assert got[3] == expected[3], (level, k)
                rtol = 1e-12 if dtype == np.float64 else 1e-6
                np.testing.assert_allclose(got[0], expected[0], rtol=rtol, err_msg=level)
    finally:
        _core.set_simd_level(original)
