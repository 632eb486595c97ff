"""scipy.sparse input: the same clustering as the dense path on X.toarray(), and as the oracles.

CSR is read natively; CSC, COO and the sparse-array classes are converted. Same init => the
same labels, n_iter and centers as the dense fit (and as quickmeans.reference and scikit-learn
on the same data), for float32/float64 data, int32/int64 indices, with and without weights,
for every algorithm. Bad matrices (non-finite values, broken structure) get a ValueError, odd
but valid ones (unsorted or duplicate indices) are read as scipy reads them, and nothing the
user passed in is modified.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from functools import cache

import numpy as np
import pytest
from scipy import sparse
from sklearn import cluster as skc
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

import quickmeans
from quickmeans import reference as ref

ALGORITHMS = ["lloyd", "elkan", "hamerly", "auto"]
DTYPES = [np.float64, np.float32]
INDEX_DTYPES = [np.int32, np.int64]
FORMATS = ["csr_matrix", "csc_matrix", "coo_matrix", "csr_array", "csc_array", "coo_array"]
# How a run stops: strict convergence, the relative shift tolerance, the iteration limit.
STOPS = {
    "tol=1e-4": {"tol": 1e-4},
    "tol=1": {"tol": 1.0},  # large enough to stop on the center shift before convergence
    "tol=0,max_iter=3": {"tol": 0.0, "max_iter": 3},
}
K = 8


# -- data ------------------------------------------------------------------------------------


@cache
def _tfidf(n: int, d: int, topics: int, seed: int) -> sparse.csr_matrix:
    """Canonical float64 CSR that looks like TF-IDF: ~6 words a row, 60% of them from the
    row's topic (the planted clusters), rows L2-normalised.

    Every row also holds at least 4 of 7 "stop words", so any two rows share a column: with
    unit-norm rows as initial centers, a row orthogonal to two centers would otherwise be at
    exactly the same distance (2) from both, and rounding, not the data, would pick its label.
    """
    rng = np.random.RandomState(seed)
    n_stop = 7
    topic_words = [rng.choice(np.arange(n_stop, d), 25, replace=False) for _ in range(topics)]
    idf = rng.uniform(1.0, 5.0, d)
    idf[:n_stop] = rng.uniform(0.1, 0.5, n_stop)
    indptr, indices, data = [0], [], []
    for topic in rng.randint(topics, size=n):
        m = 1 + rng.poisson(5)
        on_topic = rng.binomial(m, 0.6)
        cols = np.unique(np.concatenate([
            rng.choice(n_stop, rng.randint(4, n_stop + 1), replace=False),
            rng.choice(topic_words[topic], on_topic),
            rng.randint(n_stop, d, size=m - on_topic),
        ]))
        values = rng.randint(1, 4, size=len(cols)) * idf[cols]
        indices.extend(cols)
        data.extend(values / np.linalg.norm(values))
        indptr.append(len(indices))
    X = sparse.csr_matrix((np.array(data), np.array(indices), np.array(indptr)), shape=(n, d))
    assert X.has_canonical_format
    return X


def tfidf(n: int = 1000, d: int = 500, topics: int = K, seed: int = 0) -> sparse.csr_matrix:
    """A fresh copy (the cached matrix must survive a test that modifies its input)."""
    return _tfidf(n, d, topics, seed).copy()


def sparse_blobs(n: int = 600, d: int = 60, centers: int = 5, seed: int = 0) -> sparse.csr_matrix:
    """Signed blobs: each cluster lives on 6 of d features (plus 2 stray entries a row)."""
    rng = np.random.RandomState(seed)
    supports = [rng.choice(d, 6, replace=False) for _ in range(centers)]
    means = rng.uniform(-10, 10, (centers, 6))
    dense = np.zeros((n, d))
    for i, c in enumerate(rng.randint(centers, size=n)):
        dense[i, supports[c]] = means[c] + rng.randn(6)
        dense[i, rng.randint(d, size=2)] += rng.randn(2)
    return sparse.csr_matrix(dense)


def convert(X: sparse.spmatrix, *, dtype: type = np.float64, index_dtype: type = np.int32,
            fmt: str = "csr_matrix") -> sparse.spmatrix:
    """X in another format, data dtype and index dtype (a new object, never X itself)."""
    out = getattr(sparse, fmt)(X.astype(dtype))  # astype first: it may narrow the indices
    if out.format == "coo":
        out.coords = tuple(c.astype(index_dtype) for c in out.coords)
    else:
        out.indices = out.indices.astype(index_dtype)
        out.indptr = out.indptr.astype(index_dtype)
    return out


def rows_of(D: np.ndarray, k: int = K, seed: int = 0) -> np.ndarray:
    return D[np.random.RandomState(seed).choice(len(D), k, replace=False)].copy()


def weights(n: int, seed: int = 1) -> np.ndarray:
    return np.random.RandomState(seed).uniform(0.1, 3.0, n)


def scrambled(X: sparse.csr_matrix, how: str) -> sparse.csr_matrix:
    """X's values with each row's columns in reverse order ('unsorted'), each entry split in two
    adjacent parts ('duplicates', still sorted) or both; built with the (data, indices, indptr)
    constructor, which keeps the entries as given."""
    data, indices, indptr = [], [], [0]
    for i in range(X.shape[0]):
        row = slice(X.indptr[i], X.indptr[i + 1])
        cols, vals = X.indices[row], X.data[row]
        if how in ("duplicates", "both"):
            cols, vals = np.repeat(cols, 2), np.ravel(np.column_stack([vals * 0.25, vals * 0.75]))
        if how in ("unsorted", "both"):
            cols, vals = cols[::-1], vals[::-1]
        data.append(vals)
        indices.append(cols)
        indptr.append(indptr[-1] + len(cols))
    out = sparse.csr_matrix((np.concatenate(data), np.concatenate(indices).astype(np.int32),
                             np.array(indptr, dtype=np.int32)), shape=X.shape)
    assert out.has_sorted_indices == (how == "duplicates")
    assert not out.has_canonical_format
    return out


# -- comparisons -----------------------------------------------------------------------------


def centers_rtol(dtype: type) -> float:
    return 1e-12 if dtype == np.float64 else 1e-6


def inertia_rtol(dtype: type) -> float:
    return 1e-6 if dtype == np.float64 else 1e-4


def fit_both(X: sparse.spmatrix, *, sample_weight=None, **params):
    """The same KMeans fitted on X and on X.toarray()."""
    fit = quickmeans.KMeans(**{"n_clusters": K, **params}).fit(X, sample_weight=sample_weight)
    dense = quickmeans.KMeans(**{"n_clusters": K, **params}).fit(X.toarray(),
                                                                   sample_weight=sample_weight)
    return fit, dense


def sklearn_fit(X, *, sample_weight=None, **params) -> skc.KMeans:
    # One thread: scikit-learn's OpenMP runtime and the engine's spin against each other on
    # a small machine (seconds instead of milliseconds); results do not depend on it.
    with threadpool_limits(1):
        return skc.KMeans(**params).fit(X, sample_weight=sample_weight)


def assert_fitted_like_dense(model: quickmeans.KMeans, dense: quickmeans.KMeans,
                             dtype: type) -> None:
    assert type(model.cluster_centers_) is np.ndarray
    assert model.cluster_centers_.dtype == dtype
    assert model.labels_.dtype == dense.labels_.dtype
    np.testing.assert_array_equal(model.labels_, dense.labels_)
    assert model.n_iter_ == dense.n_iter_
    np.testing.assert_allclose(model.cluster_centers_, dense.cluster_centers_,
                               rtol=centers_rtol(dtype), atol=0)
    assert model.inertia_ == pytest.approx(dense.inertia_, rel=inertia_rtol(dtype))
    assert model.n_features_in_ == dense.n_features_in_


def assert_valid_clustering(model: quickmeans.KMeans, D: np.ndarray, sample_weight=None) -> None:
    """Final labels are the nearest centers and inertia_ is their weighted inertia."""
    assert np.isfinite(model.cluster_centers_).all()
    np.testing.assert_array_equal(model.labels_, ref.nearest_centers(D, model.cluster_centers_))
    assert model.inertia_ == pytest.approx(
        ref.inertia(D, model.cluster_centers_, model.labels_, sample_weight), rel=1e-9)


def parts(X: sparse.spmatrix) -> dict[str, np.ndarray]:
    names = ("data", "row", "col") if X.format == "coo" else ("data", "indices", "indptr")
    return {name: getattr(X, name) for name in names}


def flags(X: sparse.spmatrix) -> dict[str, bool]:
    names = ["has_canonical_format"] + (["has_sorted_indices"] if X.format != "coo" else [])
    return {name: bool(getattr(X, name)) for name in names}


def snapshot(X: sparse.spmatrix) -> tuple:
    return X.shape, flags(X), {name: (a, a.copy()) for name, a in parts(X).items()}


def assert_unchanged(X: sparse.spmatrix, before: tuple) -> None:
    shape, flags_before, arrays = before
    assert X.shape == shape
    assert flags(X) == flags_before
    now = parts(X)
    for name, (array, copy) in arrays.items():
        assert now[name] is array, f"X.{name} was replaced"
        assert array.dtype == copy.dtype, name
        np.testing.assert_array_equal(array, copy, err_msg=name)


# -- same clustering as the dense path and the oracles ---------------------------------------


@cache
def dense_lloyd_fit(dtype: type, weighted: bool, stop: str) -> quickmeans.KMeans:
    """The dense fit on tfidf() that every sparse fit of the grid below must reproduce.

    Lloyd only: the dense engine gives the same result with every algorithm (test_oracle),
    and one dense fit per (dtype, weights, stop) keeps the grid fast.
    """
    D = tfidf().toarray().astype(dtype)
    w = weights(len(D)) if weighted else None
    return quickmeans.KMeans(K, init=rows_of(D), algorithm="lloyd", **STOPS[stop]).fit(
        D, sample_weight=w)


@pytest.mark.parametrize("stop", STOPS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("index_dtype", INDEX_DTYPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_fit_equals_dense_fit_from_same_init(algorithm, dtype, index_dtype, weighted, stop):
    X = convert(tfidf(), dtype=dtype, index_dtype=index_dtype)
    assert X.indices.dtype == X.indptr.dtype == index_dtype
    w = weights(X.shape[0]) if weighted else None
    model = quickmeans.KMeans(K, init=rows_of(X.toarray()), algorithm=algorithm, **STOPS[stop])
    model.fit(X, sample_weight=w)
    assert_fitted_like_dense(model, dense_lloyd_fit(dtype, weighted, stop), dtype)
    if stop == "tol=0,max_iter=3":
        assert model.n_iter_ == 3
    else:
        assert model.n_iter_ > 5  # a real run, not a first-iteration stop


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_signed_blobs_fit_equals_dense_fit(algorithm) -> None:
    X = sparse_blobs()
    w = weights(X.shape[0])
    model, dense = fit_both(X, sample_weight=w, init=rows_of(X.toarray()), algorithm=algorithm)
    assert_fitted_like_dense(model, dense, np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_exact_ties_are_settled_as_the_dense_path_settles_them(dtype) -> None:
    # Plain random TF-IDF-like rows: most share no column with two of the initial centers
    # (rows of X, unit norm), so their distances to those are equal up to rounding. The
    # sparse path must break these ties exactly as the dense path does, bit for bit.
    X = normalize(sparse.random(3000, 2000, density=0.003, format="csr", random_state=3,
                                dtype=dtype))
    init = rows_of(X.toarray(), 12)
    model, dense = fit_both(X, n_clusters=12, init=init)
    assert_fitted_like_dense(model, dense, dtype)
    np.testing.assert_array_equal(model.cluster_centers_, dense.cluster_centers_)


def tied_rows(dtype: type, index_dtype: type, signed: bool) -> sparse.csr_matrix:
    """Unit rows of ~5 columns out of 2003 (not a multiple of 4: the last three columns are
    summed apart), the last columns used often, plus 40 rows with a quarter of all columns
    set (centers with more nonzeros than the sparse tie-breaking takes)."""
    rng = np.random.RandomState(7)
    few = sparse.random(2500, 2003, density=0.0025, format="csr", random_state=rng)
    few = few + sparse.random(2500, 2003, density=0.0025, format="csr", random_state=rng).multiply(
        np.arange(2003) >= 1990)
    many = sparse.random(40, 2003, density=0.25, format="csr", random_state=rng)
    X = sparse.vstack([few, many]).tocsr()
    if signed:
        X.data *= rng.choice([-1.0, 1.0], X.nnz)
    X = normalize(X)
    X.sort_indices()
    return convert(X, dtype=dtype, index_dtype=index_dtype)


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("index_dtype", INDEX_DTYPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_ties_with_sparse_centers_are_settled_as_the_dense_path_does(dtype, index_dtype, weighted,
                                                                      signed) -> None:
    # Init = rows of X: most rows tie among the sparse initial centers and are settled by
    # exact distances over the union of the row's and the center's columns; some centers
    # (the dense rows, later the means) take the full exact distance. Both must give the
    # dense path's labels and centers bit for bit.
    X = tied_rows(dtype, index_dtype, signed)
    D = X.toarray()
    init = np.concatenate([rows_of(D[:2500], 14, seed=2), D[2500:2502]])
    w = weights(X.shape[0]) if weighted else None
    model, dense = fit_both(X, n_clusters=16, init=init, sample_weight=w)
    assert model.n_iter_ > 1
    assert_fitted_like_dense(model, dense, dtype)
    np.testing.assert_array_equal(model.cluster_centers_, dense.cluster_centers_)
    first, first_dense = fit_both(X, n_clusters=16, init=init, sample_weight=w, max_iter=1)
    np.testing.assert_array_equal(first.labels_, first_dense.labels_)
    np.testing.assert_array_equal(first.cluster_centers_, first_dense.cluster_centers_)


@pytest.mark.parametrize("stop", STOPS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_equals_reference(dtype, weighted, stop) -> None:
    X = convert(tfidf(n=600), dtype=dtype)
    D = X.toarray()
    w = weights(X.shape[0]) if weighted else None
    init = rows_of(D, seed=2)
    model = quickmeans.KMeans(K, init=init, **STOPS[stop]).fit(X, sample_weight=w)
    centers, labels, inertia, n_iter = ref.kmeans(D, K, init=init, sample_weight=w,
                                                  algorithm="lloyd", **STOPS[stop])
    np.testing.assert_array_equal(model.labels_, labels)
    assert model.n_iter_ == n_iter
    rtol = inertia_rtol(dtype)
    np.testing.assert_allclose(model.cluster_centers_, centers, rtol=rtol, atol=rtol * 1e-2)
    assert model.inertia_ == pytest.approx(inertia, rel=rtol)


@pytest.mark.parametrize("stop", STOPS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_fit_equals_sklearn_on_the_same_sparse_matrix(algorithm, weighted, stop) -> None:
    X = tfidf()
    w = weights(X.shape[0]) if weighted else None
    init = rows_of(X.toarray(), seed=3)
    ours = quickmeans.KMeans(K, init=init, algorithm=algorithm, **STOPS[stop])
    ours.fit(X, sample_weight=w)
    theirs = sklearn_fit(X, sample_weight=w, n_clusters=K, init=init, n_init=1,
                         algorithm=algorithm, **STOPS[stop])
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-6,
                               atol=1e-9)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-6)


@pytest.mark.parametrize("index_dtype", INDEX_DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_sparse_format_gives_the_dense_result(fmt, index_dtype) -> None:
    X = convert(tfidf(n=400), fmt=fmt, index_dtype=index_dtype)
    assert type(X) is getattr(sparse, fmt)
    model, dense = fit_both(X, init=rows_of(X.toarray()))
    assert_fitted_like_dense(model, dense, np.float64)
    np.testing.assert_array_equal(model.predict(X), dense.labels_)


@pytest.mark.parametrize("int_dtype", [np.int32, np.int64])
def test_integer_sparse_data_is_converted_to_float64(int_dtype) -> None:
    counts = tfidf(n=300)
    counts.data = np.ceil(counts.data * 5)
    X = counts.astype(int_dtype)
    init = rows_of(X.toarray()).astype(np.float64)
    model = quickmeans.KMeans(K, init=init).fit(X)
    expected = quickmeans.KMeans(K, init=init).fit(counts)
    assert model.cluster_centers_.dtype == np.float64
    assert_fitted_like_dense(model, expected, np.float64)


# -- the other entry points ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_predict_transform_score_equal_dense(dtype) -> None:
    X = convert(tfidf(), dtype=dtype)
    Y = convert(tfidf(n=300, seed=5), dtype=dtype)
    D, E = X.toarray(), Y.toarray()
    w = weights(Y.shape[0])
    init = rows_of(D)
    fitted_sparse = quickmeans.KMeans(K, init=init).fit(X)
    fitted_dense = quickmeans.KMeans(K, init=init).fit(D)
    labels = fitted_dense.predict(E)
    distances = fitted_dense.transform(E)
    for model in (fitted_sparse, fitted_dense):  # sparse on a dense fit and vice versa
        predicted = model.predict(Y)
        assert type(predicted) is np.ndarray
        assert predicted.dtype == labels.dtype
        np.testing.assert_array_equal(predicted, labels)
        np.testing.assert_array_equal(model.predict(E), labels)
        transformed = model.transform(Y)
        assert type(transformed) is np.ndarray
        assert transformed.dtype == distances.dtype
        np.testing.assert_allclose(transformed, distances, rtol=inertia_rtol(dtype))
        for sample_weight in (None, w):
            assert model.score(Y, sample_weight=sample_weight) == pytest.approx(
                fitted_dense.score(E, sample_weight=sample_weight), rel=inertia_rtol(dtype))
    np.testing.assert_array_equal(labels, ref.nearest_centers(E, fitted_dense.cluster_centers_))


@pytest.mark.parametrize("dtype", DTYPES)
def test_fit_predict_fit_transform_and_k_means_equal_dense(dtype) -> None:
    X = convert(tfidf(n=500), dtype=dtype)
    D = X.toarray()
    w = weights(X.shape[0])
    init = rows_of(D)

    def model():
        return quickmeans.KMeans(K, init=init)

    np.testing.assert_array_equal(model().fit_predict(X, sample_weight=w),
                                  model().fit_predict(D, sample_weight=w))
    np.testing.assert_allclose(model().fit_transform(X, sample_weight=w),
                               model().fit_transform(D, sample_weight=w),
                               rtol=inertia_rtol(dtype))
    ours = quickmeans.k_means(X, K, init=init, sample_weight=w, return_n_iter=True)
    dense = quickmeans.k_means(D, K, init=init, sample_weight=w, return_n_iter=True)
    np.testing.assert_allclose(ours[0], dense[0], rtol=centers_rtol(dtype), atol=0)
    np.testing.assert_array_equal(ours[1], dense[1])
    assert ours[2] == pytest.approx(dense[2], rel=inertia_rtol(dtype))
    assert ours[3] == dense[3]


# -- random initialisations ------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_kmeans_plusplus_picks_rows_of_x(dtype, weighted) -> None:
    X = convert(sparse_blobs(), dtype=dtype)
    w = weights(X.shape[0]) if weighted else None
    centers, indices = quickmeans.kmeans_plusplus(X, 7, sample_weight=w, random_state=0)
    assert type(centers) is np.ndarray
    assert centers.dtype == dtype
    assert indices.shape == (7,)
    assert len(np.unique(indices)) == 7
    assert np.all((indices >= 0) & (indices < X.shape[0]))
    np.testing.assert_array_equal(centers, X[indices].toarray())
    again = quickmeans.kmeans_plusplus(X, 7, sample_weight=w, random_state=0)
    np.testing.assert_array_equal(again[1], indices)
    np.testing.assert_array_equal(again[0], centers)


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_random_inits_are_valid_repeatable_and_as_good_as_sklearn(init) -> None:
    X = sparse_blobs(seed=1)
    D = X.toarray()
    model = quickmeans.KMeans(5, init=init, n_init=3, random_state=0).fit(X)
    assert_valid_clustering(model, D)
    again = quickmeans.KMeans(5, init=init, n_init=3, random_state=0).fit(X)
    np.testing.assert_array_equal(again.labels_, model.labels_)
    np.testing.assert_array_equal(again.cluster_centers_, model.cluster_centers_)
    theirs = sklearn_fit(X, n_clusters=5, init=init, n_init=3, random_state=0)
    assert model.inertia_ == pytest.approx(theirs.inertia_, rel=0.03)


def test_random_init_draws_the_rows_the_dense_fit_draws() -> None:
    # 'random' picks rows by random_state alone: the runs start alike, so they end alike.
    X = tfidf(n=500)
    model, dense = fit_both(X, init="random", n_init=3, random_state=0)
    assert_fitted_like_dense(model, dense, np.float64)


# -- edge cases ------------------------------------------------------------------------------


def without_rows(X: sparse.csr_matrix, rows: list[int]) -> sparse.csr_matrix:
    keep = np.ones(X.shape[0])
    keep[rows] = 0.0
    out = sparse.csr_matrix(sparse.diags(keep) @ X)
    out.eliminate_zeros()
    return out


def with_empty_columns(X: sparse.csr_matrix) -> sparse.csr_matrix:
    """Empty first, middle and last columns."""
    empty = sparse.csr_matrix((X.shape[0], 1))
    middle = X.shape[1] // 2
    return sparse.hstack([empty, X[:, :middle], empty, X[:, middle:], empty], format="csr")


def unnormalised(X: sparse.csr_matrix, seed: int = 7) -> sparse.csr_matrix:
    """Rows scaled by random factors, so rows used as centers have distinct norms (zero rows
    are not at the same distance from every center)."""
    scale = np.random.RandomState(seed).uniform(0.5, 2.0, X.shape[0])
    return sparse.csr_matrix(sparse.diags(scale) @ X)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("case", ["zero rows", "zero row as a center", "empty columns",
                                  "explicit zeros", "far center (empty cluster)"])
def test_edge_cases_equal_dense(case, algorithm) -> None:
    X = unnormalised(tfidf(n=400, d=200))
    D = X.toarray()
    init = rows_of(D)
    if case in ("zero rows", "zero row as a center"):
        X = without_rows(X, [0, 5, 6, 399])
        assert np.diff(X.indptr)[[0, 5, 6, 399]].tolist() == [0, 0, 0, 0]
        init = rows_of(X.toarray(), seed=4)
        if case == "zero row as a center":
            init[2] = 0.0
    elif case == "empty columns":
        X = with_empty_columns(X)
        init = rows_of(X.toarray())
    elif case == "explicit zeros":
        X.data[::7] = 0.0
        assert (X.data == 0).any()
    else:
        init[3] = 100.0
    model, dense = fit_both(X, sample_weight=weights(X.shape[0]), init=init, algorithm=algorithm,
                            tol=1.0 if case == "empty columns" else 1e-4)
    assert_fitted_like_dense(model, dense, np.float64)
    if case == "empty columns":
        empty = np.flatnonzero(X.getnnz(axis=0) == 0)
        assert {0, X.shape[1] // 2, X.shape[1] - 1} <= set(empty.tolist())
        assert np.all(model.cluster_centers_[:, empty] == 0)
    if case == "far center (empty cluster)":
        assert len(np.unique(model.labels_)) == K
        assert np.all(model.cluster_centers_ < 100)


def test_one_cluster() -> None:
    X = tfidf(n=300)
    D = X.toarray()
    w = weights(X.shape[0])
    model, dense = fit_both(X, sample_weight=w, n_clusters=1, init=D[:1])
    assert_fitted_like_dense(model, dense, np.float64)
    np.testing.assert_array_equal(model.labels_, np.zeros(X.shape[0]))
    np.testing.assert_allclose(model.cluster_centers_[0], np.average(D, axis=0, weights=w),
                               rtol=1e-10, atol=1e-15)
    assert_valid_clustering(quickmeans.KMeans(1, random_state=0).fit(X), D)


@pytest.mark.parametrize("init", ["k-means++", "random", "rows"])
def test_as_many_clusters_as_rows(init) -> None:
    X = sparse_blobs(n=12, seed=2)
    D = X.toarray()
    assert len(np.unique(D, axis=0)) == 12
    if init == "rows":
        init = D[::-1].copy()
    model = quickmeans.KMeans(12, init=init, random_state=0).fit(X)
    assert sorted(model.labels_) == list(range(12))
    np.testing.assert_array_equal(model.cluster_centers_[model.labels_], D)
    assert model.inertia_ == 0.0
    dense = quickmeans.KMeans(12, init=init, random_state=0).fit(D)
    assert_fitted_like_dense(model, dense, np.float64)


@pytest.mark.parametrize("X", [
    sparse.csr_matrix(np.array([[0.0, 2.5, 0.0, -1.0]])),
    sparse.csr_matrix((1, 4)),
    sparse.csr_matrix((6, 4)),
], ids=["one row", "one empty row", "no stored entries"])
def test_one_cluster_of_degenerate_matrices(X) -> None:
    model = quickmeans.KMeans(1, random_state=0).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_, X.toarray()[:1])
    np.testing.assert_array_equal(model.labels_, np.zeros(X.shape[0]))
    assert model.inertia_ == 0.0
    np.testing.assert_array_equal(model.predict(X), np.zeros(X.shape[0]))


# -- bad and unusual matrices ----------------------------------------------------------------


@pytest.mark.parametrize("bad, message", [
    (np.nan, "Input X contains NaN."),
    (np.inf, "Input X contains infinity"),
    (-np.inf, "Input X contains infinity"),
])
@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_non_finite_values(dtype, fmt, bad, message) -> None:
    good = convert(sparse_blobs(n=50), dtype=dtype, fmt=fmt)
    X = good.copy()
    X.data[17] = bad
    with pytest.raises(ValueError, match=message):
        quickmeans.KMeans(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match=message):
        quickmeans.kmeans_plusplus(X, 2, random_state=0)
    model = quickmeans.KMeans(2, random_state=0).fit(good)
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ValueError, match=message):
            method(X)


@pytest.mark.parametrize("how", ["unsorted", "duplicates", "both"])
def test_unsorted_and_duplicate_indices_read_as_scipy_sums_them(how) -> None:
    canonical = tfidf(n=400)
    X = scrambled(canonical, how)
    summed = X.copy()
    summed.sum_duplicates()
    np.testing.assert_array_equal(X.toarray(), summed.toarray())
    before = snapshot(X)
    init = rows_of(summed.toarray())
    w = weights(X.shape[0])
    model = quickmeans.KMeans(K, init=init).fit(X, sample_weight=w)
    assert_unchanged(X, before)
    expected = quickmeans.KMeans(K, init=init).fit(summed, sample_weight=w)
    assert_fitted_like_dense(model, expected, np.float64)
    Y = scrambled(tfidf(n=100, seed=5), how)
    Y_summed = Y.copy()
    Y_summed.sum_duplicates()
    before = snapshot(Y)
    np.testing.assert_array_equal(model.predict(Y), model.predict(Y_summed))
    np.testing.assert_allclose(model.transform(Y), model.transform(Y_summed), rtol=1e-12)
    assert model.score(Y) == pytest.approx(model.score(Y_summed), rel=1e-12)
    centers, indices = quickmeans.kmeans_plusplus(Y, 3, random_state=0)
    np.testing.assert_array_equal(centers, Y_summed[indices].toarray())
    assert_unchanged(Y, before)


def broken_matrix(attribute: str, value: list) -> sparse.csr_matrix:
    """A valid 3 x 3 CSR matrix ([[1, 0, 2], [0, 3, 0], [4, 5, 6]]) with one array replaced
    after construction, so scipy's checks never see it."""
    X = sparse.csr_matrix(np.array([[1.0, 0, 2], [0, 3, 0], [4, 5, 6]]))
    setattr(X, attribute, np.array(value, dtype=getattr(X, attribute).dtype))
    return X


