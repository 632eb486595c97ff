"""quickmeans: fast exact k-means, a drop-in replacement for sklearn.cluster.KMeans."""

from quickmeans._bisecting import BisectingKMeans
from quickmeans._core import has_openmp as _has_openmp
from quickmeans._elbow import ElbowResult, elbow
from quickmeans._init import kmeans_plusplus
from quickmeans._kmeans import KMeans, k_means
from quickmeans._metrics import silhouette_score
from quickmeans._minibatch import MiniBatchKMeans

has_openmp: bool = _has_openmp()

__version__ = "0.1.0"
__all__ = ["BisectingKMeans", "ElbowResult", "KMeans", "MiniBatchKMeans", "elbow", "has_openmp",
           "k_means", "kmeans_plusplus", "silhouette_score"]
