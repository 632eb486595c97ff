"""The engine releases the GIL while it computes, so Python threads fit in parallel."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

import quickmeans
from conftest import make_blobs


def fit_once(X: np.ndarray, out: list, slot: int) -> None:
    out[slot] = quickmeans.KMeans(20, init=X[:20], tol=0, max_iter=25, n_threads=1).fit(X)


def timed(threads: int, X: np.ndarray) -> float:
    results = [None] * threads
    workers = [threading.Thread(target=fit_once, args=(X, results, i)) for i in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    assert all(r is not None and r.n_iter_ == 25 for r in results)
    return elapsed


def test_two_threads_fit_at_once_in_less_than_twice_one_fit() -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.fail("this check needs two cores")
    X = make_blobs(250_000, 16, 20, seed=50, dtype=np.float32)
    # Loosely: the best of three tries, against 1.8x. Holding the GIL would give 2x or more;
    # two processes here already take ~1.4x, as the two cores share caches and clocks.
    one = min(timed(1, X) for _ in range(3))
    two = min(timed(2, X) for _ in range(3))
    assert two < 1.8 * one, (one, two)


def test_python_keeps_running_during_a_fit() -> None:
    # With the GIL held, this thread could not count while the fit runs.
    X = make_blobs(100_000, 16, 50, seed=51, dtype=np.float32)
    done = threading.Event()
    ticks = 0

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    start = time.perf_counter()
    quickmeans.KMeans(50, init=X[:50], tol=0, max_iter=40, n_threads=1).fit(X)
    elapsed = time.perf_counter() - start
    done.set()
    counter.join()
    assert elapsed > 0.05
    # At least a tenth of the ticks an idle interpreter would manage.
    assert ticks > 0.1 * elapsed / 0.001, (ticks, elapsed)
