"""KMeansModel: MLlib's model API (clusterCenters, transform, summary, predict) and ML
persistence: the params as DefaultParamsWriter metadata, the centers as parquet under
``path/data`` (MLlib's layout: clusterIdx, clusterCenter)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pyarrow as pa
from pyspark.ml import Model
from pyspark.ml.util import (
    DefaultParamsReader,
    DefaultParamsWriter,
    MLReadable,
    MLReader,
    MLWritable,
    MLWriter,
)
from pyspark.sql import DataFrame

from quickmeans import _engine
from quickmeans.spark._data import features_column
from quickmeans.spark._params import KMeansParams


class KMeansSummary:
    """MLlib's KMeansSummary: trainingCost, numIter, clusterSizes, k, and the predictions
    of the training DataFrame (computed when first read)."""

    def __init__(self, model: KMeansModel, dataset: DataFrame, training_cost: float,
                 num_iter: int, cluster_sizes: list[int]) -> None:
        self._model, self._dataset = model, dataset
        self.trainingCost = training_cost
        self.numIter = num_iter
        self.clusterSizes = cluster_sizes
        self.k = len(cluster_sizes)
        self.featuresCol = model.getFeaturesCol()
        self.predictionCol = model.getPredictionCol()
        self._predictions: DataFrame | None = None

    @property
    def predictions(self) -> DataFrame:
        if self._predictions is None:
            self._predictions = self._model.transform(self._dataset)
        return self._predictions

    @property
    def cluster(self) -> DataFrame:
        return self.predictions.select(self.predictionCol)


def _labels(values: np.ndarray, centers: np.ndarray, cosine: bool, dtype: str) -> np.ndarray:
    """Nearest centers of a batch of rows (float64, n x d), as in training."""
    x = values.astype(np.float64)
    if cosine:
        norms = np.sqrt(np.einsum("ij,ij->i", x, x))
        if (norms == 0).any():
            raise ValueError("Cosine distance is not defined for zero-length vectors.")
        x = x / norms[:, None]
    x = np.require(x.astype(dtype), requirements=["C_CONTIGUOUS", "ALIGNED"])
    c = np.require(centers.astype(dtype), requirements=["C_CONTIGUOUS", "ALIGNED"])
    return _engine.predict(x, c, 1).astype(np.int32)


def _batch_labels(arr: pa.Array, centers: np.ndarray, cosine: bool, dtype: str) -> np.ndarray:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    d = centers.shape[1]
    if arr.null_count or arr.flatten().null_count:
        raise ValueError("KMeansModel.transform: the features contain null values.")
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int32)
    lengths = np.diff(arr.offsets.to_numpy(zero_copy_only=False))
    if (lengths != d).any():
        raise ValueError(f"KMeansModel.transform: feature vectors must have size {d}.")
    values = arr.flatten().to_numpy(zero_copy_only=False).reshape(len(arr), d)
    return _labels(values, centers, cosine, dtype)


def _predict_udf(centers: np.ndarray, cosine: bool, dtype: str) -> Any:
    """A vectorised UDF array<double> -> int: Arrow (pyspark >= 4.1) or pandas."""
    try:
        from pyspark.sql.functions import arrow_udf
    except ImportError:
        arrow_udf = None
    if arrow_udf is not None:
        def predict_arrow(arr):  # type: ignore[no-untyped-def]
            return pa.array(_batch_labels(arr, centers, cosine, dtype), type=pa.int32())
        # Real classes, not the postponed strings: pyspark reads the UDF kind from the hints.
        predict_arrow.__annotations__ = {"arr": pa.Array, "return": pa.Array}
        return arrow_udf(predict_arrow, "int")
    import warnings

    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    def predict_pandas(series):  # type: ignore[no-untyped-def]
        if series.isna().any():
            raise ValueError("KMeansModel.transform: the features contain null values.")
        values = np.stack(series.to_numpy()) if len(series) else np.zeros((0, centers.shape[1]))
        return pd.Series(_labels(values, centers, cosine, dtype))
    predict_pandas.__annotations__ = {"series": pd.Series, "return": pd.Series}
    with warnings.catch_warnings():  # pyspark's notes about the installed pandas version
        warnings.simplefilter("ignore", FutureWarning)
        return pandas_udf(predict_pandas, "int")


class KMeansModel(Model, KMeansParams, MLWritable, MLReadable):
    """The model fitted by quickmeans.spark.KMeans (MLlib's KMeansModel API)."""

    def __init__(self, centers: np.ndarray | None = None) -> None:
        super().__init__()
        self._centers = None if centers is None else np.array(centers, dtype=np.float64)
        self._summary: KMeansSummary | None = None

    def clusterCenters(self) -> list[np.ndarray]:
        """The cluster centers, as a list of NumPy arrays (as MLlib)."""
        return [row.copy() for row in self._centers]

    @property
    def hasSummary(self) -> bool:
        return self._summary is not None

    @property
    def summary(self) -> KMeansSummary:
        if self._summary is None:
            raise RuntimeError(f"No training summary available for this {type(self).__name__}.")
        return self._summary

    @property
    def numFeatures(self) -> int:
        return int(self._centers.shape[1])

    def setFeaturesCol(self, value: Any) -> KMeansModel:
        return self._set(featuresCol=value)

    def setPredictionCol(self, value: str) -> KMeansModel:
        return self._set(predictionCol=value)

    def predict(self, value: Any) -> int:
        """The cluster index of one vector (a pyspark.ml.linalg Vector or a sequence)."""
        row = np.asarray(value.toArray() if hasattr(value, "toArray") else value,
                         dtype=np.float64).reshape(1, -1)
        if row.shape[1] != self.numFeatures:
            raise ValueError(f"Expected a vector of size {self.numFeatures}, got {row.shape[1]}.")
        return int(_labels(row, self._centers, self._cosine(), self.getDtype())[0])

    def _cosine(self) -> bool:
        return self.getDistanceMeasure() == "cosine"

    def _transform(self, dataset: DataFrame) -> DataFrame:
        feats, width = features_column(dataset, self.getFeaturesCol())
        if width is not None and width != self.numFeatures:
            raise ValueError(f"{width} feature columns given; the model has {self.numFeatures}.")
        udf = _predict_udf(self._centers, self._cosine(), self.getDtype())
        return dataset.withColumn(self.getPredictionCol(), udf(feats))

    def copy(self, extra: dict | None = None) -> KMeansModel:
        that = super().copy(extra)
        that._centers = self._centers.copy()
        return that

    def write(self) -> MLWriter:
        return _ModelWriter(self)

    @classmethod
    def read(cls) -> MLReader:
        return _ModelReader()


class _ModelWriter(MLWriter):
    def __init__(self, instance: KMeansModel) -> None:
        super().__init__()
        self.instance = instance

    def saveImpl(self, path: str) -> None:
        DefaultParamsWriter.saveMetadata(self.instance, path, self.sparkSession)
        rows = [(i, [float(v) for v in c]) for i, c in enumerate(self.instance._centers)]
        self.sparkSession.createDataFrame(rows, "clusterIdx int, clusterCenter array<double>") \
            .coalesce(1).write.parquet(os.path.join(path, "data"))


class _ModelReader(MLReader):
    def load(self, path: str) -> KMeansModel:
        metadata = DefaultParamsReader.loadMetadata(path, self.sparkSession)
        rows = self.sparkSession.read.parquet(os.path.join(path, "data")).collect()
        centers = np.array([r.clusterCenter for r in sorted(rows, key=lambda r: r.clusterIdx)])
        model = KMeansModel(centers)
        model._resetUid(metadata["uid"])
        DefaultParamsReader.getAndSetParams(model, metadata)
        return model
