"""quickmeans.spark.KMeans on a local[2] SparkSession: the single-process estimator from the
same initial centers as oracle, MLlib's KMeans as second oracle (cost), partition
independence, bad input, persistence and the README snippet."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from spark_session import SPARK_WARNINGS, frame, pa  # first: skips without Java or pyspark

from conftest import make_blobs

pytestmark = SPARK_WARNINGS

from pyspark.ml.clustering import KMeans as MLlibKMeans  # noqa: E402
from pyspark.ml.functions import array_to_vector  # noqa: E402
from pyspark.ml.linalg import Vectors, VectorUDT  # noqa: E402
from pyspark.sql.types import StructField, StructType  # noqa: E402

import quickmeans  # noqa: E402
from quickmeans.spark import KMeans, KMeansModel  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"


def by_id(df, column):
    rows = df.select("id", column).collect()
    return np.array([r[column] for r in sorted(rows, key=lambda r: r.id)])


def nearest(X, centers):
    """The oracle's labels: index of the nearest center by squared distance."""
    return np.argmin(((X[:, None, :] - centers[None]) ** 2).sum(axis=2), axis=1)


@pytest.fixture(scope="module")
def data():
    return make_blobs(1500, 4, 5, seed=3)


def test_matches_single_process_from_same_centers(spark, data) -> None:
    init = data[[0, 300, 600, 900, 1200]]
    model = KMeans(k=5, maxIter=300).setInitialCenters(init).fit(frame(spark, data))
    local = quickmeans.KMeans(5, init=init, n_init=1, max_iter=300).fit(data)
    np.testing.assert_allclose(np.array(model.clusterCenters()), local.cluster_centers_,
                               rtol=1e-10, atol=1e-12)
    assert model.summary.numIter == local.n_iter_
    assert model.summary.trainingCost == pytest.approx(local.inertia_, rel=1e-10)
    assert model.summary.clusterSizes == np.bincount(local.labels_, minlength=5).tolist()
    assert all(isinstance(c, np.ndarray) for c in model.clusterCenters())


def test_weighted_matches_single_process(spark, data) -> None:
    weights = np.random.RandomState(0).uniform(0, 3, size=len(data))
    weights[::7] = 0.0
    init = data[[1, 301, 601, 901, 1201]]
    df = frame(spark, data, weights=weights, partitions=3)
    model = KMeans(k=5, weightCol="w", maxIter=300, initialCenters=init.tolist()).fit(df)
    local = quickmeans.KMeans(5, init=init, n_init=1, max_iter=300).fit(
        data, sample_weight=weights)
    np.testing.assert_allclose(np.array(model.clusterCenters()), local.cluster_centers_,
                               rtol=1e-10, atol=1e-12)
    assert model.summary.trainingCost == pytest.approx(local.inertia_, rel=1e-10)


def test_empty_cluster_relocated_as_single_process(spark, data) -> None:
    # A center far from every row gets no rows in the first step; like the engine, it
    # takes the row farthest from its center.
    init = np.vstack([data[[0, 300, 600, 900]], np.full((1, 4), 1e3)])
    model = KMeans(k=5, maxIter=300, initialCenters=init.tolist()).fit(frame(spark, data, None, 3))
    local = quickmeans.KMeans(5, init=init, n_init=1, max_iter=300).fit(data)
    np.testing.assert_allclose(np.array(model.clusterCenters()), local.cluster_centers_,
                               rtol=1e-10, atol=1e-12)
    assert min(model.summary.clusterSizes) > 0


def test_float32_matches_single_process_float32(spark, data) -> None:
    X = data.astype(np.float32)
    init = X[[2, 302, 602, 902, 1202]]
    model = KMeans(k=5, maxIter=300, dtype="float32").setInitialCenters(init).fit(
        frame(spark, X))
    local = quickmeans.KMeans(5, init=init, n_init=1, max_iter=300).fit(X)
    np.testing.assert_allclose(np.array(model.clusterCenters()), local.cluster_centers_,
                               rtol=1e-5, atol=1e-5)
    assert model.summary.numIter == local.n_iter_


