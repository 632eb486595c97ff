"""The driver loop: k-means|| or random init, then Lloyd's iterations, each one Spark job
(one mapInArrow over the cached blocks + collect) whose per-partition results are added in
partition id order."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from quickmeans._compat import ConvergenceWarning
from quickmeans._init import random_init
from quickmeans._kmeans import KMeans as LocalKMeans
from quickmeans.spark import _tasks
from quickmeans.spark._data import Blocks

OVERSAMPLING = 2.0  # k-means|| draws about 2k candidates a step, as MLlib and quickmeans.dask
LOCAL_N_INIT = 10  # weighted k-means runs on the candidates (cheap: they are few)
CAP_FACTOR = 8  # a partition sends at most 8 * 2k rows per k-means|| step before phi is known
SAMPLE_SIZE = 10_000  # rows sampled for initMode='random' (at least 20 * k)


def _arr(raw: Any, dtype: Any = np.float64) -> np.ndarray:
    return np.frombuffer(raw, dtype=dtype)


def _ordered_sum(arrays: list) -> np.ndarray:
    total = arrays[0].copy()
    for a in arrays[1:]:
        total += a
    return total


def _seeds(random_state: np.random.RandomState, n: int) -> np.ndarray:
    return random_state.randint(np.iinfo(np.int32).max, size=n)


def _pick_rows(data: Blocks, uniforms: np.ndarray) -> np.ndarray:
    """Rows drawn with probability proportional to sample weight, one per uniform (a job
    each; used for the first k-means|| candidate and for rare padding)."""
    ends = np.cumsum(data.partition_weights)
    rows = []
    for u in uniforms:
        position = min(u * ends[-1], np.nextafter(ends[-1], 0))
        target = int(np.searchsorted(ends, position, side="right"))
        offset = position - (ends[target] - data.partition_weights[target])
        (row,) = [r for r in data.map(_tasks.row_at, ("rows", "n"), offset, target) if r.n]
        rows.append(_arr(row.rows))
    return np.array(rows)


def _as(centers: np.ndarray, data: Blocks) -> np.ndarray:
    return np.ascontiguousarray(centers, dtype=data.dtype)


def scalable_init(data: Blocks, k: int, steps: int, random_state: np.random.RandomState,
                  cosine: bool) -> np.ndarray:
    """k-means|| (Bahmani et al. 2012), then weighted k-means on the candidates."""
    candidates = _pick_rows(data, random_state.uniform(size=1))
    factor = OVERSAMPLING * k
    for _ in range(steps):
        new, phi = _oversample(data, _as(candidates, data), factor,
                               _seeds(random_state, data.n_partitions))
        if not phi > 0:  # every row is a candidate already
            break
        if len(new) == 0:
            break
        candidates = np.concatenate([candidates, new])
    weights = _ordered_sum([_arr(r.weights) for r in data.map(
        _tasks.candidate_weights, ("weights",), _as(candidates, data))])
    if len(candidates) < k:  # tiny or duplicate-heavy data: pad with random rows
        extra = _pick_rows(data, random_state.uniform(size=k - len(candidates)))
        candidates = np.concatenate([candidates, extra])
        weights = np.concatenate([weights, np.zeros(len(extra))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = LocalKMeans(k, n_init=LOCAL_N_INIT, random_state=random_state, n_threads=1)
        centers = local.fit(candidates, sample_weight=weights).cluster_centers_
    return _normalised(centers) if cosine else centers


def _oversample(data: Blocks, candidates: np.ndarray, factor: float,
                seeds: np.ndarray) -> tuple[np.ndarray, float]:
    """One k-means|| step: (the new candidates, phi), usually in one job (see
    ``_tasks.cost_and_oversample``); a second when a partition had more rows to send than
    the cap, which then samples again with phi known (the same uniforms, the same rows)."""
    cap = int(CAP_FACTOR * factor) + 1
    parts = data.map(_tasks.cost_and_oversample, ("cost", "rows", "n", "extra"), candidates,
                     factor, seeds, cap)
    phi = float(sum(r.cost for r in parts))
    if not phi > 0:
        return np.zeros((0, data.d)), phi
    if any(r.n == cap and _arr(r.extra).min() > phi for r in parts):
        parts = data.map(_tasks.oversample, ("rows", "n"), candidates, phi, factor, seeds)
        return np.concatenate([_arr(r.rows).reshape(r.n, data.d) for r in parts]), phi
    # Rows in partition order, each partition's in row order: as oversample returns them.
    new = []
    for r in parts:
        rows, keys = _arr(r.rows).reshape(r.n, data.d), _arr(r.extra)
        new.append(rows[keys > phi])
    return np.concatenate(new), phi


def random_centers(data: Blocks, k: int, random_state: np.random.RandomState) -> np.ndarray:
    """k distinct rows of a Bernoulli sample, drawn by weight (MLlib's 'random')."""
    fraction = min(1.0, max(SAMPLE_SIZE, 20 * k) / data.n_rows)
    while True:
        parts = data.map(_tasks.sample, ("rows", "n", "weights"), fraction,
                         _seeds(random_state, data.n_partitions))
        rows = np.concatenate([_arr(r.rows).reshape(r.n, data.d) for r in parts])
        weights = np.concatenate([_arr(r.weights) for r in parts])
        if np.count_nonzero(weights) >= k or fraction == 1.0:
            break
        fraction = 1.0  # unlucky draw on small data: take every row
    return random_init(np.ascontiguousarray(rows), k, weights, random_state)


def _normalised(centers: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.einsum("ij,ij->i", centers.astype(np.float64), centers))
    return centers / np.where(norms > 0, norms, 1.0)[:, None].astype(centers.dtype)


def _relocate_empty_clusters(data: Blocks, centers: np.ndarray, sums: np.ndarray,
                             weights: np.ndarray) -> None:
    """quickmeans' rule over all partitions: each empty cluster takes one of the rows farthest
    from their center (farthest first, then by partition, block, row). Updates in place."""
    empty = np.flatnonzero(weights == 0)
    if len(empty) == 0:
        return
    parts = data.map(_tasks.farthest, ("extra", "rows", "n"), centers, len(empty))
    records = np.concatenate([np.column_stack([_arr(r.extra).reshape(r.n, 5),
                                               np.full(r.n, r.pid)]) for r in parts])
    rows = np.concatenate([_arr(r.rows).reshape(r.n, data.d) for r in parts])
    if len(records) == 0 or records[:, 0].max() == 0.0:  # fewer distinct rows than clusters
        return
    order = np.lexsort((records[:, 2], records[:, 1], records[:, 5], -records[:, 0]))
    for target, j in zip(empty, order[:len(empty)]):
        label, weight = int(records[j, 3]), records[j, 4]
        row = weight * rows[j]
        sums[label] -= row
        sums[target] = row
        weights[target] = weight
        weights[label] -= weight


def _average_centers(sums: np.ndarray, weights: np.ndarray) -> np.ndarray:
    # A cluster still without weight takes the heaviest cluster's center, as the engine does.
    source = np.where(weights > 0, np.arange(len(weights)), np.argmax(weights))
    divisor = np.where(weights[source] > 0, weights[source], 1.0)
    return sums[source] / divisor[:, None]


def _assign(data: Blocks, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        float]:
    k = len(centers)
    parts = data.map(_tasks.assign, ("sums", "weights", "counts", "cost"), _as(centers, data))
    return (_ordered_sum([_arr(r.sums).reshape(k, data.d) for r in parts]),
            _ordered_sum([_arr(r.weights) for r in parts]),
            _ordered_sum([_arr(r.counts, np.int64) for r in parts]),
            float(sum(r.cost for r in parts)))


def lloyd(data: Blocks, centers: np.ndarray, max_iter: int, tol: float,
          cosine: bool) -> tuple[np.ndarray, float, int, np.ndarray]:
    """Lloyd's iterations; returns (centers, cost, iterations run, rows per cluster).

    Stops when the summed squared center shift is <= tol (absolute here: the caller scales
    it by the mean feature variance), or after max_iter. Unchanged labels give bit-identical
    sums in the fixed partition order, hence a shift of exactly 0.
    """
    centers = _as(centers, data)
    shift, n_iter = np.inf, 0
    while n_iter < max_iter:
        n_iter += 1
        sums, weights, counts, cost = _assign(data, centers)
        _relocate_empty_clusters(data, centers, sums, weights)
        new = _average_centers(sums, weights)
        if cosine:
            new = _normalised(new)
        new = _as(new, data)
        shift = float(((new.astype(np.float64) - centers) ** 2).sum())
        centers = new
        if shift <= tol:
            break
    if shift > 0:  # the centers moved in the last step (or maxIter=0): the final centers' cost
        _, _, counts, cost = _assign(data, centers)
    return centers.astype(np.float64), cost, n_iter, counts
