"""The bindings are the trust boundary for memory: every extent the engine indexes by is
checked in quickmeans._core itself, whatever the Python layer checked, and a mismatch is a
ValueError naming both shapes. These tests call _core directly with wrong extents, then the
estimators with centers set by hand, n_threads and max_iter far out of the usual range."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import quickmeans
from conftest import make_blobs
from quickmeans import _core

sp = pytest.importorskip("scipy.sparse")

X = make_blobs(40, 5, 3, seed=3)
CENTERS = X[[0, 10, 20]].copy()
LABELS = np.zeros(40, dtype=np.int32)
UNIFORMS = np.full((2, 3), 0.5)


def csr_parts(matrix=None):
    m = sp.csr_matrix(X) if matrix is None else matrix
    return m.data, m.indices, m.indptr, m.shape[1]


# ---- dense: every function that indexes centers, labels or weights ---------------------

DENSE_CALLS = {
    "fit": lambda c, w=None: _core.fit(X, w, c, "lloyd", 10, 0.0, 1),
    "fit_elkan": lambda c, w=None: _core.fit(X, w, c, "elkan", 10, 0.0, 1),
    "fit_hamerly": lambda c, w=None: _core.fit(X, w, c, "hamerly", 10, 0.0, 1),
    "predict": lambda c, w=None: _core.predict(X, c, 1),
    "transform": lambda c, w=None: _core.transform(X, c, 1),
    "inertia": lambda c, w=None: _core.inertia(X, w, c, LABELS, 1),
    "assign_sums": lambda c, w=None: _core.assign_sums(X, w, c, 1),
}
CSR_CALLS = {
    "fit_csr": lambda c, w=None: _core.fit_csr(*csr_parts(), w, c, 10, 0.0, 1),
    "predict_csr": lambda c, w=None: _core.predict_csr(*csr_parts(), c, 1),
    "transform_csr": lambda c, w=None: _core.transform_csr(*csr_parts(), c, 1),
    "inertia_csr": lambda c, w=None: _core.inertia_csr(*csr_parts(), w, c, LABELS, 1),
    "assign_sums_csr": lambda c, w=None: _core.assign_sums_csr(*csr_parts(), w, c, 1),
}
CENTER_CALLS = {**DENSE_CALLS, **CSR_CALLS}


@pytest.mark.parametrize("name", CENTER_CALLS)
@pytest.mark.parametrize("width", [1, 4, 6, 50])
def test_centers_of_another_width_are_refused_naming_both_shapes(name, width) -> None:
    centers = np.ones((3, width))
    with pytest.raises(ValueError, match=rf"\(3, {width}\).*\(40, 5\)"):
        CENTER_CALLS[name](centers)


@pytest.mark.parametrize("name", CENTER_CALLS)
def test_zero_centers_are_refused(name) -> None:
    with pytest.raises(ValueError, match=r"\(0, 5\)"):
        CENTER_CALLS[name](np.ones((0, 5)))


@pytest.mark.parametrize("name", [n for n in CENTER_CALLS if "predict" not in n
                                  and "transform" not in n])
@pytest.mark.parametrize("length", [0, 39, 41, 400])
def test_weights_of_another_length_are_refused_naming_both_shapes(name, length) -> None:
    with pytest.raises(ValueError, match=rf"sample_weight of shape \({length},\).*\(40, 5\)"):
        CENTER_CALLS[name](CENTERS, np.ones(length))


@pytest.mark.parametrize("name", ["fit", "fit_csr"])
def test_more_clusters_than_samples_are_refused(name) -> None:
    init = np.ones((41, 5))
    with pytest.raises(ValueError, match=r"n_clusters=41.*\(40, 5\)"):
        CENTER_CALLS[name](init)


@pytest.mark.parametrize("call", [
    lambda lab: _core.inertia(X, None, CENTERS, lab, 1),
    lambda lab: _core.inertia_csr(*csr_parts(), None, CENTERS, lab, 1),
    lambda lab: _core.silhouette(X, lab, 3, 1),
])
def test_labels_are_checked_for_length_and_range(call) -> None:
    with pytest.raises(ValueError, match=r"labels of shape \(39,\).*\(40, 5\)"):
        call(np.zeros(39, dtype=np.int32))
    for bad in (3, -1, 2**31 - 1):
        labels = np.zeros(40, dtype=np.int32)
        labels[17] = bad
        with pytest.raises(ValueError, match=rf"\[0, 3\).*labels\[17\] is {bad}"):
            call(labels)


@pytest.mark.parametrize("n_clusters", [0, -1, 41])
def test_silhouette_cluster_count_is_checked(n_clusters) -> None:
    with pytest.raises(ValueError, match=rf"n_clusters={n_clusters}.*\(40, 5\)"):
        _core.silhouette(X, LABELS, n_clusters, 1)


@pytest.mark.parametrize("max_iter", [0, -1, -(2**63)])
def test_max_iter_below_one_is_refused(max_iter) -> None:
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        _core.fit(X, None, CENTERS, "lloyd", max_iter, 0.0, 1)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        _core.fit_csr(*csr_parts(), None, CENTERS, max_iter, 0.0, 1)


# ---- seeding ----------------------------------------------------------------------------

SEEDING_CALLS = {
    "kmeans_plusplus": lambda k, first, u: _core.kmeans_plusplus(X, None, k, first, u, 1),
    "kmeans_plusplus_csr": lambda k, first, u: _core.kmeans_plusplus_csr(*csr_parts(), None, k,
                                                                          first, u, 1),
}


@pytest.mark.parametrize("name", SEEDING_CALLS)
@pytest.mark.parametrize("k, first, uniforms, message", [
    (0, 0, np.zeros((0, 3)), r"n_clusters=0.*\(40, 5\)"),
    (-2, 0, np.zeros((0, 3)), r"n_clusters=-2"),
    (41, 0, np.full((40, 3), 0.5), r"n_clusters=41.*\(40, 5\)"),
    (3, 40, UNIFORMS, r"index 40 is not a row of X of shape \(40, 5\)"),
    (3, -1, UNIFORMS, r"index -1 is not a row"),
    (3, 0, np.full((1, 3), 0.5), r"uniforms of shape \(1, 3\).*\(2, n_trials"),
    (3, 0, np.full((5, 3), 0.5), r"uniforms of shape \(5, 3\)"),
    (3, 0, np.zeros((2, 0)), r"uniforms of shape \(2, 0\)"),
    (3, 0, np.full(6, 0.5), r"uniforms of shape \(6,\)"),
])
def test_seeding_extents_are_checked(name, k, first, uniforms, message) -> None:
    with pytest.raises(ValueError, match=message):
        SEEDING_CALLS[name](k, first, uniforms)


@pytest.mark.parametrize("name", SEEDING_CALLS)
def test_seeding_with_valid_extents_still_works(name) -> None:
    centers, indices = SEEDING_CALLS[name](3, 4, UNIFORMS)
    assert indices[0] == 4
    np.testing.assert_array_equal(centers, X[indices])


# ---- CSR structure: checked in one pass without the GIL before any row is walked --------

# (array, position, value) written into a copy of the valid arrays, and the message. The
# valid arrays: 40 rows of 5 stored entries, indices 0..4 in each row, indptr 0, 5, ..., 200.
ONE_VALUE_WRONG = {
    "indptr_start": ("indptr", 0, 1, r"indptr\[0\] is 1, not 0"),
    "indptr_end_short": ("indptr", 40, 199, r"indptr\[40\] is 199 but .* 200 entries"),
    "indptr_end_long": ("indptr", 40, 1200, r"indptr\[40\] is 1200 but .* 200 entries"),
    "indptr_decreasing": ("indptr", 5, 19, r"indptr\[5\] is 19 after indptr\[4\] is 20 \(decr"),
    "indptr_past_the_end": ("indptr", 5, 10**6, r"indptr\[5\] is 1000000, past the 200"),
    "index_too_large": ("indices", 12, 5, r"indices\[12\] is 5, outside \[0, n_features=5\)"),
    "index_huge": ("indices", 3, 2**31 - 1, r"indices\[3\] is 2147483647, outside"),
    "index_negative": ("indices", 0, -1, r"indices\[0\] is -1, outside"),
    "index_duplicate": ("indices", 0, 1, r"indices\[1\] is 1 after indices\[0\] is 1 in row 0"),
}


def bad_csr(case: str, index_dtype: type) -> tuple[tuple, str]:
    data, indices, indptr, d = csr_parts()
    arrays = {"data": data.copy(), "indices": indices.astype(index_dtype),
              "indptr": indptr.astype(index_dtype)}
    if case == "data_shorter_than_indices":
        arrays["data"] = data[:-1].copy()
        message = r"indices of shape \(200,\) and data of shape \(199,\)"
    elif case == "empty_indptr":
        arrays["indptr"] = arrays["indptr"][:0]
        message = r"indptr of shape \(0,\) is empty"
    elif case == "negative_width":
        d, message = -3, "n_features=-3 is negative"
    else:
        array, position, value, message = ONE_VALUE_WRONG[case]
        arrays[array][position] = value
    return (arrays["data"], arrays["indices"], arrays["indptr"], d), message


BAD_CSR = [*ONE_VALUE_WRONG, "data_shorter_than_indices", "empty_indptr", "negative_width"]

CSR_FUNCTIONS = {
    "fit_csr": lambda p: _core.fit_csr(*p, None, CENTERS, 10, 0.0, 1),
    "predict_csr": lambda p: _core.predict_csr(*p, CENTERS, 1),
    "transform_csr": lambda p: _core.transform_csr(*p, CENTERS, 1),
    "inertia_csr": lambda p: _core.inertia_csr(*p, None, CENTERS, LABELS, 1),
    "assign_sums_csr": lambda p: _core.assign_sums_csr(*p, None, CENTERS, 1),
    "kmeans_plusplus_csr": lambda p: _core.kmeans_plusplus_csr(*p, None, 3, 0, UNIFORMS, 1),
    "mean_feature_variance_csr": lambda p: _core.mean_feature_variance_csr(*p),
}


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("case", BAD_CSR)
@pytest.mark.parametrize("name", CSR_FUNCTIONS)
def test_inconsistent_csr_arrays_are_refused(name, case, index_dtype) -> None:
    parts, message = bad_csr(case, index_dtype)
    with pytest.raises(ValueError, match=message):
        CSR_FUNCTIONS[name](parts)


def test_the_csr_fixture_is_as_the_bad_cases_assume() -> None:
    data, indices, indptr, d = csr_parts()
    assert len(data) == 200 and d == 5
    np.testing.assert_array_equal(indptr, np.arange(0, 201, 5))
    np.testing.assert_array_equal(indices, np.tile(np.arange(5), 40))
    for index_dtype in (np.int32, np.int64):  # and the valid arrays pass
        _core.predict_csr(data, indices.astype(index_dtype), indptr.astype(index_dtype), d,
                          CENTERS, 1)


def test_spare_room_after_the_last_row_is_not_handed_to_the_engine() -> None:
    # scipy keeps valid matrices whose data and indices are longer than indptr[-1]; the
    # engine gets exactly the stored entries, and the spare values are never read.
    spare = sp.csr_matrix(X)  # the constructor would prune spare room: added afterwards
    spare.data = np.concatenate([spare.data, [np.nan, 1e300]])
    spare.indices = np.concatenate([spare.indices, [7, -5]]).astype(spare.indices.dtype)
    assert len(spare.data) == len(spare.indices) == spare.indptr[-1] + 2
    model = quickmeans.KMeans(3, random_state=0, n_init=1).fit(X)
    np.testing.assert_array_equal(model.predict(spare), model.predict(X))
    refit = quickmeans.KMeans(3, random_state=0, n_init=1).fit(spare)
    np.testing.assert_allclose(refit.cluster_centers_, model.cluster_centers_, rtol=1e-12)


# ---- the estimators, with centers set by hand ------------------------------------------

def test_narrower_centers_set_by_hand_no_longer_crash_predict() -> None:
    # Before the bindings checked widths this read k * 20000 values from a k x 1 buffer and
    # segfaulted; it runs in a child process so that a crash fails this test, not the suite.
    script = textwrap.dedent("""
        import numpy as np, quickmeans, scipy.sparse as sp
        X = np.random.RandomState(0).rand(300, 20000)
        model = quickmeans.KMeans(3, random_state=0, n_init=1, max_iter=2).fit(X)
        model.cluster_centers_ = np.random.RandomState(1).rand(300, 1)
        for data in (X, sp.csr_matrix(X[:50])):
            for method in (model.predict, model.transform, model.score):
                try:
                    method(data)
                except ValueError as error:
                    print("ValueError:", error)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert len(lines) == 6, run.stdout
    assert all("(300, 1)" in line and "20000" in line for line in lines), run.stdout


