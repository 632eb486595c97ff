"""GEMM peak: numpy matmul GFLOP/s per dtype, the yardstick for the k-means kernels."""

from __future__ import annotations

import time
from typing import Any

import numpy as np


def _matmul_seconds(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> float:
    start = time.perf_counter()
    np.matmul(a, b, out=out)
    return time.perf_counter() - start


def gemm_peak(dtype: str, target_seconds: float = 1.0, max_n: int = 4096,
              repeats: int = 5) -> dict[str, Any]:
    """Peak GFLOP/s of an n x n @ n x n matmul in ``dtype`` (2 n^3 flops).

    n is chosen from a 512 probe so that one product takes about ``target_seconds``
    (a multiple of 256, at most ``max_n``); the BLAS threads are whatever the caller set.
    A ceiling should not be lowered by a noisy neighbour, so this is the best of
    ``repeats`` products, not their median (the k-means times it is compared with
    are medians: the % of peak they report errs low).
    """
    rng = np.random.default_rng(0)
    probe_n = min(512, max_n)
    a = rng.standard_normal((probe_n, probe_n)).astype(dtype)
    out = np.empty_like(a)
    _matmul_seconds(a, a, out)
    probe = min(_matmul_seconds(a, a, out) for _ in range(3))
    scale = (target_seconds / max(probe, 1e-6)) ** (1.0 / 3.0)
    n = int(min(max_n, max(256, round(probe_n * scale / 256) * 256)))

    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty_like(a)
    _matmul_seconds(a, b, out)  # warm-up
    times = [_matmul_seconds(a, b, out) for _ in range(max(1, repeats))]
    seconds = min(times)
    return {
        "dtype": dtype,
        "n": n,
        "seconds": seconds,
        "times": times,
        "gflops": 2.0 * n**3 / seconds / 1e9,
    }
