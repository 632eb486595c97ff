"""BisectingKMeans benchmark: ``python bench/bisecting.py [--quick] [--repeats 3]``.

quickmeans.BisectingKMeans against scikit-learn's on 500k x 16 float32 blobs, k=100, with
the same parameters and random_state (default init='random', n_init=1), for each bisecting
strategy: median fit time over interleaved repeats, the speed-up, each model's inertia and
their ratio, and how many labels agree. Prints a markdown table; writes
``<out>/bisecting.json``. The machine may be shared: read ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cases import blobs  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
STRATEGIES = ("biggest_inertia", "largest_cluster")


def compare(X: np.ndarray, k: int, strategy: str, repeats: int, seed: int) -> dict[str, Any]:
    import sklearn.cluster

    import quickmeans

    libraries = {"quickmeans": quickmeans.BisectingKMeans,
                 "sklearn": sklearn.cluster.BisectingKMeans}
    times: dict[str, list[float]] = {name: [] for name in libraries}
    models: dict[str, Any] = {}
    for _ in range(repeats):  # interleaved: noise on a shared machine hits both
        for name, estimator in libraries.items():
            time.sleep(0.5)  # let the other library's spinning OpenMP workers go idle
            start = time.perf_counter()
            models[name] = estimator(k, random_state=seed, bisecting_strategy=strategy).fit(X)
            times[name].append(time.perf_counter() - start)
    ours, theirs = models["quickmeans"], models["sklearn"]
    median = {name: statistics.median(t) for name, t in times.items()}
    return {
        "strategy": strategy,
        "seconds": median,
        "times": times,
        "speedup": median["sklearn"] / median["quickmeans"],
        "inertia": {"quickmeans": ours.inertia_, "sklearn": theirs.inertia_},
        "inertia_ratio": ours.inertia_ / theirs.inertia_,
        "same_labels": float(np.mean(ours.labels_ == theirs.labels_)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bisecting.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50k x 16, k=20 (~10 s)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    n, d, k = (50_000, 16, 20) if args.quick else (500_000, 16, 100)
    X = blobs(n, d, k, dtype=np.float32, seed=args.seed)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's MKL/vcomp notes are not results
        for strategy in args.strategies.split(","):
            print(f"{strategy} ...", file=sys.stderr)
            rows.append(compare(X, k, strategy, args.repeats, args.seed))

    print(f"\nBisectingKMeans, {n} x {d} float32, k={k}, median of {args.repeats}\n")
    print("| strategy | quickmeans s | sklearn s | x sklearn | inertia ratio | same labels |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['strategy']} | {row['seconds']['quickmeans']:.3f} | "
              f"{row['seconds']['sklearn']:.3f} | {row['speedup']:.1f} | "
              f"{row['inertia_ratio']:.6f} | {100 * row['same_labels']:.2f}% |")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"shape": [n, d], "k": k, "dtype": "float32", "repeats": args.repeats,
              "rows": rows}
    (args.out / "bisecting.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
