"""Peak memory of one fit, measured in a fresh child process.

The child makes X (C-contiguous, block by block so that making it costs about its size),
resets the kernel's peak-RSS mark (``/proc/self/clear_refs``, where allowed), fits, and
reports its peak RSS (VmHWM) minus the RSS it had right before the fit. A growth well
below the size of X shows that the fit made no copy of X. With ``--density`` X is a
scipy.sparse CSR matrix instead (``cases.sparse_blobs``; init stays dense), and the size
of X is that of its data, indices and indptr arrays.

Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux folds into it the peak of the process
image that exec replaced, and subprocess spawns through vfork, so a child started by a
large parent inherits the parent's peak. VmHWM belongs to the child's own address space.
``ru_maxrss`` is still recorded in the JSON, and is the fallback without /proc.

Run as ``python -m bench.memory --library quickmeans --dtype float32 ...`` (child side).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def _status_kib(field: str) -> int | None:
    """A KiB field of /proc/self/status (VmRSS, VmHWM), None without /proc."""
    try:
        with open("/proc/self/status") as status:
            match = re.search(rf"{field}:\s+(\d+)", status.read())
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _rss_kib() -> int:
    """Current resident set size in KiB (VmRSS; peak-so-far without /proc)."""
    rss = _status_kib("VmRSS")
    return rss if rss is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_kib() -> int:
    """Peak resident set size in KiB since start or the last reset (VmHWM)."""
    hwm = _status_kib("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> bool:
    """Set the peak-RSS mark to the current RSS; False when the kernel does not let us."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def child(library: str, dtype: str, n: int, d: int, k: int, max_iter: int,
          threads: int, density: float | None = None) -> dict[str, Any]:
    """Measure in this process (call it in a fresh one): returns the numbers as a dict."""
    import warnings

    import numpy as np

    from bench.cases import blobs, init_rows, sparse_blobs, sparse_nbytes

    def make_x(rows: int, seed: int) -> Any:
        if density is None:
            return blobs(rows, d, k, np.dtype(dtype), seed=seed)
        return sparse_blobs(rows, d, k, density, np.dtype(dtype), seed=seed)

    warnings.simplefilter("ignore")
    if library == "quickmeans":
        from quickmeans import KMeans

        def make(init: np.ndarray, iters: int) -> Any:
            return KMeans(init.shape[0], init=init, n_init=1, max_iter=iters, tol=0.0,
                          n_threads=threads)
    elif library == "sklearn":
        from sklearn.cluster import KMeans as SkKMeans

        def make(init: np.ndarray, iters: int) -> Any:
            return SkKMeans(init.shape[0], init=init, n_init=1, max_iter=iters, tol=0.0)
    else:
        raise SystemExit(f"unknown library {library!r}")

    # Warm up: loads the code, starts the thread pool and touches its stacks.
    small = make_x(2000, seed=1)
    make(init_rows(small, k), 2).fit(small)
    del small

    X = make_x(n, seed=3)
    x_bytes = int(X.nbytes) if density is None else sparse_nbytes(X)
    init = init_rows(X, k, 3)
    reset = _reset_peak()
    before = _rss_kib()
    before_peak = _peak_kib()
    model = make(init, max_iter).fit(X)
    after_peak = _peak_kib()
    growth = max(0, after_peak - before) * 1024
    return {
        "library": library,
        "dtype": dtype,
        "n": n,
        "d": d,
        "k": k,
        "density": density,
        "max_iter": max_iter,
        "n_iter": int(model.n_iter_),
        "x_bytes": x_bytes,
        "labels_bytes": 4 * n,
        "rss_before_bytes": before * 1024,
        "peak_before_fit_bytes": before_peak * 1024,
        "peak_after_fit_bytes": after_peak * 1024,
        "ru_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_growth_bytes": int(growth),
        "peak_mark_reset": reset,
        "growth_over_x": growth / x_bytes,
        "copy_of_x": bool(growth >= 0.5 * x_bytes),
    }


def measure(library: str, dtype: str, n: int, d: int, k: int, max_iter: int,
            threads: int, density: float | None = None) -> dict[str, Any]:
    """Run ``child`` in a fresh interpreter (same venv) and return its dict."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "bench.memory", "--library", library, "--dtype", dtype,
           "--n", str(n), "--d", str(d), "--k", str(k), "--max-iter", str(max_iter),
           "--threads", str(threads)]
    if density is not None:
        cmd += ["--density", repr(density)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        return {"library": library, "dtype": dtype, "n": n, "d": d, "k": k, "density": density,
                "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Child entry point: print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", required=True)
    parser.add_argument("--dtype", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--d", type=int, required=True)
    parser.add_argument("--k", type=int, required=True)
    parser.add_argument("--max-iter", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--density", type=float, default=None,
                        help="make X a scipy.sparse CSR matrix with this density")
    args = parser.parse_args(argv)
    result = child(args.library, args.dtype, args.n, args.d, args.k, args.max_iter,
                   args.threads, args.density)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
