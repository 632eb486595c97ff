"""Row norms for spherical k-means, and the rows the engine is handed.

The engine ranks unit centers by ``||x - c||^2 = |x|^2 - 2 x.c + 1``, whose rounding is
relative to ``|x|^2 + 1``: in units of cosine, ``(|x|^2 + 1) / (2 |x|)`` times that of a unit
row. Rows of norm near 1 (TF-IDF, embeddings, most raw vectors) are handed to it as they are.
Far from 1 the cosines drown in that rounding: float64 rows (norms about 4) scaled by 1e-12
or 1e20 were labelled differently from the unscaled rows (13% and 80% of the labels), so X is
then normalised (a copy; for CSR only the values), and the fit runs on directions, which is
what spherical k-means clusters anyway.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Data = Any  # an ndarray or a _sparse.CsrInput, as _validation.check_data returns them

_BLOCK_ROWS = 8192

# Non-zero row norms handed to the engine as they are: at either end the rounding, in units
# of cosine, is about 500 times a unit row's (still ~1e-13 d for float64 sums).
DIRECT_NORMS = (2.0**-10, 2.0**10)

# Below this a norm may have lost digits to the underflow of its squares (float64 values
# under ~1e-154 square to denormals or zero): it is recomputed from the row scaled by its
# largest magnitude.
_TINY_NORM = 2.0**-500


def _scaled_norms(rows: np.ndarray) -> np.ndarray:
    """|x| of dense float64 rows, each divided by its largest magnitude first (no underflow)."""
    scale = np.abs(rows).max(axis=1) if rows.shape[1] else np.zeros(rows.shape[0])
    safe = np.where(scale > 0, scale, 1.0)
    scaled = rows / safe[:, None]
    return scale * np.sqrt(np.einsum("ij,ij->i", scaled, scaled))


def _dense_norms(block: np.ndarray) -> np.ndarray:
    out = np.sqrt(np.einsum("ij,ij->i", block, block, dtype=np.float64))
    tiny = np.flatnonzero(out < _TINY_NORM)
    if tiny.size:
        out[tiny] = _scaled_norms(block[tiny].astype(np.float64))
    return out


def row_norms(X: Data) -> np.ndarray:
    """|x| of every row in float64 (accumulated in float64 for float32 data too), exact to
    rounding however small the values (a row of 1e-170s is not a zero row)."""
    if isinstance(X, np.ndarray):
        out = np.empty(X.shape[0])
        for start in range(0, X.shape[0], _BLOCK_ROWS):
            out[start:start + _BLOCK_ROWS] = _dense_norms(X[start:start + _BLOCK_ROWS])
        return out
    n = X.shape[0]
    data = X.data.astype(np.float64)
    rows = np.repeat(np.arange(n), np.diff(X.indptr))
    out = np.sqrt(np.bincount(rows, weights=data * data, minlength=n))
    # Only the values of rows whose norm is tiny, zero rows (empty documents) left out: the
    # scaled pass over every value cost 2.8 times the norms on a 50k x 30k TF-IDF matrix.
    small = out < _TINY_NORM
    redo = small[rows] & (data != 0) if small.any() else small[:0]
    if redo.any():
        redo_rows, values = rows[redo], np.abs(data[redo])
        scale = np.zeros(n)
        np.maximum.at(scale, redo_rows, values)
        scaled = values / scale[redo_rows]
        tiny = scale > 0
        out[tiny] = scale[tiny] * np.sqrt(np.bincount(redo_rows, weights=scaled * scaled,
                                                      minlength=n)[tiny])
    return out


def unit_slack(dtype: np.dtype) -> float:
    """The largest |norm - 1| taken as unit norm: rows normalised in float32 are within a
    few ulps of it, float64 ones within a few of float64's."""
    return 1e-5 if np.dtype(dtype) == np.float32 else 1e-12


def normalise_rows(centers: Any, dtype: np.dtype, name: str = "init") -> np.ndarray:
    """Rows scaled to unit norm (in float64, stored in ``dtype``); a zero row is an error:
    it has no direction."""
    c64 = np.asarray(centers, dtype=np.float64)
    norms = _dense_norms(c64)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(f"{name} row {int(zero[0])} is all zeros: a spherical k-means center "
                         "needs a direction (a non-zero vector).")
    return np.ascontiguousarray(c64 / norms[:, None], dtype=dtype)


def unit_rows(X: Data, norms: np.ndarray) -> Data:
    """X with its rows scaled to unit norm (zero rows stay zero): X itself when they are."""
    nonzero = norms[norms > 0]
    if nonzero.size == 0 or np.abs(nonzero - 1.0).max() <= unit_slack(X.dtype):
        return X
    # Divided in float64 (zero rows by 1: they stay zero), as the reference normalises.
    divisor = np.where(norms > 0, norms, 1.0)
    if isinstance(X, np.ndarray):
        out = np.empty_like(X)
        block = max(1, (1 << 20) // max(1, X.shape[1]))
        for start in range(0, X.shape[0], block):
            rows = slice(start, start + block)
            out[rows] = X[rows] / divisor[rows, None]
        return out
    import scipy.sparse as sp

    from quickmeans._sparse import CsrInput

    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    data = (X.data / divisor[rows]).astype(X.dtype)
    return CsrInput(sp.csr_matrix((data, X.indices, X.indptr), shape=X.shape))


def rows_for_cosines(X: Data) -> tuple[Data, np.ndarray]:
    """X and its row norms, as every spherical fit, step and prediction uses them: X itself
    when each non-zero row's norm lies in DIRECT_NORMS, else X's rows scaled to unit norm (a
    copy) and their norms (1, to rounding; zero rows stay zero)."""
    norms = row_norms(X)
    nonzero = norms[norms > 0]
    low, high = DIRECT_NORMS
    if nonzero.size == 0 or (nonzero.min() >= low and nonzero.max() <= high):
        return X, norms
    if not np.all(np.isfinite(norms)):  # NaN or inf: left as it is for the caller's check
        return X, norms
    unit = unit_rows(X, norms)
    return unit, row_norms(unit)
