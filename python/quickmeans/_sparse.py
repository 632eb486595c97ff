"""Sparse input: scipy.sparse matrices checked once and handed to the engine as CSR arrays.

scipy is imported only here, and only when sparse input arrives (extra ``sparse``). The
user's matrix is never modified: a copy is made only when its format, dtype or index order
demands one (CSC/COO, integer data, unsorted or duplicate indices).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from quickmeans import _core
from quickmeans._validation import check_finite

_CANONICAL, _UNSORTED, _INVALID = 0, 1, 2


class CsrInput:
    """A validated CSR matrix: float32/float64 data, sorted unique int32/int64 indices."""

    def __init__(self, matrix: Any) -> None:
        self.matrix = matrix
        # scipy may keep spare room after the last row's entries (len(data) > indptr[-1]);
        # the engine is handed exactly the stored entries (views, not copies).
        nnz = int(matrix.indptr[-1])
        self.data: np.ndarray = matrix.data[:nnz]
        self.indices: np.ndarray = matrix.indices[:nnz]
        self.indptr: np.ndarray = matrix.indptr
        self.shape: tuple[int, int] = (int(matrix.shape[0]), int(matrix.shape[1]))
        self.dtype: np.dtype = matrix.data.dtype
        self.ndim = 2

    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The engine's view: (data, indices, indptr, n_features)."""
        return self.data, self.indices, self.indptr, self.shape[1]

    def rows(self, index: np.ndarray) -> np.ndarray:
        """The given rows, dense and C-contiguous."""
        return np.ascontiguousarray(self.matrix[index].toarray())


def _csr_copy(X: Any, dtype: np.dtype) -> Any:
    import scipy.sparse as sp

    return sp.csr_matrix(X, dtype=dtype, copy=True)


def check_csr(
    X: Any, *, name: str = "X", estimator: str = "KMeans", dtype: np.dtype | None = None,
    n_threads: int = 1,
) -> CsrInput:
    """X (any scipy.sparse format) as canonical, finite CSR of float32 or float64."""
    import scipy.sparse as sp

    if dtype is not None:
        target = np.dtype(dtype)
    elif np.dtype(X.dtype).newbyteorder("=") in (np.float32, np.float64):  # '>f4' too
        target = np.dtype(X.dtype).newbyteorder("=")
    elif X.dtype.kind in "biuf":
        target = np.dtype(np.float64)
    else:
        raise TypeError(f"{name} has dtype {X.dtype}, which is not numeric.")
    if X.ndim != 2:
        raise ValueError(f"Found sparse array with dim {X.ndim}. {estimator} expected 2.")
    n, d = X.shape
    if n < 1 or d < 1:
        what = "sample" if n < 1 else "feature"
        raise ValueError(
            f"Found array with 0 {what}(s) (shape={X.shape}) while a minimum of 1 is "
            f"required by {estimator}."
        )
    csr = X if X.format == "csr" and X.dtype == target else None
    if csr is None:
        csr = _csr_copy(X, target)  # CSC/COO/..., or another dtype: converted once
    indices, indptr = csr.indices, csr.indptr
    if indices.dtype not in (np.int32, np.int64) or indptr.dtype != indices.dtype:
        indices = indices.astype(np.int64)
        indptr = csr.indptr.astype(np.int64)
    if not (indices.flags.c_contiguous and indptr.flags.c_contiguous
            and csr.data.flags.c_contiguous and len(indptr) == n + 1):
        raise ValueError(f"{name} is not a valid CSR matrix (inconsistent index arrays).")
    status = _core.csr_status(indices, indptr, d)
    if status == _INVALID or len(csr.data) != len(indices):
        raise ValueError(
            f"{name} is not a valid CSR matrix: column indices must lie in [0, {d}) and "
            "indptr must start at 0 and never decrease."
        )
    if indices is not csr.indices or status == _UNSORTED:
        # Rebuild from the (possibly converted) arrays; canonicalise the copy, never X.
        fixed = sp.csr_matrix((csr.data, indices, indptr), shape=(n, d), copy=True)
        if status == _UNSORTED:
            fixed.sum_duplicates()  # sorts indices and adds duplicate entries, like scipy
        csr = fixed
    checked = CsrInput(csr)
    check_finite(checked.data, name=name, n_threads=n_threads, n_features=d)
    return checked
