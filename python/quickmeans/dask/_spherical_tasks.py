"""Chunk tasks of quickmeans.dask.KMeans(spherical=True): rows scaled to unit norm on the
workers (rows of norm zero stay zero), so that the Euclidean map-reduce of the other tasks
runs spherical k-means: with unit centers, the nearest center is the one of maximum cosine
and the per-cluster sums are sums of normalised rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from quickmeans import _engine
from quickmeans._spherical_norms import row_norms
from quickmeans._validation import resolve_n_threads
from quickmeans.dask._tasks import _rows


def _unit(x: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """x's rows scaled to unit norm (divided in float64, stored in x's dtype)."""
    return (x / np.where(norms > 0, norms, 1.0)[:, None]).astype(x.dtype)


def _chunk_unit(x: Any) -> np.ndarray:
    """The chunk's rows scaled to unit norm."""
    x = _rows(x)
    return _unit(x, row_norms(x))


def _chunk_cosines(x: Any, centers: np.ndarray) -> np.ndarray:
    """cos(x_i, c_j) for unit centers (0 for rows of norm zero), float64."""
    x = _rows(x)
    norms = row_norms(x)
    dots = x.astype(np.float64) @ centers.astype(np.float64).T
    return np.clip(np.divide(dots, norms[:, None], out=np.zeros_like(dots),
                             where=norms[:, None] > 0), -1.0, 1.0)


def _chunk_predict_spherical(x: Any, centers: np.ndarray, n_threads: int | None) -> np.ndarray:
    """Labels by maximum cosine; rows of norm zero (no direction) get label 0, as in
    SphericalKMeans."""
    x = _rows(x)
    norms = row_norms(x)
    labels = _engine.predict(_unit(x, norms), _rows(centers), resolve_n_threads(n_threads))
    labels[norms == 0] = 0
    return labels


def _chunk_transform_spherical(x: Any, centers: np.ndarray) -> np.ndarray:
    """Cosine distances 1 - cos to every center, in x's dtype."""
    return (1.0 - _chunk_cosines(x, centers)).astype(_rows(x).dtype)


def spherical_inertia(total_weight: float, sums: np.ndarray, centers: np.ndarray) -> float:
    """sum of w (1 - cos) from one pass over unit rows against unit ``centers``: the sum of
    w cos over cluster j is c_j . S_j (S_j: its sum of normalised rows)."""
    return max(total_weight - float(np.einsum("ij,ij->", sums, centers.astype(np.float64))), 0.0)