@pytest.mark.parametrize("estimator", [quickmeans.KMeans, quickmeans.MiniBatchKMeans])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (3, 6), (0, 5), (3,), (15,), (1, 3, 5)])
def test_centers_of_a_wrong_shape_give_a_value_error(estimator, sparse, shape) -> None:
    model = estimator(3, random_state=0, n_init=1).fit(X)
    model.cluster_centers_ = np.ones(shape)
    data = sp.csr_matrix(X) if sparse else X
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ValueError, match=r"cluster_centers_ has shape .* X has 5 features"):
            method(data)


@pytest.mark.parametrize("estimator", [quickmeans.KMeans, quickmeans.MiniBatchKMeans])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad, message", [
    (np.nan, "cluster_centers_ contains NaN"),
    (np.inf, "cluster_centers_ contains infinity"),
    (-np.inf, "cluster_centers_ contains infinity"),
    (1e300, "cluster_centers_ contains (values too large|infinity)"),  # float32: inf when cast
])
def test_non_finite_or_huge_centers_give_a_value_error(estimator, sparse, dtype, bad,
                                                       message) -> None:
    Xd = X.astype(dtype)
    model = estimator(3, random_state=0, n_init=1).fit(Xd)
    model.cluster_centers_ = model.cluster_centers_.astype(np.float64)  # as loaded, say
    model.cluster_centers_[1, 2] = bad
    data = sp.csr_matrix(Xd) if sparse else Xd
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ValueError, match=message):
            method(data)


