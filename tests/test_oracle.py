"""The engine against the pure-NumPy reference (quickmeans.reference) and hand-computed cases.

Same init => same labels, centers and n_iter, for Lloyd and Elkan, float32 and float64, with
and without weights, C and Fortran order, and many shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quickmeans
from conftest import for_each_simd_level, make_blobs
from quickmeans import reference as ref

ALGORITHMS = ["lloyd", "elkan", "hamerly", "auto"]
DTYPES = [np.float64, np.float32]


def rtol_for(dtype: type) -> float:
    return 1e-6 if dtype == np.float64 else 1e-4


def assert_same_run(model: quickmeans.KMeans, expected: tuple, dtype: type) -> None:
    centers, labels, inertia, n_iter = expected
    np.testing.assert_array_equal(model.labels_, labels)
    assert model.n_iter_ == n_iter
    np.testing.assert_allclose(model.cluster_centers_, centers, rtol=rtol_for(dtype),
                               atol=rtol_for(dtype) * 1e-2)
    assert model.inertia_ == pytest.approx(inertia, rel=rtol_for(dtype))


def test_auto_picks_hamerly_when_a_scan_of_all_centers_is_long() -> None:
    from quickmeans._kmeans import choose_algorithm

    assert choose_algorithm(200_000, 32, 64, 4) == "hamerly"
    assert choose_algorithm(500_000, 16, 100, 4) == "hamerly"
    assert choose_algorithm(1_000_000, 8, 16, 8) == "hamerly"  # measured: 0.36 s vs 0.49 s
    assert choose_algorithm(1_000_000, 8, 16, 4) == "lloyd"
    assert choose_algorithm(500, 16, 100, 4) == "lloyd"  # too few samples to pay the bounds
    assert choose_algorithm(10**6, 1024, 1, 4) == "lloyd"
    assert choose_algorithm(200_000, 32, 64, 4, memory_mapped=True) == "lloyd"


def test_auto_is_the_default_and_gives_lloyds_run() -> None:
    X = make_blobs(3000, 24, 40, seed=5, spread=2.5, dtype=np.float32)
    assert quickmeans.KMeans().algorithm == "auto"
    default = quickmeans.KMeans(40, random_state=1).fit(X)
    lloyd = quickmeans.KMeans(40, random_state=1, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(default.labels_, lloyd.labels_)
    assert default.n_iter_ == lloyd.n_iter_
    np.testing.assert_allclose(default.cluster_centers_, lloyd.cluster_centers_,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("algorithm", ["elkan", "hamerly", "auto"])
def test_high_dimensional_runs_equal_lloyd(algorithm) -> None:
    X = make_blobs(400, 600, 6, seed=14, spread=3.0, dtype=np.float32)
    lloyd = quickmeans.KMeans(6, random_state=0, algorithm="lloyd").fit(X)
    other = quickmeans.KMeans(6, random_state=0, algorithm=algorithm).fit(X)
    np.testing.assert_array_equal(other.labels_, lloyd.labels_)
    np.testing.assert_array_equal(other.cluster_centers_, lloyd.cluster_centers_)
    assert other.n_iter_ == lloyd.n_iter_


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_hand_computed_weighted_case(algorithm: str) -> None:
    # Two clusters {(0,0) w3, (.5,0) w1} and {(.5,1) w1, (1,1) w3}:
    # centers (0.125, 0) and (0.875, 1); inertia 3*.125^2 + .375^2 twice = 0.375.
    X = np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]], dtype=np.float64)
    model = quickmeans.KMeans(2, init=np.array([[0.0, 0.0], [1.0, 1.0]]), algorithm=algorithm)
    model.fit(X, sample_weight=[3, 1, 1, 3])
    np.testing.assert_array_equal(model.labels_, [0, 0, 1, 1])
    np.testing.assert_allclose(model.cluster_centers_, [[0.125, 0.0], [0.875, 1.0]])
    assert model.inertia_ == pytest.approx(0.375)
    assert model.n_iter_ == 2
    assert model.labels_.dtype == np.int32


def test_hand_computed_one_dimension() -> None:
    # 1-D points 0, 1, 10, 11 from centers 0 and 1: first step moves the second center to
    # (1+10+11)/3, the second step splits {0,1} / {10,11}; inertia 4 * 0.5^2 = 1.
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    model = quickmeans.KMeans(2, init=np.array([[0.0], [1.0]])).fit(X)
    np.testing.assert_array_equal(model.labels_, [0, 0, 1, 1])
    np.testing.assert_allclose(model.cluster_centers_, [[0.5], [10.5]])
    assert model.inertia_ == pytest.approx(1.0)
    assert model.n_iter_ == 3  # two moves, then a strict-convergence pass


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
# The narrow kernel, and the wide one with its tile for few centers and for many (the
# last padded: 29 of 30 on AVX2).
@pytest.mark.parametrize(("d", "k"), [(6, 8), (80, 8), (80, 29)])
def test_same_as_reference_from_same_init(algorithm, dtype, weighted, order, d, k) -> None:
    X = np.asarray(make_blobs(1500, d, 5, seed=3, spread=3.0, dtype=dtype), order=order)
    rng = np.random.RandomState(0)
    w = rng.uniform(0.1, 3.0, size=len(X)) if weighted else None
    init = X[rng.choice(len(X), k, replace=False)]
    model = quickmeans.KMeans(k, init=init, algorithm=algorithm, tol=1e-4)
    model.fit(X, sample_weight=w)
    expected = ref.kmeans(np.ascontiguousarray(X), k, init=init, sample_weight=w, tol=1e-4,
                          algorithm=algorithm)
    assert_same_run(model, expected, dtype)
    assert model.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("d", [1, 3, 8, 16, 17, 40, 90])  # vectors and leftover features
def test_two_clusters_match_reference(algorithm, dtype, weighted, d) -> None:
    # Two centers have kernels of their own (every split of BisectingKMeans); an odd n
    # leaves a last row without its pair in the two-center sums.
    X = make_blobs(2001, d, 2, seed=5, spread=4.0, dtype=dtype)
    rng = np.random.RandomState(1)
    w = rng.uniform(0.1, 3.0, size=len(X)) if weighted else None
    init = X[rng.choice(len(X), 2, replace=False)]
    model = quickmeans.KMeans(2, init=init, algorithm=algorithm, tol=0.0).fit(X, sample_weight=w)
    expected = ref.kmeans(X, 2, init=init, sample_weight=w, tol=0.0, algorithm=algorithm)
    assert_same_run(model, expected, dtype)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 300),
    d=st.integers(1, 100),  # both kernels: the wide one starts at 64 features
    k=st.integers(1, 20),
    dtype=st.sampled_from(DTYPES),
    algorithm=st.sampled_from(ALGORITHMS),
    weighted=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
    max_iter=st.integers(1, 50),
)
def test_random_shapes_match_reference(n, d, k, dtype, algorithm, weighted, seed, max_iter):
    k = min(k, n)
    rng = np.random.RandomState(seed)
    X = (rng.randn(n, d) * rng.uniform(0.1, 10)).astype(dtype)
    w = rng.uniform(0, 2, size=n) if weighted else None
    if w is not None and w.sum() == 0:
        w = None
    init = X[rng.choice(n, k, replace=False)]
    model = quickmeans.KMeans(k, init=init, algorithm=algorithm, max_iter=max_iter, tol=1e-4)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate-point warnings are legitimate here
            model.fit(X, sample_weight=w)
    expected = ref.kmeans(X, k, init=init, sample_weight=w, tol=1e-4, max_iter=max_iter,
                          algorithm=algorithm)
    assert_same_run(model, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
# 9000 rows span several of the engine's 2048-row chunks, whose running sums locate
# the candidates; 800 fit in one.
@pytest.mark.parametrize("n_samples", [800, 9000])
def test_kmeans_plusplus_matches_reference(dtype, weighted, n_samples) -> None:
    X = make_blobs(n_samples, 5, 6, seed=4, dtype=dtype)
    w = np.random.RandomState(1).uniform(0.5, 2, len(X)) if weighted else None
    for seed in range(5):
        centers, indices = quickmeans.kmeans_plusplus(X, 10, sample_weight=w, random_state=seed)
        ref_centers, ref_indices = ref.kmeans_plusplus(
            X, 10, sample_weight=w, random_state=np.random.RandomState(seed))
        np.testing.assert_array_equal(indices, ref_indices)
        np.testing.assert_array_equal(centers, ref_centers)
        assert centers.dtype == dtype


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_default_fit_matches_reference_kmeanspp(algorithm) -> None:
    X = make_blobs(2000, 4, 7, seed=5, spread=2.0)
    for seed in range(3):
        model = quickmeans.KMeans(7, random_state=seed, algorithm=algorithm).fit(X)
        assert_same_run(model, ref.kmeans(X, 7, random_state=seed, algorithm=algorithm),
                        np.float64)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_empty_cluster_is_relocated_like_reference(algorithm) -> None:
    # The third initial center is far from every point: its cluster starts empty and must
    # be moved to the sample farthest from its center.
    X = make_blobs(300, 2, 2, seed=6, box=5.0)
    init = np.array([[-5.0, -5.0], [5.0, 5.0], [1000.0, 1000.0]])
    model = quickmeans.KMeans(3, init=init, algorithm=algorithm).fit(X)
    assert_same_run(model, ref.kmeans(X, 3, init=init), np.float64)
    assert len(np.unique(model.labels_)) == 3
    assert np.all(np.abs(model.cluster_centers_) < 100)


def test_fewer_distinct_points_than_clusters_warns() -> None:
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 5, axis=0)
    with pytest.warns(Warning, match=r"Number of distinct clusters \(2\) found smaller than "
                                     r"n_clusters \(3\)"):
        model = quickmeans.KMeans(3, random_state=0).fit(X)
    assert model.inertia_ == 0.0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_tol_and_max_iter_stops_leave_labels_matching_centers(algorithm) -> None:
    X = make_blobs(3000, 5, 12, seed=7, spread=4.0)
    for params in ({"tol": 1.0}, {"tol": 0.0, "max_iter": 2}):
        model = quickmeans.KMeans(12, random_state=0, algorithm=algorithm, **params).fit(X)
        np.testing.assert_array_equal(model.labels_,
                                      ref.nearest_centers(X, model.cluster_centers_))
        assert model.inertia_ == pytest.approx(
            ref.inertia(X, model.cluster_centers_, model.labels_), rel=1e-12)
    assert model.n_iter_ == 2


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_closing_labels_from_bounds_are_the_nearest_centers(dtype, weighted) -> None:
    # Long rows (d >= 32, k * d >= 2048): Lloyd keeps each row's bounds and, stopped by tol
    # or max_iter, rescans only the rows whose label the last center moves could change
    # (relabel.hpp). Every stop point of an overlapping fit, at every SIMD level, with an
    # empty cluster relocated on the way (a far duplicate init) and duplicated rows (ties).
    rng = np.random.RandomState(3)
    X = make_blobs(4000, 40, 30, seed=3, spread=6.0, dtype=dtype)
    X = np.concatenate([X, X[:200]])  # exact duplicates
    weights = rng.uniform(0.5, 2.0, len(X)) if weighted else None
    init = X[rng.choice(len(X), 64, replace=False)].copy()
    init[5] = init[4]  # a center that loses every row: relocated
    from quickmeans import _core

    original = _core.simd_level()
    try:
        for level in _core.simd_levels():
            _core.set_simd_level(level)
            for max_iter, tol in ((1, 0.0), (2, 0.0), (7, 0.0), (300, 1e-2), (300, 0.0)):
                centers, labels, _, n_iter = _core.fit(X, weights, init.copy(), "lloyd",
                                                       max_iter, tol, 2)
                np.testing.assert_array_equal(labels, ref.nearest_centers(X, centers),
                                              err_msg=f"{level} {max_iter} {tol}")
    finally:
        _core.set_simd_level(original)
    assert n_iter > 7  # the last run went on past every max_iter stop above


@pytest.mark.parametrize("k", [1, 2, 3])
def test_lloyd_closing_labels_from_bounds_with_few_centers(k) -> None:
    # One center (no other: its lower bound is infinite), two (the two-center kernel's
    # bounds) and three, on rows long enough (k * d >= 2048) for Lloyd to keep bounds.
    from quickmeans import _core

    X = make_blobs(600, 2100, 3, seed=k, spread=30.0)
    init = X[:k].copy()
    for max_iter, tol in ((1, 0.0), (2, 0.0), (300, 1.0)):
        centers, labels, _, _ = _core.fit(X, None, init.copy(), "lloyd", max_iter, tol, 2)
        np.testing.assert_array_equal(labels, ref.nearest_centers(X, centers),
                                      err_msg=f"{max_iter} {tol}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_predict_transform_score_match_reference(dtype) -> None:
    X = make_blobs(1000, 8, 5, seed=8, dtype=dtype)
    Y = make_blobs(500, 8, 5, seed=9, dtype=dtype)
    model = quickmeans.KMeans(5, random_state=0).fit(X)
    np.testing.assert_array_equal(model.predict(Y), ref.nearest_centers(Y, model.cluster_centers_))
    np.testing.assert_allclose(model.transform(Y),
                               np.sqrt(ref.squared_distances(Y, model.cluster_centers_)),
                               rtol=rtol_for(dtype))
    labels = ref.nearest_centers(Y, model.cluster_centers_)
    assert model.score(Y) == pytest.approx(-ref.inertia(Y, model.cluster_centers_, labels),
                                           rel=1e-10)
    np.testing.assert_array_equal(model.fit_predict(X), model.labels_)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_count_does_not_change_results(algorithm, dtype) -> None:
    X = make_blobs(20000, 6, 10, seed=10, spread=3.0, dtype=dtype)
    runs = [quickmeans.KMeans(10, random_state=0, algorithm=algorithm, n_threads=t).fit(X)
            for t in (1, 2)]
    np.testing.assert_array_equal(runs[0].labels_, runs[1].labels_)
    np.testing.assert_array_equal(runs[0].cluster_centers_, runs[1].cluster_centers_)
    assert runs[0].inertia_ == runs[1].inertia_
    assert runs[0].n_iter_ == runs[1].n_iter_


@pytest.mark.parametrize("dtype", DTYPES)
# The narrow and the wide kernel (with its tiles for few and for many centers), and the
# two-center kernels (with features past the last full vector at every width). 40
# features take the wide kernel on AVX-512 and the narrow one on AVX2 and generic.
@pytest.mark.parametrize(("d", "k"), [(19, 9), (70, 21), (70, 29), (19, 2), (70, 2), (40, 29)])
def test_every_simd_level_gives_the_same_answer(dtype, d, k) -> None:
    from quickmeans import _core

    X = make_blobs(5000, d, k, seed=11, spread=4.0, dtype=dtype)
    original = _core.simd_level()
    results = {}
    try:
        for level in _core.simd_levels():
            _core.set_simd_level(level)
            model = quickmeans.KMeans(k, random_state=0).fit(X)
            results[level] = (model.labels_, model.cluster_centers_, model.n_iter_,
                              model.predict(X[::3]))
    finally:
        _core.set_simd_level(original)
    first = next(iter(results.values()))
    for level, result in results.items():
        np.testing.assert_array_equal(result[0], first[0], err_msg=level)
        np.testing.assert_array_equal(result[1], first[1], err_msg=level)
        assert result[2] == first[2]
        np.testing.assert_array_equal(result[3], first[3], err_msg=level)


def test_near_ties_are_settled_exactly_in_float32() -> None:
    # Points exactly halfway between two centers, far from the origin where the
    # ||c||^2 - 2 x.c expansion loses precision in float32: the label must be the lower
    # index (the exact tie) and every other point its exact nearest center.
    rng = np.random.RandomState(12)
    centers = np.array([[1000.0, 1000.0, 0.0], [1000.0, 1002.0, 0.0]], dtype=np.float32)
    X = np.vstack([
        np.array([[1000.0, 1001.0, z] for z in range(-5, 6)], dtype=np.float32),
        (centers[rng.randint(2, size=300)] + rng.randn(300, 3).astype(np.float32) * 0.6),
    ]).astype(np.float32)
    model = quickmeans.KMeans(2, init=centers, max_iter=1).fit(X)
    labels = quickmeans.KMeans(2, init=centers).fit(centers).predict(X)
    np.testing.assert_array_equal(labels, ref.nearest_centers(X, centers))
    assert np.all(labels[:11] == 0)
    assert model.n_iter_ == 1


@pytest.mark.parametrize("dtype", DTYPES)
# Wide rows with many and with few centers, narrow rows, features past the last multiple of
# 4, and centers past the last full tile of the exact kernel at every width.
@pytest.mark.parametrize(("d", "k"), [(70, 29), (131, 61), (33, 30), (19, 9), (66, 13)])
@pytest.mark.filterwarnings("ignore:Number of distinct clusters")  # the tied rows repeat
def test_rows_no_kernel_can_rank_get_their_exact_nearest_center(dtype, d, k) -> None:
    # Centers s e_i: a row x is at squared distance s^2 - 2 s x_i + |x|^2 from center i, so
    # with |x_i| < 5e-4 every center lies within the float scores' rounding bound (~1e-5 s^2
    # and more) and the float kernel can rank none of them: each row is settled by exact
    # distances to all k centers. Its nearest center is the one of largest x_i, by a gap
    # (x_i are a permutation of steps of 5e-4 / k) far above double rounding. Rows of small
    # integers tie exactly, also for double scores, and the lower index wins.
    rng = np.random.RandomState(d + k)
    s = 100.0
    centers = np.zeros((k, d))
    centers[np.arange(k), np.arange(k)] = s
    near = rng.uniform(-5e-4, 5e-4, size=(300, d))
    for row in near:
        row[:k] = (rng.permutation(k) - k / 2) * (5e-4 / k)
    ties = np.zeros((40, d))
    for row in ties:
        row[rng.choice(k, size=rng.randint(1, 4), replace=False)] = 1.0
        row[k:] = rng.randint(-1, 2, size=d - k)
    X = np.vstack([near, ties, np.zeros((1, d))]).astype(dtype)
    centers = centers.astype(dtype)
    expected = ref.nearest_centers(X, centers)
    np.testing.assert_array_equal(expected, np.argmax(X[:, :k], axis=1))

    def run(level: str) -> None:
        labels, nonfinite = _core.predict(X, centers, 2)
        np.testing.assert_array_equal(labels, expected, err_msg=level)
        assert nonfinite == 0
        # A fit's first step sees the same rows; its closing labels are those of its centers.
        model = quickmeans.KMeans(k, init=centers, n_init=1, max_iter=1).fit(X)
        np.testing.assert_array_equal(model.labels_, ref.nearest_centers(X, model.cluster_centers_),
                                      err_msg=level)

    from quickmeans import _core
    for_each_simd_level(run)


@pytest.mark.parametrize("scale", [1e-20, 1.0, 1e15])
@pytest.mark.parametrize("d", [1, 7, 16, 19])
def test_two_center_labels_are_exact_at_every_scale_and_simd_level(scale, d) -> None:
    # The two-center kernel sums each row's squared differences to both centers (a rounding
    # relative to the distances, plus an absolute floor for underflow: at 1e-20 the squares
    # are float's subnormals) and reads Hamerly's failed rows where they lie. Points within
    # 1e-6 of the bisector, far from both centers (most of their distance orthogonal to
    # it), where float32 sums order half of them wrongly: the exact nearest center, the lower
    # index on a tie, at every SIMD level; and Hamerly gives Lloyd's run.
    from quickmeans import _core

    rng = np.random.RandomState(d)
    centers = ((rng.randn(2, d) * 0.01 + 1.0) * scale).astype(np.float32)
    middle = (centers[0].astype(np.float64) + centers[1]) / 2
    axis = centers[1].astype(np.float64) - centers[0]
    unit = axis / np.linalg.norm(axis)
    along = np.concatenate([np.zeros(5), rng.uniform(-1e-6, 1e-6, 2000), rng.uniform(-2, 2, 200)])
    across = rng.randn(len(along), d)
    across -= np.outer(across @ unit, unit)
    X = (middle + along[:, None] * axis + across * np.linalg.norm(axis) * 30).astype(np.float32)
    expected = ref.nearest_centers(X, centers)
    original = _core.simd_level()
    try:
        for level in _core.simd_levels():
            _core.set_simd_level(level)
            labels, nonfinite = _core.predict(X, centers, 2)
            np.testing.assert_array_equal(labels, expected, err_msg=level)
            assert nonfinite == 0
            runs = {algorithm: _core.fit(X, None, centers.copy(), algorithm, 30, 0.0, 2)
                    for algorithm in ("lloyd", "hamerly")}
            for got, want in zip(runs["hamerly"][:2], runs["lloyd"][:2]):
                np.testing.assert_array_equal(got, want, err_msg=level)
            np.testing.assert_array_equal(runs["lloyd"][1],
                                          ref.nearest_centers(X, runs["lloyd"][0]), err_msg=level)
    finally:
        _core.set_simd_level(original)
    assert 0 < expected.sum() < len(X)


def _at_every_simd_level(run):
    """(level, run()) for every SIMD level, the original level set again before they are
    checked."""
    results = []
    for_each_simd_level(lambda level: results.append((level, run())))
    return results


def test_float64_rows_that_float_scores_cannot_rank_are_still_exact() -> None:
    # float64 rows are scored in float32 where that decides. These rows lie within 1e-6 of
    # the bisector of centers 0 and 1, below the rounding of float32 scores (which order
    # many of them wrongly), so most of each block is undecided in float32 and the engine
    # scores it in float64; the labels must be the exact nearest centers all the same, for
    # predict and for whole fits.
    rng = np.random.RandomState(3)
    centers = rng.randn(3, 3) * 3.0
    centers[2] = centers[0] + 3.0  # off the bisector of the other two
    normal = (centers[1] - centers[0]) / np.linalg.norm(centers[1] - centers[0])
    along = rng.randn(3000, 3)
    along -= np.outer(along @ normal, normal)
    near_tie = (centers[0] + centers[1]) / 2 + along + np.outer(rng.uniform(-1e-6, 1e-6, 3000),
                                                                normal)
    blobs = centers[rng.randint(3, size=1000)] + rng.randn(1000, 3) * 0.3
    X = np.vstack([near_tie, blobs])
    expected_labels = ref.nearest_centers(X, centers)
    assert 0.2 < np.mean(expected_labels[:3000] == 0) < 0.8  # both sides of the bisector
    for algorithm in ("lloyd", "hamerly", "elkan"):
        expected = ref.lloyd(X, centers, max_iter=3)
        for level, (labels, model) in _at_every_simd_level(lambda algorithm=algorithm: (
                quickmeans.KMeans(3, init=centers, n_init=1).fit(centers).predict(X),
                quickmeans.KMeans(3, init=centers, n_init=1, max_iter=3, tol=0,
                                  algorithm=algorithm).fit(X))):
            np.testing.assert_array_equal(labels, expected_labels, err_msg=level)
            assert_same_run(model, expected, np.float64)


@pytest.mark.parametrize("scale", [1e-25, 1e-19, 1e-12, 1e20, 1e40])
def test_float64_data_beyond_float_range_is_exact(scale) -> None:
    # Centers whose squared norms float32 cannot hold (or would hold as subnormals) are
    # scored in float64; in between, rows far beyond float32's range among ordinary ones
    # are undecided in float32 and settled exactly.
    X = make_blobs(4000, 5, 7, seed=8, spread=1.5, dtype=np.float64) * scale
    init = X[:7].copy()
    if scale == 1e-12:
        X[::50] *= 1e30  # rows whose squared norms overflow float32
    expected = ref.lloyd(X, init, max_iter=5)
    for algorithm in ("lloyd", "hamerly", "elkan"):
        for level, (labels, model) in _at_every_simd_level(lambda algorithm=algorithm: (
                quickmeans.KMeans(7, init=init, n_init=1).fit(init).predict(X),
                quickmeans.KMeans(7, init=init, n_init=1, max_iter=5, tol=0,
                                  algorithm=algorithm).fit(X))):
            np.testing.assert_array_equal(labels, ref.nearest_centers(X, init), err_msg=level)
            np.testing.assert_array_equal(model.labels_, expected[1], err_msg=level)
            assert model.n_iter_ == expected[3]
            np.testing.assert_allclose(model.cluster_centers_, expected[0], rtol=1e-6,
                                       atol=1e-8 * scale)


def test_fit_can_be_interrupted() -> None:
    import _thread
    import threading
    import time

    X = make_blobs(200_000, 16, 50, seed=13, spread=5.0, dtype=np.float32)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        # ~5000 iterations of this would take minutes: only an interrupt ends it early.
        quickmeans.KMeans(50, init="random", n_init=50, tol=0, max_iter=100, random_state=0).fit(X)
    timer.cancel()
    assert time.perf_counter() - start < 30


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True])
def test_assign_and_sum_step_matches_numpy(dtype, weighted) -> None:
    # The map side of a Lloyd step (mini-batch and Dask fits build on it).
    from quickmeans import _engine
    from quickmeans._validation import check_data

    X = make_blobs(3000, 7, 5, seed=21, spread=2.0, dtype=dtype)
    rng = np.random.RandomState(3)
    w = rng.uniform(0.1, 2.0, len(X)) if weighted else None
    centers = X[rng.choice(len(X), 5, replace=False)].copy()
    labels, sums, weights, inertia = _engine.assign_and_sum(check_data(X), w, centers, 2)
    X64, c64 = X.astype(np.float64), centers.astype(np.float64)
    dist = ((X64[:, None, :] - c64[None]) ** 2).sum(axis=2)
    expected = dist.argmin(axis=1)
    ww = np.ones(len(X)) if w is None else w
    np.testing.assert_array_equal(labels, expected)
    np.testing.assert_allclose(weights, np.bincount(expected, ww, minlength=5))
    for c in range(5):
        np.testing.assert_allclose(sums[c], (ww[expected == c, None] * X64[expected == c]).sum(0))
    assert inertia == pytest.approx((ww * dist.min(axis=1)).sum(), rel=1e-10)
