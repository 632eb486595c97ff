"""quickmeans.spark's resident tasks (iterationMode='tasks'): the same fit, bit for bit, as
one Spark job per pass ('jobs', the oracle), with a task per partition and with partitions
regrouped onto fewer tasks; the fallback when the tasks cannot connect or one is lost; the
handshake refusing strangers."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from spark_session import SPARK_WARNINGS, frame  # first: skips without Java or pyspark

from conftest import make_blobs

pytestmark = SPARK_WARNINGS

from quickmeans.spark import KMeans, _resident  # noqa: E402
from quickmeans.spark._data import Blocks  # noqa: E402


def fitted(model) -> tuple:
    s = model.summary
    return (np.array(model.clusterCenters()), s.numIter, s.trainingCost, s.clusterSizes)


def assert_same_fit(a, b) -> None:
    np.testing.assert_array_equal(a[0], b[0])  # bit-identical: the same sums in the same order
    assert a[1:] == b[1:]


@pytest.fixture(scope="module")
def X():
    return make_blobs(3000, 5, 6, seed=21)


@pytest.mark.parametrize("partitions", [2, 5])  # local[2]: a task each; 5 regrouped onto 2
def test_tasks_equal_jobs_with_scalable_init_and_weights(spark, X, partitions) -> None:
    weights = np.random.RandomState(4).uniform(0.2, 2.0, size=len(X))
    df = frame(spark, X, weights=weights, partitions=partitions).cache()
    fits = [fitted(KMeans(k=6, seed=3, maxIter=100, weightCol="w", iterationMode=mode).fit(df))
            for mode in ("tasks", "jobs", "auto")]
    df.unpersist()
    assert_same_fit(fits[0], fits[1])
    assert_same_fit(fits[2], fits[1])
    assert fits[0][1] > 1


def test_tasks_equal_jobs_for_random_init_cosine_and_empty_clusters(spark, X) -> None:
    df = frame(spark, np.abs(X) + 0.1, partitions=3).cache()
    for params in ({"initMode": "random", "seed": 8},
                   {"distanceMeasure": "cosine", "seed": 2},
                   {"initialCenters": np.vstack([X[[0, 500, 1000]], np.full((1, 5), 1e3)])
                    .tolist()}):  # the far center's cluster starts empty: relocation pass
        k = 4 if "initialCenters" in params else 5
        fits = [fitted(KMeans(k=k, maxIter=50, iterationMode=mode, **params).fit(df))
                for mode in ("tasks", "jobs")]
        assert_same_fit(fits[0], fits[1])
    df.unpersist()


def test_tasks_that_cannot_connect_fall_back_to_jobs(spark, X, monkeypatch) -> None:
    df = frame(spark, X).cache()
    expected = fitted(KMeans(k=6, seed=1, iterationMode="jobs").fit(df))
    # Every connection refused, as a firewall or a wrong secret would have it.
    monkeypatch.setattr(_resident.ResidentBlocks, "_admit", lambda self, conn: conn.close())
    with pytest.warns(RuntimeWarning, match="one Spark job per pass"):
        fallback = fitted(KMeans(k=6, seed=1).fit(df))
    assert_same_fit(fallback, expected)
    with pytest.raises(RuntimeError, match="iterationMode='tasks' failed") as info:
        KMeans(k=6, seed=1, iterationMode="tasks").fit(df)
    assert "\n" not in str(info.value)
    df.unpersist()


def test_a_task_lost_mid_fit_restarts_the_fit_in_jobs(spark, X, monkeypatch) -> None:
    df = frame(spark, X).cache()
    expected = fitted(KMeans(k=6, seed=5, iterationMode="jobs").fit(df))
    calls = {"n": 0}
    original = _resident.ResidentBlocks.map

    def losing_map(self, *args):
        calls["n"] += 1
        if calls["n"] == 6:  # mid-iterations: one task's connection drops
            next(iter(self._tasks.values())).close()
        return original(self, *args)

    monkeypatch.setattr(_resident.ResidentBlocks, "map", losing_map)
    with pytest.warns(RuntimeWarning, match="lost"):
        restarted = fitted(KMeans(k=6, seed=5).fit(df))
    assert calls["n"] == 6
    assert_same_fit(restarted, expected)  # the rerun repeats every draw from the seed
    df.unpersist()


def test_no_job_is_left_running_after_a_fit(spark, X) -> None:
    df = frame(spark, X)
    KMeans(k=3, seed=1, iterationMode="tasks").fit(df)
    tracker = spark.sparkContext.statusTracker()
    assert tracker.getActiveJobsIds() == []


def test_owned_partitions_cover_each_once_in_balanced_runs() -> None:
    for n_partitions in range(1, 12):
        for n_tasks in range(1, n_partitions + 1):
            groups = [_resident.owned(t, n_tasks, n_partitions) for t in range(n_tasks)]
            assert sorted(p for g in groups for p in g) == list(range(n_partitions))
            sizes = [len(g) for g in groups]
            assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1
            assert all(g == list(range(g[0], g[0] + len(g))) for g in groups)


def test_handshake_admits_only_this_fits_tasks() -> None:
    data = Blocks(df=None, n_partitions=2, d=1, dtype="float64", n_rows=2, variance=1.0,
                  partition_weights=np.ones(2))
    resident = _resident.ResidentBlocks(data, n_tasks=2)
    hellos = [(b"x" * 32, 0), (resident._secret, 7), (resident._secret, 1),
              (resident._secret, 1)]  # wrong secret, no such task, the task, a duplicate
    with socket.create_server(("127.0.0.1", 0)) as server:
        for secret, task_id in hellos:
            theirs = socket.create_connection(server.getsockname())
            theirs.sendall(_resident._HELLO.pack(secret, task_id))
            resident._admit(server.accept()[0])
            theirs.close()
    assert list(resident._tasks) == [1]
    resident._tasks.pop(1).close()


def test_bad_iteration_mode_is_one_line(spark, X) -> None:
    with pytest.raises(ValueError, match="iterationMode must be one of") as info:
        KMeans(k=2, iterationMode="fast").fit(frame(spark, X[:50]))
    assert "\n" not in str(info.value)
