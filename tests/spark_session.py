"""What the Spark tests share besides the ``spark`` fixture (conftest.py): importing this
skips the importing test module, with the reason, when Java or pyspark is missing; the
DataFrame helper."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

if shutil.which("java") is None:
    pytest.skip("quickmeans.spark needs a Java runtime (java is not on PATH; Debian/Ubuntu: "
                "apt-get install -y openjdk-17-jre-headless)", allow_module_level=True)
pytest.importorskip("pyspark", reason="quickmeans.spark needs pyspark (pip install "
                    "'quickmeans[spark]')")
pa = pytest.importorskip("pyarrow")

from pyspark.ml.functions import array_to_vector  # noqa: E402

# pyspark's own notes (e.g. about the installed pandas version) are not this code's.
SPARK_WARNINGS = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning",
                                            "ignore::ResourceWarning")


def frame(spark, X, weights=None, partitions=2, ids=False):
    """X (n x d) as a DataFrame with a vector column 'features' (and 'w', 'id')."""
    columns = {"f": pa.array(list(np.asarray(X, dtype=np.float64)))}
    if weights is not None:
        columns["w"] = pa.array(weights, type=pa.float64())
    columns["id"] = pa.array(np.arange(len(X)))
    df = spark.createDataFrame(pa.table(columns))
    kept = ["features"] + (["w"] if weights is not None else []) + (["id"] if ids else [])
    return (df.withColumn("features", array_to_vector("f")).select(*kept)
            .repartition(partitions))