def test_partition_count_does_not_change_the_result(spark, data) -> None:
    init = data[[5, 305, 605, 905, 1205]]
    fits = [KMeans(k=5, maxIter=300, initialCenters=init.tolist()).fit(frame(spark, data, None, p))
            for p in (2, 4)]
    for model in fits[1:]:
        np.testing.assert_allclose(np.array(model.clusterCenters()),
                                   np.array(fits[0].clusterCenters()), rtol=1e-12, atol=1e-12)
        assert model.summary.numIter == fits[0].summary.numIter
        assert model.summary.clusterSizes == fits[0].summary.clusterSizes


def test_scalable_init_is_as_good_as_mllib(spark) -> None:
    X = make_blobs(4000, 6, 8, seed=11, spread=0.8)
    df = frame(spark, X, partitions=3).cache()
    first = KMeans(k=8, seed=42).fit(df)
    mllib = MLlibKMeans(k=8, seed=42).fit(df)
    assert first.summary.trainingCost <= 1.02 * mllib.summary.trainingCost
    # The reported cost is the cost of the returned centers.
    centers = np.array(first.clusterCenters())
    assert first.summary.trainingCost == pytest.approx(
        ((X - centers[nearest(X, centers)]) ** 2).sum(), rel=1e-9)
    df.unpersist()


def test_one_pass_oversampling_keeps_the_rows_of_the_two_pass_rule(spark, monkeypatch) -> None:
    from pyspark import StorageLevel

    from quickmeans.spark import _data, _driver, _tasks

    X = make_blobs(3000, 5, 10, seed=2)
    data = _data.cache_blocks(frame(spark, X, partitions=3), "features", None, "float64",
                              False, 10, StorageLevel.MEMORY_AND_DISK)
    try:
        candidates, seeds = np.ascontiguousarray(X[:3]), np.array([5, 6, 7])
        new, phi = _driver._oversample(data, candidates, 20.0, seeds)
        # The oracle: phi by NumPy, then Bahmani et al.'s rule with phi known (second pass).
        assert phi == pytest.approx(((X[:, None] - candidates[None]) ** 2).sum(2).min(1).sum())
        parts = data.map(_tasks.oversample, ("rows", "n"), candidates, phi, 20.0, seeds)
        expected = np.concatenate([np.frombuffer(r.rows).reshape(r.n, 5) for r in parts])
        assert 5 < len(expected) < 100
        np.testing.assert_array_equal(new, expected)
        monkeypatch.setattr(_driver, "CAP_FACTOR", 0.05)  # partitions cut short: the fallback
        np.testing.assert_array_equal(_driver._oversample(data, candidates, 20.0, seeds)[0],
                                      expected)
    finally:
        data.unpersist()


def test_random_init_converges_to_a_good_cost(spark) -> None:
    X = make_blobs(3000, 3, 4, seed=5, spread=0.5)
    model = KMeans(k=4, initMode="random", seed=1, maxIter=100).fit(frame(spark, X))
    best = quickmeans.KMeans(4, n_init=10, random_state=0).fit(X)
    assert model.summary.trainingCost <= 1.02 * best.inertia_


def test_transform_adds_prediction_matching_single_process_predict(spark, data) -> None:
    df = frame(spark, data, ids=True)
    model = KMeans(k=5, seed=3, predictionCol="cluster").fit(df)
    out = model.transform(df)
    assert out.columns == ["features", "id", "cluster"]
    assert dict(out.dtypes)["cluster"] == "int"
    expected = nearest(data, np.array(model.clusterCenters()))
    np.testing.assert_array_equal(by_id(out, "cluster"), expected)
    assert model.predict(data[0]) == expected[0]
    summary = model.summary.predictions
    np.testing.assert_array_equal(by_id(summary, "cluster"), expected)


