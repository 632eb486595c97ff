"""quickmeans as a drop-in for scikit-learn: the estimator contract, and scikit-learn as a
second oracle (same init => same clustering; same random_state => same k-means++ seeds)."""

from __future__ import annotations

import pickle
import re
from unittest import SkipTest

import numpy as np
import pytest
from sklearn import cluster as skc
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import quickmeans
from conftest import make_blobs
from quickmeans._compat import SKLEARN_VERSION

# The checks scikit-learn itself expects its KMeans, MiniBatchKMeans and BisectingKMeans to
# fail, from 1.6 on (its PER_ESTIMATOR_XFAIL_CHECKS): k-means with weights is not the same
# as k-means on repeated samples from a random init. Before 1.6 the check was
# check_sample_weights_invariance and the estimator declared it in its _more_tags (as
# quickmeans does on those versions).
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data":
        "sample_weight is not equivalent to removing/repeating samples.",
    "check_sample_weight_equivalence_on_sparse_data":
        "sample_weight is not equivalent to removing/repeating samples.",
}


def check_name(check) -> str:
    """The check's own name, through the partials and the skipping wrapper around it."""
    while hasattr(check, "func") or hasattr(check, "__wrapped__"):
        check = getattr(check, "func", None) or check.__wrapped__
    return check.__name__


def run_check_estimator(estimator) -> tuple[list[str], list[str], int]:
    """(failed, expected to fail, passed) check names, on any scikit-learn >= 1.4."""
    if SKLEARN_VERSION >= (1, 6):
        results = check_estimator(estimator, expected_failed_checks=EXPECTED_FAILED_CHECKS,
                                  on_fail=None, on_skip=None)
        failed = [r["check_name"] for r in results if r["status"] == "failed"]
        expected = [r["check_name"] for r in results if r["status"] == "xfail"]
        return failed, expected, len([r for r in results if r["status"] == "passed"])
    # 1.4 and 1.5: the checks the estimator's tags expect to fail raise SkipTest.
    failed, expected, passed = [], [], 0
    for instance, check in check_estimator(estimator, generate_only=True):
        name = check_name(check)
        try:
            check(instance)
        except SkipTest:  # also raised by checks that do not apply: reported as expected
            expected.append(name)
        except Exception:
            failed.append(name)
        else:
            passed += 1
    return failed, expected, passed


# The checks fit 8 clusters on data with 4 distinct points: the warning is right there.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("estimator", [quickmeans.KMeans(), quickmeans.MiniBatchKMeans(),
                                       quickmeans.BisectingKMeans(),
                                       quickmeans.SphericalKMeans(),
                                       quickmeans.SphericalMiniBatchKMeans()],
                         ids=["KMeans", "MiniBatchKMeans", "BisectingKMeans", "SphericalKMeans",
                              "SphericalMiniBatchKMeans"])
def test_check_estimator(estimator) -> None:
    failed, expected, passed = run_check_estimator(estimator)
    assert failed == []
    # Exactly the checks scikit-learn's own estimator is expected to fail on this version.
    if SKLEARN_VERSION >= (1, 6):
        assert sorted(expected) == sorted(EXPECTED_FAILED_CHECKS)
    else:
        # (run twice: zero weights and unit weights)
        assert set(expected) == {"check_sample_weights_invariance"}
    assert passed > 40


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("algorithm", ["lloyd", "elkan"])
def test_same_init_gives_sklearns_clustering(dtype, algorithm) -> None:
    X = make_blobs(3000, 5, 6, seed=21, spread=2.5, dtype=dtype)
    init = X[np.random.RandomState(3).choice(len(X), 6, replace=False)]
    ours = quickmeans.KMeans(6, init=init, n_init=1, algorithm=algorithm).fit(X)
    theirs = skc.KMeans(6, init=init, n_init=1, algorithm=algorithm).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    rtol = 1e-6 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=rtol)
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("weighted", [False, True])
def test_same_random_state_gives_sklearns_kmeans_plusplus_seeds(weighted) -> None:
    X = make_blobs(2000, 7, 9, seed=22)
    w = np.random.RandomState(5).uniform(0.2, 3.0, len(X)) if weighted else None
    for seed in range(4):
        ours = quickmeans.kmeans_plusplus(X, 12, sample_weight=w, random_state=seed)
        theirs = skc.kmeans_plusplus(X, 12, sample_weight=w, random_state=seed)
        np.testing.assert_array_equal(ours[1], theirs[1])
        np.testing.assert_array_equal(ours[0], theirs[0])


def test_default_fit_equals_sklearn_default_fit() -> None:
    X = make_blobs(5000, 4, 8, seed=23, spread=2.0)
    for seed in range(3):
        ours = quickmeans.KMeans(8, random_state=seed).fit(X)
        theirs = skc.KMeans(8, random_state=seed).fit(X)
        np.testing.assert_array_equal(ours.labels_, theirs.labels_)
        assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-9)


