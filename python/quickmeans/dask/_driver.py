"""The driver side: map tasks over chunks, reduce in chunk order, k-means|| and Lloyd."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import dask
import numpy as np

from quickmeans._compat import (
    ConvergenceWarning,
)
from quickmeans._init import random_init, run_kmeans_plusplus
from quickmeans._kmeans import KMeans as LocalKMeans
from quickmeans._spherical_step import unit_or_previous
from quickmeans.dask._spherical_tasks import spherical_inertia
from quickmeans.dask._tasks import (
    _chunk_assign,
    _chunk_candidate_weights,
    _chunk_cost,
    _chunk_farthest,
    _chunk_nearest,
    _chunk_oversample,
    _chunk_row_at,
    _chunk_sample,
)

INITS = ("k-means||", "k-means++", "random")
INIT_ROUNDS = 5  # k-means|| rounds; Bahmani et al. find ~5 rounds of l = 2k enough in practice
INIT_SAMPLE_SIZE = 10_000  # rows sampled for init='k-means++'/'random' (at least 20 * k)
LOCAL_N_INIT = 10  # k-means|| runs k-means on its weighted candidates this many times



# -- the driver ------------------------------------------------------------------------------


@dataclass
class _Chunks:
    """The row chunks of X (and of the weights) as dask Delayed objects, in row order."""

    x: list
    w: list
    sizes: np.ndarray

    def map(self, func: Callable[..., Any], *args: Any) -> list:
        """Run func(x_chunk, w_chunk, *args) on every chunk; results in chunk order."""
        tasks = [dask.delayed(func, pure=True)(x, w, *args) for x, w in zip(self.x, self.w)]
        return list(dask.compute(*tasks))


def _shared(value: np.ndarray) -> Any:
    # One graph key for a small array every task reads: sent once, not copied into each task.
    return dask.delayed(value, pure=True)


def _feature_variance_and_weights(parts: list) -> tuple[float, np.ndarray]:
    """Mean per-feature variance of X (Chan et al.'s pairwise update, in chunk order)."""
    count, mean, m2 = 0, 0.0, 0.0
    for n, chunk_mean, chunk_m2, _ in parts:
        if n == 0:
            continue
        total = count + n
        delta = chunk_mean - mean
        mean = mean + delta * (n / total)
        m2 = m2 + chunk_m2 + delta**2 * (count * n / total)
        count = total
    return float(np.mean(m2) / count), np.array([p[3] for p in parts])


def _ordered_sum(parts: list) -> Any:
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _pick_rows(data: _Chunks, chunk_weights: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Rows drawn with probability proportional to sample weight, one per uniform in [0, 1)."""
    ends = np.cumsum(chunk_weights)
    # Below the total weight, searchsorted lands on a chunk of positive weight.
    positions = np.minimum(uniforms * ends[-1], np.nextafter(ends[-1], 0))
    chunks = np.searchsorted(ends, positions, side="right")
    starts = ends - chunk_weights
    tasks = [
        dask.delayed(_chunk_row_at, pure=True)(data.x[c], data.w[c], p - starts[c])
        for c, p in zip(chunks, positions)
    ]
    return np.array(dask.compute(*tasks))


def _seeds(random_state: np.random.RandomState, n: int) -> np.ndarray:
    return random_state.randint(np.iinfo(np.int32).max, size=n)


def _scalable_init(data: _Chunks, chunk_weights: np.ndarray, n_clusters: int, factor: float,
                   rounds: int, random_state: np.random.RandomState, n_threads: int | None,
                   local_threads: int) -> np.ndarray:
    """k-means|| (Bahmani et al. 2012), then weighted k-means on the candidates."""
    candidates = _pick_rows(data, chunk_weights, random_state.uniform(size=1))
    state = dask.persist(*[dask.delayed(_chunk_nearest, pure=True)(x, None, _shared(candidates),
                                                                   0, n_threads)
                           for x in data.x])
    for _ in range(rounds):
        phi = dask.delayed(_ordered_sum, pure=True)(
            [dask.delayed(_chunk_cost, pure=True)(s, w) for s, w in zip(state, data.w)])
        seeds = _seeds(random_state, len(data.x))
        new = dask.compute(*[
            dask.delayed(_chunk_oversample, pure=True)(x, w, s, phi, factor, seed)
            for x, w, s, seed in zip(data.x, data.w, state, seeds)
        ])
        new = np.concatenate(new)
        if len(new) == 0:  # every sample is a candidate already (phi == 0)
            break
        shared = _shared(new)
        state = dask.persist(*[
            dask.delayed(_chunk_nearest, pure=True)(x, s, shared, len(candidates), n_threads)
            for x, s in zip(data.x, state)
        ])
        candidates = np.concatenate([candidates, new])
    weights = _ordered_sum(dask.compute(*[
        dask.delayed(_chunk_candidate_weights, pure=True)(s, w, len(candidates))
        for s, w in zip(state, data.w)
    ]))
    if len(candidates) < n_clusters:  # tiny or duplicate-heavy data: pad with random samples
        missing = n_clusters - len(candidates)
        extra = _pick_rows(data, chunk_weights, random_state.uniform(size=missing))
        candidates = np.concatenate([candidates, extra])
        weights = np.concatenate([weights, np.zeros(len(extra))])
    # Weighted k-means++ then Lloyd on the candidates (as Spark's LocalKMeans does), best of
    # LOCAL_N_INIT runs: the candidates are few, so the extra runs cost milliseconds, and on
    # blobs they avoid most of the merged-cluster local minima a single run falls into.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = LocalKMeans(n_clusters, n_init=LOCAL_N_INIT, random_state=random_state,
                            n_threads=local_threads)
        return local.fit(candidates, sample_weight=weights).cluster_centers_


def _sampled_init(data: _Chunks, n_clusters: int, init: str,
                  random_state: np.random.RandomState, local_threads: int) -> np.ndarray:
    """init='k-means++' or 'random' on a Bernoulli sample of about INIT_SAMPLE_SIZE rows."""
    n_samples = int(data.sizes.sum())
    fraction = min(1.0, max(INIT_SAMPLE_SIZE, 20 * n_clusters) / n_samples)
    while True:
        parts = dask.compute(*[
            dask.delayed(_chunk_sample, pure=True)(x, w, fraction, seed)
            for x, w, seed in zip(data.x, data.w, _seeds(random_state, len(data.x)))
        ])
        rows = np.concatenate([p[0] for p in parts])
        weights = np.concatenate([p[1] for p in parts])
        if np.count_nonzero(weights) >= n_clusters or fraction == 1.0:
            break
        fraction = 1.0  # unlucky draw on small data: take every row
    rows = np.ascontiguousarray(rows)
    if init == "random":
        return random_init(rows, n_clusters, weights, random_state)
    return run_kmeans_plusplus(rows, n_clusters, weights, random_state, local_threads)[0]


def _relocate_empty_clusters(data: _Chunks, centers: np.ndarray, sums: np.ndarray,
                             weights: np.ndarray, n_threads: int | None) -> None:
    """The engine's rule, over all chunks: each empty cluster takes one of the samples farthest
    from their center (farthest first, lowest index on ties). Updates sums and weights."""
    empty = np.flatnonzero(weights == 0)
    if len(empty) == 0:
        return
    offsets = np.concatenate([[0], np.cumsum(data.sizes)[:-1]])
    parts = dask.compute(*[
        dask.delayed(_chunk_farthest, pure=True)(x, w, _shared(centers), len(empty), int(o),
                                                 n_threads)
        for x, w, o in zip(data.x, data.w, offsets)
    ])
    dist, index, rows, row_weights, labels = (np.concatenate([p[i] for p in parts])
                                              for i in range(5))
    if len(dist) == 0 or dist.max() == 0.0:  # fewer distinct points than clusters
        return
    for target, j in zip(empty, np.lexsort((index, -dist))[:len(empty)]):
        row = row_weights[j] * rows[j].astype(np.float64)
        sums[labels[j]] -= row
        sums[target] = row
        weights[target] = row_weights[j]
        weights[labels[j]] -= row_weights[j]


def _average_centers(sums: np.ndarray, weights: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # A cluster still without weight takes the heaviest cluster's center, as the engine does.
    source = np.where(weights > 0, np.arange(len(weights)), np.argmax(weights))
    divisor = np.where(weights[source] > 0, weights[source], 1.0)
    return np.ascontiguousarray((sums[source] / divisor[:, None]).astype(dtype))


def _lloyd(data: _Chunks, centers: np.ndarray, max_iter: int, tol: float,
           n_threads: int | None, verbose: int, spherical_weight: float | None = None
           ) -> tuple[np.ndarray, float, int, np.ndarray]:
    """Lloyd's iteration as map-reduce; returns (centers, inertia, n_iter, cluster weights).

    Stop rule: the summed squared center shift is <= tol, or max_iter. Strict convergence
    (no label changed) needs no separate count: unchanged labels give bit-identical sums in
    the fixed chunk order, hence a shift of exactly 0, so it stops at the same iteration as
    the single-process engine.

    With ``spherical_weight`` (the total sample weight), the chunks hold unit rows and this
    is spherical k-means: each new center is its cluster's mean direction (unit norm) and
    the inertia is ``sum w (1 - cos)``.
    """

    def objective(parts: list, sums: np.ndarray, used: np.ndarray) -> float:
        if spherical_weight is None:
            return float(sum(p[2] for p in parts))
        return spherical_inertia(spherical_weight, sums, used)

    shift = np.inf
    for iteration in range(max_iter):
        parts = data.map(_chunk_assign, _shared(centers), n_threads)
        sums = _ordered_sum([p[0] for p in parts])
        weights = _ordered_sum([p[1] for p in parts])
        inertia = objective(parts, sums, centers)
        if verbose:
            print(f"Iteration {iteration}, inertia {inertia}.")
        _relocate_empty_clusters(data, centers, sums, weights, n_threads)
        new_centers = _average_centers(sums, weights, centers.dtype)
        if spherical_weight is not None:
            new_centers = unit_or_previous(new_centers, centers)
        shift = float(((new_centers.astype(np.float64) - centers) ** 2).sum())
        centers = new_centers
        if shift <= tol:
            break
    n_iter = iteration + 1
    if shift > 0:
        # Centers moved in the last step: one more pass for the inertia of the final centers
        # (labels_ are the nearest final centers, as in the single-process engine).
        parts = data.map(_chunk_assign, _shared(centers), n_threads)
        weights = _ordered_sum([p[1] for p in parts])
        inertia = objective(parts, _ordered_sum([p[0] for p in parts]), centers)
    elif verbose:
        print(f"Converged at iteration {iteration}.")
    return centers, float(inertia), n_iter, weights


