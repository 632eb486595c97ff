"""quickmeans: fast exact k-means, a drop-in replacement for sklearn.cluster.KMeans."""

from quickmeans._core import has_openmp as _has_openmp

has_openmp: bool = _has_openmp()

__version__ = "0.1.0"
__all__ = ["has_openmp"]
