"""The classic k-means tutorial: three Gaussian blobs, three clusters, one picture.

Fits quickmeans.KMeans on the built-in three-blob data, prints the centers next to the
true blob means, and saves the scatter plot with the centers marked.

Run: ``python examples/three_blobs.py [--out DIR]`` (default: docs/, for the README)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # only files are written: no display needed

import numpy as np  # noqa: E402

from quickmeans import KMeans, plot  # noqa: E402
from quickmeans.datasets import three_blobs  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="where clusters.png goes")
    args = parser.parse_args()

    X, y = three_blobs(n_samples=300, random_state=0)
    model = KMeans(n_clusters=3, random_state=0).fit(X)

    # Cluster numbers are arbitrary; list them by x so the output reads the same each run.
    order = np.argsort(model.cluster_centers_[:, 0])
    true_means = np.array([X[y == label].mean(axis=0) for label in np.unique(y)])
    print(f"{len(X)} points, inertia {model.inertia_:.1f}, {model.n_iter_} iterations")
    print("centers (x, y)             mean of the nearest true blob")
    blob_of = {}
    for c in order:
        center = model.cluster_centers_[c]
        blob_of[c] = int(np.linalg.norm(true_means - center, axis=1).argmin())
        nearest = true_means[blob_of[c]]
        print(f"  center {c}: ({center[0]:6.3f}, {center[1]:6.3f})   "
              f"({nearest[0]:6.3f}, {nearest[1]:6.3f})")
    # Identical columns mean every point landed in its own blob's cluster; count them.
    agree = sum(blob_of[c] == blob for c, blob in zip(model.labels_, y))
    print(f"points in the cluster of their true blob: {agree}/{len(X)}")

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "clusters.png"
    plot.clusters(X, model, title="quickmeans.KMeans on three blobs", path=path)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