@pytest.mark.parametrize("attribute, value", [
    ("indices", [0, 3, 1, 0, 1, 2]),
    ("indices", [0, -1, 1, 0, 1, 2]),
    ("indices", [0, 2, 1, 0, 1]),
    ("indptr", [0, 4, 3, 6]),
    ("indptr", [0, 2, 3, 7]),
    ("indptr", [1, 2, 3, 6]),
    ("indptr", [0, 2, 6]),
    ("data", [1.0, 2, 3, 4, 5]),
], ids=["column index == n_features", "negative column index", "fewer indices than data",
        "decreasing indptr", "indptr past the entries", "indptr not starting at 0",
        "indptr too short", "fewer data than indices"])
def test_broken_structure_is_a_value_error(attribute, value) -> None:
    X = broken_matrix(attribute, value)
    with pytest.raises(ValueError):
        quickmeans.KMeans(2, random_state=0).fit(X)
    with pytest.raises(ValueError):
        quickmeans.kmeans_plusplus(X, 2, random_state=0)
    model = quickmeans.KMeans(2, random_state=0).fit(np.eye(3))
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ValueError):
            method(X)


@pytest.mark.parametrize("fitted_on", ["sparse", "dense"])
def test_feature_count_mismatch(fitted_on) -> None:
    X = sparse_blobs(n=50, d=6)
    model = quickmeans.KMeans(2, random_state=0).fit(X if fitted_on == "sparse" else X.toarray())
    wider = sparse.hstack([X, X[:, :1]], format="csr")
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ValueError, match="X has 7 features, but KMeans is expecting 6"):
            method(wider)


