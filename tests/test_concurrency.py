"""Python threads using the engine at once get exactly what they get one at a time.

The engine releases the GIL (test_gil.py checks that it pays off), so several fits really
run together: each must keep its scratch memory, OpenMP team and stop checks to itself.

Results are compared bitwise, not to a tolerance: the engine splits work into a fixed
number of pieces and reduces them in a fixed order whatever the thread count or timing
(cpp/include/quickmeans/parallel.hpp), so a fit is a deterministic function of its input.
Any difference at all between a concurrent and a serial run is therefore shared state
leaking between calls, which a tolerance would hide.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

import numpy as np
import scipy.sparse as sp

import quickmeans
from conftest import make_blobs

T = TypeVar("T")

# Each call asks the engine for two OpenMP threads, so four Python threads oversubscribe
# the two cores: OpenMP teams of different callers have to interleave.
ENGINE_THREADS = 2
TIMEOUT = 60.0


def run_together(calls: list[Callable[[], T]]) -> list[T]:
    """Runs each call in its own thread, all released at once by a barrier; returns their
    results in order and re-raises the first exception a call raised."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            start.wait(TIMEOUT)
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: B036 - handed back to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def assert_same_fit(model: Any, reference: Any) -> None:
    np.testing.assert_array_equal(model.labels_, reference.labels_)
    np.testing.assert_array_equal(model.cluster_centers_, reference.cluster_centers_)
    assert model.cluster_centers_.dtype == reference.cluster_centers_.dtype
    assert model.inertia_ == reference.inertia_
    assert model.n_iter_ == reference.n_iter_


# -- KMeans.fit in four threads --------------------------------------------------------------

# Spread-out blobs with fewer true clusters than k: tens of iterations, not two.
X64 = make_blobs(30_000, 8, 30, seed=1, spread=4.0)
X32 = make_blobs(20_000, 16, 30, seed=2, spread=4.0, dtype=np.float32)
SPARSE32 = sp.random(20_000, 300, density=0.03, format="csr", dtype=np.float32,
                     random_state=np.random.RandomState(3))
WEIGHTS = np.random.RandomState(4).uniform(0.5, 2.0, size=len(X64))

# (data, sample_weight, KMeans parameters). The first two share one input array: the engine
# must only ever read X.
FITS: list[tuple[Any, np.ndarray | None, dict[str, Any]]] = [
    (X64, None, {"n_clusters": 20, "algorithm": "lloyd", "random_state": 0}),
    (X64, WEIGHTS, {"n_clusters": 12, "algorithm": "elkan", "random_state": 1}),
    (X32, None, {"n_clusters": 24, "algorithm": "elkan", "random_state": 2}),
    (SPARSE32, None, {"n_clusters": 10, "algorithm": "lloyd", "random_state": 3}),
]


def new_kmeans(params: dict[str, Any]) -> quickmeans.KMeans:
    # tol=0: runs stop on strict convergence or max_iter, so n_iter_ is a sharp check too.
    return quickmeans.KMeans(tol=0, max_iter=100, n_threads=ENGINE_THREADS, **params)


def test_four_fits_at_once_equal_the_same_fits_one_by_one() -> None:
    serial = [new_kmeans(p).fit(X, sample_weight=w) for X, w, p in FITS]
    assert all(m.n_iter_ > 5 for m in serial), [m.n_iter_ for m in serial]

    # The barrier in run_together only makes the calls start together; this one, reached
    # from the engine's per-iteration report, holds every fit inside the engine until all
    # four are there, so they certainly overlap (however the OS schedules the threads).
    inside = threading.Barrier(len(FITS))
    reached = [False] * len(FITS)

    def fit(i: int) -> quickmeans.KMeans:
        X, w, params = FITS[i]
        model = new_kmeans(params)

        def on_iteration(iteration: int, inertia: float) -> None:
            if iteration == 0:
                inside.wait(TIMEOUT)
                reached[i] = True

        model._progress = on_iteration  # the command line's progress hook
        return model.fit(X, sample_weight=w)

    for _ in range(5):  # several rounds: a race need not show every time
        reached[:] = [False] * len(FITS)
        inside.reset()
        concurrent = run_together([lambda i=i: fit(i) for i in range(len(FITS))])
        assert all(reached)
        for model, reference in zip(concurrent, serial):
            assert_same_fit(model, reference)


class Stop(Exception):
    pass


