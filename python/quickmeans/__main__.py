"""The `quickmeans` command line (also `python -m quickmeans`)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np


def demo(args: argparse.Namespace) -> int:
    """Cluster the three-blob tutorial data and print what was found."""
    from quickmeans import KMeans, has_openmp
    from quickmeans._core import simd_level
    from quickmeans.datasets import three_blobs

    X, _ = three_blobs(n_samples=args.n_samples, random_state=args.seed)
    start = time.perf_counter()
    model = KMeans(n_clusters=args.k, random_state=args.seed).fit(X)
    elapsed = time.perf_counter() - start
    print(f"quickmeans demo: {X.shape[0]} points in {X.shape[1]}-D, k={args.k} "
          f"(SIMD: {simd_level()}, OpenMP: {'yes' if has_openmp else 'no'})")
    sizes = np.bincount(model.labels_, minlength=args.k)
    for i, (center, size) in enumerate(zip(model.cluster_centers_, sizes)):
        coords = ", ".join(f"{v:7.3f}" for v in center)
        print(f"  cluster {i}: center ({coords})  size {size}")
    print(f"inertia: {model.inertia_:.4f}")
    print(f"iterations: {model.n_iter_}")
    print(f"time: {elapsed * 1000:.2f} ms")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quickmeans",
                                     description="Fast exact k-means from the command line.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    p_demo = commands.add_parser("demo", help="cluster a built-in dataset of three 2-D blobs",
                                 description="Cluster 300 points in three 2-D blobs and print "
                                             "the centers, inertia, iterations and time.")
    p_demo.add_argument("-k", type=int, default=3, help="number of clusters (default 3)")
    p_demo.add_argument("--n-samples", type=int, default=300, help="points (default 300)")
    p_demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_demo.set_defaults(run=demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as err:
        print(f"quickmeans: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