@pytest.mark.parametrize("X, message", [
    (sparse.csr_matrix((0, 3)), "0 sample"),
    (sparse.csr_matrix((5, 0)), "0 feature"),
])
def test_empty_sparse_shapes(X, message) -> None:
    with pytest.raises(ValueError, match=message):
        quickmeans.KMeans(1).fit(X)


def test_sample_weight_is_checked_against_sparse_rows() -> None:
    X = sparse_blobs(n=50)
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(49,\), expected \(50,\)"):
        quickmeans.KMeans(2, random_state=0).fit(X, sample_weight=np.ones(49))


@pytest.mark.parametrize("index_dtype", INDEX_DTYPES)
@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "coo_matrix", "csr_array"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_inputs_are_never_modified(dtype, fmt, index_dtype) -> None:
    X = convert(tfidf(n=200), dtype=dtype, fmt=fmt, index_dtype=index_dtype)
    init = rows_of(X.toarray())
    w = weights(X.shape[0])
    copies = (init.copy(), w.copy())
    before = snapshot(X)
    model = quickmeans.KMeans(K, init=init).fit(X, sample_weight=w)
    model.predict(X)
    model.transform(X)
    model.score(X, sample_weight=w)
    quickmeans.KMeans(K, init=init).fit_predict(X, sample_weight=w)
    quickmeans.KMeans(K, init=init).fit_transform(X, sample_weight=w)
    quickmeans.k_means(X, K, init=init, sample_weight=w)
    quickmeans.kmeans_plusplus(X, K, sample_weight=w, random_state=0)
    assert_unchanged(X, before)
    np.testing.assert_array_equal(init, copies[0])
    np.testing.assert_array_equal(w, copies[1])
    assert not np.shares_memory(model.cluster_centers_, init)


