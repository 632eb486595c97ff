"""quickmeans: fast exact k-means, a drop-in replacement for sklearn.cluster.KMeans."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from quickmeans._core import has_openmp as _has_openmp

has_openmp: bool = _has_openmp()

__version__ = "0.1.0"

# Imported on first use (PEP 562): the estimators' base classes come from scikit-learn,
# whose import takes seconds on small machines, and the command line needs none of it.
_WHERE = {
    "BisectingKMeans": "quickmeans._bisecting",
    "ElbowResult": "quickmeans._elbow",
    "elbow": "quickmeans._elbow",
    "kmeans_plusplus": "quickmeans._init",
    "KMeans": "quickmeans._kmeans",
    "k_means": "quickmeans._kmeans",
    "silhouette_score": "quickmeans._metrics",
    "MiniBatchKMeans": "quickmeans._minibatch",
    "SphericalKMeans": "quickmeans._spherical",
    "SphericalMiniBatchKMeans": "quickmeans._spherical_minibatch",
}

__all__ = ["BisectingKMeans", "ElbowResult", "KMeans", "MiniBatchKMeans", "SphericalKMeans",
           "SphericalMiniBatchKMeans", "elbow", "has_openmp", "k_means", "kmeans_plusplus",
           "silhouette_score"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'quickmeans' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
