"""A readable pure-NumPy k-means with the engine's exact semantics: the tests' oracle.

Written for clarity, not speed (it builds chunks of the n x k distance matrix). Every rule
matches the engine and scikit-learn:

* distances are squared Euclidean, computed in float64 whatever the data dtype; the nearest
  center is the lowest index among equals;
* per-cluster sums are float64; centers are stored in the data's dtype;
* empty clusters take the samples farthest from their own centers (farthest first, lower
  index on ties) and a cluster left without weight takes the heaviest cluster's center;
* a run stops when labels no longer change, or when the summed squared center shift is at
  most ``tol`` (absolute here: the caller scales it), and then reassigns once unless the stop
  was strict and moved no empty cluster (a relocated center is one the labels have not seen);
* k-means++ is greedy with ``2 + int(ln k)`` trials per step, drawing from ``random_state``
  exactly as scikit-learn does.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray

__all__ = ["elkan", "inertia", "kmeans", "kmeans_plusplus", "lloyd", "mean_feature_variance",
           "nearest_centers", "spherical_kmeans", "spherical_kmeans_plusplus",
           "squared_distances", "update_centers"]


def squared_distances(X: Array, centers: Array) -> Array:
    """Squared distances in float64, directly from the differences (no expansion).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    centers : ndarray of shape (n_clusters, n_features)
        The centers.

    Returns
    -------
    distances : ndarray of shape (n_samples, n_clusters), float64
        ``distances[i, j]`` is the squared distance from sample i to center j.
    """
    X64 = np.asarray(X, dtype=np.float64)
    C64 = np.asarray(centers, dtype=np.float64)
    out = np.empty((X64.shape[0], C64.shape[0]))
    for start in range(0, X64.shape[0], 1024):
        diff = X64[start:start + 1024, None, :] - C64[None, :, :]
        out[start:start + 1024] = np.einsum("ikj,ikj->ik", diff, diff)
    return out


def nearest_centers(X: Array, centers: Array) -> Array:
    """The label of each sample: its nearest center, the lower index on a tie.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    centers : ndarray of shape (n_clusters, n_features)
        The centers.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
        Index of the nearest center of each sample.
    """
    return np.argmin(squared_distances(X, centers), axis=1).astype(np.int32)


def inertia(
    X: Array, centers: Array, labels: Array, sample_weight: Array | None = None
) -> float:
    """The k-means objective: the weighted sum of squared distances to the assigned centers.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    centers : ndarray of shape (n_clusters, n_features)
        The centers.
    labels : ndarray of shape (n_samples,)
        The center each sample is assigned to.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weight of each sample; None weighs every sample 1.

    Returns
    -------
    inertia : float
        Sum over samples of ``sample_weight * ||x - centers[label]||^2``, in float64.
    """
    diff = np.asarray(X, dtype=np.float64) - np.asarray(centers, dtype=np.float64)[labels]
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    return float(np.sum(w * np.einsum("ij,ij->i", diff, diff)))


def mean_feature_variance(X: Array) -> float:
    """scikit-learn's scale for tol: the mean over features of each feature's variance.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.

    Returns
    -------
    variance : float
        The mean of the per-feature variances, in float64.
    """
    return float(np.mean(np.var(np.asarray(X, dtype=np.float64), axis=0)))


def update_centers(
    X: Array, labels: Array, old_centers: Array, sample_weight: Array
) -> tuple[Array, bool]:
    """Weighted means with scikit-learn's relocation of empty clusters.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    labels : ndarray of shape (n_samples,)
        The center each sample is assigned to.
    old_centers : ndarray of shape (n_clusters, n_features)
        The centers the labels were computed from (their dtype is the result's).
    sample_weight : ndarray of shape (n_samples,)
        Weight of each sample.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The new centers.
    relocated : bool
        Whether an empty cluster was moved to a far sample (labels then no longer match).
    """
    n, d = X.shape
    k = old_centers.shape[0]
    X64 = np.asarray(X, dtype=np.float64)
    sums = np.zeros((k, d))
    np.add.at(sums, labels, sample_weight[:, None] * X64)
    weights = np.bincount(labels, weights=sample_weight, minlength=k).astype(np.float64)

    empty = np.flatnonzero(weights == 0)
    relocated = False
    if empty.size:
        dist = np.einsum("ij,ij->i", X64 - old_centers[labels], X64 - old_centers[labels])
        if dist.max() > 0:
            far = np.lexsort((np.arange(n), -dist))[: empty.size]  # farthest, then lower index
            relocated = True
            for target, sample in zip(empty, far):
                source = labels[sample]
                w = sample_weight[sample]
                sums[source] -= w * X64[sample]
                sums[target] = w * X64[sample]
                weights[target] = w
                weights[source] -= w

    heaviest = int(np.argmax(weights))
    centers = np.empty((k, d))
    for c in range(k):
        src = c if weights[c] > 0 else heaviest
        centers[c] = sums[src] / (weights[src] if weights[src] > 0 else 1.0)
    return centers.astype(old_centers.dtype), relocated


def lloyd(
    X: Array, centers_init: Array, *, sample_weight: Array | None = None,
    max_iter: int = 300, tol: float = 0.0,
) -> tuple[Array, Array, float, int]:
    """Lloyd's iterations with scikit-learn's stopping rules.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    centers_init : ndarray of shape (n_clusters, n_features)
        The initial centers.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weight of each sample; None weighs every sample 1.
    max_iter : int, default=300
        Maximum number of iterations.
    tol : float, default=0.0
        Stop when the summed squared center shift is at most this (absolute, not scaled).

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The final centers, in X's dtype.
    labels : ndarray of shape (n_samples,), int32
        The nearest center of each sample.
    inertia : float
        The weighted sum of squared distances to the assigned centers.
    n_iter : int
        The number of iterations run.
    """
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    centers = np.array(centers_init, dtype=X.dtype)
    labels_old = np.full(n, -1, dtype=np.int32)
    strict = False
    for it in range(max_iter):  # noqa: B007 (n_iter is it + 1 after the loop)
        labels = nearest_centers(X, centers)
        new_centers, relocated = update_centers(X, labels, centers, w)
        shift = float(np.sum((new_centers.astype(np.float64) - centers.astype(np.float64)) ** 2))
        centers = new_centers
        if np.array_equal(labels, labels_old):
            strict = True
            break
        if shift <= tol:
            break
        labels_old = labels
    if not strict or relocated:
        labels = nearest_centers(X, centers)
    return centers, labels, inertia(X, centers, labels, w), it + 1


def elkan(
    X: Array, centers_init: Array, *, sample_weight: Array | None = None,
    max_iter: int = 300, tol: float = 0.0,
) -> tuple[Array, Array, float, int]:
    """Elkan's algorithm with explicit bounds; same results as lloyd() by construction.

    Bounds (upper u, lower l per center, half center distances s) only decide which
    distances need computing; the nearest center is always chosen among exact distances.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    centers_init : ndarray of shape (n_clusters, n_features)
        The initial centers.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weight of each sample; None weighs every sample 1.
    max_iter : int, default=300
        Maximum number of iterations.
    tol : float, default=0.0
        Stop when the summed squared center shift is at most this (absolute, not scaled).

    Returns
    -------
    centers, labels, inertia, n_iter
        As :func:`lloyd` returns them.
    """
    n = X.shape[0]
    X64 = np.asarray(X, dtype=np.float64)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    centers = np.array(centers_init, dtype=X.dtype)
    k = centers.shape[0]

    def center_geometry(c: Array) -> tuple[Array, Array]:
        cc = np.sqrt(squared_distances(c, c))
        np.fill_diagonal(cc, np.inf)
        return cc, 0.5 * cc.min(axis=1)

    dist = np.sqrt(squared_distances(X64, centers))
    labels = np.argmin(dist, axis=1).astype(np.int32)
    lower = dist.copy()
    upper = dist[np.arange(n), labels]
    labels_old = np.full(n, -1, dtype=np.int32)
    strict = False

    def reassign(centers: Array) -> None:
        nonlocal upper
        cc, half = center_geometry(centers)
        for i in np.flatnonzero(upper >= half[labels]):
            a = labels[i]
            u = np.sqrt(np.sum((X64[i] - centers[a]) ** 2))
            lower[i, a] = u
            for c in range(k):
                if c == a or u < lower[i, c] or u < 0.5 * cc[a, c]:
                    continue
                d2 = np.sum((X64[i] - centers[c].astype(np.float64)) ** 2)
                lower[i, c] = np.sqrt(d2)
                u2 = np.sum((X64[i] - centers[a].astype(np.float64)) ** 2)
                if d2 < u2 or (d2 == u2 and c < a):
                    a, u = c, np.sqrt(d2)
            labels[i] = a
            upper[i] = u

    for it in range(max_iter):
        if it > 0:
            reassign(centers)
        new_centers, relocated = update_centers(X, labels, centers, w)
        moved = np.sqrt(np.sum((new_centers.astype(np.float64) - centers) ** 2, axis=1))
        shift = float(np.sum(moved**2))
        upper = upper + moved[labels]
        lower = np.maximum(lower - moved[None, :], 0.0)
        centers = new_centers
        if np.array_equal(labels, labels_old):
            strict = True
            break
        if shift <= tol:
            break
        labels_old = labels.copy()
    if not strict or relocated:
        reassign(centers)
    return centers, labels, inertia(X, centers, labels, w), it + 1


def kmeans_plusplus(
    X: Array, n_clusters: int, *, sample_weight: Array | None = None,
    random_state: np.random.RandomState | None = None, n_local_trials: int | None = None,
) -> tuple[Array, Array]:
    """Greedy k-means++ with scikit-learn's random draws.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    n_clusters : int
        The number of centers to choose.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weight of each sample; None weighs every sample 1.
    random_state : RandomState or None, default=None
        The source of the draws (``RandomState(0)`` when None).
    n_local_trials : int or None, default=None
        Candidates tried per step; None means ``2 + int(ln(n_clusters))``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen samples.
    indices : ndarray of shape (n_clusters,), int64
        Their row indices in X.
    """
    rng = random_state if random_state is not None else np.random.RandomState(0)
    n = X.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    trials = 2 + int(np.log(n_clusters)) if n_local_trials is None else n_local_trials
    indices = np.empty(n_clusters, dtype=np.int64)
    indices[0] = rng.choice(n, p=w / w.sum())
    closest = squared_distances(X, X[indices[:1]])[:, 0]
    for c in range(1, n_clusters):
        cumulative = np.cumsum(w * closest)
        targets = rng.uniform(size=trials) * cumulative[-1]
        candidates = np.minimum(np.searchsorted(cumulative, targets), n - 1)
        to_candidates = np.minimum(closest[:, None], squared_distances(X, X[candidates]))
        potentials = w @ to_candidates
        best = int(np.argmin(potentials))
        indices[c] = candidates[best]
        closest = to_candidates[:, best]
    return np.array(X[indices]), indices


def kmeans(
    X: Array, n_clusters: int, *, init: str | Array = "k-means++",
    sample_weight: Array | None = None, max_iter: int = 300, tol: float = 1e-4,
    random_state: int = 0, algorithm: str = "lloyd",
) -> tuple[Array, Array, float, int]:
    """One run from `init` with tol relative to the data's variance, as KMeans does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples.
    n_clusters : int
        The number of clusters.
    init : 'k-means++' or ndarray of shape (n_clusters, n_features), default='k-means++'
        Greedy k-means++ seeded by ``random_state``, or the initial centers.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weight of each sample; None weighs every sample 1.
    max_iter : int, default=300
        Maximum number of iterations.
    tol : float, default=1e-4
        Tolerance relative to the mean feature variance of X.
    random_state : int, default=0
        Seed of the k-means++ draws.
    algorithm : {'lloyd', 'elkan'}, default='lloyd'
        Which reference iteration to run (both give the same result).

    Returns
    -------
    centers, labels, inertia, n_iter
        As :func:`lloyd` returns them.
    """
    X = np.asarray(X)
    if isinstance(init, str):
        init = kmeans_plusplus(X, n_clusters, sample_weight=sample_weight,
                               random_state=np.random.RandomState(random_state))[0]
    abs_tol = 0.0 if tol == 0 else mean_feature_variance(X) * tol
    run = elkan if algorithm == "elkan" else lloyd  # every engine algorithm equals Lloyd
    return run(X, init, sample_weight=sample_weight, max_iter=max_iter, tol=abs_tol)


# -- spherical k-means ----------------------------------------------------------------------
#
# The rows are directions: x/|x| (in float64; rows of norm zero stay zero, are labelled 0 and
# count with cosine 0). Each row goes to its center of maximum cosine (the lower index among
# equals); a center is its cluster's weighted sum of normalised rows scaled to unit norm (a
# sum of norm zero keeps the old center); an empty cluster (no weight) takes the row of lowest
# cosine to its own center (lowest first, then lower index; rows of norm zero excluded), which
# leaves its cluster's sum; the objective is sum w (1 - cos); stops as lloyd() does.


def _unit(X: Array) -> Array:
    X64 = np.asarray(X, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", X64, X64))
    return X64 / np.where(norms > 0, norms, 1.0)[:, None]


def spherical_kmeans_plusplus(
    X: Array, n_clusters: int, *, sample_weight: Array | None = None,
    random_state: np.random.RandomState | None = None, n_local_trials: int | None = None,
) -> tuple[Array, Array]:
    """k-means++ in cosine distance: greedy k-means++ on the normalised rows.

    On unit rows ``||x - y||^2 = 2 (1 - cos)``; rows of norm zero get weight 0 (never
    chosen).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples (any norms).
    n_clusters : int
        The number of centers to choose.
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weight of each sample; None weighs every sample 1.
    random_state : RandomState or None, default=None
        The source of the draws (``RandomState(0)`` when None).
    n_local_trials : int or None, default=None
        Candidates tried per step; None means ``2 + int(ln(n_clusters))``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen rows, normalised, in X's dtype.
    indices : ndarray of shape (n_clusters,), int64
        Their row indices in X.
    """
    X = np.asarray(X)
    U = _unit(X)
    w = np.ones(len(X)) if sample_weight is None else np.array(sample_weight, dtype=np.float64)
    w[~U.any(axis=1)] = 0.0
    _, indices = kmeans_plusplus(U.astype(X.dtype), n_clusters, sample_weight=w,
                                 random_state=random_state, n_local_trials=n_local_trials)
    return _unit(X[indices]).astype(X.dtype), indices


def spherical_kmeans(
    X: Array, centers_init: Array, *, sample_weight: Array | None = None,
    max_iter: int = 300, tol: float = 0.0,
) -> tuple[Array, Array, float, int]:
    """Spherical k-means (maximum cosine) from ``centers_init``, with lloyd()'s stopping.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The samples (any norms; only their directions matter).
    centers_init : ndarray of shape (n_clusters, n_features)
        The initial centers (scaled to unit norm here).
    sample_weight : ndarray of shape (n_samples,) or None, default=None
        Weight of each sample; None weighs every sample 1.
    max_iter : int, default=300
        Maximum number of iterations.
    tol : float, default=0.0
        Stop when the summed squared center shift is at most this (absolute).

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The final unit-norm centers, in X's dtype.
    labels : ndarray of shape (n_samples,), int32
        The center of maximum cosine of each sample.
    inertia : float
        ``sum w (1 - cos)`` at the final centers.
    n_iter : int
        The number of iterations run.
    """
    X = np.asarray(X)
    U = _unit(X)
    nonzero = U.any(axis=1)
    n = len(X)
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    centers = _unit(centers_init).astype(X.dtype)
    k = len(centers)

    def assign(c: Array) -> tuple[Array, Array]:
        cos = U @ np.asarray(c, dtype=np.float64).T
        labels = np.argmax(cos, axis=1).astype(np.int32)
        labels[~nonzero] = 0
        return labels, cos[np.arange(n), labels]

    labels_old = np.full(n, -1, dtype=np.int32)
    for it in range(max_iter):  # noqa: B007 (n_iter is it + 1 after the loop)
        labels, cos = assign(centers)
        sums = np.zeros((k, X.shape[1]))
        np.add.at(sums, labels, w[:, None] * U)
        weights = np.bincount(labels, weights=np.where(nonzero, w, 0.0), minlength=k)
        empty = np.flatnonzero(weights == 0)
        candidates = np.flatnonzero(nonzero)
        picks = candidates[np.lexsort((candidates, cos[candidates]))][: empty.size]
        for target, row in zip(empty, picks):
            sums[labels[row]] -= w[row] * U[row]
            sums[target] = w[row] * U[row]
        norms = np.sqrt(np.einsum("ij,ij->i", sums, sums))
        new = np.where(norms[:, None] > 0, sums / np.where(norms > 0, norms, 1.0)[:, None],
                       centers)
        for target, row in zip(empty, picks):
            new[target] = U[row]
        new = new.astype(X.dtype)
        shift = float(np.sum((new.astype(np.float64) - centers.astype(np.float64)) ** 2))
        centers = new
        if np.array_equal(labels, labels_old) or shift <= tol:
            break
        labels_old = labels
    labels, cos = assign(centers)  # the labels of the final centers, however the run stopped
    return centers, labels, float(np.sum(w * (1.0 - cos))), it + 1
