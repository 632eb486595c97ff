"""The elbow method on handwritten digits: which k does the inertia curve suggest?

quickmeans.elbow fits k-means for k = 2..15 on scikit-learn's 8x8 digits (1797 images, 64
features; ships with scikit-learn, nothing is downloaded), finds the knee of the inertia
curve and scores each k by silhouette. The plot goes to ``<out>/elbow.png``.

Run: ``python examples/elbow_digits.py [--out DIR]`` (default: docs/, for the README)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # only files are written: no display needed

from sklearn.datasets import load_digits  # noqa: E402

import quickmeans  # noqa: E402
from quickmeans import plot  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="where elbow.png goes")
    args = parser.parse_args()

    X, _ = load_digits(return_X_y=True)  # the true digit is not used: k is what we look for
    result = quickmeans.elbow(X, range(2, 16), random_state=0)

    print(f"digits: {X.shape[0]} images x {X.shape[1]} pixels")
    print("   k      inertia  silhouette")
    for k, inertia, score in zip(result.k, result.inertia, result.silhouette):
        mark = "  <- knee" if k == result.knee else ""
        print(f"  {k:2d}  {inertia:11.0f}  {score:10.3f}{mark}")
    # Real data rarely has a sharp elbow: the knee is a hint, not the truth (there are 10
    # digits, but some are written in several styles and some look alike).
    print(f"suggested k: {result.suggested}")

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "elbow.png"
    plot.elbow(result, path=path)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
