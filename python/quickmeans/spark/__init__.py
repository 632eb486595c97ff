"""K-means on Apache Spark DataFrames: ``pyspark.ml.clustering.KMeans``'s API, quickmeans'
native kernel on the executors.

Each Lloyd iteration is one Spark job: ``mapInArrow`` over the cached data (blocks of rows
as raw arrays) hands every partition to ``_engine.assign_and_sum`` as NumPy arrays, and the
partition sends back only per-cluster sums, weights, row counts and cost (O(k*d)); the
driver adds them in partition id order, so results do not depend on scheduling.

Needs the ``spark`` extra: ``pip install 'quickmeans[spark]'`` (pyspark, pyarrow) and a
Java 17+ runtime (Debian/Ubuntu: ``apt-get install -y openjdk-17-jre-headless``).
"""

from __future__ import annotations

try:
    import pyarrow  # noqa: F401
    import pyspark  # noqa: F401
except ImportError as error:  # pragma: no cover - only without the extra
    raise ImportError("quickmeans.spark needs pyspark and pyarrow: "
                      "pip install 'quickmeans[spark]'") from error

from quickmeans.spark._estimator import KMeans  # noqa: E402
from quickmeans.spark._model import KMeansModel, KMeansSummary  # noqa: E402

__all__ = ["KMeans", "KMeansModel", "KMeansSummary"]
