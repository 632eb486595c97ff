"""The estimator's and the model's Params: MLlib's KMeans names, defaults and getters."""

from __future__ import annotations

import zlib
from typing import Any

from pyspark import StorageLevel
from pyspark.ml.param import Param, Params, TypeConverters

INIT_MODES = ("k-means||", "random")
DISTANCE_MEASURES = ("euclidean", "cosine")
DTYPES = ("float64", "float32")
SOLVERS = ("auto", "row", "block")
ITERATION_MODES = ("auto", "tasks", "jobs")
# MLlib seeds with hash(class name), which Python randomises per process; a fixed value keeps
# an unseeded fit reproducible across runs.
DEFAULT_SEED = zlib.crc32(b"quickmeans.spark.KMeans")


def _to_columns(value: Any) -> Any:
    """featuresCol: one column (a vector or numeric array) or a list of numeric columns."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(c, str) for c in value):
        return list(value)
    raise TypeError(f"featuresCol must be a column name or a non-empty list of column names, "
                    f"got {value!r}.")


def _to_centers(value: Any) -> Any:
    return None if value is None else TypeConverters.toListListFloat(value)


class KMeansParams(Params):
    """Params shared by KMeans and KMeansModel (MLlib's names and defaults)."""

    k = Param(Params._dummy(), "k", "The number of clusters to create. Must be > 1.",
              typeConverter=TypeConverters.toInt)
    seed = Param(Params._dummy(), "seed", "random seed.", typeConverter=TypeConverters.toInt)
    maxIter = Param(Params._dummy(), "maxIter", "max number of iterations (>= 0).",
                    typeConverter=TypeConverters.toInt)
    tol = Param(Params._dummy(), "tol",
                "relative tolerance: stop when the summed squared center shift is <= tol times "
                "the mean feature variance (scikit-learn's rule, not MLlib's absolute shift).",
                typeConverter=TypeConverters.toFloat)
    initMode = Param(Params._dummy(), "initMode",
                     "The initialization algorithm: 'random' or 'k-means||'.",
                     typeConverter=TypeConverters.toString)
    initSteps = Param(Params._dummy(), "initSteps",
                      "The number of steps for k-means|| initialization mode. Must be > 0.",
                      typeConverter=TypeConverters.toInt)
    featuresCol = Param(Params._dummy(), "featuresCol",
                        "features column name (vector or numeric array), or a list of numeric "
                        "column names.", typeConverter=_to_columns)
    predictionCol = Param(Params._dummy(), "predictionCol", "prediction column name.",
                          typeConverter=TypeConverters.toString)
    weightCol = Param(Params._dummy(), "weightCol",
                      "weight column name. If this is not set or empty, all weights are 1.0.",
                      typeConverter=TypeConverters.toString)
    distanceMeasure = Param(Params._dummy(), "distanceMeasure",
                            "the distance measure: 'euclidean' or 'cosine'.",
                            typeConverter=TypeConverters.toString)
    initialCenters = Param(Params._dummy(), "initialCenters",
                           "k initial centers (a list of k lists of floats); when set, "
                           "initMode is not used.", typeConverter=_to_centers)
    solver = Param(Params._dummy(), "solver",
                   "MLlib's solver ('auto', 'row', 'block'): accepted for compatibility; "
                   "quickmeans always runs its own kernel.", typeConverter=TypeConverters.toString)
    maxBlockSizeInMB = Param(Params._dummy(), "maxBlockSizeInMB",
                             "MLlib's block size for solver='block': accepted for compatibility, "
                             "not used.", typeConverter=TypeConverters.toFloat)
    intermediateStorageLevel = Param(Params._dummy(), "intermediateStorageLevel",
                                     "StorageLevel of the cached training data (e.g. "
                                     "'MEMORY_AND_DISK').", typeConverter=TypeConverters.toString)
    dtype = Param(Params._dummy(), "dtype",
                  "the precision the features are cached and clustered in: 'float64' (as "
                  "MLlib) or 'float32' (half the memory and traffic).",
                  typeConverter=TypeConverters.toString)

    iterationMode = Param(Params._dummy(), "iterationMode",
                          "how the passes over the data run: 'tasks' (one barrier stage whose "
                          "tasks keep their partition in memory and answer each pass over a "
                          "socket to the driver), 'jobs' (one Spark job per pass) or 'auto' "
                          "('tasks' when the cluster can run a task per partition at once, "
                          "else 'jobs').", typeConverter=TypeConverters.toString)

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(k=2, seed=DEFAULT_SEED, maxIter=20, tol=1e-4, initMode="k-means||",
                         initSteps=2, featuresCol="features", predictionCol="prediction",
                         distanceMeasure="euclidean", solver="auto", maxBlockSizeInMB=0.0,
                         intermediateStorageLevel="MEMORY_AND_DISK", dtype="float64",
                         iterationMode="auto")

    def getK(self) -> int:
        return self.getOrDefault(self.k)

    def getSeed(self) -> int:
        return self.getOrDefault(self.seed)

    def getMaxIter(self) -> int:
        return self.getOrDefault(self.maxIter)

    def getTol(self) -> float:
        return self.getOrDefault(self.tol)

    def getInitMode(self) -> str:
        return self.getOrDefault(self.initMode)

    def getInitSteps(self) -> int:
        return self.getOrDefault(self.initSteps)

    def getFeaturesCol(self) -> Any:
        return self.getOrDefault(self.featuresCol)

    def getPredictionCol(self) -> str:
        return self.getOrDefault(self.predictionCol)

    def getWeightCol(self) -> str:
        return self.getOrDefault(self.weightCol)

    def getDistanceMeasure(self) -> str:
        return self.getOrDefault(self.distanceMeasure)

    def getInitialCenters(self) -> Any:
        return self.getOrDefault(self.initialCenters) if self.isDefined(self.initialCenters) \
            else None

    def getSolver(self) -> str:
        return self.getOrDefault(self.solver)

    def getMaxBlockSizeInMB(self) -> float:
        return self.getOrDefault(self.maxBlockSizeInMB)

    def getIntermediateStorageLevel(self) -> str:
        return self.getOrDefault(self.intermediateStorageLevel)

    def getDtype(self) -> str:
        return self.getOrDefault(self.dtype)

    def getIterationMode(self) -> str:
        return self.getOrDefault(self.iterationMode)

    def _weight_column(self) -> str | None:
        if self.isDefined(self.weightCol) and self.getWeightCol():
            return self.getWeightCol()
        return None

    def _checked(self) -> dict[str, Any]:
        """The params after MLlib's range checks, with one-line messages."""
        def bad(name: str, rule: str) -> ValueError:
            return ValueError(f"KMeans parameter {name} given invalid value "
                              f"{self.getOrDefault(name)!r}: {rule}.")
        if self.getK() < 2:
            raise bad("k", "k must be > 1")
        if self.getMaxIter() < 0:
            raise bad("maxIter", "maxIter must be >= 0")
        if not self.getTol() >= 0:
            raise bad("tol", "tol must be >= 0")
        if self.getInitSteps() < 1:
            raise bad("initSteps", "initSteps must be > 0")
        if self.getInitMode() not in INIT_MODES:
            raise bad("initMode", f"initMode must be one of {INIT_MODES}")
        if self.getDistanceMeasure() not in DISTANCE_MEASURES:
            raise bad("distanceMeasure", f"distanceMeasure must be one of {DISTANCE_MEASURES}")
        if self.getSolver() not in SOLVERS:
            raise bad("solver", f"solver must be one of {SOLVERS}")
        if not self.getMaxBlockSizeInMB() >= 0:
            raise bad("maxBlockSizeInMB", "maxBlockSizeInMB must be >= 0")
        level = self.getIntermediateStorageLevel()
        if level == "NONE" or not isinstance(getattr(StorageLevel, level, None), StorageLevel):
            raise bad("intermediateStorageLevel", "it must name a pyspark StorageLevel other "
                      "than NONE")
        if self.getDtype() not in DTYPES:
            raise bad("dtype", f"dtype must be one of {DTYPES}")
        if self.getIterationMode() not in ITERATION_MODES:
            raise bad("iterationMode", f"iterationMode must be one of {ITERATION_MODES}")
        return {"k": self.getK(), "seed": self.getSeed(), "max_iter": self.getMaxIter(),
                "tol": self.getTol(), "init_mode": self.getInitMode(),
                "init_steps": self.getInitSteps(), "cosine": self.getDistanceMeasure() == "cosine",
                "dtype": self.getDtype(), "initial_centers": self.getInitialCenters(),
                "storage": getattr(StorageLevel, level),
                "iteration_mode": self.getIterationMode()}
