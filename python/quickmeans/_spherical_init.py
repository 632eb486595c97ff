"""Initial centers for spherical k-means: the KMeans inits, in cosine distance.

On unit rows ``||x - y||^2 = 2 (1 - cos)``, so k-means++ on the normalised rows is k-means++
in cosine distance, and the engine's seeding does it. Rows already of unit norm (checked in
the one pass that computes the norms) are seeded from X itself; otherwise from a normalised
copy, made for the seeding only (for CSR only the values are copied). Rows of norm zero get
seeding weight 0: they are never chosen as a center.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from quickmeans import _engine
from quickmeans._init import check_init_array, random_init, run_kmeans_plusplus
from quickmeans._spherical_norms import normalise_rows, unit_rows

Data = Any  # an ndarray or a _sparse.CsrInput



def seeding_weights(norms: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
    """The sample weights with rows of norm zero at 0 (None when nothing changes)."""
    zero = norms == 0
    if not zero.any():
        return sample_weight
    w = np.ones(len(norms)) if sample_weight is None else sample_weight.copy()
    w[zero] = 0.0
    return w


def with_directions(centers: Any) -> np.ndarray:
    """Seeds with a direction: when X has fewer rows of non-zero norm than clusters, the
    seeding runs out of them and picks zero rows; those seeds copy the first seed with a
    direction (their clusters start empty and are relocated like any empty cluster). All
    zero (X has no direction at all) is left to normalise_rows' error."""
    centers = np.array(centers, dtype=np.float64)
    zero = ~np.any(centers != 0, axis=1)
    if zero.any() and not zero.all():
        centers[zero] = centers[np.flatnonzero(~zero)[0]]
    return centers


def spherical_centers(X: Data, norms: np.ndarray, n_clusters: int, init: Any,
                      sample_weight: np.ndarray | None, random_state: np.random.RandomState,
                      n_threads: int, unit: Data | None = None) -> np.ndarray:
    """Unit-norm initial centers in X's dtype. ``unit`` is ``unit_rows(X, norms)`` (for
    k-means++), passed in so that n_init runs share one normalised copy."""
    if isinstance(init, str):
        weights = seeding_weights(norms, sample_weight)
        if init == "k-means++":
            unit = unit_rows(X, norms) if unit is None else unit
            centers = run_kmeans_plusplus(unit, n_clusters, weights, random_state, n_threads)[0]
        else:  # rows of X, normalised below: no copy of X needed
            centers = random_init(X, n_clusters, weights, random_state)
        return normalise_rows(with_directions(centers), X.dtype)
    if callable(init):
        centers = init(_engine.user_view(X), n_clusters, random_state=random_state)
    else:
        centers = init
    return normalise_rows(check_init_array(centers, X, n_clusters, n_threads), X.dtype)
