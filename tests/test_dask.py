"""quickmeans.dask.KMeans against the single-process estimator, on a 2-process LocalCluster
and on the local schedulers; spherical=True against SphericalKMeans."""

from __future__ import annotations

from collections.abc import Iterator

import dask
import dask.array as da
import distributed  # a test dependency: these tests run, never skip
import numpy as np
import pytest

import quickmeans
from conftest import directions, make_blobs
from quickmeans import SphericalKMeans
from quickmeans.dask import KMeans


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    # The dashboard on a free port: a fixed 8787 held by another process would warn "port in
    # use" (an error here, as pytest makes warnings errors); no other warning fires.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def X() -> np.ndarray:
    return make_blobs(4000, 5, 12, seed=7)


def test_same_result_as_single_process_from_same_init(client: distributed.Client,
                                                      X: np.ndarray) -> None:
    init = X[:12].copy()
    local = quickmeans.KMeans(12, init=init, n_init=1).fit(X)
    km = KMeans(12, init=init).fit(da.from_array(X, chunks=(700, 5)))
    np.testing.assert_array_equal(km.labels_.compute(), local.labels_)
    np.testing.assert_allclose(km.cluster_centers_, local.cluster_centers_, rtol=1e-10,
                               atol=1e-10)
    assert km.n_iter_ == local.n_iter_
    assert km.inertia_ == pytest.approx(local.inertia_, rel=1e-10)
    assert km.n_features_in_ == 5


def test_float32_and_weights_match_single_process(client: distributed.Client,
                                                  X: np.ndarray) -> None:
    X32 = X.astype(np.float32)
    w = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    init = X32[:12].copy()
    local = quickmeans.KMeans(12, init=init, n_init=1).fit(X32, sample_weight=w)
    km = KMeans(12, init=init).fit(da.from_array(X32, chunks=(900, 5)),
                                   sample_weight=da.from_array(w, chunks=1000))
    assert km.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(km.labels_.compute(), local.labels_)
    np.testing.assert_allclose(km.cluster_centers_, local.cluster_centers_, rtol=1e-5)
    assert km.inertia_ == pytest.approx(local.inertia_, rel=1e-5)


def test_kmeans_parallel_quality(client: distributed.Client) -> None:
    X = make_blobs(6000, 4, 20, seed=3)
    Xd = da.from_array(X, chunks=(1500, 4))
    ours = [KMeans(20, random_state=s).fit(Xd).inertia_ for s in range(4)]
    local = [quickmeans.KMeans(20, random_state=s).fit(X).inertia_ for s in range(4)]
    assert np.mean(ours) <= 1.03 * np.mean(local)


def test_predict_and_transform_chunked_equal_local(client: distributed.Client,
                                                   X: np.ndarray) -> None:
    km = KMeans(12, random_state=0).fit(da.from_array(X, chunks=(1000, 5)))
    local = quickmeans.KMeans(12, init=km.cluster_centers_, n_init=1, max_iter=1).fit(X)
    local.cluster_centers_ = km.cluster_centers_
    new = X[::3] + 0.1
    labels = km.predict(da.from_array(new, chunks=(333, 5)))
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), local.predict(new))
    np.testing.assert_array_equal(km.predict(new), local.predict(new))
    np.testing.assert_allclose(km.transform(da.from_array(new, chunks=250)).compute(),
                               local.transform(new))
    assert km.score(new) == pytest.approx(local.score(new))


