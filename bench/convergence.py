"""Time to convergence and how cost grows: ``python bench/run.py --cases convergence,scaling``.

Convergence: every algorithm of quickmeans and scikit-learn from one shared k-means++ init,
default tol, run until it stops; the same iterations (n_iter is reported and checked), so
the ratios are those of whole fits a user waits for. The default is what
``quickmeans.KMeans(n_clusters=k)`` runs ('auto').

Scaling: time per iteration of quickmeans' default and of Lloyd at fixed iterations while
n doubles (and, separately, k doubles); linear growth keeps the per-unit time flat.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.cases import blobs
from bench.measure import log, settle


@dataclass(frozen=True)
class ConvergenceCase:
    id: str
    n: int
    d: int
    k: int
    dtype: str
    #: Blob spread: overlapping blobs make the dozens of iterations real fits take.
    std: float

    @property
    def title(self) -> str:
        return f"{self.n // 1000}k x {self.d} {self.dtype}, k={self.k}"


CONVERGENCE = (
    ConvergenceCase("C1", 1_000_000, 8, 16, "float64", 4.0),
    ConvergenceCase("C2", 200_000, 32, 64, "float32", 2.5),
    ConvergenceCase("C3", 500_000, 16, 100, "float32", 2.0),
)
CONVERGENCE_QUICK = (
    ConvergenceCase("C1", 50_000, 8, 16, "float64", 4.0),
    ConvergenceCase("C3", 30_000, 16, 50, "float32", 2.0),
)
#: (library, algorithm) pairs timed per case; ("quickmeans", "default") is the constructor's.
VARIANTS = (("quickmeans", "default"), ("quickmeans", "lloyd"), ("quickmeans", "elkan"),
            ("quickmeans", "hamerly"), ("sklearn", "lloyd"), ("sklearn", "elkan"))


def _estimator(library: str, algorithm: str, k: int, init: np.ndarray, threads: int) -> Any:
    if library == "quickmeans":
        import quickmeans

        extra = {} if algorithm == "default" else {"algorithm": algorithm}
        return quickmeans.KMeans(k, init=init, n_init=1, n_threads=threads, **extra)
    from sklearn.cluster import KMeans

    return KMeans(k, init=init, n_init=1, algorithm=algorithm)


def run_convergence(threads: int, repeats: int, quick: bool) -> dict[str, Any]:
    import quickmeans

    results = []
    for case in CONVERGENCE_QUICK if quick else CONVERGENCE:
        X = blobs(case.n, case.d, case.k, case.dtype, seed=0, std=case.std)
        init = quickmeans.kmeans_plusplus(X, case.k, random_state=0)[0]
        times: dict[tuple[str, str], list[float]] = {v: [] for v in VARIANTS}
        fitted: dict[tuple[str, str], Any] = {}
        for r in range(repeats):  # interleaved: noise spreads over every variant
            for library, algorithm in VARIANTS:
                log(f"[convergence] {case.id} {library} {algorithm} repeat {r + 1}")
                model = _estimator(library, algorithm, case.k, init, threads)
                settle()
                start = time.perf_counter()
                model.fit(X)
                times[(library, algorithm)].append(time.perf_counter() - start)
                fitted[(library, algorithm)] = model
        medians = {v: statistics.median(t) for v, t in times.items()}
        fastest_sklearn = min(medians[("sklearn", a)] for a in ("lloyd", "elkan"))
        rows = []
        for (library, algorithm), seconds in medians.items():
            model = fitted[(library, algorithm)]
            rows.append({
                "library": library, "algorithm": algorithm, "seconds": seconds,
                "times": times[(library, algorithm)], "n_iter": int(model.n_iter_),
                "inertia": float(model.inertia_),
                "vs_fastest_sklearn": fastest_sklearn / seconds,
                "vs_sklearn_elkan": medians[("sklearn", "elkan")] / seconds,
            })
        results.append({"case": case.id, "title": case.title, "std": case.std, "rows": rows})
    return {"threads": threads, "repeats": repeats, "cases": results}


def convergence_table(payload: dict[str, Any]) -> str:
    lines = ["| case | library | algorithm | seconds | n_iter | × fastest sklearn | "
             "× sklearn elkan |", "|---|---|---|--:|--:|--:|--:|"]
    for case in payload["cases"]:
        for row in case["rows"]:
            lines.append(
                f"| {case['case']} {case['title']} | {row['library']} | {row['algorithm']} | "
                f"{row['seconds']:.3f} | {row['n_iter']} | {row['vs_fastest_sklearn']:.2f} | "
                f"{row['vs_sklearn_elkan']:.2f} |")
    return "\n".join(lines)


def run_scaling(threads: int, repeats: int, quick: bool) -> dict[str, Any]:
    import quickmeans

    base_n, d, base_k = (60_000, 16, 25) if quick else (250_000, 16, 50)
    steps = [(base_n * 2**i, base_k) for i in range(3)] + [(base_n, base_k * 2**i)
                                                          for i in range(1, 3)]
    rows = []
    for n, k in steps:
        X = blobs(n, d, k, "float32", seed=1, std=2.0)
        init = quickmeans.kmeans_plusplus(X, k, random_state=0)[0]
        for label, kwargs in (("default", {}),
                              ("lloyd, 10 iterations", {"algorithm": "lloyd", "tol": 0.0,
                                                        "max_iter": 10})):
            per_iter = []
            for _ in range(repeats):
                log(f"[scaling] n={n} k={k} {label}")
                model = quickmeans.KMeans(k, init=init, n_init=1, n_threads=threads, **kwargs)
                settle()
                start = time.perf_counter()
                model.fit(X)
                per_iter.append((time.perf_counter() - start) / model.n_iter_)
            rows.append({"n": n, "k": k, "d": d, "variant": label,
                         "seconds_per_iter": statistics.median(per_iter),
                         "n_iter": int(model.n_iter_)})
    for row in rows:  # per unit of n*k, relative to the base shape of the same variant
        base = next(r for r in rows if r["variant"] == row["variant"] and r["n"] == base_n
                    and r["k"] == base_k)
        growth = (row["n"] * row["k"]) / (base_n * base_k)
        row["relative_cost_per_unit"] = row["seconds_per_iter"] / base["seconds_per_iter"] / growth
    return {"threads": threads, "repeats": repeats, "rows": rows}


def scaling_table(payload: dict[str, Any]) -> str:
    lines = ["| n | k | variant | ms / iteration | n_iter | cost per n·k vs base |",
             "|--:|--:|---|--:|--:|--:|"]
    for r in payload["rows"]:
        lines.append(f"| {r['n']} | {r['k']} | {r['variant']} | {r['seconds_per_iter'] * 1e3:.2f} "
                     f"| {r['n_iter']} | {r['relative_cost_per_unit']:.2f} |")
    return "\n".join(lines)


def scaling_chart(payload: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = payload["rows"]
    base_k = min(r["k"] for r in rows)
    base_n = min(r["n"] for r in rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, fixed, fixed_key in ((axes[0], "n", base_k, "k"), (axes[1], "k", base_n, "n")):
        for variant in sorted({r["variant"] for r in rows}):
            pts = sorted((r[key], r["seconds_per_iter"] * 1e3) for r in rows
                         if r["variant"] == variant and r[fixed_key] == fixed)
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", label=variant)
            ax.plot(xs, [ys[0] * x / xs[0] for x in xs], linestyle=":", color="grey")
        ax.set_xlabel(key)
        ax.set_ylabel("ms per iteration")
        ax.set_title(f"doubling {key} ({fixed_key}={fixed}); dotted: linear")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
