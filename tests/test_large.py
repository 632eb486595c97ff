"""64-bit sizes: a memory-mapped X with more than 2^31 elements is fitted correctly.

Marked slow (an 8.6 GB file, a few minutes): left out of CI by the default `-m "not slow"`;
run it with `pytest -m slow tests/test_large.py`. The data is three groups of rows, the last
lying wholly past element 2^31, so any 32-bit offset (row * n_features) that wraps would
read the wrong rows or crash; the oracle is NumPy, chunk by chunk, in float64.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quickmeans import KMeans

N_FEATURES = 64
FIRST_ROW_PAST_2_31 = 2**31 // N_FEATURES  # row whose first element has index 2^31
BOUNDS = (0, 10_000_000, FIRST_ROW_PAST_2_31, FIRST_ROW_PAST_2_31 + 1_000_003)
CHUNK = 1 << 20


def group_means() -> np.ndarray:
    means = np.zeros((3, N_FEATURES), dtype=np.float32)
    means[1, 0], means[2, 1] = 100.0, 100.0  # groups 100 apart, the noise has sigma 1
    return means


def write_groups(path: Path) -> np.memmap:
    n = BOUNDS[-1]
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, N_FEATURES))
    means = group_means()
    group = np.searchsorted(BOUNDS, np.arange(n), side="right") - 1
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        noise = np.random.default_rng(start).standard_normal((stop - start, N_FEATURES),
                                                            dtype=np.float32)
        X[start:stop] = means[group[start:stop]] + noise
    X.flush()
    del X
    return np.load(path, mmap_mode="r")


@pytest.mark.slow
def test_fit_predict_past_2_31_elements(tmp_path: Path) -> None:
    X = write_groups(tmp_path / "large.npy")
    assert X.size > 2**31 and not X.flags.writeable
    model = KMeans(3, init=group_means(), n_init=1, max_iter=20, tol=0).fit(X)

    expected = np.repeat(np.arange(3), np.diff(BOUNDS))
    assert np.array_equal(model.labels_, expected)
    sums = np.zeros((3, N_FEATURES))
    for j in range(3):
        for start in range(BOUNDS[j], BOUNDS[j + 1], CHUNK):
            stop = min(start + CHUNK, BOUNDS[j + 1])
            sums[j] += X[start:stop].sum(axis=0, dtype=np.float64)
    centers = sums / np.diff(BOUNDS)[:, None]
    np.testing.assert_allclose(model.cluster_centers_, centers, rtol=0, atol=1e-4)
    inertia = 0.0
    for start in range(0, len(X), CHUNK):
        block = X[start:start + CHUNK].astype(np.float64)
        inertia += ((block - model.cluster_centers_[expected[start:start + CHUNK]]) ** 2).sum()
    assert model.inertia_ == pytest.approx(inertia, rel=1e-6)

    labels = model.predict(X)
    assert np.array_equal(labels, expected)
    tail = X[FIRST_ROW_PAST_2_31:]
    np.testing.assert_allclose(model.transform(tail).min(axis=1) ** 2,
                               ((tail - model.cluster_centers_[2]) ** 2).sum(axis=1),
                               rtol=1e-4)