def test_centers_set_by_hand_that_are_valid_are_used() -> None:
    model = quickmeans.KMeans(3, random_state=0, n_init=1).fit(X)
    model.cluster_centers_ = CENTERS[::-1].tolist()  # a list of the other order
    expected = np.argmin(((X[:, None, :] - CENTERS[::-1][None]) ** 2).sum(-1), axis=1)
    np.testing.assert_array_equal(model.predict(X), expected)


# ---- n_threads and max_iter far out of range --------------------------------------------

@pytest.mark.parametrize("n_threads", [10**6, 2**31, 2**63 - 1, 2**63, 10**30])
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan", "hamerly"])
def test_huge_thread_counts_are_capped(n_threads, algorithm) -> None:
    params = {"n_clusters": 4, "random_state": 0, "algorithm": algorithm, "n_init": 2}
    normal = quickmeans.KMeans(n_threads=1, **params).fit(X)
    capped = quickmeans.KMeans(n_threads=n_threads, **params).fit(X)
    np.testing.assert_array_equal(capped.labels_, normal.labels_)
    np.testing.assert_array_equal(capped.cluster_centers_, normal.cluster_centers_)
    assert capped.inertia_ == normal.inertia_
    np.testing.assert_array_equal(capped.predict(X), normal.predict(X))
    np.testing.assert_array_equal(capped.transform(X), normal.transform(X))
    assert capped.score(X) == normal.score(X)


