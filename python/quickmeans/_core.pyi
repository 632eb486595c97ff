"""Type stubs for the compiled engine (cpp/bindings/*.cpp)."""

from typing import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]

def fit(
    X: FloatArray,
    sample_weight: npt.NDArray[np.float64] | None,
    init: FloatArray,
    algorithm: str,
    max_iter: int,
    tol: float,
    n_threads: int,
    on_iteration: Callable[[int, float], None] | None = None,
    final_inertia: bool = True,
) -> tuple[FloatArray, npt.NDArray[np.int32], float, int]: ...
def inverse_cdf_draws(
    sample_weight: npt.NDArray[np.float64] | None, total: float, n: int,
    uniforms: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]: ...
def kmeans_plusplus(
    X: FloatArray,
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    first: int,
    uniforms: npt.NDArray[np.float64],
    n_threads: int,
) -> tuple[FloatArray, npt.NDArray[np.int64]]: ...
def predict(
    X: FloatArray, centers: FloatArray, n_threads: int
) -> tuple[npt.NDArray[np.int32], int]: ...  # (labels, rows holding NaN or inf)
def inertia(
    X: FloatArray,
    sample_weight: npt.NDArray[np.float64] | None,
    centers: FloatArray,
    labels: npt.NDArray[np.int32],
    n_threads: int,
) -> float: ...
def assign_sums(
    X: FloatArray,
    sample_weight: npt.NDArray[np.float64] | None,
    centers: FloatArray,
    n_threads: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64], npt.NDArray[np.float64], float]: ...
def transform(X: FloatArray, centers: FloatArray, n_threads: int) -> FloatArray: ...
def partition_order(labels: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.int64], int]: ...
def take_rows(
    X: FloatArray, index: npt.NDArray[np.int64], n_threads: int, out: FloatArray | None = None
) -> FloatArray: ...
def split_rows(
    X: FloatArray, sample_weight: npt.NDArray[np.float64] | None, centers: FloatArray,
    labels: npt.NDArray[np.int32], n_threads: int, out: FloatArray,
    index: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.int64], int, float, float]: ...
def silhouette(
    X: FloatArray, labels: npt.NDArray[np.int32], n_clusters: int, n_threads: int
) -> float: ...
def all_finite(X: FloatArray, n_threads: int, limit: float = ...) -> bool: ...
def magnitude_limit(n_features: int) -> float: ...
def mean_feature_variance(X: FloatArray, n_threads: int, limit: float = ...) -> float: ...

# CSR input: (data, indices, indptr, n_features) with sorted unique int32/int64 indices.
IndexArray = npt.NDArray[np.int32] | npt.NDArray[np.int64]

def fit_csr(
    data: FloatArray,
    indices: IndexArray,
    indptr: IndexArray,
    n_features: int,
    sample_weight: npt.NDArray[np.float64] | None,
    init: FloatArray,
    max_iter: int,
    tol: float,
    n_threads: int,
    on_iteration: Callable[[int, float], None] | None = None,
) -> tuple[FloatArray, npt.NDArray[np.int32], float, int]: ...
def kmeans_plusplus_csr(
    data: FloatArray,
    indices: IndexArray,
    indptr: IndexArray,
    n_features: int,
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    first: int,
    uniforms: npt.NDArray[np.float64],
    n_threads: int,
) -> tuple[FloatArray, npt.NDArray[np.int64]]: ...
def predict_csr(
    data: FloatArray, indices: IndexArray, indptr: IndexArray, n_features: int,
    centers: FloatArray, n_threads: int,
) -> tuple[npt.NDArray[np.int32], int]: ...
def inertia_csr(
    data: FloatArray,
    indices: IndexArray,
    indptr: IndexArray,
    n_features: int,
    sample_weight: npt.NDArray[np.float64] | None,
    centers: FloatArray,
    labels: npt.NDArray[np.int32],
    n_threads: int,
) -> float: ...
def assign_sums_csr(
    data: FloatArray,
    indices: IndexArray,
    indptr: IndexArray,
    n_features: int,
    sample_weight: npt.NDArray[np.float64] | None,
    centers: FloatArray,
    n_threads: int,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64], npt.NDArray[np.float64], float]: ...
def transform_csr(
    data: FloatArray, indices: IndexArray, indptr: IndexArray, n_features: int,
    centers: FloatArray, n_threads: int,
) -> FloatArray: ...
def mean_feature_variance_csr(
    data: FloatArray, indices: IndexArray, indptr: IndexArray, n_features: int,
) -> float: ...
def csr_status(indices: IndexArray, indptr: IndexArray, n_features: int) -> int: ...
def has_openmp() -> bool: ...
def max_threads() -> int: ...
def thread_limit() -> int: ...  # n_threads arguments above it are capped to it
def request_stop() -> None: ...  # every later stop check raises KeyboardInterrupt
def simd_level() -> str: ...
def simd_levels() -> list[str]: ...
def set_simd_level(name: str) -> None: ...

# Spherical k-means steps with Hamerly bounds kept between calls (bindings/spherical.cpp);
# step(centers) -> (labels, sums k x d, weights k, labels changed).
class SphericalSteps32:
    def __init__(self, X: FloatArray, sample_weight: npt.NDArray[np.float64] | None,
                 n_clusters: int, n_threads: int) -> None: ...
    def step(self, centers: FloatArray) -> tuple[
        npt.NDArray[np.int32], npt.NDArray[np.float64], npt.NDArray[np.float64], int]: ...

class SphericalSteps64(SphericalSteps32): ...

class SphericalStepsCsr:
    def __init__(self, data: FloatArray, indices: IndexArray, indptr: IndexArray,
                 n_features: int, sample_weight: npt.NDArray[np.float64] | None,
                 n_clusters: int, n_threads: int) -> None: ...
    def step(self, centers: FloatArray) -> tuple[
        npt.NDArray[np.int32], npt.NDArray[np.float64], npt.NDArray[np.float64], int]: ...
