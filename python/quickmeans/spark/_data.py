"""The driver's view of the training data: the features as a column expression, the cached
blocks DataFrame, and the checks read from its per-block statistics (one cheap job)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from pyspark import StorageLevel
from pyspark.ml.functions import vector_to_array
from pyspark.ml.linalg import VectorUDT
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, NumericType

from quickmeans.spark import _tasks


def features_column(df: DataFrame, features: Any) -> tuple[Column, int | None]:
    """The features as array<double> (Sparse vectors densified), and their width when known."""
    fields = {f.name: f.dataType for f in df.schema.fields}
    names = [features] if isinstance(features, str) else list(features)
    missing = [n for n in names if n not in fields]
    if missing:
        raise ValueError(f"Features column(s) {missing} not found; the DataFrame has columns "
                         f"{list(fields)}.")
    if isinstance(features, str):
        kind = fields[features]
        if isinstance(kind, VectorUDT):
            # vector_to_array throws on a null vector; a null array is counted by the checks.
            column = F.col(features)
            return F.when(column.isNull(), F.lit(None).cast("array<double>")).otherwise(
                vector_to_array(column, "float64")), None
        if isinstance(kind, ArrayType) and isinstance(kind.elementType, NumericType):
            return F.col(features).cast("array<double>"), None
        raise TypeError(f"Column {features!r} must be a vector (pyspark.ml.linalg) or an array "
                        "of numbers, or pass a list of numeric columns; got "
                        f"{kind.simpleString()}.")
    wrong = [n for n in names if not isinstance(fields[n], NumericType)]
    if wrong:
        raise TypeError(f"Feature columns {wrong} are not numeric.")
    return F.array(*[F.col(n).cast("double") for n in names]), len(names)


@dataclass
class Blocks:
    """The cached blocks of a fit and what the checks found."""

    df: DataFrame
    n_partitions: int
    d: int
    dtype: str
    n_rows: int
    variance: float
    partition_weights: np.ndarray  # total sample weight of each partition, by partition id

    def map(self, task: Any, names: tuple[str, ...], *args: Any) -> list:
        """Run ``task`` on every partition: one result Row per partition, by partition id.

        One Spark job; the driver then combines the rows in this fixed order."""
        body = _tasks.run(task, names, self.d, self.dtype, *args)
        rows = self.df.select(*_tasks.ITER_COLUMNS).mapInArrow(
            body, _tasks.result_schema(*names)).collect()
        return sorted(rows, key=lambda r: r.pid)

    def unpersist(self) -> None:
        self.df.unpersist()


def cache_blocks(df: DataFrame, features: Any, weight_col: str | None, dtype: str,
                 cosine: bool, k: int, storage: StorageLevel) -> Blocks:
    """Convert, cache and check the training data; raises ValueError with a one-line message
    (before any iteration) for nulls, mixed sizes, NaN/inf, negative weights and too few rows."""
    feats, width = features_column(df, features)
    columns = [feats.alias("f")]
    if weight_col is not None:
        if weight_col not in df.columns:
            raise ValueError(f"Weight column {weight_col!r} not found; the DataFrame has columns "
                             f"{df.columns}.")
        columns.append(F.col(weight_col).cast("double").alias("w"))
    convert = partial(_tasks.to_blocks, dtype=dtype, cosine=cosine,
                      has_weight=weight_col is not None)
    blocks = df.select(*columns).mapInArrow(convert, _tasks.BLOCK_SCHEMA)
    blocks = blocks.persist(storage)
    try:
        n_partitions = blocks.rdd.getNumPartitions()
        stats = blocks.drop("x", "w").collect()  # materialises the cache
        checked = _check(stats, width, k, cosine, weight_col, n_partitions)
    except BaseException:
        blocks.unpersist()
        raise
    return Blocks(df=blocks, n_partitions=n_partitions, dtype=dtype,
                  **checked)


def _check(stats: list, width: int | None, k: int, cosine: bool,
           weight_col: str | None, n_partitions: int) -> dict[str, Any]:
    stats = sorted(stats, key=lambda r: (r.pid, r.idx))
    total = lambda name: sum(getattr(r, name) for r in stats)  # noqa: E731
    if total("nulls"):
        where = "features or weights" if weight_col else "features"
        raise ValueError(f"Input contains {total('nulls')} null value(s) in the {where}; "
                         "KMeans does not accept missing values (drop or impute them).")
    sizes = sorted({r.d for r in stats if r.n})
    if -1 in sizes or len(sizes) > 1 or (width is not None and sizes and sizes != [width]):
        shown = [s for s in sizes if s >= 0]
        raise ValueError(f"All feature vectors must have the same size; found sizes {shown}"
                         f"{' and mixed sizes within a batch' if -1 in sizes else ''}.")
    n_rows = total("n")
    if n_rows == 0:
        raise ValueError("Found array with 0 sample(s) (shape=(0, ?)) while a minimum of 1 is "
                         "required by KMeans.")
    d = sizes[0]
    if d == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape=({n_rows}, 0)) while a minimum "
                         "of 1 is required by KMeans.")
    if total("nonfinite"):
        raise ValueError("Input X contains NaN or infinity (or a value too large for the "
                         "dtype); weights too must be finite.")
    if total("negative"):
        raise ValueError("Negative values in data passed to sample_weight (weightCol).")
    if cosine and total("zero_norm"):
        raise ValueError("Cosine distance is not defined for zero-length vectors "
                         f"({total('zero_norm')} row(s) are zero).")
    if n_rows < k:
        raise ValueError(f"n_samples={n_rows} should be >= n_clusters={k}.")
    weights = np.zeros(n_partitions)
    for r in stats:
        weights[r.pid] += r.wsum
    if not weights.sum() > 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return {"d": d, "n_rows": n_rows, "variance": _variance(stats, d),
            "partition_weights": weights}


def _variance(stats: list, d: int) -> float:
    """Mean per-feature variance (Chan et al.'s pairwise update, in block order)."""
    count, mean, m2 = 0, np.zeros(d), np.zeros(d)
    for r in stats:
        if r.n == 0:
            continue
        total = count + r.n
        delta = np.frombuffer(r.mean) - mean
        mean = mean + delta * (r.n / total)
        m2 = m2 + np.frombuffer(r.m2) + delta**2 * (count * r.n / total)
        count = total
    return float(np.mean(m2) / count)