def test_thread_counts_resolve_to_at_most_the_thread_limit() -> None:
    from quickmeans._validation import resolve_n_threads

    limit = _core.thread_limit()
    assert limit >= 1
    for n_threads in (limit + 1, 10**6, 2**31, 2**63, 10**30):
        assert resolve_n_threads(n_threads) == limit
    assert resolve_n_threads(1) == 1


@pytest.mark.parametrize("n_threads", [10**6, 2**31, 2**63 - 1])
def test_the_engine_caps_huge_thread_counts_itself(n_threads) -> None:
    normal = _core.fit(X, None, CENTERS, "elkan", 50, 0.0, 1)
    capped = _core.fit(X, None, CENTERS, "elkan", 50, 0.0, n_threads)
    np.testing.assert_array_equal(capped[0], normal[0])
    seeded = _core.kmeans_plusplus(X, None, 3, 0, UNIFORMS, n_threads)
    np.testing.assert_array_equal(seeded[1], _core.kmeans_plusplus(X, None, 3, 0, UNIFORMS, 1)[1])
    sparse = _core.fit_csr(*csr_parts(), None, CENTERS, 50, 0.0, n_threads)
    np.testing.assert_array_equal(sparse[1], normal[1])
    assert 1 <= _core.thread_limit()


def test_mini_batch_and_sparse_fits_cap_thread_counts() -> None:
    for data in (X, sp.csr_matrix(X)):
        for estimator in (quickmeans.KMeans, quickmeans.MiniBatchKMeans):
            normal = estimator(3, random_state=0, n_init=1, n_threads=1).fit(data)
            capped = estimator(3, random_state=0, n_init=1, n_threads=2**40).fit(data)
            np.testing.assert_array_equal(capped.cluster_centers_, normal.cluster_centers_)