def test_a_fit_failing_midway_does_not_disturb_fits_in_other_threads() -> None:
    serial = [new_kmeans(p).fit(X, sample_weight=w) for X, w, p in FITS[::2]]

    def failing_fit(X: Any, params: dict[str, Any]) -> BaseException:
        model = new_kmeans(params)

        def on_iteration(iteration: int, inertia: float) -> None:
            if iteration == 1:
                raise Stop

        model._progress = on_iteration
        try:
            model.fit(X)
        except Stop as exc:
            return exc
        raise AssertionError("the callback's exception did not stop the fit")

    # Fits 0 and 2 run to the end while fits 1 and 3 (other data, dtypes and algorithms)
    # are abandoned by an exception at their second iteration.
    calls: list[Callable[[], Any]] = [
        lambda: new_kmeans(FITS[0][2]).fit(FITS[0][0]),
        lambda: failing_fit(FITS[1][0], FITS[1][2]),
        lambda: new_kmeans(FITS[2][2]).fit(FITS[2][0]),
        lambda: failing_fit(FITS[3][0], FITS[3][2]),
    ]
    for _ in range(3):
        results = run_together(calls)
        assert isinstance(results[1], Stop) and isinstance(results[3], Stop)
        assert_same_fit(results[0], serial[0])
        assert_same_fit(results[2], serial[1])


# -- one fitted model, eight threads predicting ----------------------------------------------

def test_eight_threads_predict_transform_score_on_one_model() -> None:
    X = make_blobs(5_000, 8, 16, seed=5, spread=2.0)
    model = quickmeans.KMeans(16, random_state=0, n_threads=ENGINE_THREADS).fit(X)
    centers_before = model.cluster_centers_.copy()

    # Different inputs per thread: float64, float32 (the centers are cast per call), CSR
    # and a plain list, so threads go through different engine entry points at once.
    queries = [make_blobs(3_000, 8, 16, seed=10 + i, spread=2.0) for i in range(8)]
    queries[1] = queries[1].astype(np.float32)
    queries[2] = sp.csr_matrix(np.where(queries[2] > 0, queries[2], 0.0))
    queries[3] = queries[3].astype(np.float32)[::2]  # strided: copied by validation
    queries[4] = queries[4][:50].tolist()
    queries[5] = sp.csr_matrix(np.where(queries[5] > 0, queries[5], 0.0).astype(np.float32))

    def answers(Q: Any) -> tuple[np.ndarray, np.ndarray, float]:
        return model.predict(Q), model.transform(Q), model.score(Q)

    expected = [answers(Q) for Q in queries]

    def hammer(i: int) -> int:
        for _ in range(40):
            labels, distances, score = answers(queries[i])
            np.testing.assert_array_equal(labels, expected[i][0])
            np.testing.assert_array_equal(distances, expected[i][1])
            assert distances.dtype == expected[i][1].dtype
            assert score == expected[i][2]
        return i

    assert run_together([lambda i=i: hammer(i) for i in range(len(queries))]) == list(range(8))
    # Predicting must never write to the model.
    np.testing.assert_array_equal(model.cluster_centers_, centers_before)


# -- MiniBatchKMeans.partial_fit on separate models ------------------------------------------

def test_partial_fit_on_separate_models_in_threads() -> None:
    streams = [
        make_blobs(6_000, 6, 10, seed=20, spread=3.0),
        make_blobs(6_000, 12, 10, seed=21, spread=3.0, dtype=np.float32),
        sp.csr_matrix(np.maximum(make_blobs(6_000, 40, 10, seed=22, spread=3.0), 0.0)),
        make_blobs(6_000, 6, 10, seed=23, spread=3.0),
    ]

    def stream_fit(X: Any, seed: int) -> quickmeans.MiniBatchKMeans:
        model = quickmeans.MiniBatchKMeans(8, random_state=seed, n_threads=ENGINE_THREADS)
        for start in range(0, X.shape[0], 200):  # 30 batches
            model.partial_fit(X[start:start + 200])
        return model

    serial = [stream_fit(X, seed) for seed, X in enumerate(streams)]
    for _ in range(2):
        concurrent = run_together(
            [lambda X=X, seed=seed: stream_fit(X, seed) for seed, X in enumerate(streams)]
        )
        for model, reference in zip(concurrent, serial):
            np.testing.assert_array_equal(model.cluster_centers_, reference.cluster_centers_)
            np.testing.assert_array_equal(model.labels_, reference.labels_)
            assert model.inertia_ == reference.inertia_
            assert model.n_steps_ == reference.n_steps_ == 30