def test_uneven_and_empty_chunks(client: distributed.Client, X: np.ndarray) -> None:
    init = X[:12].copy()
    reference = KMeans(12, init=init).fit(X)
    Xd = da.from_array(X, chunks=((1000, 0, 1, 2999), (2, 3)))
    km = KMeans(12, init=init).fit(Xd)
    np.testing.assert_allclose(km.cluster_centers_, reference.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(km.labels_.compute(), reference.labels_.compute())
    assert km.n_iter_ == reference.n_iter_
    assert KMeans(12, random_state=0).fit(Xd).labels_.compute().shape == (4000,)


def test_synchronous_scheduler_without_cluster(X: np.ndarray) -> None:
    init = X[:12].copy()
    local = quickmeans.KMeans(12, init=init, n_init=1).fit(X)
    with dask.config.set(scheduler="synchronous"):
        km = KMeans(12, init=init).fit(da.from_array(X, chunks=800))
        labels = km.labels_.compute()
    np.testing.assert_array_equal(labels, local.labels_)
    assert km.n_iter_ == local.n_iter_


def test_numpy_input_and_random_state_determinism(client: distributed.Client,
                                                  X: np.ndarray) -> None:
    for init in ("k-means||", "k-means++", "random"):
        a = KMeans(12, init=init, random_state=5).fit(X)
        with dask.config.set(scheduler="synchronous"):  # same result on another scheduler
            b = KMeans(12, init=init, random_state=5).fit(X)
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
        assert a.inertia_ == b.inertia_
        assert isinstance(a.labels_, da.Array)


def test_empty_cluster_is_relocated(client: distributed.Client) -> None:
    # A center far from every sample gets nothing: it takes the farthest sample instead.
    X = make_blobs(500, 2, 3, seed=1)
    init = np.vstack([X[:2], [[1e3, 1e3]]])
    local = quickmeans.KMeans(3, init=init, n_init=1).fit(X)
    km = KMeans(3, init=init).fit(da.from_array(X, chunks=120))
    np.testing.assert_allclose(km.cluster_centers_, local.cluster_centers_, rtol=1e-10)
    assert km.n_iter_ == local.n_iter_


def test_bad_input(X: np.ndarray) -> None:
    with pytest.raises(ValueError, match="n_samples=4000 should be >= n_clusters=5000"):
        KMeans(5000).fit(X)
    with pytest.raises(ValueError, match="'init' parameter"):
        KMeans(init="kmeans").fit(X)
    with pytest.raises(ValueError, match="oversampling_factor"):
        KMeans(oversampling_factor=0).fit(X)
    with pytest.raises(ValueError, match="does not match the number of clusters"):
        KMeans(3, init=X[:2]).fit(X)
    with pytest.raises(ValueError, match="Expected a 2D"):
        KMeans(2).fit(da.ones(10, chunks=5))
    bad = X.copy()
    bad[3001, 2] = np.nan
    with dask.config.set(scheduler="synchronous"), pytest.raises(ValueError, match="NaN"):
        KMeans(2).fit(da.from_array(bad, chunks=1000))
    with dask.config.set(scheduler="synchronous"), pytest.raises(ValueError, match="Negative"):
        KMeans(2).fit(X, sample_weight=da.from_array(-np.ones(len(X)), chunks=1000))
    km = KMeans(2, random_state=0)
    with pytest.raises(quickmeans._compat.NotFittedError):
        km.predict(X)
    with dask.config.set(scheduler="synchronous"):
        km.fit(X)
    with pytest.raises(ValueError, match="X has 3 features"):
        km.predict(X[:, :3])


def test_chunk_tasks_are_pure(X: np.ndarray) -> None:
    # distributed re-runs a task whose worker died: the rerun must see and return the same.
    from quickmeans.dask import _tasks as qd

    x, w = X[:500].copy(), np.linspace(0.5, 1.5, 500)
    centers = X[-4:].copy()
    inputs = [a.copy() for a in (x, w, centers)]
    state = qd._chunk_nearest(x, None, centers[:2], 0, 1)
    for task, args in [
        (qd._chunk_assign, (x, w, centers, 1)),
        (qd._chunk_nearest, (x, state, centers[2:], 2, 1)),
        (qd._chunk_oversample, (x, w, state, 100.0, 8.0, 3)),
        (qd._chunk_farthest, (x, w, centers, 3, 1000, 1)),
    ]:
        first, again = task(*args), task(*args)
        for a, b in zip(first, again):
            np.testing.assert_array_equal(a, b)
    for before, after in zip(inputs, (x, w, centers)):
        np.testing.assert_array_equal(before, after)


# A worker killed on purpose leaves its sockets to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_worker_dying_mid_fit_does_not_change_the_result(client: distributed.Client) -> None:
    # distributed re-runs the tasks (and recomputes the persisted chunks) a dead worker
    # held; pure tasks and a driver-side reduction make the result the same. (Last in the
    # module: the nanny replaces the worker, but nothing after this needs the cluster.)
    import os
    import threading
    import time

    X = make_blobs(100_000, 8, 16, seed=9)  # small enough to travel inside the graph
    init = X[:16].copy()
    local = quickmeans.KMeans(16, init=init, n_init=1, max_iter=200, tol=0).fit(X)
    result: dict = {}
    fit = threading.Thread(target=lambda: result.update(
        km=KMeans(16, init=init, max_iter=200, tol=0).fit(da.from_array(X, chunks=(10_000, 8)))))
    fit.start()
    time.sleep(1.0)
    assert fit.is_alive()  # killed mid-fit, not after
    victim = sorted(client.scheduler_info()["workers"])[0]
    try:
        client.run(os._exit, 1, workers=[victim])
    except Exception:  # the worker dies before it can answer
        pass
    fit.join(timeout=120)
    assert victim not in client.scheduler_info()["workers"]
    km = result["km"]
    np.testing.assert_array_equal(km.labels_.compute(scheduler="sync"), local.labels_)
    np.testing.assert_allclose(km.cluster_centers_, local.cluster_centers_, rtol=1e-10,
                               atol=1e-10)
    assert km.n_iter_ == local.n_iter_


def unaligned(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` starting one byte past an aligned address, as dask can deserialise it."""
    buffer = np.zeros(a.nbytes + 1, dtype=np.uint8)
    out = np.frombuffer(buffer.data, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    assert not out.flags.aligned
    return out


def test_chunk_tasks_take_unaligned_arrays(X: np.ndarray) -> None:
    # Found by the sanitizer build: worker-side chunks reached the engine unaligned (UB).
    from quickmeans.dask import _tasks

    centers, w = X[:12].copy(), np.linspace(0.5, 2.0, len(X))
    expected = _tasks._chunk_assign(X, w, centers, 1)
    got = _tasks._chunk_assign(unaligned(X), unaligned(w), unaligned(centers), 1)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_tasks._chunk_predict(unaligned(X), unaligned(centers), 1),
                                  _tasks._chunk_predict(X, centers, 1))
    with pytest.raises(TypeError, match="aligned"):  # the engine's own guard
        quickmeans._core.all_finite(unaligned(X), 1)


# -- spherical=True: against the single-process SphericalKMeans and by hand ---------------


def cosines(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    return Xn.astype(np.float64) @ centers.astype(np.float64).T


# 2^-540 (the same directions): rows and init whose squares underflow.
@pytest.mark.parametrize(("dtype", "scale"),
                         [(np.float64, 1.0), (np.float32, 1.0), (np.float64, 2.0**-540)])
def test_spherical_same_run_as_sphericalkmeans_from_the_same_init(dtype, scale) -> None:
    X = directions(3000, 8, 6, seed=1, dtype=dtype, noise=0.5)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(X))
    init = X[:6].copy()
    local = SphericalKMeans(6, init=init, n_init=1).fit(X, sample_weight=w)
    with dask.config.set(scheduler="synchronous"):
        km = KMeans(6, init=init * scale, spherical=True).fit(
            da.from_array(X * scale, chunks=(700, 8)), sample_weight=da.from_array(w, chunks=700))
        labels = km.labels_.compute()
    np.testing.assert_array_equal(labels, local.labels_)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(km.cluster_centers_, local.cluster_centers_, atol=tol)
    assert km.inertia_ == pytest.approx(local.inertia_, rel=tol)
    assert km.n_iter_ == local.n_iter_
    assert km.cluster_centers_.dtype == dtype


def test_spherical_objective_transform_predict_score_by_hand(client) -> None:
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


def test_spherical_bad_parameters_and_init() -> None:
    X = da.from_array(directions(200, 4, 2, seed=4, noise=0.5), chunks=100)
    with pytest.raises(ValueError, match="'spherical' parameter"):
        KMeans(2, spherical="yes").fit(X)
    with pytest.raises(ValueError, match="all zeros"):
        KMeans(2, init=np.array([[1.0, 0, 0, 0], [0.0] * 4]), spherical=True).fit(X)
