"""The `quickmeans` command line (also `python -m quickmeans`)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

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


def _scaling(X: np.ndarray, scale: bool,
             columns: list[str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation for --scale (identity otherwise)."""
    from quickmeans._cli_io import CliError

    if not scale:
        return np.zeros(X.shape[1]), np.ones(X.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = X.mean(axis=0), X.std(axis=0)
    bad = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(std)))
    if len(bad):
        name = repr(columns[bad[0]]) if columns else f"column {bad[0]}"
        raise CliError(f"--scale: the mean or standard deviation of {name} overflows float64 "
                       "(values near 1e308); rescale that column first")
    return mean, np.where(std > 0, std, 1.0)


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


def _read(args: argparse.Namespace, columns: list[str] | None = None) -> Any:
    from quickmeans._cli_read import read_table

    return read_table(args.data, columns or args.columns, header=args.header,
                      delimiter=args.delimiter, missing=args.missing, decimal=args.decimal)


def fit(args: argparse.Namespace) -> int:
    """Cluster DATA and write what the options ask for."""
    from quickmeans import KMeans
    from quickmeans._cli_io import CliError, check_outputs, write_centers, write_labels
    from quickmeans._cli_model import SavedModel

    check_outputs([args.data], {"--out": args.out, "--centers": args.centers,
                                "--model": args.model, "--plot": args.plot})
    table = _read(args)
    X = np.asarray(table.values, dtype=np.float64)
    if args.k < 1 or args.k > X.shape[0]:
        raise CliError(f"-k {args.k}: must be between 1 and the number of rows ({X.shape[0]})")
    mean, scale = _scaling(X, args.scale, table.columns)
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
    if args.out:
        write_labels(args.out, model.labels_, table.rows)
    if args.centers:
        write_centers(args.centers, model.cluster_centers_ * scale + mean, table.columns)
    if args.model:
        SavedModel(model.cluster_centers_, mean, scale, table.columns).save(args.model)
    if args.plot:
        _plot(lambda plot: plot.clusters(Xs, model,
                                         title=f"k-means, k={args.k}: {Path(args.data).name}"),
              args.plot)
    # Printed after the files are written: a closed pipe (`| head`) cannot cost them.
    print(f"quickmeans fit: {X.shape[0]} rows x {X.shape[1]} columns, k={args.k}")
    print(_summary(model, model.labels_, seconds))
    return 0


def _plot(draw: Any, path: str) -> None:
    """Save the Axes draw(quickmeans.plot) returns, in the format path's suffix names."""
    from quickmeans._cli_io import CliError

    try:
        from quickmeans import plot
    except ImportError as err:
        raise CliError(f"--plot needs matplotlib: pip install 'quickmeans[plot]' ({err})") from err
    ax = draw(plot)
    try:
        ax.figure.savefig(path, dpi=plot.DPI)  # .png, .pdf, .svg ...: matplotlib's choice
    except OSError as err:
        raise CliError(f"{path}: cannot write it ({err.strerror or err})") from err
    except ValueError as err:  # an unknown suffix
        raise CliError(f"--plot {path}: {err}") from err
    finally:
        plot.plt.close(ax.figure)


def predict(args: argparse.Namespace) -> int:
    """Label DATA with a model saved by `quickmeans fit --model`."""
    from quickmeans import KMeans
    from quickmeans._cli_io import CliError, check_outputs, label_lines, write_labels
    from quickmeans._cli_model import SavedModel
    from quickmeans._cli_read import select_columns

    check_outputs([args.data, args.model], {"--out": args.out})
    saved = SavedModel.load(args.model)
    table = None
    if not args.columns and saved.columns:
        try:  # parse only the model's columns, when the data has them by name
            table = _read(args, saved.columns)
        except CliError as err:
            if "no column" not in str(err):
                raise
    if table is None:
        table = _read(args)
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
    with np.errstate(over="ignore", invalid="ignore"):
        Xs = (X - saved.mean) / saved.scale
    labels = model.predict(Xs)
    sizes = np.bincount(labels, minlength=saved.centers.shape[0])
    print(f"quickmeans predict: {X.shape[0]} rows; cluster sizes {sizes.tolist()}",
          file=sys.stderr if not args.out else sys.stdout)
    if args.out:
        write_labels(args.out, labels, table.rows)
    else:
        if table.rows is not None:
            sys.stdout.write("row,label\n")
        sys.stdout.write(label_lines(labels, table.rows))
        sys.stdout.flush()
    return 0


def _elbow_without_knee() -> bool:
    try:
        import kneed  # noqa: F401
    except ImportError:
        return True
    return False