def test_random_init_with_n_init_matches_sklearn() -> None:
    # 'random' draws n_clusters samples without replacement from the same stream as
    # scikit-learn; n_init='auto' means 10 runs and the lowest inertia wins.
    X = make_blobs(1500, 3, 5, seed=24, spread=3.0)
    ours = quickmeans.KMeans(5, init="random", random_state=7).fit(X)
    theirs = skc.KMeans(5, init="random", random_state=7).fit(X)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-9)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    best_of_10 = min(quickmeans.KMeans(5, init="random", n_init=1, random_state=rs).fit(X).inertia_
                     for rs in [np.random.RandomState(7)] * 10)
    assert ours.inertia_ == pytest.approx(best_of_10)


def test_k_means_function_matches_sklearn() -> None:
    X = make_blobs(1000, 3, 4, seed=25)
    ours = quickmeans.k_means(X, 4, random_state=0, return_n_iter=True)
    theirs = skc.k_means(X, 4, random_state=0, return_n_iter=True)
    assert len(ours) == 4
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9)
    np.testing.assert_array_equal(ours[1], theirs[1])
    assert ours[2] == pytest.approx(theirs[2], rel=1e-9)
    assert ours[3] == theirs[3]
    assert len(quickmeans.k_means(X, 4, random_state=0)) == 3


def test_callable_init_gets_x_k_and_random_state() -> None:
    X = make_blobs(300, 2, 3, seed=26)
    seen = {}

    def init(data, n_clusters, random_state):
        seen.update(shape=data.shape, k=n_clusters, rs=random_state)
        return data[:n_clusters]

    model = quickmeans.KMeans(3, init=init, n_init=1, random_state=0).fit(X)
    assert seen["shape"] == X.shape and seen["k"] == 3
    assert isinstance(seen["rs"], np.random.RandomState)
    expected = skc.KMeans(3, init=X[:3], n_init=1).fit(X)
    np.testing.assert_array_equal(model.labels_, expected.labels_)


def test_array_init_with_several_n_init_warns_and_runs_once() -> None:
    X = make_blobs(200, 2, 2, seed=27)
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        quickmeans.KMeans(2, init=X[:2], n_init=3).fit(X)


def test_clone_pickle_pipeline_gridsearch() -> None:
    X = make_blobs(600, 4, 3, seed=28)
    model = quickmeans.KMeans(3, random_state=0, algorithm="elkan")
    cloned = clone(model)
    assert cloned.get_params() == model.get_params()
    assert not hasattr(cloned, "cluster_centers_")

    model.fit(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_array_equal(restored.cluster_centers_, model.cluster_centers_)

    pipe = make_pipeline(StandardScaler(), quickmeans.KMeans(3, random_state=0)).fit(X)
    expected = make_pipeline(StandardScaler(), skc.KMeans(3, random_state=0)).fit(X)
    np.testing.assert_array_equal(pipe.predict(X), expected.predict(X))

    search = GridSearchCV(quickmeans.KMeans(random_state=0), {"n_clusters": [2, 3, 5]}, cv=3)
    search.fit(X)
    assert search.best_params_["n_clusters"] in (2, 3, 5)
    assert np.isfinite(search.best_score_)


def test_set_params_and_repr() -> None:
    model = quickmeans.KMeans().set_params(n_clusters=4, algorithm="elkan")
    assert model.n_clusters == 4
    assert repr(model) == "KMeans(algorithm='elkan', n_clusters=4)"
    with pytest.raises(ValueError, match="Invalid parameter"):
        model.set_params(bogus=1)


def test_feature_names_and_set_output_with_pandas() -> None:
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(make_blobs(300, 3, 3, seed=29), columns=["a", "b", "c"])
    model = quickmeans.KMeans(3, random_state=0).fit(X)
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b", "c"])
    np.testing.assert_array_equal(model.get_feature_names_out(),
                                  ["kmeans0", "kmeans1", "kmeans2"])
    model.set_output(transform="pandas")
    out = model.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(X.to_numpy())
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(X.rename(columns={"a": "z"}))


def test_threadpoolctl_limits_the_engine() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from quickmeans import _core

    if not quickmeans.has_openmp:
        pytest.fail("the engine was built without OpenMP")
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert _core.max_threads() == 1
        model = quickmeans.KMeans(4, random_state=0).fit(make_blobs(2000, 3, 4, seed=30))
    assert _core.max_threads() >= 1
    assert model.n_iter_ >= 1


def test_verbose_prints_per_iteration_inertia(capsys) -> None:
    X = make_blobs(500, 2, 3, seed=31)
    quickmeans.KMeans(3, random_state=0, verbose=1).fit(X)
    out = capsys.readouterr().out
    assert "Initialization complete" in out
    inertias = [float(v) for v in re.findall(r"Iteration \d+, inertia (\S+)\.$", out, re.M)]
    assert len(inertias) >= 2
    assert all(b <= a * (1 + 1e-12) for a, b in zip(inertias, inertias[1:]))
