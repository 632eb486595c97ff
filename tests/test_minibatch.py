"""MiniBatchKMeans against scikit-learn's: the same random_state draws the same mini-batches,
so the same parameters give the same run; the online update rule checked by hand; sparse
input as dense; partial_fit; bad input (check_estimator is in test_sklearn_compat.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn import cluster as skc

import quickmeans
from conftest import make_blobs
from quickmeans import MiniBatchKMeans


def match_centers(centers: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """centers reordered so that row i is the one nearest to reference[i]."""
    distances = ((reference[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    order = distances.argmin(axis=1)
    assert len(set(order.tolist())) == len(order), "centers do not pair up one to one"
    return centers[order]


def test_final_inertia_within_2_percent_of_sklearn() -> None:
    X = make_blobs(20000, 6, 12, seed=40, spread=2.0)
    params = {"n_clusters": 12, "batch_size": 256}
    ours = [MiniBatchKMeans(**params, random_state=s).fit(X).inertia_ for s in range(3)]
    theirs = [skc.MiniBatchKMeans(**params, random_state=s).fit(X).inertia_ for s in range(3)]
    assert np.mean(ours) == pytest.approx(np.mean(theirs), rel=0.02)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("params", [
    {},
    {"init": "random"},
    {"n_init": 3, "tol": 1e-3},
    {"compute_labels": False, "max_no_improvement": None, "max_iter": 2},
], ids=["default", "random", "n_init+tol", "no-labels"])
def test_same_random_state_gives_sklearns_run(dtype, params) -> None:
    # Batches, inits and reassignments come from the same stream in the same order as in
    # scikit-learn, so the runs coincide step for step (up to summation order).
    X = make_blobs(6000, 5, 10, seed=41, spread=2.5, dtype=dtype)
    w = np.random.RandomState(1).uniform(0.2, 3.0, len(X))
    ours = MiniBatchKMeans(10, batch_size=200, random_state=3, **params).fit(X, sample_weight=w)
    theirs = skc.MiniBatchKMeans(10, batch_size=200, random_state=3, **params).fit(
        X, sample_weight=w)
    rtol = 1e-7 if dtype == np.float64 else 1e-3
    assert ours.n_steps_ == theirs.n_steps_
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.cluster_centers_.dtype == dtype
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol,
                               atol=rtol)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=rtol)
    if ours.compute_labels:
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    else:
        assert not hasattr(ours, "labels_")


@pytest.mark.parametrize(("n_clusters", "batch_size"), [(12, 8), (20, 10), (40, 20)])
def test_default_init_size_gives_sklearns_run(n_clusters, batch_size) -> None:
    # batch_size < n_clusters <= 3 * batch_size: scikit-learn seeds on 3 * batch_size
    # samples (not 3 * n_clusters), so the same random_state gives its run only with the
    # same rule. (The samples the init is handed: tests/test_dropin.py. With n_clusters near
    # init_size, the subsample, drawn with replacement, often holds a point twice, and
    # k-means++ may then break an exact tie between the copies otherwise than scikit-learn's
    # rounded potentials do: these sizes have none.)
    X = make_blobs(4000, 3, 30, seed=45, spread=1.5)
    params = dict(n_clusters=n_clusters, batch_size=batch_size, random_state=1)
    ours = MiniBatchKMeans(**params).fit(X)
    theirs = skc.MiniBatchKMeans(**params).fit(X)
    assert ours._init_size == theirs._init_size == 3 * batch_size
    assert ours.n_steps_ == theirs.n_steps_
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-7,
                               atol=1e-7)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)


def test_centers_close_to_kmeans_on_separated_blobs() -> None:
    X = make_blobs(30000, 4, 6, seed=42, spread=0.5, box=20.0)
    full = quickmeans.KMeans(6, random_state=0).fit(X)
    mini = MiniBatchKMeans(6, batch_size=512, random_state=0).fit(X)
    np.testing.assert_allclose(match_centers(mini.cluster_centers_, full.cluster_centers_),
                               full.cluster_centers_, atol=0.05)
    assert mini.inertia_ == pytest.approx(full.inertia_, rel=0.01)


def test_partial_fit_over_50_chunks_reaches_fit_inertia() -> None:
    # Either run can land in a worse local minimum for one seed (as scikit-learn's do):
    # compare means over seeds.
    X = make_blobs(20000, 6, 12, seed=43, spread=2.0)
    X = X[np.random.RandomState(0).permutation(len(X))]
    fitted, online = [], []
    for seed in range(4):
        fitted.append(MiniBatchKMeans(12, batch_size=400, random_state=seed).fit(X).inertia_)
        model = MiniBatchKMeans(12, random_state=seed)
        for chunk in np.array_split(X, 50):
            model.partial_fit(chunk)
        assert model.n_steps_ == 50
        online.append(-model.score(X))
    assert np.mean(online) <= 1.05 * np.mean(fitted)


def test_partial_fit_matches_sklearn() -> None:
    X = make_blobs(5000, 5, 10, seed=44, spread=2.0)
    w = np.random.RandomState(2).uniform(0.1, 3.0, len(X))
    ours, theirs = MiniBatchKMeans(10, random_state=0), skc.MiniBatchKMeans(10, random_state=0)
    for chunk, wc in zip(np.array_split(X, 25), np.array_split(w, 25)):
        ours.partial_fit(chunk, sample_weight=wc)
        theirs.partial_fit(chunk, sample_weight=wc)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-7)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-7)


def test_update_rule_by_hand() -> None:
    # Two batches from known centers: the first sets counts (from zero: plain weighted
    # means), the second moves each center to (c * count + batch sum) / (count + batch weight).
    init = np.array([[0.0, 0.0], [10.0, 10.0]])
    first = np.array([[1.0, 0.0], [0.0, 3.0], [9.0, 10.0], [11.0, 12.0], [10.0, 8.0]])
    w1 = np.array([1.0, 2.0, 1.0, 1.0, 2.0])
    second = np.array([[2.0, 2.0], [12.0, 9.0], [-1.0, 1.0]])
    w2 = np.array([3.0, 0.5, 1.0])
    model = MiniBatchKMeans(2, init=init, reassignment_ratio=0.0, random_state=0)

    model.partial_fit(first, sample_weight=w1)
    labels1 = np.array([0, 0, 1, 1, 1])
    counts = np.bincount(labels1, weights=w1)
    centers = np.array([np.average(first[labels1 == c], axis=0, weights=w1[labels1 == c])
                        for c in range(2)])
    np.testing.assert_allclose(model._counts, counts)
    np.testing.assert_allclose(model.cluster_centers_, centers)

    model.partial_fit(second, sample_weight=w2)
    labels2 = np.array([0, 1, 0])
    np.testing.assert_array_equal(model.labels_, labels2)
    batch_weights = np.bincount(labels2, weights=w2)
    sums = np.array([(second[labels2 == c] * w2[labels2 == c, None]).sum(0) for c in range(2)])
    expected = (centers * counts[:, None] + sums) / (counts + batch_weights)[:, None]
    np.testing.assert_allclose(model.cluster_centers_, expected)
    np.testing.assert_allclose(model._counts, counts + batch_weights)
    assert model.inertia_ == pytest.approx(
        float((w2 * ((second - expected[labels2]) ** 2).sum(1)).sum()))


def test_counts_sum_to_weight_seen() -> None:
    X = make_blobs(3000, 3, 5, seed=45)
    w = np.random.RandomState(3).uniform(0.5, 2.0, len(X))
    online = MiniBatchKMeans(5, reassignment_ratio=0.0, random_state=0)
    for chunk, wc in zip(np.array_split(X, 10), np.array_split(w, 10)):
        online.partial_fit(chunk, sample_weight=wc)
    assert online._counts.sum() == pytest.approx(w.sum())
    # fit draws batches in proportion to the weights, then counts each drawn sample once.
    fitted = MiniBatchKMeans(5, batch_size=100, reassignment_ratio=0.0, random_state=0)
    fitted.fit(X, sample_weight=w)
    assert fitted._counts.sum() == pytest.approx(fitted.n_steps_ * 100)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_gives_dense_result(dtype) -> None:
    rng = np.random.RandomState(46)
    dense = make_blobs(4000, 20, 6, seed=46, dtype=dtype)
    dense[rng.uniform(size=dense.shape) < 0.7] = 0
    w = rng.uniform(0.5, 2.0, len(dense))
    params = {"n_clusters": 6, "batch_size": 300, "random_state": 5, "tol": 1e-4}
    ours = MiniBatchKMeans(**params).fit(sparse.csr_matrix(dense), sample_weight=w)
    expected = MiniBatchKMeans(**params).fit(dense, sample_weight=w)
    assert ours.n_steps_ == expected.n_steps_
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours.cluster_centers_, expected.cluster_centers_, rtol=rtol,
                               atol=rtol)
    np.testing.assert_array_equal(ours.labels_, expected.labels_)
    online = MiniBatchKMeans(**params).partial_fit(sparse.csr_matrix(dense[:1000]))
    np.testing.assert_allclose(
        online.cluster_centers_,
        MiniBatchKMeans(**params).partial_fit(dense[:1000]).cluster_centers_, rtol=rtol)


def test_partial_fit_rejects_another_feature_count() -> None:
    model = MiniBatchKMeans(3, random_state=0).partial_fit(make_blobs(100, 4, 3, seed=47))
    with pytest.raises(ValueError, match="X has 3 features, but MiniBatchKMeans is expecting 4"):
        model.partial_fit(make_blobs(100, 3, 3, seed=47))


def test_input_not_modified() -> None:
    X = make_blobs(1000, 4, 4, seed=48)
    w = np.random.RandomState(4).uniform(0.5, 2.0, len(X))
    init = X[:4].copy()
    Xs = sparse.csr_matrix(np.where(X > 0, X, 0))
    copies = [a.copy() for a in (X, w, init, Xs.data, Xs.indices, Xs.indptr)]
    model = MiniBatchKMeans(4, init=init, batch_size=64, random_state=0)
    model.fit(X, sample_weight=w)
    model.cluster_centers_ += 1  # the model's centers are its own, not the init array
    model.fit(Xs, sample_weight=w)
    model.partial_fit(X, sample_weight=w)
    for before, after in zip(copies, (X, w, init, Xs.data, Xs.indices, Xs.indptr)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize(("params", "match"), [
    ({"batch_size": 0}, "'batch_size' parameter"),
    ({"reassignment_ratio": -0.1}, "'reassignment_ratio' parameter"),
    ({"compute_labels": "yes"}, "'compute_labels' parameter"),
    ({"max_no_improvement": -1}, "'max_no_improvement' parameter"),
    ({"init_size": 0}, "'init_size' parameter"),
    ({"n_init": 0}, "'n_init' parameter"),
    ({"init": "kmeans"}, "'init' parameter"),
    ({"n_clusters": 200}, "n_samples=100 should be >= n_clusters=200"),
])
def test_bad_parameters(params, match) -> None:
    X = make_blobs(100, 2, 3, seed=49)
    with pytest.raises(ValueError, match=match):
        MiniBatchKMeans(**params).fit(X)
    with pytest.raises(ValueError, match=match):
        MiniBatchKMeans(**params).partial_fit(X)


def test_bad_input_gets_kmeans_errors() -> None:
    X = make_blobs(100, 2, 3, seed=50)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MiniBatchKMeans(3).fit(bad)
    with pytest.raises(ValueError, match="Expected 2D array"):
        MiniBatchKMeans(3).fit(X[:, 0])
    with pytest.raises(ValueError, match="Negative values in data passed to sample_weight"):
        MiniBatchKMeans(3).fit(X, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="does not match the number of features"):
        MiniBatchKMeans(3, init=np.zeros((3, 5))).fit(X)


def test_small_init_size_warns() -> None:
    X = make_blobs(500, 2, 3, seed=51)
    with pytest.warns(RuntimeWarning, match="init_size=2 should be larger than n_clusters=5"):
        MiniBatchKMeans(5, init_size=2, random_state=0).fit(X)


def test_fit_then_partial_fit_continues_and_predict_works() -> None:
    X = make_blobs(2000, 3, 4, seed=52, spread=0.5)
    model = MiniBatchKMeans(4, batch_size=100, random_state=0).fit(X)
    steps = model.n_steps_
    model.partial_fit(X[:100])
    assert model.n_steps_ == steps + 1
    np.testing.assert_array_equal(model.predict(X), model.fit_predict(X))
    assert model.transform(X).shape == (len(X), 4)
    assert model.score(X) == pytest.approx(-model.inertia_)


@pytest.mark.parametrize("weighted", [False, True])
def test_batch_sampler_draws_as_random_state_choice(weighted) -> None:
    from quickmeans._minibatch import BatchSampler

    n = 100_003
    weights = np.random.RandomState(6).uniform(0, 2, n) if weighted else None
    if weighted:
        weights[::7] = 0  # zero weights are never drawn (flat steps in the cdf)
    p = np.full(n, 1.0 / n) if weights is None else weights / weights.sum()
    sampler = BatchSampler(weights, n)
    ours, theirs = np.random.RandomState(7), np.random.RandomState(7)
    for _ in range(20):
        np.testing.assert_array_equal(sampler.draw(5000, ours),
                                      theirs.choice(n, 5000, replace=True, p=p))
