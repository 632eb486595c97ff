"""The `quickmeans` command line (also `python -m quickmeans`)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def _scaling(X: np.ndarray, scale: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation for --scale (identity otherwise)."""
    if not scale:
        return np.zeros(X.shape[1]), np.ones(X.shape[1])
    std = X.std(axis=0)
    return X.mean(axis=0), np.where(std > 0, std, 1.0)


def _summary(model: Any, labels: np.ndarray, seconds: float) -> str:
    sizes = np.bincount(labels, minlength=model.cluster_centers_.shape[0])
    lines = [f"  cluster {i}: {n} samples" for i, n in enumerate(sizes)]
    return "\n".join(lines + [f"inertia: {model.inertia_:.6g}", f"iterations: {model.n_iter_}",
                              f"time: {seconds:.3f} s"])


def _progress_bar(total: int) -> Any:
    """A tqdm bar on stderr when it is a terminal (quiet otherwise, or without tqdm)."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="k-means", unit="iter", file=sys.stderr, leave=False)


def fit(args: argparse.Namespace) -> int:
    """Cluster DATA and write what the options ask for."""
    from quickmeans import KMeans
    from quickmeans._cli_io import CliError, SavedModel, read_table, write_centers, write_labels

    table = read_table(args.data, args.columns)
    X = np.asarray(table.values, dtype=np.float64)
    if args.k < 1 or args.k > X.shape[0]:
        raise CliError(f"-k {args.k}: must be between 1 and the number of rows ({X.shape[0]})")
    mean, scale = _scaling(X, args.scale)
    Xs = (X - mean) / scale if args.scale else X
    model = KMeans(args.k, init=args.init, n_init=args.n_init, max_iter=args.max_iter,
                   random_state=args.seed, algorithm=args.algorithm)
    bar = _progress_bar(args.max_iter * args.n_init)
    if bar is not None:
        def advance(iteration: int, inertia: float) -> None:
            bar.update(1)
            bar.set_postfix(inertia=f"{inertia:.6g}", refresh=False)

        model._progress = advance
    start = time.perf_counter()
    try:
        model.fit(Xs)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    print(f"quickmeans fit: {X.shape[0]} rows x {X.shape[1]} columns, k={args.k}")
    print(_summary(model, model.labels_, seconds))
    if args.out:
        write_labels(args.out, model.labels_)
    if args.centers:
        write_centers(args.centers, model.cluster_centers_ * scale + mean, table.columns)
    if args.model:
        SavedModel(model.cluster_centers_, mean, scale, table.columns).save(args.model)
    if args.plot:
        _plot(lambda plot: plot.clusters(Xs, model, path=args.plot,
                                         title=f"k-means, k={args.k}: {Path(args.data).name}"),
              args.plot)
    return 0


def _plot(draw: Any, path: str) -> None:
    """Run draw(quickmeans.plot) and report a missing matplotlib or an unwritable path."""
    from quickmeans._cli_io import CliError

    try:
        from quickmeans import plot
    except ImportError as err:
        raise CliError(f"--plot needs matplotlib: pip install 'quickmeans[plot]' ({err})") from err
    try:
        draw(plot)
    except OSError as err:
        raise CliError(f"{path}: cannot write it ({err.strerror or err})") from err


def predict(args: argparse.Namespace) -> int:
    """Label DATA with a model saved by `quickmeans fit --model`."""
    from quickmeans import KMeans
    from quickmeans._cli_io import CliError, SavedModel, read_table, select_columns, write_labels

    saved = SavedModel.load(args.model)
    table = read_table(args.data, args.columns)
    if not args.columns and saved.columns and table.columns:
        # Data with a header: take the model's columns by name, in the model's order.
        table = select_columns(table, saved.columns, Path(args.data))
    X = np.asarray(table.values, dtype=np.float64)
    if X.shape[1] != saved.centers.shape[1]:
        raise CliError(f"{args.data}: {X.shape[1]} columns, the model was fitted on "
                       f"{saved.centers.shape[1]}")
    model = KMeans(saved.centers.shape[0], init=saved.centers, n_init=1)
    model.cluster_centers_ = saved.centers
    model.n_features_in_ = saved.centers.shape[1]
    labels = model.predict((X - saved.mean) / saved.scale)
    sizes = np.bincount(labels, minlength=saved.centers.shape[0])
    print(f"quickmeans predict: {X.shape[0]} rows; cluster sizes {sizes.tolist()}")
    if args.out:
        write_labels(args.out, labels)
    else:
        print("\n".join(str(int(v)) for v in labels))
    return 0


def elbow_command(args: argparse.Namespace) -> int:
    """Inertia and silhouette over a range of k; the suggested k."""
    from quickmeans import elbow
    from quickmeans._cli_io import CliError, read_table

    table = read_table(args.data, args.columns)
    X = np.asarray(table.values, dtype=np.float64)
    if not 1 <= args.k_min <= args.k_max <= X.shape[0]:
        raise CliError(f"--k-min/--k-max: need 1 <= {args.k_min} <= {args.k_max} <= "
                       f"{X.shape[0]} (the rows)")
    if args.scale:
        mean, scale = _scaling(X, True)
        X = (X - mean) / scale
    start = time.perf_counter()
    result = elbow(X, range(args.k_min, args.k_max + 1), sample_size=args.sample_size,
                   random_state=args.seed)
    print(f"quickmeans elbow: {X.shape[0]} rows x {X.shape[1]} columns "
          f"({time.perf_counter() - start:.2f} s)")
    print(f"{'k':>4}  {'inertia':>14}  {'silhouette':>10}")
    for k, inertia, sil in zip(result.k, result.inertia, result.silhouette):
        mark = "  <- knee" if k == result.knee else ""
        print(f"{k:>4}  {inertia:>14.6g}  {sil:>10.4f}{mark}")
    how = "the knee of the inertia curve" if result.knee is not None else "the best silhouette"
    print(f"suggested k: {result.suggested} ({how})")
    if args.plot:
        _plot(lambda plot: plot.elbow(result, path=args.plot), args.plot)
    return 0


def bench(args: argparse.Namespace) -> int:
    """A small side-by-side run: quickmeans and (if installed) scikit-learn, same data/init.

    The full harness, with sklearnex, FAISS and the GEMM peak, is bench/run.py in the
    source tree; this command needs nothing but the installed package.
    """
    import statistics

    from quickmeans import KMeans

    rng = np.random.default_rng(0)
    means = rng.uniform(-10, 10, size=(args.k, args.d)).astype(np.float32)
    X = means[rng.integers(args.k, size=args.n)] + rng.standard_normal((args.n, args.d),
                                                                      dtype=np.float32)
    init = X[rng.choice(args.n, args.k, replace=False)]
    fitters = {"quickmeans": KMeans}
    try:
        from sklearn.cluster import KMeans as SklearnKMeans

        fitters["scikit-learn"] = SklearnKMeans
    except ImportError:
        pass
    print(f"quickmeans bench: Lloyd, {args.n} x {args.d} float32, k={args.k}, "
          f"{args.iterations} iterations from the same init, median of {args.repeats}")
    times = {}
    for name, cls in fitters.items():
        runs = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model = cls(args.k, init=init, n_init=1, max_iter=args.iterations, tol=0).fit(X)
            runs.append((time.perf_counter() - start) / model.n_iter_)
        times[name] = statistics.median(runs)
        print(f"  {name:<13} {times[name] * 1e3:8.2f} ms/iteration  inertia {model.inertia_:.6g}")
    if "scikit-learn" in times:
        print(f"quickmeans is {times['scikit-learn'] / times['quickmeans']:.2f}x scikit-learn")
    else:
        print("scikit-learn is not installed: nothing to compare with")
    return 0


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="a .csv (with or without header), .npy or "
                                                ".parquet file of numbers")
    p.add_argument("--columns", help="comma-separated column names (or indices) to use")


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

    p_fit = commands.add_parser("fit", help="cluster a data file",
                                description="Cluster the rows of DATA with k-means and print "
                                            "the cluster sizes, inertia, iterations and time.")
    _add_data_options(p_fit)
    p_fit.add_argument("-k", type=int, required=True, help="number of clusters")
    p_fit.add_argument("--algorithm", default="auto", choices=["auto", "lloyd", "elkan"])
    p_fit.add_argument("--init", default="k-means++", choices=["k-means++", "random"])
    p_fit.add_argument("--n-init", type=int, default=1, help="runs, the best is kept (default 1)")
    p_fit.add_argument("--max-iter", type=int, default=300)
    p_fit.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p_fit.add_argument("--scale", action="store_true", help="standardise each column first")
    p_fit.add_argument("--out", help="write the label of each row to this CSV")
    p_fit.add_argument("--centers", help="write the centers to this CSV")
    p_fit.add_argument("--model", help="save the model here, for `quickmeans predict`")
    p_fit.add_argument("--plot", help="save a scatter of the clusters (PCA to 2-D) as this PNG")
    p_fit.set_defaults(run=fit)

    p_predict = commands.add_parser("predict", help="label a data file with a saved model",
                                    description="Label the rows of DATA with the nearest center "
                                                "of a model saved by `quickmeans fit --model`.")
    _add_data_options(p_predict)
    p_predict.add_argument("--model", required=True, help="a model saved by `fit --model`")
    p_predict.add_argument("--out", help="write the labels to this CSV (default: print them)")
    p_predict.set_defaults(run=predict)

    p_elbow = commands.add_parser("elbow", help="suggest a number of clusters",
                                  description="Fit k-means for each k in a range, print the "
                                              "inertia and silhouette of each, the knee of the "
                                              "inertia curve and the suggested k.")
    _add_data_options(p_elbow)
    p_elbow.add_argument("--k-min", type=int, default=2)
    p_elbow.add_argument("--k-max", type=int, default=12)
    p_elbow.add_argument("--sample-size", type=int, default=5000,
                         help="rows the silhouette is computed on (default 5000)")
    p_elbow.add_argument("--scale", action="store_true", help="standardise each column first")
    p_elbow.add_argument("--seed", type=int, default=0)
    p_elbow.add_argument("--plot", help="save the elbow curve as this PNG")
    p_elbow.set_defaults(run=elbow_command)

    p_bench = commands.add_parser("bench", help="time quickmeans against scikit-learn",
                                  description="Fixed-iteration Lloyd on generated blobs, "
                                              "quickmeans and (if installed) scikit-learn from "
                                              "the same init; prints ms per iteration and the "
                                              "ratio. The full harness is bench/run.py.")
    p_bench.add_argument("--n", type=int, default=200_000, help="rows (default 200000)")
    p_bench.add_argument("--d", type=int, default=32, help="features (default 32)")
    p_bench.add_argument("-k", type=int, default=64, help="clusters (default 64)")
    p_bench.add_argument("--iterations", type=int, default=10)
    p_bench.add_argument("--repeats", type=int, default=3)
    p_bench.set_defaults(run=bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from quickmeans._cli_io import CliError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CliError, ValueError, TypeError, OSError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"quickmeans: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
