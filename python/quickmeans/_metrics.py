"""Cluster quality scores computed by the engine."""

from __future__ import annotations

from typing import Any

import numpy as np

from quickmeans import _core
from quickmeans._validation import (
    check_array,
    check_int_param,
    check_random_state,
    resolve_n_threads,
)


def silhouette_score(
    X: Any,
    labels: Any,
    *,
    metric: str = "euclidean",
    sample_size: int | None = None,
    random_state: Any = None,
) -> float:
    """Mean Silhouette Coefficient of all samples (scikit-learn's signature and result).

    For each sample, ``a`` is the mean distance to the other members of its cluster and
    ``b`` the smallest mean distance to the members of another cluster; its coefficient is
    ``(b - a) / max(a, b)`` (0 in a cluster of one). Exact Euclidean distances, computed
    in chunks by the engine: memory stays O(n * d), never an n x n matrix.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The samples (dense).
    labels : array-like of shape (n_samples,)
        Predicted cluster of each sample (any hashable labels).
    metric : {'euclidean'}, default='euclidean'
        Only the Euclidean distance is supported.
    sample_size : int, default=None
        Score a random subset of this many samples (drawn as scikit-learn draws it); an int
        >= 1 (a subset needs at least two labels, so at least 2 in practice). As in
        scikit-learn, a size above n_samples scores all the samples.
    random_state : int, RandomState instance or None, default=None
        Seed for the subset when ``sample_size`` is given.

    Returns
    -------
    silhouette : float
        The mean coefficient, in [-1, 1].
    """
    if metric != "euclidean":
        raise ValueError(f"metric={metric!r} is not supported; only 'euclidean' is.")
    sample_size = check_int_param(sample_size, "sample_size", "silhouette_score", 1, none=True)
    n_threads = resolve_n_threads(None)
    X = check_array(X, estimator="silhouette_score", n_threads=n_threads)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != X.shape[0]:
        raise ValueError(
            f"labels must be 1-D with one label per sample: got shape {labels.shape} for "
            f"{X.shape[0]} samples."
        )
    if sample_size is not None:
        indices = check_random_state(random_state).permutation(X.shape[0])[:sample_size]
        X, labels = np.ascontiguousarray(X[indices]), labels[indices]
    names, codes = np.unique(labels, return_inverse=True)
    if not 1 < len(names) < X.shape[0]:
        raise ValueError(
            f"Number of labels is {len(names)}. Valid values are 2 to n_samples - 1 (inclusive)"
        )
    return float(_core.silhouette(X, codes.astype(np.int32), len(names), n_threads))
