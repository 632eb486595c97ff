"""k-means++ seeding against scikit-learn: ``python bench/seeding.py [--n N] [--repeats R]``.

Median of R timed calls of quickmeans' engine seeding and of sklearn.cluster.kmeans_plusplus
on the same blobs (bench.cases.blobs), with all usable threads and with one thread each
(threadpoolctl for scikit-learn, n_threads for quickmeans). Prints the times and ratios,
whether scikit-learn picks the same seeds (near ties may go either way, see below), and
whether quickmeans picks the same seeds as quickmeans.reference, the NumPy oracle that
computes every distance (~10 s; --no-reference skips it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cases import blobs  # noqa: E402


def median_seconds(call: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500_000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-sklearn", action="store_true", help="time quickmeans only")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip the seeds' check against quickmeans.reference")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from quickmeans._init import n_local_trials_default, run_kmeans_plusplus

    X = blobs(args.n, args.d, args.k, np.dtype(args.dtype), seed=0)
    trials = n_local_trials_default(args.k)
    all_threads = len(os.sched_getaffinity(0))

    def ours(threads: int) -> np.ndarray:
        rng = np.random.RandomState(0)
        return run_kmeans_plusplus(X, args.k, None, rng, threads, trials)[1]

    print(f"{args.n} x {args.d} {args.dtype}, k={args.k}, trials={trials}, "
          f"median of {args.repeats}")
    for threads in (all_threads, 1):
        qm = median_seconds(lambda t=threads: ours(t), args.repeats)
        line = f"threads={threads}: quickmeans {qm:.3f} s"
        if not args.no_sklearn:
            from sklearn.cluster import kmeans_plusplus

            with threadpool_limits(threads):
                sk = median_seconds(lambda: kmeans_plusplus(X, args.k, random_state=0),
                                    args.repeats)
                same = np.array_equal(kmeans_plusplus(X, args.k, random_state=0)[1], ours(threads))
            # scikit-learn's distances come from the expansion, so near ties may go the
            # other way: the seeds can differ (quickmeans follows quickmeans.reference).
            line += f", sklearn {sk:.3f} s, ratio {sk / qm:.1f}x, same seeds as sklearn: {same}"
        print(line, flush=True)
    if not args.no_reference:
        from quickmeans import reference

        expected = reference.kmeans_plusplus(X, args.k, random_state=np.random.RandomState(0),
                                             n_local_trials=trials)[1]
        same = all(np.array_equal(ours(t), expected) for t in (all_threads, 1))
        print(f"same seeds as quickmeans.reference (every distance, NumPy): {same}")


if __name__ == "__main__":
    main()
