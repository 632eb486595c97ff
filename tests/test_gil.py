"""The engine releases the GIL while it computes, so other Python threads keep running.

(How much two fits in threads gain is a speed question for bench/, not a test: on a shared
machine it fails for reasons of its own. tests/test_concurrency.py checks their results.)
"""

from __future__ import annotations

import threading
import time

import numpy as np

import quickmeans
from conftest import make_blobs


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
    # Lloyd (every distance, every iteration), so that the fit lasts well beyond the 50 ms
    # the test needs whatever the bound-based algorithms would save.
    quickmeans.KMeans(50, init=X[:50], tol=0, max_iter=100, n_threads=1,
                      algorithm="lloyd").fit(X)
    elapsed = time.perf_counter() - start
    done.set()
    counter.join()
    assert elapsed > 0.05
    # At least a tenth of the ticks an idle interpreter would manage.
    assert ticks > 0.1 * elapsed / 0.001, (ticks, elapsed)
