"""SphericalKMeans benchmark: ``python bench/spherical.py [--quick] [--repeats 3] [--sklearn]``.

1. Dense embeddings: 200k x 384 unit-norm float32 vectors (100 directions + noise,
   normalised), k=100, 25 iterations. quickmeans.SphericalKMeans(max_iter=25, tol=0)
   against ``faiss.Kmeans(d, k, niter=25, spherical=True)`` with every point used
   (max_points_per_centroid large). Two rows: (a) both from the same random rows
   (``init_centroids`` for FAISS, ``init=`` for us), so the iterations are compared like
   for like; (b) our default k-means++ init, whole fit. FAISS's time is ``train`` only
   (its labels need another search; ours include labels_). ``--sklearn`` adds
   scikit-learn's KMeans on the same rows (slow).
2. Sparse TF-IDF-like CSR (bench/cases.py's S1: 50k x 30k, density 0.002, k=20, rows
   L2-normalised): SphericalKMeans against scikit-learn's KMeans on the same rows from the
   same init rows, each run to convergence with its default tol.

Quality is the mean cosine of each row to the center of maximum cosine among the returned
centers (normalised), the same computation for every library. Threads: 2 for all. Median
of interleaved repeats; prints a markdown table; writes ``<out>/spherical.json``. The
machine may be shared: read ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cases import CHUNK_ROWS, init_rows, sparse_blobs  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
THREADS = 2


def unit_directions(n: int, d: int, k: int, noise: float, seed: int) -> np.ndarray:
    """float32 rows: one of k random directions plus Gaussian noise of expected length
    ``noise``, normalised to unit norm. Generated block by block (no float64 copy)."""
    rng = np.random.default_rng(seed)
    axes = rng.standard_normal((k, d)).astype(np.float32)
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, CHUNK_ROWS):
        block = X[start:start + CHUNK_ROWS]
        rng.standard_normal(out=block, dtype=np.float32)
        block *= np.float32(noise / np.sqrt(d))
        block += axes[rng.integers(0, k, len(block))]
        block /= np.linalg.norm(block, axis=1, keepdims=True)
    return X


def mean_cosine(X: Any, centers: np.ndarray) -> float:
    """Mean over rows of the best cosine to the (normalised) centers; rows are unit."""
    C = np.asarray(centers, dtype=np.float32)
    C = C / np.linalg.norm(C, axis=1, keepdims=True)
    best = []
    for start in range(0, X.shape[0], 16384):
        best.append(np.asarray(X[start:start + 16384] @ C.T).max(axis=1))
    return float(np.mean(np.concatenate(best)))


def timed(fit: Callable[[], np.ndarray], repeats_out: list[float]) -> np.ndarray:
    time.sleep(0.5)  # let the other library's spinning OpenMP workers go idle
    start = time.perf_counter()
    centers = fit()
    repeats_out.append(time.perf_counter() - start)
    return centers


def dense_case(n: int, d: int, k: int, iters: int, repeats: int, seed: int,
               with_sklearn: bool) -> list[dict[str, Any]]:
    import faiss

    import quickmeans

    faiss.omp_set_num_threads(THREADS)
    X = unit_directions(n, d, k, noise=1.3, seed=seed)
    init = X[np.random.RandomState(seed).choice(n, k, replace=False)].copy()

    def ours(init_: Any) -> Callable[[], np.ndarray]:
        return lambda: quickmeans.SphericalKMeans(
            k, init=init_, max_iter=iters, tol=0, random_state=seed, n_threads=THREADS
        ).fit(X).cluster_centers_

    def theirs(init_: np.ndarray | None) -> Callable[[], np.ndarray]:
        def fit() -> np.ndarray:
            km = faiss.Kmeans(d, k, niter=iters, spherical=True, seed=seed,
                              max_points_per_centroid=n, verbose=False)
            km.train(X, init_centroids=init_)
            return km.centroids
        return fit

    libraries: dict[str, dict[str, Callable[[], np.ndarray]]] = {
        "same random init": {"quickmeans": ours(init), "faiss": theirs(init)},
        "own init": {"quickmeans": ours("k-means++"), "faiss": theirs(None)},
    }
    if with_sklearn:
        import sklearn.cluster
        from threadpoolctl import threadpool_limits

        def sk() -> np.ndarray:
            with threadpool_limits(THREADS):
                return sklearn.cluster.KMeans(k, init=init, n_init=1, max_iter=iters, tol=0,
                                              random_state=seed).fit(X).cluster_centers_
        libraries["same random init"]["sklearn"] = sk
    rows = []
    for variant, fits in libraries.items():
        times: dict[str, list[float]] = {name: [] for name in fits}
        centers: dict[str, np.ndarray] = {}
        for _ in range(repeats):
            for name, fit in fits.items():
                centers[name] = timed(fit, times[name])
        seconds = {name: statistics.median(t) for name, t in times.items()}
        rows.append({
            "case": f"dense {n} x {d} f32, k={k}, {iters} iterations, {variant}",
            "seconds": seconds, "times": times,
            "mean_cosine": {name: mean_cosine(X, c) for name, c in centers.items()},
            "speedup": {name: seconds[name] / seconds["quickmeans"] for name in fits
                        if name != "quickmeans"},
        })
    return rows


def sparse_case(n: int, d: int, k: int, density: float, repeats: int,
                seed: int) -> dict[str, Any]:
    import sklearn.cluster
    from threadpoolctl import threadpool_limits

    import quickmeans

    X = sparse_blobs(n, d, k, density, np.float64, seed=seed)  # rows are L2-normalised
    init = init_rows(X, k, seed)
    fits: dict[str, Callable[[], Any]] = {
        "quickmeans": lambda: quickmeans.SphericalKMeans(k, init=init,
                                                         n_threads=THREADS).fit(X),
        "sklearn": lambda: sklearn.cluster.KMeans(k, init=init, n_init=1).fit(X),
    }
    times: dict[str, list[float]] = {name: [] for name in fits}
    models: dict[str, Any] = {}
    for _ in range(repeats):
        for name, fit in fits.items():
            time.sleep(0.5)
            with threadpool_limits(THREADS):
                start = time.perf_counter()
                models[name] = fit()
                times[name].append(time.perf_counter() - start)
    seconds = {name: statistics.median(t) for name, t in times.items()}
    return {
        "case": f"CSR {n} x {d}, density {density:g}, k={k}, f64, to convergence, same init",
        "seconds": seconds, "times": times,
        "n_iter": {name: int(m.n_iter_) for name, m in models.items()},
        "mean_cosine": {name: mean_cosine(X, m.cluster_centers_) for name, m in models.items()},
        "speedup": {"sklearn": seconds["sklearn"] / seconds["quickmeans"]},
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| case | library | seconds (median) | mean cosine | quickmeans speed-up |",
             "|---|---|---:|---:|---:|"]
    for row in rows:
        for name, seconds in row["seconds"].items():
            speedup = "" if name == "quickmeans" else f"{row['speedup'][name]:.2f}x"
            iters = f" ({row['n_iter'][name]} it)" if "n_iter" in row else ""
            lines.append(f"| {row['case']} | {name}{iters} | {seconds:.2f} | "
                         f"{row['mean_cosine'][name]:.4f} | {speedup} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small shapes (a smoke run)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sklearn", action="store_true",
                        help="also time scikit-learn's KMeans on the dense case")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.quick:
        rows = dense_case(20_000, 64, 20, 25, args.repeats, args.seed, args.sklearn)
        rows.append(sparse_case(5_000, 10_000, 10, 0.002, args.repeats, args.seed))
    else:
        rows = dense_case(200_000, 384, 100, 25, args.repeats, args.seed, args.sklearn)
        rows.append(sparse_case(50_000, 30_000, 20, 0.002, args.repeats, args.seed))
    print(table(rows))
    args.out.mkdir(parents=True, exist_ok=True)
    name = "spherical-quick.json" if args.quick else "spherical.json"
    (args.out / name).write_text(json.dumps({"threads": THREADS, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
