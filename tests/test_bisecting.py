"""BisectingKMeans against scikit-learn's as the oracle: the same random_state gives the same
tree, hence the same labels, centers, inertia and tree-walking predictions."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from sklearn import cluster as skc
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import quickmeans
from conftest import make_blobs

sp = pytest.importorskip("scipy.sparse")

STRATEGIES = ["biggest_inertia", "largest_cluster"]


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_digits().data  # 1797 x 64 float64, integer pixel values 0..16


def assert_same_model(ours, theirs, X, rtol: float = 1e-9) -> None:
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.labels_.dtype == np.int32
    scale = np.abs(theirs.cluster_centers_).max()
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol,
                               atol=rtol * scale)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=rtol)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("init", ["random", "k-means++"])
def test_digits_same_as_sklearn(digits, strategy, init) -> None:
    for seed in range(3):
        params = dict(n_clusters=10, init=init, random_state=seed, bisecting_strategy=strategy)
        ours = quickmeans.BisectingKMeans(**params).fit(digits)
        theirs = skc.BisectingKMeans(**params).fit(digits)
        assert_same_model(ours, theirs, digits)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_blobs_same_as_sklearn(strategy, algorithm) -> None:
    X = make_blobs(4000, 6, 12, seed=41, spread=2.0)
    for seed in range(3):
        params = dict(n_clusters=9, random_state=seed, bisecting_strategy=strategy,
                      algorithm=algorithm)
        ours = quickmeans.BisectingKMeans(**params).fit(X)
        theirs = skc.BisectingKMeans(**params).fit(X)
        assert_same_model(ours, theirs, X)


def test_quickmeans_algorithms_give_the_same_tree(digits) -> None:
    theirs = skc.BisectingKMeans(7, random_state=3).fit(digits)
    for algorithm in ["hamerly", "auto"]:
        ours = quickmeans.BisectingKMeans(7, random_state=3, algorithm=algorithm).fit(digits)
        assert_same_model(ours, theirs, digits)


def test_n_init_and_shared_random_state(digits) -> None:
    # n_init runs per split, all drawing from one RandomState passed in by the user.
    ours = quickmeans.BisectingKMeans(6, n_init=3, random_state=np.random.RandomState(5))
    theirs = skc.BisectingKMeans(6, n_init=3, random_state=np.random.RandomState(5))
    assert_same_model(ours.fit(digits), theirs.fit(digits), digits)


def test_one_cluster_is_the_unweighted_mean(digits) -> None:
    w = np.random.RandomState(0).uniform(0.5, 2.0, len(digits))
    ours = quickmeans.BisectingKMeans(1).fit(digits, sample_weight=w)
    theirs = skc.BisectingKMeans(1).fit(digits, sample_weight=w)
    assert_same_model(ours, theirs, digits)
    assert (ours.labels_ == 0).all()


def test_float32_close_to_sklearn(digits) -> None:
    X = digits.astype(np.float32)
    for strategy in STRATEGIES:
        for seed in range(3):
            params = dict(n_clusters=8, random_state=seed, bisecting_strategy=strategy)
            ours = quickmeans.BisectingKMeans(**params).fit(X)
            theirs = skc.BisectingKMeans(**params).fit(X)
            assert ours.cluster_centers_.dtype == np.float32
            # float32 rounding may move a sample at a near tie, never the clustering.
            assert np.mean(ours.labels_ == theirs.labels_) > 0.99
            assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-4)
            assert np.mean(ours.predict(X) == theirs.predict(X)) > 0.99
            np.testing.assert_allclose(ours.transform(X[:50]), theirs.transform(X[:50]),
                                       rtol=0.05, atol=0.5)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_sparse_equals_dense_and_sklearn(strategy) -> None:
    rng = np.random.RandomState(7)
    dense = make_blobs(1500, 20, 6, seed=42)
    dense[rng.uniform(size=dense.shape) < 0.6] = 0.0
    X = sp.csr_matrix(dense)
    params = dict(n_clusters=6, random_state=1, bisecting_strategy=strategy)
    from_sparse = quickmeans.BisectingKMeans(**params).fit(X)
    from_dense = quickmeans.BisectingKMeans(**params).fit(dense)
    np.testing.assert_array_equal(from_sparse.labels_, from_dense.labels_)
    np.testing.assert_allclose(from_sparse.cluster_centers_, from_dense.cluster_centers_,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(from_sparse.predict(X), from_dense.predict(dense))
    assert_same_model(from_sparse, skc.BisectingKMeans(**params).fit(X), X)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_sample_weight_same_as_sklearn(digits, strategy) -> None:
    w = np.random.RandomState(8).uniform(0.1, 3.0, len(digits))
    for init in ["random", "k-means++"]:
        params = dict(n_clusters=8, random_state=2, bisecting_strategy=strategy, init=init)
        ours = quickmeans.BisectingKMeans(**params).fit(digits, sample_weight=w)
        theirs = skc.BisectingKMeans(**params).fit(digits, sample_weight=w)
        assert_same_model(ours, theirs, digits)
        assert ours.score(digits, sample_weight=w) == pytest.approx(
            theirs.score(digits, sample_weight=w), rel=1e-9)


def test_integer_weights_count_as_repeated_samples_in_the_inertia() -> None:
    X = make_blobs(600, 3, 4, seed=43)
    w = np.random.RandomState(9).randint(1, 4, len(X)).astype(float)
    model = quickmeans.BisectingKMeans(4, random_state=0).fit(X, sample_weight=w)
    repeated = np.repeat(X, w.astype(int), axis=0)
    centers = model.cluster_centers_
    labels = np.repeat(model.labels_, w.astype(int))
    expected = ((repeated - centers[labels]) ** 2).sum()
    assert model.inertia_ == pytest.approx(expected, rel=1e-9)


def test_callable_init_is_called_with_two_clusters(digits) -> None:
    calls = []

    def first_two(data, n_clusters, random_state):
        calls.append((data.shape, n_clusters))
        # A copy: scikit-learn's inner k-means writes into the init array it is handed, and
        # a view would change the rows it clusters.
        return data[:n_clusters].copy()

    ours = quickmeans.BisectingKMeans(5, init=first_two).fit(digits)
    theirs = skc.BisectingKMeans(5, init=first_two).fit(digits)
    assert_same_model(ours, theirs, digits)
    assert calls[0] == ((len(digits), 64), 2) and {k for _, k in calls} == {2}


def test_predict_walks_the_tree_not_the_nearest_center() -> None:
    X = make_blobs(3000, 2, 8, seed=44, spread=1.5)
    ours = quickmeans.BisectingKMeans(8, random_state=0).fit(X)
    theirs = skc.BisectingKMeans(8, random_state=0).fit(X)
    new = np.random.RandomState(10).uniform(-15, 15, size=(20000, 2))
    walked = ours.predict(new)
    np.testing.assert_array_equal(walked, theirs.predict(new))
    nearest = ((new[:, None, :] - ours.cluster_centers_[None]) ** 2).sum(-1).argmin(1)
    assert (walked != nearest).any()  # the two rules differ on this data, as they may
    np.testing.assert_array_equal(ours.predict(sp.csr_matrix(new)), walked)


def test_transform_score_fit_predict(digits) -> None:
    ours = quickmeans.BisectingKMeans(6, random_state=4)
    theirs = skc.BisectingKMeans(6, random_state=4)
    np.testing.assert_array_equal(ours.fit_predict(digits), theirs.fit_predict(digits))
    np.testing.assert_allclose(ours.fit_transform(digits), theirs.fit_transform(digits),
                               rtol=1e-9)
    np.testing.assert_allclose(ours.transform(digits[:9]), theirs.transform(digits[:9]),
                               rtol=1e-9)
    assert ours.score(digits) == pytest.approx(theirs.score(digits), rel=1e-9)


def test_x_is_not_modified(digits) -> None:
    X = digits.copy()
    quickmeans.BisectingKMeans(5, random_state=0, copy_x=False).fit(X)
    np.testing.assert_array_equal(X, digits)


def test_clone_pickle_pipeline_and_feature_names() -> None:
    X = make_blobs(800, 4, 5, seed=45)
    model = quickmeans.BisectingKMeans(5, random_state=0, bisecting_strategy="largest_cluster")
    cloned = clone(model)
    assert cloned.get_params() == model.get_params()
    assert not hasattr(cloned, "cluster_centers_")
    model.fit(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_array_equal(restored.cluster_centers_, model.cluster_centers_)
    pipe = make_pipeline(StandardScaler(), quickmeans.BisectingKMeans(5, random_state=0))
    expected = make_pipeline(StandardScaler(), skc.BisectingKMeans(5, random_state=0))
    np.testing.assert_array_equal(pipe.fit(X).predict(X), expected.fit(X).predict(X))
    np.testing.assert_array_equal(model.get_feature_names_out(),
                                  skc.BisectingKMeans(5).fit(X).get_feature_names_out())
    assert not hasattr(model, "n_iter_") and not hasattr(skc.BisectingKMeans(2).fit(X),
                                                         "n_iter_")


def test_verbose_prints_sklearns_lines(digits, capsys) -> None:
    quickmeans.BisectingKMeans(3, random_state=0, verbose=1).fit(digits)
    ours = capsys.readouterr().out
    skc.BisectingKMeans(3, random_state=0, verbose=1).fit(digits)
    theirs = capsys.readouterr().out

    def kinds(out: str) -> list[str]:
        return [re.sub(r"[-\d.e+\s\[\]]+", "", line)[:20] for line in out.splitlines()
                if not line.startswith(" ")]

    assert ours.count("New centroids from bisection:") == 2
    assert ours.count("Converged at iteration") == 2
    assert kinds(ours) == kinds(theirs)


def error_of(estimator, X, **fit_params) -> str:
    """The message, with the options of any "{'a', 'b'}" sorted: scikit-learn lists them in
    a set's order, which changes with Python's string hashing."""
    with pytest.raises(ValueError) as info:
        estimator.fit(X, **fit_params)
    return re.sub(r"\{('[^}]*')\}",
                  lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}",
                  str(info.value))


@pytest.mark.parametrize("params", [
    dict(n_clusters=0), dict(n_clusters=1.5), dict(n_init=0), dict(max_iter=0),
    dict(init="kmeans"), dict(bisecting_strategy="smallest"), dict(n_clusters=5000),
])
def test_bad_parameters_in_sklearns_words(digits, params) -> None:
    assert error_of(quickmeans.BisectingKMeans(**params), digits) == \
        error_of(skc.BisectingKMeans(**params), digits)


def test_bad_algorithm_lists_ours(digits) -> None:
    message = error_of(quickmeans.BisectingKMeans(algorithm="fast"), digits)
    assert message.startswith("The 'algorithm' parameter of BisectingKMeans must be a str among")
    assert all(repr(name) in message for name in quickmeans._kmeans.ALGORITHMS)
    assert message.endswith("Got 'fast' instead.")


def test_bad_data_and_weights_in_sklearns_words(digits) -> None:
    nan = digits.copy()
    nan[3, 4] = np.nan
    assert error_of(quickmeans.BisectingKMeans(2), nan).startswith(
        error_of(skc.BisectingKMeans(2), nan).splitlines()[0])
    empty = np.ones((0, 3))
    assert error_of(quickmeans.BisectingKMeans(2), empty) == \
        error_of(skc.BisectingKMeans(2), empty)
    short = np.ones(5)
    assert error_of(quickmeans.BisectingKMeans(2), digits, sample_weight=short) == \
        error_of(skc.BisectingKMeans(2), digits, sample_weight=short)
    assert error_of(quickmeans.BisectingKMeans(2), np.ones(10)).startswith(
        "Expected 2D array, got 1D array instead")
    model = quickmeans.BisectingKMeans(3, random_state=0).fit(digits)
    with pytest.raises(ValueError, match="X has 10 features, but BisectingKMeans is expecting "
                                         "64 features as input."):
        model.predict(digits[:, :10])
    with pytest.raises(quickmeans._compat.NotFittedError, match="not fitted yet"):
        quickmeans.BisectingKMeans().predict(digits)


def test_sklearns_own_test_file_passes_on_quickmeans(tmp_path) -> None:
    """scikit-learn's sklearn/cluster/tests/test_bisect_k_means.py, with its estimator import
    pointed at quickmeans, run as scikit-learn runs it (its global_dtype fixture supplied)."""
    import subprocess
    import sys
    from pathlib import Path

    import sklearn

    source = Path(sklearn.__file__).parent / "cluster" / "tests" / "test_bisect_k_means.py"
    text = source.read_text(encoding="utf-8")
    original = "from sklearn.cluster import BisectingKMeans\n"
    assert original in text
    (tmp_path / "test_theirs.py").write_text(
        text.replace(original, "from quickmeans import BisectingKMeans\n"), encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        "import numpy as np\nimport pytest\n\n\n"
        "@pytest.fixture(params=[np.float64, np.float32])\n"
        "def global_dtype(request):\n    return request.param\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W",
         "ignore::DeprecationWarning", "test_theirs.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (1000, 16), (513, 8)])
def test_working_copies_start_a_cache_line(dtype, shape) -> None:
    # A split reads its failed rows scattered: rows of 64 bytes that start a cache line are
    # one miss each, not two (numpy's own allocations start 16 bytes into a line).
    from quickmeans._bisecting_rows import aligned_empty

    for _ in range(5):
        rows = aligned_empty(shape, dtype)
        assert rows.ctypes.data % 64 == 0
        assert rows.shape == shape and rows.dtype == dtype and rows.flags.c_contiguous
        rows[...] = 1.0  # every byte of it is writable
        assert rows.sum() == np.prod(shape)


def test_splits_write_children_into_aligned_working_copies() -> None:
    from quickmeans._bisecting_rows import ClusterRows

    X = np.arange(64 * 16, dtype=np.float32).reshape(64, 16)
    samples = ClusterRows(X, None, 1)
    labels = (np.arange(64) % 3 == 0).astype(np.int32)
    centers = np.stack([X[labels == 0].mean(axis=0), X[labels == 1].mean(axis=0)])
    children, _ = samples.split(samples.root(), labels, centers)
    for child, side in zip(children, (0, 1)):
        rows, _ = samples.rows(child)
        np.testing.assert_array_equal(rows, X[labels == side])
    assert samples.rows(children[0])[0].ctypes.data % 64 == 0
