"""Big-data benchmark: ``python bench/bigdata.py [--quick] [--cases minibatch,dask,spark,memmap]``.

- minibatch: quickmeans.MiniBatchKMeans vs scikit-learn's on 1M x 32 float32, k=50,
  batch_size=4096 (same parameters and seeds), final inertia on all of X; and partial_fit
  over the data in 50 chunks against fit.
- dask: quickmeans.dask.KMeans vs dask_ml.cluster.KMeans on a LocalCluster with 2 worker
  processes, 500k x 16 float32, k=100, chunks of 50k rows (default inits: k-means||), and
  the inertia of single-process quickmeans.KMeans on the same data.
- spark: quickmeans.spark.KMeans vs pyspark.ml.clustering.KMeans in a local[2] SparkSession,
  500k x 16 float32, k=100, default tol, maxIter=300, k-means|| both, on the same cached
  DataFrame of vectors (2 partitions); the time to load the data into Spark is reported
  separately, and both fits' costs are measured on X by the same yardstick.
- memmap: a fit of a memory-mapped .npy file (several times the memory the fit may use)
  in a fresh process; the growth of its anonymous memory (RssAnon) against X and the labels.

Prints markdown tables; writes ``<out>/bigdata.json``. Times are medians; read ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cases import blobs  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def timed(fit: Callable[[], Any], repeats: int) -> tuple[float, list[float], Any]:
    """Median seconds of ``repeats`` calls, all times, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def inertia_of(centers: np.ndarray, X: np.ndarray) -> float:
    """Inertia of X against centers by quickmeans' exact engine (one yardstick for all)."""
    from quickmeans import _engine

    C = np.ascontiguousarray(centers, dtype=X.dtype)
    labels = _engine.predict(X, C, 2)
    return float(_engine.inertia(X, None, C, labels, 2))