def elbow_command(args: argparse.Namespace) -> int:
    """Inertia and silhouette over a range of k; the suggested k."""
    from quickmeans import elbow
    from quickmeans._cli_io import CliError, check_outputs, note

    check_outputs([args.data], {"--plot": args.plot})
    table = _read(args)
    X = np.asarray(table.values, dtype=np.float64)
    if not 1 <= args.k_min <= args.k_max <= X.shape[0]:
        raise CliError(f"--k-min/--k-max: need 1 <= {args.k_min} <= {args.k_max} <= "
                       f"{X.shape[0]} (the rows)")
    if args.scale:
        mean, scale = _scaling(X, True, table.columns)
        X = (X - mean) / scale
    no_knee = _elbow_without_knee()
    start = time.perf_counter()
    result = elbow(X, range(args.k_min, args.k_max + 1), sample_size=args.sample_size,
                   random_state=args.seed, knee=not no_knee)
    print(f"quickmeans elbow: {X.shape[0]} rows x {X.shape[1]} columns "
          f"({time.perf_counter() - start:.2f} s)")
    print(f"{'k':>4}  {'inertia':>14}  {'silhouette':>10}")
    for k, inertia, sil in zip(result.k, result.inertia, result.silhouette):
        mark = "  <- knee" if k == result.knee else ""
        print(f"{k:>4}  {inertia:>14.6g}  {sil:>10.4f}{mark}")
    if result.suggested is None:
        print("suggested k: none (no knee, and no silhouette score to go by)")
    else:
        how = ("the knee of the inertia curve" if result.knee is not None
               else "the best silhouette")
        print(f"suggested k: {result.suggested} ({how})")
    if no_knee:
        note("the knee of the inertia curve needs kneed: pip install 'quickmeans[plot]'")
    if args.plot:
        _plot(lambda plot: plot.elbow(result), args.plot)
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


def _delimiter(text: str) -> str:
    named = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(text.lower(), text)
    if len(value) != 1 or value in "\"\r\n":
        raise argparse.ArgumentTypeError(f"{text!r}: one character (or tab), not a quote or "
                                         "newline")
    return value


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA",
                   help="a .csv/.tsv (delimiter , ; tab or |, sniffed), .npy or .parquet file "
                        "of numbers, optionally .gz, .bz2, .xz or .zip (one member); - reads "
                        "CSV text from standard input")
    p.add_argument("--columns", help="comma-separated column names (or 0-based indices) to "
                                     "use (default: every numeric column)")
    header = p.add_mutually_exclusive_group()
    header.add_argument("--header", dest="header", action="store_true", default=None,
                        help="the first line of a CSV is a header (even if numeric)")
    header.add_argument("--no-header", dest="header", action="store_false",
                        help="the first line of a CSV is data")
    p.add_argument("--delimiter", type=_delimiter, help="the CSV field delimiter "
                                                        "(default: sniffed; tab for .tsv)")
    p.add_argument("--decimal", choices=[".", ","], help="the decimal mark of a CSV (default: "
                   "sniffed; a comma when the numbers are written 3,25 and the delimiter is "
                   "not a comma)")
    p.add_argument("--missing", choices=["error", "drop", "mean"], default="error",
                   help="rows with missing values (blank, NA, N/A, NaN, null, None): an error "
                        "(default), dropped (labels then say which rows), or the column mean")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"quickmeans: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from quickmeans import __version__

    parser = _Parser(prog="quickmeans", description="Fast exact k-means from the command line.")
    parser.add_argument("--version", action="version", version=f"quickmeans {__version__}")
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
    p_fit.add_argument("--plot", help="save a scatter of the clusters (PCA to 2-D) here: "
                                      ".png, .pdf or .svg (needs matplotlib)")
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
    p_elbow.add_argument("--plot", help="save the elbow curve here: .png, .pdf or .svg "
                                        "(needs matplotlib)")
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
    """Run one command; every failure is one line on stderr and exit status 2.

    Ctrl-C prints one line and exits 130; a closed stdout (``| head``) ends quietly with
    141, as a command killed by SIGPIPE does.
    """
    try:
        from quickmeans._cli_io import NOTES, CliError

        NOTES.clear()
        args = build_parser().parse_args(argv)
        status = args.run(args)
        for line in NOTES:
            print(line, file=sys.stderr)
        return status
    except KeyboardInterrupt:
        print("quickmeans: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    except MemoryError as err:
        _error(f"out of memory{f' ({err})' if str(err) else ''}: try fewer rows or columns")
    except (CliError, ValueError, TypeError, OSError) as err:
        _error(str(err).splitlines()[0] if str(err).strip() else type(err).__name__)
    except Exception as err:  # noqa: BLE001 - still one line, never a traceback
        _error(f"internal error, please report it: {type(err).__name__}: "
               f"{str(err).splitlines()[0] if str(err).strip() else ''}")
    return 2


def _error(message: str) -> None:
    try:
        print(f"quickmeans: error: {message}", file=sys.stderr)
    except OSError:
        pass


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def run() -> NoReturn:
    """The ``quickmeans`` command: main() in a process of its own, which needs none of
    scikit-learn (its import is most of the command's start-up time: 1.9 s on a 2-core
    machine), so the estimators take their numpy-only base classes (quickmeans._compat)."""
    os.environ.setdefault("QUICKMEANS_SKLEARN", "0")
    # Some native readers (pyarrow's CSV reader) check for signals themselves and drop the
    # KeyboardInterrupt they find, so a Ctrl-C during the read was lost and the command went
    # on to exit 0: the handler also records the signal, and a recorded one is exit 130. The
    # engine is told too, so that a fit after a swallowed KeyboardInterrupt stops at its next
    # check instead of running to the end. (An ignored SIGINT, as a background job inherits
    # it, stays ignored: no handler is installed then.)
    interrupted: list[bool] = []
    from quickmeans import _core

    def on_sigint(signum: int, frame: Any) -> None:
        interrupted.append(True)
        _core.request_stop()
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_sigint)
    status = main()
    if interrupted and status != 130:
        print("quickmeans: error: interrupted", file=sys.stderr)
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    run()
