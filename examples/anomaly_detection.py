"""Anomaly detection with k-means: flag points far from every cluster center.

Fit k-means on normal data only; a new point's anomaly score is its distance to the
nearest center (``model.transform(X).min(axis=1)``). The threshold is the 99th percentile
of the training scores, so about 1% of normal points get flagged: that is the false alarm
rate chosen up front, without any labelled anomaly. The data is generated (seeded), with
injected outliers whose labels are used only to measure precision and recall.

Run: ``python examples/anomaly_detection.py [--out DIR]``
(with --out, also saves anomalies.png: the scored points, flagged ones circled)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from quickmeans import KMeans

N_FEATURES = 4
SPREAD = 1.0  # standard deviation of every blob along every axis


def normal_data(rng: np.random.Generator, means: np.ndarray, n: int) -> np.ndarray:
    return means[rng.integers(len(means), size=n)] + SPREAD * rng.standard_normal(
        (n, means.shape[1]))


def outliers(rng: np.random.Generator, means: np.ndarray, n: int) -> np.ndarray:
    """Uniform points in a box around the data, kept only if no blob could plausibly hold
    them (beyond 6 standard deviations of every mean): otherwise "recall" would count
    normal-looking points as misses."""
    low, high = means.min() - 10 * SPREAD, means.max() + 10 * SPREAD
    found: list[np.ndarray] = []
    while len(found) < n:
        point = rng.uniform(low, high, size=means.shape[1])
        if np.linalg.norm(means - point, axis=1).min() > 6 * SPREAD:
            found.append(point)
    return np.array(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="also save anomalies.png there")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    means = rng.uniform(-10, 10, size=(5, N_FEATURES))
    train = normal_data(rng, means, 5000)
    model = KMeans(n_clusters=len(means), n_init=4, random_state=0).fit(train)

    train_scores = model.transform(train).min(axis=1)
    threshold = float(np.percentile(train_scores, 99))

    # New data: mostly normal, plus 50 injected anomalies.
    new = np.vstack([normal_data(rng, means, 2000), outliers(rng, means, 50)])
    is_anomaly = np.r_[np.zeros(2000, dtype=bool), np.ones(50, dtype=bool)]
    flagged = model.transform(new).min(axis=1) > threshold

    true_pos = int(np.sum(flagged & is_anomaly))
    precision = true_pos / max(int(flagged.sum()), 1)
    recall = true_pos / int(is_anomaly.sum())
    print(f"fit on {len(train)} normal points ({N_FEATURES}-D, {len(means)} blobs)")
    print(f"threshold (99th percentile of training distances): {threshold:.3f}")
    print(f"new points: {len(new)}, of which {is_anomaly.sum()} injected anomalies")
    print(f"flagged: {flagged.sum()} ({true_pos} anomalies, {flagged.sum() - true_pos} normal)")
    # About 1% of the 2000 normal points are flagged by construction of the threshold, so
    # precision depends on how rare anomalies are; a higher percentile trades recall for it.
    print(f"precision: {precision:.3f}")
    print(f"recall: {recall:.3f}")

    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")  # only a file is written: no display needed
        from quickmeans import plot

        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "anomalies.png"
        ax = plot.clusters(new, model, title="flagged points circled (PCA of 4-D data)")
        mean, components, _ = plot.pca_2d(new)
        shown = (new[flagged] - mean) @ components.T  # the same projection as the scatter
        ax.scatter(shown[:, 0], shown[:, 1], s=80, facecolors="none", edgecolors="red")
        ax.figure.savefig(path)
        print(f"saved {path}")


if __name__ == "__main__":
    main()