def test_list_of_numeric_columns_equals_vector_column(spark, data) -> None:
    init = data[[0, 300, 600, 900, 1200]]
    rows = [tuple(float(v) for v in r) for r in data]
    df = spark.createDataFrame(rows, ["a", "b", "c", "d"]).repartition(2)
    model = KMeans(k=5, featuresCol=["a", "b", "c", "d"], initialCenters=init.tolist(),
                   maxIter=300).fit(df)
    local = quickmeans.KMeans(5, init=init, n_init=1, max_iter=300).fit(data)
    np.testing.assert_allclose(np.array(model.clusterCenters()), local.cluster_centers_,
                               rtol=1e-10, atol=1e-12)
    assert "prediction" in model.transform(df).columns


def spherical_reference(X, init, max_iter, tol):
    """NumPy spherical k-means: unit rows, nearest by cosine, centers = normalised means."""
    unit = lambda A: A / np.linalg.norm(A, axis=1, keepdims=True)  # noqa: E731
    U, C = unit(X), unit(init)
    threshold = tol * U.var(axis=0).mean()
    for _ in range(max_iter):
        labels = np.argmax(U @ C.T, axis=1)
        new = unit(np.array([U[labels == j].sum(axis=0) for j in range(len(C))]))
        shift = ((new - C) ** 2).sum()
        C = new
        if shift <= threshold:
            break
    labels = np.argmax(U @ C.T, axis=1)
    return C, float((1 - np.einsum("ij,ij->i", U, C[labels])).sum())


# 2^-540: rows whose squares underflow (their norms once came out 0: "row(s) are zero").
@pytest.mark.parametrize("scale", [1.0, 2.0**-540])
def test_cosine_is_spherical_kmeans(spark, scale) -> None:
    X = np.abs(make_blobs(1200, 3, 4, seed=8)) + 0.1
    init = X[[0, 100, 200, 300]]
    model = KMeans(k=4, distanceMeasure="cosine", maxIter=15,
                   initialCenters=init.tolist()).fit(frame(spark, X * scale))
    centers, cost = spherical_reference(X, init, 15, 1e-4)
    np.testing.assert_allclose(np.array(model.clusterCenters()), centers, atol=1e-9)
    assert model.summary.trainingCost == pytest.approx(cost, rel=1e-8)


def test_persistence_round_trip(spark, data, tmp_path) -> None:
    df = frame(spark, data, ids=True)
    model = KMeans(k=5, seed=9, distanceMeasure="euclidean", predictionCol="p").fit(df)
    model.save(str(tmp_path / "model"))
    loaded = KMeansModel.load(str(tmp_path / "model"))
    np.testing.assert_array_equal(np.array(loaded.clusterCenters()),
                                  np.array(model.clusterCenters()))
    assert (loaded.getK(), loaded.getPredictionCol(), loaded.uid) == (5, "p", model.uid)
    assert not loaded.hasSummary
    np.testing.assert_array_equal(by_id(loaded.transform(df), "p"),
                                  by_id(model.transform(df), "p"))
    estimator = KMeans(k=7, maxIter=3, featuresCol=["a", "b"], weightCol="w")
    estimator.write().overwrite().save(str(tmp_path / "estimator"))
    back = KMeans.load(str(tmp_path / "estimator"))
    assert (back.getK(), back.getMaxIter(), back.getFeaturesCol(), back.getWeightCol()) == \
        (7, 3, ["a", "b"], "w")


def test_params_mirror_mllib() -> None:
    ours, theirs = KMeans(), MLlibKMeans()
    for param in theirs.params:
        assert ours.hasParam(param.name), param.name
        if param.name != "seed" and theirs.hasDefault(param):
            assert ours.getOrDefault(param.name) == theirs.getOrDefault(param), param.name
    est = KMeans().setK(4).setMaxIter(7).setTol(0.5).setInitMode("random").setInitSteps(3)
    est = est.setFeaturesCol("v").setPredictionCol("c").setWeightCol("w").setSeed(5)
    est = est.setDistanceMeasure("cosine")
    assert (est.getK(), est.getMaxIter(), est.getTol(), est.getInitMode(), est.getInitSteps(),
            est.getFeaturesCol(), est.getPredictionCol(), est.getWeightCol(), est.getSeed(),
            est.getDistanceMeasure()) == (4, 7, 0.5, "random", 3, "v", "c", "w", 5, "cosine")