@pytest.mark.parametrize("max_iter", [2**31, 2**63 - 1, 2**64])
@pytest.mark.parametrize("sparse", [False, True])
def test_max_iter_up_to_the_int64_limit_is_accepted(max_iter, sparse) -> None:
    data = sp.csr_matrix(X) if sparse else X
    normal = quickmeans.KMeans(3, random_state=0, n_init=1).fit(data)
    assert normal.n_iter_ < 300  # converged: a larger max_iter changes nothing
    large = quickmeans.KMeans(3, random_state=0, n_init=1, max_iter=max_iter).fit(data)
    np.testing.assert_array_equal(large.labels_, normal.labels_)
    np.testing.assert_array_equal(large.cluster_centers_, normal.cluster_centers_)
    assert large.n_iter_ == normal.n_iter_
    centers, labels, inertia, n_iter = quickmeans.k_means(data, 3, random_state=0, n_init=1,
                                                          max_iter=max_iter, return_n_iter=True)
    np.testing.assert_array_equal(labels, normal.labels_)
    assert n_iter == normal.n_iter_


def test_the_engine_accepts_int64_max_iter() -> None:
    normal = _core.fit(X, None, CENTERS, "hamerly", 300, 0.0, 1)
    large = _core.fit(X, None, CENTERS, "hamerly", 2**63 - 1, 0.0, 1)
    np.testing.assert_array_equal(large[1], normal[1])
    assert large[3] == normal[3]


# ---- row gathers and weighted draws ----------------------------------------------------


@pytest.mark.parametrize("index", [[0, 40], [-1], [2**40]])
def test_take_rows_refuses_indices_outside_x(index) -> None:
    with pytest.raises(IndexError, match="out of bounds for X of shape"):
        _core.take_rows(X, np.array(index, dtype=np.int64), 1)