# -- scipy stays optional --------------------------------------------------------------------


def run_without_sklearn(code: str, cwd) -> None:
    """Run `code` in a fresh interpreter where scikit-learn cannot be imported (it imports
    scipy itself, and quickmeans uses it when it is there)."""
    script = "import sys\nsys.modules['sklearn'] = None\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok", done.stdout


def test_dense_input_never_imports_scipy(tmp_path) -> None:
    run_without_sklearn("""
        import numpy as np
        import quickmeans
        X = np.random.RandomState(0).rand(20, 3)
        model = quickmeans.KMeans(2, n_init=1, random_state=0).fit(X)
        model.predict(X), model.transform(X), model.score(X)
        quickmeans.k_means(X, 2, random_state=0)
        quickmeans.kmeans_plusplus(X, 2, random_state=0)
        loaded = sorted(name for name in sys.modules if name.split(".")[0] == "scipy")
        assert not loaded, loaded
        print("ok")
    """, tmp_path)


def test_sparse_input_works_without_sklearn(tmp_path) -> None:
    run_without_sklearn("""
        import numpy as np
        from scipy import sparse
        import quickmeans
        X = np.random.RandomState(0).rand(20, 3) * (np.random.RandomState(1).rand(20, 3) > 0.5)
        init = X[:2].copy()
        model = quickmeans.KMeans(2, init=init).fit(sparse.csr_matrix(X))
        dense = quickmeans.KMeans(2, init=init).fit(X)
        assert (model.labels_ == dense.labels_).all()
        assert (model.predict(sparse.csc_matrix(X)) == dense.labels_).all()
        print("ok")
    """, tmp_path)
