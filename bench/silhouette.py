"""silhouette_score, quickmeans vs scikit-learn: ``python bench/silhouette.py [--n 20000]``.

Gaussian blobs (n x 16, 8 clusters, labels from a quickmeans fit); median of 3 calls each,
the same data and labels; prints both times, the ratio and the difference of the scores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cases import blobs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/silhouette.py", description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from sklearn.metrics import silhouette_score as sk_silhouette

    import quickmeans

    X = blobs(args.n, 16, 8, "float64", seed=11, std=3.0)
    labels = quickmeans.KMeans(8, random_state=0).fit_predict(X)
    results = {}
    for name, score in (("quickmeans", quickmeans.silhouette_score), ("sklearn", sk_silhouette)):
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            value = score(X, labels)
            times.append(time.perf_counter() - start)
        results[name] = (statistics.median(times), value)
    (tq, vq), (ts, vs) = results["quickmeans"], results["sklearn"]
    print(f"silhouette_score {args.n} x 16, 8 clusters: quickmeans {tq:.3f} s, sklearn "
          f"{ts:.3f} s, {ts / tq:.1f}x; scores {vq:.12f} vs {vs:.12f} (|diff| {abs(vq - vs):.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
