"""GEMM peak: numpy matmul GFLOP/s per dtype, the yardstick for the k-means kernels.

The ceiling is the best GEMM this machine's BLAS can do. OpenBLAS picks its kernels by CPU
model, and a model newer than its table gets older ones: on a Zen 5 with AVX-512, numpy's
OpenBLAS 0.3.31 chose its Haswell (AVX2) kernels and read 251 GFLOP/s, against 472 with its
SkylakeX (AVX-512) kernels, forced by OPENBLAS_CORETYPE. So where the CPU has AVX-512 and
this process's OpenBLAS runs AVX2 kernels, the matmul is measured again in a child process
with the AVX-512 ones, and the faster of the two is the peak (``kernels`` says which).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# OpenBLAS core types whose SGEMM/DGEMM kernels use AVX-512.
_AVX512_CORETYPES = ("SKYLAKEX", "COOPERLAKE", "SAPPHIRERAPIDS")


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
        "kernels": openblas_coretype() or "the BLAS's own choice",
    }


def openblas_coretype() -> str | None:
    """The kernels numpy's OpenBLAS runs in this process (e.g. 'Haswell'), or None."""
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info.get("internal_api") == "openblas":
            return info.get("architecture")
    return None


def best_gemm_peak(dtype: str, threads: int, target_seconds: float = 1.0, max_n: int = 4096,
                   repeats: int = 5) -> dict[str, Any]:
    """gemm_peak here, and with OpenBLAS's AVX-512 kernels in a child process where this
    process runs AVX2 ones on an AVX-512 CPU (see the module's docstring): the faster."""
    from bench.machine import cpu_flags

    here = gemm_peak(dtype, target_seconds, max_n, repeats)
    coretype = openblas_coretype()
    if coretype is None or coretype.upper() in _AVX512_CORETYPES or "avx512f" not in cpu_flags():
        return here
    call = f"gemm_peak({dtype!r}, {target_seconds!r}, {max_n!r}, {repeats!r})"
    code = ("import json; from threadpoolctl import threadpool_limits; "
            "from bench.peak import gemm_peak\n"
            f"with threadpool_limits({threads}):\n"
            f"    print(json.dumps({call}))")
    env = dict(os.environ, OPENBLAS_CORETYPE="SkylakeX")
    root = str(Path(__file__).resolve().parent.parent)
    try:
        proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True,
                              text=True, timeout=600, check=True)
        forced = json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return here
    return forced if forced["gflops"] > here["gflops"] else here