def persistent_rdds(spark) -> int:
    return spark.sparkContext._jsc.getPersistentRDDs().size()


def bad_inputs(spark):
    good = make_blobs(20, 3, 2, seed=0)
    base = spark.createDataFrame(pa.table({"f": pa.array(list(good)), "w": pa.array(
        np.ones(20))}))
    vec = lambda df: df.withColumn("features", array_to_vector("f"))  # noqa: E731
    schema = StructType([StructField("features", VectorUDT(), True)])
    vectors = [(Vectors.dense(r),) for r in good]
    with_null = spark.createDataFrame(vectors + [(None,)], schema)
    sizes = spark.createDataFrame(vectors + [(Vectors.dense([1.0]),)], schema)
    nan = good.copy()
    nan[3, 1] = np.nan
    negative = np.ones(20)
    negative[4] = -1.0
    return [
        (KMeans(k=2), with_null, ValueError, "null value"),
        (KMeans(k=2), sizes, ValueError, "same size"),
        (KMeans(k=2), vec(base).limit(0), ValueError, "0 sample"),
        (KMeans(k=30), vec(base), ValueError, "n_samples=20 should be >= n_clusters=30"),
        (KMeans(k=0), vec(base), ValueError, "k must be > 1"),
        (KMeans(k=2, maxIter=-1), vec(base), ValueError, "maxIter must be >= 0"),
        (KMeans(k=2, initMode="k-means++"), vec(base), ValueError, "initMode must be"),
        (KMeans(k=2, distanceMeasure="manhattan"), vec(base), ValueError, "distanceMeasure"),
        (KMeans(k=2), vec(spark.createDataFrame(pa.table({"f": pa.array(list(nan))}))),
         ValueError, "NaN or infinity"),
        (KMeans(k=2, weightCol="w"), vec(spark.createDataFrame(pa.table(
            {"f": pa.array(list(good)), "w": pa.array(negative)}))), ValueError, "Negative"),
        (KMeans(k=2, weightCol="w"), vec(base).withColumn("w", base.w * 0), ValueError,
         "non-zero"),
        (KMeans(k=2, initialCenters=[[0.0, 0.0, 0.0]]), vec(base), ValueError,
         "shape of the initial centers"),
        (KMeans(k=2, initialCenters=[[0.0, 0.0], [1.0, 1.0]]), vec(base), ValueError,
         "2 features; the data has 3"),
        (KMeans(k=2, featuresCol="nope"), vec(base), ValueError, "not found"),
        (KMeans(k=2, featuresCol="w"), vec(base), TypeError, "must be a vector"),
        (KMeans(k=2, distanceMeasure="cosine"), vec(spark.createDataFrame(pa.table(
            {"f": pa.array([[0.0, 0.0, 0.0]] + list(good))}))), ValueError, "zero-length"),
    ]


def test_bad_input_raises_one_line_python_errors(spark) -> None:
    before = persistent_rdds(spark)
    for estimator, df, kind, message in bad_inputs(spark):
        with pytest.raises(kind, match=re.escape(message)) as info:
            estimator.fit(df)
        assert "\n" not in str(info.value), str(info.value)
        assert type(info.value).__module__ == "builtins"  # not a Py4J/JVM error
    assert persistent_rdds(spark) == before  # nothing left cached by the failed fits


def test_fit_unpersists_its_cache(spark, data) -> None:
    before = persistent_rdds(spark)
    KMeans(k=3, seed=1).fit(frame(spark, data))
    assert persistent_rdds(spark) == before


def test_readme_snippet_runs(spark, capsys) -> None:
    text = README.read_text(encoding="utf-8")
    body = text.split("## Spark\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", body, flags=re.S)
    exec(compile(block, str(README), "exec"), {"__name__": "__readme__"})
    printed = capsys.readouterr().out.split()
    assert printed[0] == "3"  # three clusters found


def test_import_quickmeans_does_not_import_pyspark() -> None:
    code = ("import sys, quickmeans; quickmeans.KMeans; quickmeans.MiniBatchKMeans; "
            "print('pyspark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
