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


def squared_distances(X: Array, centers: Array) -> Array:
    """(n, k) squared distances in float64, directly from the differences."""
    X64 = np.asarray(X, dtype=np.float64)
    C64 = np.asarray(centers, dtype=np.float64)
    out = np.empty((X64.shape[0], C64.shape[0]))
    for start in range(0, X64.shape[0], 1024):
        diff = X64[start:start + 1024, None, :] - C64[None, :, :]
        out[start:start + 1024] = np.einsum("ikj,ikj->ik", diff, diff)
    return out


def nearest_centers(X: Array, centers: Array) -> Array:
    return np.argmin(squared_distances(X, centers), axis=1).astype(np.int32)


def inertia(
    X: Array, centers: Array, labels: Array, sample_weight: Array | None = None
) -> float:
    diff = np.asarray(X, dtype=np.float64) - np.asarray(centers, dtype=np.float64)[labels]
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    return float(np.sum(w * np.einsum("ij,ij->i", diff, diff)))


def mean_feature_variance(X: Array) -> float:
    """scikit-learn's scale for tol: the mean over features of each feature's variance."""
    return float(np.mean(np.var(np.asarray(X, dtype=np.float64), axis=0)))


def update_centers(
    X: Array, labels: Array, old_centers: Array, sample_weight: Array
) -> tuple[Array, bool]:
    """Weighted means with scikit-learn's relocation of empty clusters; and whether an empty
    cluster was relocated."""
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
    """Lloyd iterations; returns (centers, labels, inertia, n_iter). tol is absolute."""
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
    """Greedy k-means++; returns (centers, indices) with scikit-learn's random draws."""
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
    """One run from `init` with tol relative to the data's variance, as KMeans does."""
    X = np.asarray(X)
    if isinstance(init, str):
        init = kmeans_plusplus(X, n_clusters, sample_weight=sample_weight,
                               random_state=np.random.RandomState(random_state))[0]
    abs_tol = 0.0 if tol == 0 else mean_feature_variance(X) * tol
    run = elkan if algorithm == "elkan" else lloyd  # every engine algorithm equals Lloyd
    return run(X, init, sample_weight=sample_weight, max_iter=max_iter, tol=abs_tol)
