"""K-means on dask arrays: every Lloyd iteration is one map-reduce over row chunks.

Each chunk is assigned by the native kernel (``_engine.assign_and_sum``) where it lives and
sends back only its per-cluster sums, weights and inertia (O(k*d) bytes); the driver adds the
chunk results in chunk order (so the result does not depend on which worker finished first)
and updates the centers. Every task is a pure function of its inputs, so a task that
distributed re-runs after a worker died returns the same bytes. Random numbers are drawn on
the driver only (chunk tasks get integer seeds), so the same ``random_state`` and the same
chunking give the same result on any scheduler and any number of workers.

Needs the ``dask`` extra: ``pip install quickmeans[dask]`` (dask[array] and distributed; a
``distributed.Client`` is optional, any dask scheduler works).
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

# Absolute imports: inside quickmeans/dask.py, ``import dask`` is the top-level dask package.
try:
    import dask
    import dask.array as da
except ImportError as error:  # pragma: no cover - only without the extra
    raise ImportError(
        "quickmeans.dask needs dask: pip install 'quickmeans[dask]'"
    ) from error

from quickmeans import _engine
from quickmeans._compat import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    ConvergenceWarning,
    TransformerMixin,
)
from quickmeans._init import check_init_array, random_init, run_kmeans_plusplus
from quickmeans._kmeans import KMeans as LocalKMeans
from quickmeans._validation import (
    InvalidParameterError,
    check_array,
    check_finite,
    check_int_param,
    check_is_fitted,
    check_random_state,
    check_real_param,
    check_sample_weight,
    is_sparse,
    resolve_n_threads,
)

__all__ = ["KMeans"]

INITS = ("k-means||", "k-means++", "random")
INIT_ROUNDS = 5  # k-means|| rounds; Bahmani et al. find ~5 rounds of l = 2k enough in practice
INIT_SAMPLE_SIZE = 10_000  # rows sampled for init='k-means++'/'random' (at least 20 * k)
LOCAL_N_INIT = 10  # k-means|| runs k-means on its weighted candidates this many times


# -- chunk tasks: pure functions of their arguments, run on the workers --------------------


def _rows(x: Any) -> np.ndarray:
    # A chunk as the engine takes it (the graph already cast it to float32/float64).
    return np.ascontiguousarray(x)


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
        _rows(x), w, centers, resolve_n_threads(n_threads))
    return sums, weights, float(inertia)


def _squared_distances(x: np.ndarray, points: np.ndarray) -> np.ndarray:
    diff = x.astype(np.float64) - points.astype(np.float64)
    return np.einsum("ij,ij->i", diff, diff)


def _chunk_farthest(x: Any, w: np.ndarray | None, centers: np.ndarray, n_far: int, offset: int,
                    n_threads: int | None) -> tuple[np.ndarray, ...]:
    """The chunk's n_far samples farthest from their center (candidates for empty clusters)."""
    x = _rows(x)
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
    x = _rows(x)
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
    return _engine.predict(_rows(x), centers, resolve_n_threads(n_threads))


def _chunk_transform(x: Any, centers: np.ndarray, n_threads: int | None) -> np.ndarray:
    return _engine.transform(_rows(x), centers, resolve_n_threads(n_threads))


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
           n_threads: int | None, verbose: int) -> tuple[np.ndarray, float, int, np.ndarray]:
    """Lloyd's iteration as map-reduce; returns (centers, inertia, n_iter, cluster weights).

    Stop rule: the summed squared center shift is <= tol, or max_iter. Strict convergence
    (no label changed) needs no separate count: unchanged labels give bit-identical sums in
    the fixed chunk order, hence a shift of exactly 0, so it stops at the same iteration as
    the single-process engine.
    """
    shift = np.inf
    for iteration in range(max_iter):
        parts = data.map(_chunk_assign, _shared(centers), n_threads)
        sums = _ordered_sum([p[0] for p in parts])
        weights = _ordered_sum([p[1] for p in parts])
        inertia = sum(p[2] for p in parts)
        if verbose:
            print(f"Iteration {iteration}, inertia {inertia}.")
        _relocate_empty_clusters(data, centers, sums, weights, n_threads)
        new_centers = _average_centers(sums, weights, centers.dtype)
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
        inertia = sum(p[2] for p in parts)
    elif verbose:
        print(f"Converged at iteration {iteration}.")
    return centers, float(inertia), n_iter, weights


# -- the estimator ---------------------------------------------------------------------------


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-Means on dask arrays, on whatever scheduler dask uses (a ``distributed.Client``'s
    cluster, or the local threaded or synchronous scheduler).

    Each Lloyd iteration is one map-reduce: every row chunk is assigned by the native kernel
    on its worker, which sends back per-cluster sums, weights and inertia only. X is persisted
    for the fit (released afterwards); the same ``random_state`` and chunking give the same
    result whatever the scheduler or the number of workers.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form as well as the number of centroids to generate.
    init : {'k-means||', 'k-means++', 'random'}, callable or array-like of shape \
