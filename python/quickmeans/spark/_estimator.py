"""quickmeans.spark.KMeans: a pyspark.ml Estimator with MLlib's KMeans params."""

from __future__ import annotations

from typing import Any

import numpy as np
from pyspark import keyword_only
from pyspark.ml import Estimator
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame

from quickmeans.spark import _driver
from quickmeans.spark._data import cache_blocks
from quickmeans.spark._model import KMeansModel, KMeansSummary
from quickmeans.spark._params import KMeansParams


class KMeans(Estimator, KMeansParams, DefaultParamsReadable, DefaultParamsWritable):
    """K-means on a Spark DataFrame; a drop-in for ``pyspark.ml.clustering.KMeans``.

    Every Lloyd iteration is one Spark job: each partition is assigned by quickmeans' native
    kernel on its executor and sends back per-cluster sums, weights and cost (O(k*d)); the
    driver adds them in partition id order. See the README's Spark section for how ``tol``
    and the other params differ from MLlib's.
    """

    @keyword_only
    def __init__(self, *, featuresCol: Any = "features", predictionCol: str = "prediction",
                 k: int = 2, initMode: str = "k-means||", initSteps: int = 2, tol: float = 1e-4,
                 maxIter: int = 20, seed: int | None = None, weightCol: str | None = None,
                 distanceMeasure: str = "euclidean", initialCenters: Any = None,
                 solver: str = "auto", maxBlockSizeInMB: float = 0.0,
                 intermediateStorageLevel: str = "MEMORY_AND_DISK",
                 dtype: str = "float64") -> None:
        super().__init__()
        self._set(**self._input_kwargs)

    @keyword_only
    def setParams(self, *, featuresCol: Any = "features", predictionCol: str = "prediction",
                  k: int = 2, initMode: str = "k-means||", initSteps: int = 2, tol: float = 1e-4,
                  maxIter: int = 20, seed: int | None = None, weightCol: str | None = None,
                  distanceMeasure: str = "euclidean", initialCenters: Any = None,
                  solver: str = "auto", maxBlockSizeInMB: float = 0.0,
                  intermediateStorageLevel: str = "MEMORY_AND_DISK",
                  dtype: str = "float64") -> KMeans:
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

    def _fit(self, dataset: DataFrame) -> KMeansModel:
        p = self._checked()
        k, cosine = p["k"], p["cosine"]
        initial = None
        if p["initial_centers"] is not None:
            initial = np.array(p["initial_centers"], dtype=np.float64)
            if initial.ndim != 2 or initial.shape[0] != k:
                raise ValueError(f"The shape of the initial centers {initial.shape} does not "
                                 f"match the number of clusters {k}.")
            if not np.isfinite(initial).all():
                raise ValueError("The initial centers contain NaN or infinity.")
        data = cache_blocks(dataset, self.getFeaturesCol(), self._weight_column(), p["dtype"],
                            cosine, k, p["storage"])
        try:
            random_state = np.random.RandomState(p["seed"] % 2**32)
            if initial is not None:
                if initial.shape[1] != data.d:
                    raise ValueError(f"The initial centers have {initial.shape[1]} features; "
                                     f"the data has {data.d}.")
                centers = _driver._normalised(initial) if cosine else initial
            elif p["init_mode"] == "random":
                centers = _driver.random_centers(data, k, random_state)
            else:
                centers = _driver.scalable_init(data, k, p["init_steps"], random_state, cosine)
            centers, cost, n_iter, counts = _driver.lloyd(
                data, centers, p["max_iter"], p["tol"] * data.variance, cosine)
        finally:
            data.unpersist()
        model = KMeansModel(centers)
        self._copyValues(model)
        model._resetUid(self.uid)  # noqa: SLF001 - MLlib's models share the estimator's uid
        # Cosine: the squared distance of unit vectors is 2 (1 - cos); MLlib's cost is 1 - cos.
        training_cost = cost / 2 if cosine else cost
        model._summary = KMeansSummary(model, dataset, training_cost, n_iter,
                                       [int(c) for c in counts])
        return model
