"""Chunk tasks: pure functions of their arguments, run on the workers (a re-run task
returns the same bytes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from quickmeans import _engine
from quickmeans._validation import (
    check_finite,
    resolve_n_threads,
)

# -- chunk tasks: pure functions of their arguments, run on the workers --------------------


def _rows(x: Any) -> np.ndarray:
    # A chunk as the engine takes it (the graph already cast it to float32/float64). Aligned
    # too: arrays deserialised on a worker can start at an odd address, and the engine's
    # loads assume the dtype's alignment (ascontiguousarray alone keeps such an array).
    return np.require(x, requirements=["C_CONTIGUOUS", "ALIGNED"])


def _weights(w: np.ndarray | None) -> np.ndarray | None:
    return None if w is None else _rows(w)


def _chunk_stats(x: Any, w: np.ndarray | None) -> tuple[int, np.ndarray, np.ndarray, float]:
    """(rows, feature means, feature sums of squared deviations, weight); checks values."""
    x = _rows(x)
    check_finite(x)
    if w is not None:
        if not np.isfinite(w).all():
            raise ValueError("Input sample_weight contains NaN or infinity.")
        if (w < 0).any():
            raise ValueError("Negative values in data passed to sample_weight")
    mean = x.mean(axis=0, dtype=np.float64) if len(x) else np.zeros(x.shape[1])
    m2 = ((x - mean) ** 2).sum(axis=0, dtype=np.float64)
    weight = float(len(x)) if w is None else float(w.sum())
    return len(x), mean, m2, weight


def _chunk_assign(x: Any, w: np.ndarray | None, centers: np.ndarray,
                  n_threads: int | None) -> tuple[np.ndarray, np.ndarray, float]:
    """One Lloyd map step: per-cluster sums and weights and the inertia; labels stay here."""
    _, sums, weights, inertia = _engine.assign_and_sum(
        _rows(x), _weights(w), _rows(centers), resolve_n_threads(n_threads))
    return sums, weights, float(inertia)


def _squared_distances(x: np.ndarray, points: np.ndarray) -> np.ndarray:
    diff = x.astype(np.float64) - points.astype(np.float64)
    return np.einsum("ij,ij->i", diff, diff)


def _chunk_farthest(x: Any, w: np.ndarray | None, centers: np.ndarray, n_far: int, offset: int,
                    n_threads: int | None) -> tuple[np.ndarray, ...]:
    """The chunk's n_far samples farthest from their center (candidates for empty clusters)."""
    x, centers = _rows(x), _rows(centers)
    labels = _engine.predict(x, centers, resolve_n_threads(n_threads))
    dist = _squared_distances(x, centers[labels])
    index = np.arange(len(x))
    top = np.lexsort((index, -dist))[:n_far]
    weights = np.ones(len(top)) if w is None else w[top]
    return dist[top], offset + index[top], x[top], weights, labels[top]


def _chunk_nearest(x: Any, state: tuple | None, candidates: np.ndarray, first: int,
                   n_threads: int | None) -> tuple[np.ndarray, np.ndarray]:
    """k-means|| state of a chunk: squared distance to, and index of, the nearest candidate.

    Only the candidates new in this round (numbered from ``first``) are measured; an earlier
    candidate keeps a tie, as the lowest index wins ties everywhere in quickmeans.
    """
    x, candidates = _rows(x), _rows(candidates)
    labels = _engine.predict(x, candidates, resolve_n_threads(n_threads))
    dist = _squared_distances(x, candidates[labels])
    nearest = (first + labels).astype(np.int64)
    if state is None:
        return dist, nearest
    closer = dist < state[0]
    return np.where(closer, dist, state[0]), np.where(closer, nearest, state[1])


def _chunk_cost(state: tuple, w: np.ndarray | None) -> float:
    return float(state[0].sum() if w is None else np.dot(w, state[0]))


def _chunk_oversample(x: Any, w: np.ndarray | None, state: tuple, phi: float, factor: float,
                      seed: int) -> np.ndarray:
    """Bahmani et al.'s step: keep each sample with probability min(1, l * w d^2 / phi)."""
    cost = state[0] if w is None else w * state[0]
    if phi <= 0:
        return _rows(x)[:0]
    keep = np.random.RandomState(seed).uniform(size=len(cost)) * phi < factor * cost
    return np.ascontiguousarray(_rows(x)[keep])


def _chunk_candidate_weights(state: tuple, w: np.ndarray | None, n_candidates: int) -> np.ndarray:
    return np.bincount(state[1], weights=w, minlength=n_candidates).astype(np.float64)


def _chunk_sample(x: Any, w: np.ndarray | None, fraction: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    x = _rows(x)
    keep = np.random.RandomState(seed).uniform(size=len(x)) < fraction
    return x[keep], (np.ones(len(x)) if w is None else w)[keep]


def _chunk_row_at(x: Any, w: np.ndarray | None, position: float) -> np.ndarray:
    """The row at a weight position within the chunk (the row whose weight interval holds it)."""
    x = _rows(x)
    if w is None:
        index = int(position)
    else:
        index = int(np.searchsorted(np.cumsum(w), position, side="right"))
    return x[min(index, len(x) - 1)]


def _chunk_predict(x: Any, centers: np.ndarray, n_threads: int | None) -> np.ndarray:
    return _engine.predict(_rows(x), _rows(centers), resolve_n_threads(n_threads))


def _chunk_transform(x: Any, centers: np.ndarray, n_threads: int | None) -> np.ndarray:
    return _engine.transform(_rows(x), _rows(centers), resolve_n_threads(n_threads))


