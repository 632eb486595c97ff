"""One door to the native engine for dense arrays and sparse (CSR) input alike.

The estimator code calls these with X as validated by ``_validation.check_data``: a
C-contiguous float ndarray or a ``_sparse.CsrInput``.
"""

from __future__ import annotations

from typing import Any, Callable, Union

import numpy as np

from quickmeans import _core
from quickmeans._validation import check_finite

Data = Union[np.ndarray, Any]  # ndarray or _sparse.CsrInput


def _csr(X: Data) -> tuple | None:
    return None if isinstance(X, np.ndarray) else X.parts()


# The engine takes max_iter as int64 (and runs at most 2**31 - 1 iterations); scikit-learn
# accepts any int >= 1, and no fit gets anywhere near either bound.
_MAX_ITER_LIMIT = np.iinfo(np.int64).max


def fit(X: Data, weights: np.ndarray | None, centers: np.ndarray, algorithm: str, max_iter: int,
        tol: float, n_threads: int, on_iteration: Callable[[int, float], None] | None,
        final_inertia: bool = True) -> tuple:
    """(centers, labels, inertia, n_iter). final_inertia=False spares dense X the closing
    inertia pass (the inertia is then NaN); sparse X always gets it."""
    max_iter = min(int(max_iter), _MAX_ITER_LIMIT)
    parts = _csr(X)
    if parts is None:
        return _core.fit(X, weights, centers, algorithm, max_iter, tol, n_threads, on_iteration,
                         final_inertia)
    # Sparse rows: every algorithm runs Lloyd's iteration (the results are identical; the
    # bounds would save distance computations that cost O(nnz) here, not O(d)).
    return _core.fit_csr(*parts, weights, centers, max_iter, tol, n_threads, on_iteration)


def kmeans_plusplus(X: Data, weights: np.ndarray | None, n_clusters: int, first: int,
                    uniforms: np.ndarray, n_threads: int) -> tuple[np.ndarray, np.ndarray]:
    parts = _csr(X)
    if parts is None:
        return _core.kmeans_plusplus(X, weights, n_clusters, first, uniforms, n_threads)
    return _core.kmeans_plusplus_csr(*parts, weights, n_clusters, first, uniforms, n_threads)


def predict(X: Data, centers: np.ndarray, n_threads: int) -> np.ndarray:
    """Labels of X. Dense X need not have been checked for NaN/inf or huge values: the engine
    counts the rows it could not label exactly for those reasons as it goes (saving a pass
    over X), and their presence raises check_finite's error."""
    parts = _csr(X)
    if parts is not None:
        return _core.predict_csr(*parts, centers, n_threads)[0]
    labels, nonfinite = _core.predict(X, centers, n_threads)
    if nonfinite:
        check_finite(X, n_threads=n_threads)  # raises the NaN, infinity or magnitude message
    return labels


def assign_and_sum(X: Data, weights: np.ndarray | None, centers: np.ndarray,
                   n_threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One Lloyd step's map side: (labels, per-cluster weighted sums k x d float64,
    per-cluster weights, inertia) against ``centers``; for mini-batch and distributed fits."""
    parts = _csr(X)
    if parts is None:
        return _core.assign_sums(X, weights, centers, n_threads)
    return _core.assign_sums_csr(*parts, weights, centers, n_threads)


def transform(X: Data, centers: np.ndarray, n_threads: int) -> np.ndarray:
    parts = _csr(X)
    if parts is None:
        return _core.transform(X, centers, n_threads)
    return _core.transform_csr(*parts, centers, n_threads)


def inertia(X: Data, weights: np.ndarray | None, centers: np.ndarray, labels: np.ndarray,
            n_threads: int) -> float:
    parts = _csr(X)
    if parts is None:
        return _core.inertia(X, weights, centers, labels, n_threads)
    return _core.inertia_csr(*parts, weights, centers, labels, n_threads)


def mean_feature_variance(X: Data, n_threads: int, check_finite_X: bool = False) -> float:
    """scikit-learn's scale for tol. check_finite_X: dense X has not been checked for NaN,
    infinity or huge values, and the same pass over X checks it (raising check_finite's
    error), sparing KMeans.fit a pass."""
    parts = _csr(X)
    if parts is not None:
        return _core.mean_feature_variance_csr(*parts)
    if not check_finite_X:
        return _core.mean_feature_variance(X, n_threads)
    variance = _core.mean_feature_variance(X, n_threads, _core.magnitude_limit(X.shape[1]))
    if not np.isfinite(variance):
        check_finite(X, n_threads=n_threads)  # raises the NaN, infinity or magnitude message
    return variance


def rows(X: Data, index: np.ndarray) -> np.ndarray:
    """The given samples as a dense C-contiguous array."""
    if isinstance(X, np.ndarray):
        return np.ascontiguousarray(X[index])
    return X.rows(index)


def user_view(X: Data) -> Any:
    """X as handed to a user's init callable: the array, or the scipy CSR matrix."""
    return X if isinstance(X, np.ndarray) else X.matrix
