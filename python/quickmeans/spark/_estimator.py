"""quickmeans.spark.KMeans: a pyspark.ml Estimator with MLlib's KMeans params."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from pyspark import keyword_only
from pyspark.ml import Estimator
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame

from quickmeans.spark import _driver, _resident
from quickmeans.spark._data import Blocks, cache_blocks
from quickmeans.spark._model import KMeansModel, KMeansSummary
from quickmeans.spark._params import KMeansParams
from quickmeans.spark._resident import ResidentBlocks, ResidentUnavailable


class KMeans(Estimator, KMeansParams, DefaultParamsReadable, DefaultParamsWritable):
    """K-means on a Spark DataFrame; a drop-in for ``pyspark.ml.clustering.KMeans``.

    Every pass over the data (k-means|| steps, Lloyd iterations) assigns each partition with
    quickmeans' native kernel on its executor; a partition sends back per-cluster sums,
    weights and cost (O(k*d)) and the driver adds them in partition id order. By default
    (``iterationMode='auto'``) one barrier stage keeps the partitions in its Python tasks for
    the whole fit and each pass is a request to them; otherwise each pass is a Spark job.
    Both give the same result. See the README's Spark section for how ``tol`` and the other
    params differ from MLlib's.
    """

    @keyword_only
    def __init__(self, *, featuresCol: Any = "features", predictionCol: str = "prediction",
                 k: int = 2, initMode: str = "k-means||", initSteps: int = 2, tol: float = 1e-4,
                 maxIter: int = 20, seed: int | None = None, weightCol: str | None = None,
                 distanceMeasure: str = "euclidean", initialCenters: Any = None,
                 solver: str = "auto", maxBlockSizeInMB: float = 0.0,
                 intermediateStorageLevel: str = "MEMORY_AND_DISK",
                 dtype: str = "float64", iterationMode: str = "auto") -> None:
        super().__init__()
        self._set(**self._input_kwargs)

    @keyword_only
    def setParams(self, *, featuresCol: Any = "features", predictionCol: str = "prediction",
                  k: int = 2, initMode: str = "k-means||", initSteps: int = 2, tol: float = 1e-4,
                  maxIter: int = 20, seed: int | None = None, weightCol: str | None = None,
                  distanceMeasure: str = "euclidean", initialCenters: Any = None,
                  solver: str = "auto", maxBlockSizeInMB: float = 0.0,
                  intermediateStorageLevel: str = "MEMORY_AND_DISK",
                  dtype: str = "float64", iterationMode: str = "auto") -> KMeans:
        return self._set(**self._input_kwargs)

    def _set(self, **kwargs: Any) -> KMeans:
        # None means "leave unset" for seed and the optional params, as in MLlib.
        return super()._set(**{k: v for k, v in kwargs.items() if v is not None})

    def setK(self, value: int) -> KMeans:
        return self._set(k=value)

    def setSeed(self, value: int) -> KMeans:
        return self._set(seed=value)

    def setMaxIter(self, value: int) -> KMeans:
        return self._set(maxIter=value)

    def setTol(self, value: float) -> KMeans:
        return self._set(tol=value)

    def setInitMode(self, value: str) -> KMeans:
        return self._set(initMode=value)

    def setInitSteps(self, value: int) -> KMeans:
        return self._set(initSteps=value)

    def setFeaturesCol(self, value: Any) -> KMeans:
        return self._set(featuresCol=value)

    def setPredictionCol(self, value: str) -> KMeans:
        return self._set(predictionCol=value)

    def setWeightCol(self, value: str) -> KMeans:
        return self._set(weightCol=value)

    def setDistanceMeasure(self, value: str) -> KMeans:
        return self._set(distanceMeasure=value)

    def setInitialCenters(self, value: Any) -> KMeans:
        """Start from these k centers (array-like k x d) instead of initMode."""
        return self._set(initialCenters=np.asarray(value, dtype=np.float64).tolist())

    def setSolver(self, value: str) -> KMeans:
        return self._set(solver=value)

    def setMaxBlockSizeInMB(self, value: float) -> KMeans:
        return self._set(maxBlockSizeInMB=value)

    def setIntermediateStorageLevel(self, value: str) -> KMeans:
        return self._set(intermediateStorageLevel=value)

    def setDtype(self, value: str) -> KMeans:
        return self._set(dtype=value)

    def setIterationMode(self, value: str) -> KMeans:
        return self._set(iterationMode=value)

    def _fit(self, dataset: DataFrame) -> KMeansModel:
        p = self._checked()
        k, cosine, mode = p["k"], p["cosine"], p["iteration_mode"]
        initial = None
        if p["initial_centers"] is not None:
            initial = np.array(p["initial_centers"], dtype=np.float64)
            if initial.ndim != 2 or initial.shape[0] != k:
                raise ValueError(f"The shape of the initial centers {initial.shape} does not "
                                 f"match the number of clusters {k}.")
            if not np.isfinite(initial).all():
                raise ValueError("The initial centers contain NaN or infinity.")
        slots = None if mode == "jobs" else _resident.slots(dataset)
        if mode == "tasks" and slots is None:
            raise ValueError("iterationMode='tasks' needs a barrier stage, which this session "
                             "cannot run (Spark Connect, or dynamic allocation is on); use "
                             "'auto' or 'jobs'.")
        data = cache_blocks(dataset, self.getFeaturesCol(), self._weight_column(), p["dtype"],
                            cosine, k, p["storage"])
        try:
            if initial is not None and initial.shape[1] != data.d:
                raise ValueError(f"The initial centers have {initial.shape[1]} features; "
                                 f"the data has {data.d}.")
            trained = None
            if slots is not None:
                try:
                    with ResidentBlocks(data, slots) as resident:
                        trained = _train(resident, p, initial)
                except ResidentUnavailable as why:
                    if mode == "tasks":
                        raise RuntimeError(f"iterationMode='tasks' failed: {why}.") from None
                    warnings.warn(f"quickmeans.spark: {why}; running one Spark job per pass "
                                  "instead (iterationMode='jobs'; same result, slower).",
                                  RuntimeWarning, stacklevel=2)
            if trained is None:
                trained = _train(data, p, initial)
        finally:
            data.unpersist()
        centers, cost, n_iter, counts = trained
        model = KMeansModel(centers)
        self._copyValues(model)
        model._resetUid(self.uid)  # noqa: SLF001 - MLlib's models share the estimator's uid
        # Cosine: the squared distance of unit vectors is 2 (1 - cos); MLlib's cost is 1 - cos.
        training_cost = cost / 2 if cosine else cost
        model._summary = KMeansSummary(model, dataset, training_cost, n_iter,
                                       [int(c) for c in counts])
        return model


def _train(data: Blocks, p: dict[str, Any],
           initial: np.ndarray | None) -> tuple[np.ndarray, float, int, np.ndarray]:
    """Init and Lloyd's iterations over ``data`` (the same passes whether each is a Spark job
    or a request to resident tasks); a fresh RandomState, so a rerun repeats every draw."""
    k, cosine = p["k"], p["cosine"]
    random_state = np.random.RandomState(p["seed"] % 2**32)
    if initial is not None:
        centers = _driver._normalised(initial) if cosine else initial  # noqa: SLF001
    elif p["init_mode"] == "random":
        centers = _driver.random_centers(data, k, random_state)
    else:
        centers = _driver.scalable_init(data, k, p["init_steps"], random_state, cosine)
    return _driver.lloyd(data, centers, p["max_iter"], p["tol"] * data.variance, cosine)