def minibatch(n: int, d: int, k: int, batch: int, repeats: int) -> dict[str, Any]:
    from sklearn.cluster import MiniBatchKMeans as SkMiniBatch

    import quickmeans

    X = blobs(n, d, k, "float32", seed=5, std=2.0)
    params = dict(n_clusters=k, batch_size=batch, random_state=0, n_init=1)
    out: dict[str, Any] = {"n": n, "d": d, "k": k, "batch_size": batch}
    for name, cls in (("quickmeans", quickmeans.MiniBatchKMeans), ("sklearn", SkMiniBatch)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            seconds, times, model = timed(lambda c=cls: c(**params).fit(X), repeats)
        out[name] = {"seconds": seconds, "times": times, "n_steps": int(model.n_steps_),
                     "inertia": inertia_of(model.cluster_centers_, X)}
    chunks = np.array_split(np.arange(n), 50)
    model = quickmeans.MiniBatchKMeans(**params)
    start = time.perf_counter()
    for rows in chunks:
        model.partial_fit(X[rows])
    out["partial_fit"] = {"seconds": time.perf_counter() - start,
                          "inertia": inertia_of(model.cluster_centers_, X)}
    return out


def dask_fits(n: int, d: int, k: int, chunk_rows: int, repeats: int) -> dict[str, Any]:
    import dask.array as da
    from distributed import Client, LocalCluster

    import quickmeans
    import quickmeans.dask as qmd

    X = blobs(n, d, k, "float32", seed=7, std=2.0)
    out: dict[str, Any] = {"n": n, "d": d, "k": k, "chunk_rows": chunk_rows, "workers": 2}
    local = quickmeans.KMeans(k, random_state=0).fit(X)
    out["single_process_quickmeans"] = {"inertia": float(local.inertia_),
                                        "n_iter": int(local.n_iter_)}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        Xd = da.from_array(X, chunks=(chunk_rows, d)).persist()
        seconds, times, model = timed(
            lambda: qmd.KMeans(k, random_state=0).fit(Xd), repeats)
        out["quickmeans.dask"] = {"seconds": seconds, "times": times,
                                  "n_iter": int(model.n_iter_),
                                  "inertia": inertia_of(model.cluster_centers_, X)}
        try:
            from dask_ml.cluster import KMeans as DaskMLKMeans
        except ImportError as exc:
            out["dask_ml"] = {"skipped": f"dask_ml not importable: {exc}"}
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                seconds, times, model = timed(
                    lambda: DaskMLKMeans(n_clusters=k, random_state=0).fit(Xd), 1)
            out["dask_ml"] = {"seconds": seconds, "times": times,
                              "n_iter": int(model.n_iter_),
                              "inertia": inertia_of(model.cluster_centers_, X)}
    return out


def spark_fits(n: int, d: int, k: int, repeats: int) -> dict[str, Any]:
    import os

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors: this interpreter
    import pyarrow as pa
    from pyspark.ml.clustering import KMeans as MLlibKMeans
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import SparkSession

    import quickmeans.spark as qms

    X = blobs(n, d, k, "float32", seed=7, std=2.0)
    spark = (SparkSession.builder.master("local[2]").appName("bench-bigdata")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2").config("spark.driver.memory", "3g")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    out: dict[str, Any] = {"n": n, "d": d, "k": k, "partitions": 2, "cores": 2}
    try:
        start = time.perf_counter()
        values = pa.FixedSizeListArray.from_arrays(pa.array(X.ravel().astype(np.float64)), d)
        df = (spark.createDataFrame(pa.table({"f": values.cast(pa.list_(pa.float64()))}))
              .select(array_to_vector("f").alias("features")).repartition(2).cache())
        df.count()
        out["load_seconds"] = time.perf_counter() - start
        # Warm-up on a slice (JIT, Python workers, imports): not part of any timing.
        small = df.limit(20_000).cache()
        qms.KMeans(k=10, seed=0).fit(small)
        MLlibKMeans(k=10, seed=0).fit(small)
        small.unpersist()
        cases = {
            "quickmeans.spark": lambda: qms.KMeans(k=k, seed=0, maxIter=300).fit(df),
            "quickmeans.spark float32": lambda: qms.KMeans(k=k, seed=0, maxIter=300,
                                                           dtype="float32").fit(df),
            # One Spark job per pass: what resident tasks save.
            "quickmeans.spark jobs": lambda: qms.KMeans(k=k, seed=0, maxIter=300,
                                                        iterationMode="jobs").fit(df),
            "mllib": lambda: MLlibKMeans(k=k, seed=0, maxIter=300).fit(df),
        }
        once = {"quickmeans.spark jobs", "mllib"}  # the slow references: one fit each
        for name, fit in cases.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                seconds, times, model = timed(fit, 1 if name in once else repeats)
            centers = np.array(model.clusterCenters())
            out[name] = {"seconds": seconds, "times": times,
                         "n_iter": int(model.summary.numIter),
                         "training_cost": float(model.summary.trainingCost),
                         "inertia": inertia_of(centers, X)}
    finally:
        spark.stop()
    return out


MEMMAP_PROBE = """
import sys, threading, time
import numpy as np
import quickmeans

def anon():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024

X = np.load(sys.argv[1], mmap_mode="r")
k = int(sys.argv[2])
init = np.array(X[:: len(X) // k][:k])
quickmeans.KMeans(k, init=init, max_iter=1).fit(X[:2000])
base = anon(); peak = base; done = False
def poll():
    global peak
    while not done:
        peak = max(peak, anon()); time.sleep(0.001)
t = threading.Thread(target=poll); t.start()
start = time.perf_counter()
model = quickmeans.KMeans(k, init=init, max_iter=10, tol=0).fit(X)
seconds = time.perf_counter() - start
done = True; t.join()
print(X.nbytes, max(peak, anon()) - base, model.labels_.nbytes, seconds)
"""


def memmap_fit(n: int, d: int, k: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "x.npy")
        X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
        for start in range(0, n, 1 << 18):
            rows = min(1 << 18, n - start)
            X[start:start + rows] = blobs(rows, d, k, "float32", seed=start, std=2.0)
        X.flush()
        del X
        run = subprocess.run([sys.executable, "-c", MEMMAP_PROBE, path, str(k)],
                             capture_output=True, text=True, check=True)
    x_bytes, growth, labels, seconds = run.stdout.split()
    return {"n": n, "d": d, "k": k, "x_bytes": int(x_bytes), "growth_bytes": int(growth),
            "labels_bytes": int(labels), "seconds_10_iter": float(seconds)}


def report(results: dict[str, Any]) -> str:
    lines = []
    if "minibatch" in results:
        m = results["minibatch"]
        sk = m["sklearn"]
        lines += [f"### MiniBatchKMeans, {m['n']:,} x {m['d']} float32, k={m['k']}, "
                  f"batch_size={m['batch_size']}", "",
                  "| library | fit (median) | × sklearn | steps | inertia (all of X) "
                  "| vs sklearn |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name in ("quickmeans", "sklearn"):
            r = m[name]
            lines.append(f"| {name} | {r['seconds']:.2f} s | {sk['seconds'] / r['seconds']:.2f} "
                         f"| {r['n_steps']} | {r['inertia']:.6g} | "
                         f"{(r['inertia'] / sk['inertia'] - 1) * 100:+.2f}% |")
        p = m["partial_fit"]
        gap = (p["inertia"] / m["quickmeans"]["inertia"] - 1) * 100
        lines += ["", f"partial_fit over 50 chunks: {p['seconds']:.2f} s, inertia "
                  f"{p['inertia']:.6g} ({gap:+.2f}% vs fit)", ""]
    if "dask" in results:
        m = results["dask"]
        base = m["single_process_quickmeans"]["inertia"]
        lines += [f"### Dask, LocalCluster with {m['workers']} worker processes, {m['n']:,} x "
                  f"{m['d']} float32, k={m['k']}, chunks of {m['chunk_rows']:,} rows", "",
                  "| library | fit (median) | n_iter | inertia | vs single-process quickmeans |",
                  "|---|---:|---:|---:|---:|"]
        for name in ("quickmeans.dask", "dask_ml"):
            r = m[name]
            if "skipped" in r:
                lines.append(f"| {name} | skipped: {r['skipped']} | | | |")
                continue
            lines.append(f"| {name} | {r['seconds']:.2f} s | {r['n_iter']} | {r['inertia']:.6g} "
                         f"| {(r['inertia'] / base - 1) * 100:+.2f}% |")
        if "seconds" in m.get("dask_ml", {}):
            ratio = m["dask_ml"]["seconds"] / m["quickmeans.dask"]["seconds"]
            lines.append(f"\nquickmeans.dask is {ratio:.1f}x faster than dask_ml.")
        lines.append("")
    if "spark" in results:
        m = results["spark"]
        ml = m["mllib"]
        lines += [f"### Spark, local[{m['cores']}], {m['n']:,} x {m['d']} float32, k={m['k']}, "
                  f"{m['partitions']} partitions (load into Spark: {m['load_seconds']:.1f} s)", "",
                  "| library | fit (median) | × MLlib | numIter | cost on X | vs MLlib |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name in ("quickmeans.spark", "quickmeans.spark float32", "quickmeans.spark jobs",
                     "mllib"):
            if name not in m:
                continue
            r = m[name]
            lines.append(f"| {name} | {r['seconds']:.2f} s | {ml['seconds'] / r['seconds']:.1f} "
                         f"| {r['n_iter']} | {r['inertia']:.6g} | "
                         f"{(r['inertia'] / ml['inertia'] - 1) * 100:+.2f}% |")
        lines.append("")
    if "memmap" in results:
        m = results["memmap"]
        lines += [f"### Out of core: memmap of {m['x_bytes'] / 2**20:.0f} MiB "
                  f"({m['n']:,} x {m['d']} float32), k={m['k']}, 10 iterations", "",
                  f"anonymous memory grew by {m['growth_bytes'] / 2**20:.1f} MiB; labels are "
                  f"{m['labels_bytes'] / 2**20:.1f} MiB; X is "
                  f"{m['x_bytes'] / max(m['growth_bytes'], 1):.0f}x the growth "
                  f"(fit: {m['seconds_10_iter']:.2f} s)", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bigdata.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small shapes (~30 s)")
    parser.add_argument("--cases", default="minibatch,dask,memmap")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    wanted = set(args.cases.split(","))
    q = args.quick
    results: dict[str, Any] = {}
    if "minibatch" in wanted:
        results["minibatch"] = minibatch(100_000 if q else 1_000_000, 32, 50, 4096, args.repeats)
    if "dask" in wanted:
        results["dask"] = dask_fits(50_000 if q else 500_000, 16, 20 if q else 100,
                                    5_000 if q else 50_000, 1 if q else args.repeats)
    if "spark" in wanted:
        results["spark"] = spark_fits(50_000 if q else 500_000, 16, 20 if q else 100,
                                      1 if q else args.repeats)
    if "memmap" in wanted:
        results["memmap"] = memmap_fit(500_000 if q else 8_000_000, 32, 16)
    print(report(results))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "bigdata.json"
    # Cases not run this time keep their last figures: one case per run is the usual use.
    saved = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**saved, **results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