(n_clusters, n_features), default='k-means||'
        'k-means||' is Bahmani et al.'s scalable k-means++: ``init_max_iter`` rounds that
        each keep every sample with probability proportional to ``oversampling_factor *
        n_clusters`` times its share of the cost, then the best of 10 runs of weighted
        k-means++ and Lloyd on these candidates (weighted by how many samples they
        attract). 'k-means++' and 'random' run on a random sample of about 10,000 rows (at
        least 20 per cluster). A callable is called as
        ``init(X, n_clusters, random_state=random_state)`` with the dask array.
    max_iter : int, default=300
        Maximum number of Lloyd iterations (each one pass over the data).
    tol : float, default=1e-4
        Relative tolerance: stop when the summed squared shift of the centers is at most
        ``tol`` times the mean of the per-feature variances of X. An iteration in which no
        label changes leaves the centers in place (shift 0), so it always stops there.
    verbose : int, default=0
        Print the inertia at every iteration.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for the initialization.
    oversampling_factor : float, default=2
        k-means|| draws about ``oversampling_factor * n_clusters`` candidates per round.
    init_max_iter : int or None, default=None
        Rounds of k-means||; None means 5.
    n_threads : int or None, default=None
        Engine threads per chunk task. None uses the worker's OpenMP limit (dask's nannies
        set it to 1, as the worker's own threads run chunks in parallel); -1 all cores.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers, in the dtype of X (float32 or float64).
    labels_ : dask array of shape (n_samples,), dtype int32
        Labels of each point, lazy: computed from X and the final centers when asked for.
    inertia_ : float
        Sum of squared distances of samples to their closest cluster center, weighted by the
        sample weights if provided.
    n_iter_ : int
        Number of iterations run.
    n_features_in_ : int
        Number of features seen during fit.

    Examples
    --------
    >>> import dask.array as da
    >>> from quickmeans.dask import KMeans
    >>> X = da.random.RandomState(0).normal(size=(1000, 2), chunks=(250, 2))
    >>> km = KMeans(n_clusters=3, random_state=0).fit(X)
    >>> km.cluster_centers_.shape, km.labels_.compute().shape
    ((3, 2), (1000,))
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means||",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: Any = None,
        oversampling_factor: float = 2,
        init_max_iter: int | None = None,
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.oversampling_factor = oversampling_factor
        self.init_max_iter = init_max_iter
        self.n_threads = n_threads

    def _checked_params(self) -> dict[str, Any]:
        owner = type(self).__name__
        if isinstance(self.init, str) and self.init not in INITS:
            raise InvalidParameterError(
                f"The 'init' parameter of {owner} must be a str among "
                f"{{{', '.join(repr(i) for i in INITS)}}}, a callable or an array-like. "
                f"Got {self.init!r} instead."
            )
        factor = check_real_param(self.oversampling_factor, "oversampling_factor", owner, 0.0)
        if factor == 0:
            raise InvalidParameterError(
                f"The 'oversampling_factor' parameter of {owner} must be a float in the range "
                f"(0, inf). Got {self.oversampling_factor!r} instead."
            )
        rounds = INIT_ROUNDS if self.init_max_iter is None else check_int_param(
            self.init_max_iter, "init_max_iter", owner, 1)
        resolve_n_threads(self.n_threads)  # raises for a bad value; resolved on the workers
        return {
            "n_clusters": check_int_param(self.n_clusters, "n_clusters", owner, 1),
            "max_iter": check_int_param(self.max_iter, "max_iter", owner, 1),
            "tol": check_real_param(self.tol, "tol", owner, 0.0),
            "factor": factor,
            "rounds": rounds,
            "verbose": int(self.verbose) if isinstance(self.verbose, numbers.Integral) else 0,
        }

    def _dask_data(self, X: Any) -> Any:
        """X as a dask array of float32/float64 with all columns in one chunk."""
        if not isinstance(X, da.Array):
            # Checked (and made contiguous) here, where it is cheap; chunked by rows.
            X = check_array(X, estimator=type(self).__name__)
            return da.from_array(X, chunks={0: "auto", 1: -1})
        if is_sparse(X._meta):
            raise TypeError("quickmeans.dask.KMeans takes dense chunks only, not scipy.sparse.")
        if X.ndim != 2:
            raise ValueError(f"Expected a 2D dask array, got {X.ndim}D instead.")
        if any(np.isnan(c) for c in X.chunks[0]):
            raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() first.")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"Found array with shape {X.shape}; {type(self).__name__} needs at "
                             "least 1 sample and 1 feature.")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X has dtype {X.dtype}, which is not a real numeric type.")
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        return X.rechunk({1: -1})

    def _dask_weights(self, sample_weight: Any, X: Any) -> Any:
        if sample_weight is None:
            return None
        if isinstance(sample_weight, da.Array):
            if sample_weight.shape != (X.shape[0],):
                raise ValueError(f"sample_weight.shape == {sample_weight.shape}, expected "
                                 f"{(X.shape[0],)}!")
            # Values are checked in the first pass, chunk by chunk.
            return sample_weight.astype(np.float64).rechunk((X.chunks[0],))
        weights = check_sample_weight(sample_weight, X.shape[0])
        return da.from_array(weights, chunks=(X.chunks[0],))

    def _initial_centers(self, X: Any, data: _Chunks, chunk_weights: np.ndarray,
                         params: dict[str, Any], random_state: np.random.RandomState) -> np.ndarray:
        n_clusters = params["n_clusters"]
        local_threads = resolve_n_threads(self.n_threads)
        like = np.empty((0, X.shape[1]), dtype=X.dtype)  # dtype and width for the checks
        if isinstance(self.init, str) and self.init == "k-means||":
            centers = _scalable_init(data, chunk_weights, n_clusters, params["factor"] * n_clusters,
                                     params["rounds"], random_state, self.n_threads, local_threads)
        elif isinstance(self.init, str):
            centers = _sampled_init(data, n_clusters, self.init, random_state, local_threads)
        elif callable(self.init):
            centers = self.init(X, n_clusters, random_state=random_state)
        else:
            centers = self.init
        return check_init_array(centers, like, n_clusters, local_threads)

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute k-means clustering.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            Training instances; a NumPy array is wrapped with ``dask.array.from_array``. Row
            chunks are used as they are (uneven and empty chunks are fine); columns are
            rechunked into one. float32 and float64 are kept, other numbers become float64.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weights for each observation in X. If None, all observations are assigned
            equal weight.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        params = self._checked_params()
        n_clusters = params["n_clusters"]
        X = self._dask_data(X)
        if X.shape[0] < n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
        weights = self._dask_weights(sample_weight, X)
        random_state = check_random_state(self.random_state)

        # Every iteration reads X: persist it (on the workers) for the fit, not beyond it.
        X_kept, weights_kept = dask.persist(X, weights)
        data = _Chunks(
            x=X_kept.to_delayed().ravel().tolist(),
            w=[None] * X.numblocks[0] if weights_kept is None
            else weights_kept.to_delayed().ravel().tolist(),
            sizes=np.array(X.chunks[0], dtype=np.int64),
        )
        variance, chunk_weights = _feature_variance_and_weights(data.map(_chunk_stats))
        if not chunk_weights.sum() > 0:
            raise ValueError("Sample weights must contain at least one non-zero number.")
        centers = self._initial_centers(X, data, chunk_weights, params, random_state)
        if params["verbose"]:
            print("Initialization complete")
        tol = params["tol"] * variance
        centers, inertia, n_iter, cluster_weights = _lloyd(
            data, centers, params["max_iter"], tol, self.n_threads, params["verbose"])

        distinct = int(np.count_nonzero(cluster_weights))
        if distinct < n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.n_features_in_ = X.shape[1]
        self.cluster_centers_ = centers
        self._n_features_out = n_clusters
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self.labels_ = self._predict_dask(X)
        return self

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Compute cluster centers and return ``labels_`` (a lazy dask array)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    # -- using a fitted model ---------------------------------------------------------------

    def _test_data(self, X: Any) -> Any:
        check_is_fitted(self)
        X = self._dask_data(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X

    def _centers_like(self, X: Any) -> Any:
        return _shared(np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype))

    def _predict_dask(self, X: Any) -> Any:
        return X.map_blocks(_chunk_predict, self._centers_like(X), self.n_threads,
                            drop_axis=1, dtype=np.int32)

    def predict(self, X: Any) -> Any:
        """Predict the closest cluster each sample in X belongs to.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            New data to predict.

        Returns
        -------
        labels : dask array or ndarray of shape (n_samples,), dtype int32
            Index of the cluster each sample belongs to: lazy for a dask array, computed for
            a NumPy array.
        """
        labels = self._predict_dask(self._test_data(X))
        return labels if isinstance(X, da.Array) else labels.compute()

    def transform(self, X: Any) -> Any:
        """Transform X to a cluster-distance space (Euclidean distance to every center).

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            New data to transform.

        Returns
        -------
        X_new : dask array or ndarray of shape (n_samples, n_clusters)
            Distances, lazy for a dask array, computed for a NumPy array.
        """
        X_checked = self._test_data(X)
        distances = X_checked.map_blocks(
            _chunk_transform, self._centers_like(X_checked), self.n_threads,
            chunks=(X_checked.chunks[0], (self.cluster_centers_.shape[0],)),
            dtype=X_checked.dtype)
        return distances if isinstance(X, da.Array) else distances.compute()

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Compute clustering and transform X to cluster-distance space."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the value of X on the K-means objective (minus the inertia).

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            New data.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weights for each observation in X.

        Returns
        -------
        score : float
            Opposite of the value of X on the K-means objective.
        """
        X = self._test_data(X)
        weights = self._dask_weights(sample_weight, X)
        data = _Chunks(
            x=X.to_delayed().ravel().tolist(),
            w=[None] * X.numblocks[0] if weights is None
            else weights.to_delayed().ravel().tolist(),
            sizes=np.array(X.chunks[0], dtype=np.int64),
        )
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)
        return -sum(p[2] for p in data.map(_chunk_assign, _shared(centers), self.n_threads))