def test_take_rows_checks_out_and_copies_the_listed_rows() -> None:
    index = np.array([39, 0, 7, 7], dtype=np.int64)
    np.testing.assert_array_equal(_core.take_rows(X, index, 2), X[index])
    out = np.zeros((4, 5))
    assert _core.take_rows(X, index, 1, out=out) is out
    np.testing.assert_array_equal(out, X[index])
    with pytest.raises(ValueError, match=r"out of shape \(3, 5\) cannot hold 4 rows"):
        _core.take_rows(X, index, 1, out=np.zeros((3, 5)))
    with pytest.raises(TypeError, match="C-contiguous"):
        _core.take_rows(X, index, 1, out=np.zeros((4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="overlaps X"):
        _core.take_rows(X, index, 1, out=X[:4])
    frozen = np.zeros((4, 5))
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _core.take_rows(X, index, 1, out=frozen)


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan", "hamerly"])
def test_fit_without_its_final_inertia_pass_is_the_same_fit(algorithm) -> None:
    data = make_blobs(3000, 7, 5, seed=9, spread=3.0)
    init = data[:5].copy()
    full = _core.fit(data, None, init, algorithm, 50, 1e-6, 2)
    bare = _core.fit(data, None, init, algorithm, 50, 1e-6, 2, None, False)
    np.testing.assert_array_equal(bare[0], full[0])
    np.testing.assert_array_equal(bare[1], full[1])
    assert bare[3] == full[3]
    assert np.isnan(bare[2]) and full[2] > 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_threads", [1, 2, 5])
def test_split_rows_places_both_sides_and_sums_their_inertia(dtype, weighted, n_threads) -> None:
    # More rows than one chunk of the engine (4096), chunks of mixed labels, a feature count
    # past the last full vector: partition_order's order, the rows copied in it, and each
    # side's sum as NumPy's.
    rng = np.random.RandomState(4)
    data = rng.randn(9001, 19).astype(dtype) * 3 + 100
    labels = (rng.rand(9001) < 0.4).astype(np.int32)
    labels[:5000] = 0  # a first chunk of one side only
    centers = rng.randn(2, 19).astype(dtype) + 100
    w = rng.rand(9001) * 2 if weighted else None
    out = np.empty_like(data)
    order, left, *sides = _core.split_rows(data, w, centers, labels, n_threads, out)
    expected_order, expected_left = _core.partition_order(labels)
    np.testing.assert_array_equal(order, expected_order)
    assert left == expected_left == np.count_nonzero(labels == 0)
    np.testing.assert_array_equal(order, np.concatenate([np.flatnonzero(labels == 0),
                                                         np.flatnonzero(labels == 1)]))
    np.testing.assert_array_equal(out, data[order])
    expected = []
    for side, rows in enumerate((order[:left], order[left:])):
        diff = data[rows].astype(np.float64) - centers[side].astype(np.float64)
        expected.append(float(np.sum((1.0 if w is None else w[rows]) * np.sum(diff**2, axis=1))))
    np.testing.assert_allclose(sides, expected, rtol=1e-12)
    again = _core.split_rows(data, w, centers, labels, 1, np.empty_like(data))
    assert list(again[2:]) == sides  # the same sums on one thread
    in_x = rng.permutation(50_000)[:9001]  # the cluster's rows in X: listed in place of order
    composed = _core.split_rows(data, w, centers, labels, n_threads, np.empty_like(data), in_x)
    np.testing.assert_array_equal(composed[0], in_x[order])
    assert composed[1] == left and list(composed[2:]) == sides


def test_split_rows_checks_every_extent() -> None:
    labels = np.tile(np.array([0, 1], dtype=np.int32), 20)
    centers = X[:2].copy()
    out = np.zeros_like(X)
    for bad in (2, -1):
        wrong = labels.copy()
        wrong[7] = bad
        with pytest.raises(ValueError, match=rf"labels must lie in \[0, 2\).*labels\[7\] is {bad}"):
            _core.split_rows(X, None, centers, wrong, 1, out)
    with pytest.raises(ValueError, match=r"labels of shape \(39,\) do not match"):
        _core.split_rows(X, None, centers, labels[:39].copy(), 1, out)
    with pytest.raises(ValueError, match="a split has 2 centers"):
        _core.split_rows(X, None, X[:3].copy(), labels, 1, out)
    with pytest.raises(ValueError, match="different numbers of features"):
        _core.split_rows(X, None, np.zeros((2, 4)), labels, 1, out)
    with pytest.raises(ValueError, match="cannot hold 40 rows"):
        _core.split_rows(X, None, centers, labels, 1, np.zeros((39, 5)))
    with pytest.raises(ValueError, match="overlaps X"):
        _core.split_rows(X, None, centers, labels, 1, X)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(39,\) does not match"):
        _core.split_rows(X, np.ones(39), centers, labels, 1, out)
    with pytest.raises(ValueError, match="index must be 1-D with one entry per row"):
        _core.split_rows(X, None, centers, labels, 1, out, np.arange(39))
    assert np.all(out == 0)  # nothing written by a refused call


@pytest.mark.parametrize(("weights", "total", "n", "uniforms", "message"), [
    (None, 0.0, 0, [0.5], "at least one row"),
    (np.ones(3), 0.0, 3, [0.5], "total weight must be positive"),
    (np.ones(3), np.inf, 3, [0.5], "positive and finite"),
    (np.array([1.0, np.nan, 1.0]), 2.0, 3, [0.9], "finite, non-negative weights"),
    (np.ones(3), 3.0, 4, [0.5], "does not match"),
    (None, 0.0, 3, [1.0], r"in \[0, 1\)"),
    (None, 0.0, 3, [np.nan], r"in \[0, 1\)"),
])
def test_weighted_draws_check_their_extents(weights, total, n, uniforms, message) -> None:
    with pytest.raises(ValueError, match=message):
        _core.inverse_cdf_draws(weights, total, n, np.array(uniforms))
