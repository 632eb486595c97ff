"""Choosing k: inertia for a range of k, the knee of that curve, and silhouette scores."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from quickmeans._kmeans import KMeans
from quickmeans._metrics import silhouette_score
from quickmeans._validation import (
    check_array,
    check_int_param,
    check_random_state,
    resolve_n_threads,
)


@dataclass
class ElbowResult:
    """What :func:`elbow` found.

    Attributes
    ----------
    k : ndarray of int
        The numbers of clusters tried, increasing.
    inertia : ndarray of float
        The inertia of the fit for each k.
    silhouette : ndarray of float
        The silhouette score for each k (on a sample of the data), NaN where not computed.
    knee : int or None
        The knee of the inertia curve (Kneedle method, by the ``kneed`` package), if any.
    suggested : int or None
        The k to use: the knee, or where there is none, the best silhouette score; None
        when there is neither (no knee and every silhouette score NaN, e.g. with
        ``silhouette=False`` or fewer than three k): no k is suggested from nothing.
    """

    k: np.ndarray
    inertia: np.ndarray
    silhouette: np.ndarray
    knee: int | None
    suggested: int | None


def find_knee(k: np.ndarray, inertia: np.ndarray) -> int | None:
    """The knee of a decreasing, convex inertia curve by the Kneedle method (``kneed``)."""
    if len(k) < 3:
        return None
    try:
        from kneed import KneeLocator
    except ImportError as error:  # pragma: no cover - kneed comes with the "plot" extra
        raise ImportError("elbow needs kneed: pip install 'quickmeans[plot]'") from error
    knee = KneeLocator(k, inertia, curve="convex", direction="decreasing").knee
    return None if knee is None else int(knee)


def elbow(
    X: Any,
    k_range: Iterable[int] = range(2, 13),
    *,
    silhouette: bool = True,
    sample_size: int | None = 5000,
    random_state: Any = 0,
    n_init: Any = "auto",
    knee: bool = True,
) -> ElbowResult:
    """Fit k-means for each k in ``k_range``; report inertias, the knee and silhouettes.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    k_range : iterable of int, default=range(2, 13)
        The numbers of clusters to try (each >= 1 and <= n_samples).
    silhouette : bool, default=True
        Also score each clustering with :func:`silhouette_score` (for k >= 2).
    sample_size : int or None, default=5000
        Rows the silhouette is computed on, at least 2 (all rows when None or when there
        are fewer).
    random_state : int, RandomState instance or None, default=0
        Seeds the fits and the silhouette sample.
    n_init : 'auto' or int, default='auto'
        Passed to :class:`KMeans`.
    knee : bool, default=True
        Locate the knee of the inertia curve (needs ``kneed``). When False the knee is None
        and the suggestion is the best silhouette score (for a base install without kneed).

    Returns
    -------
    result : ElbowResult
        Inertias, silhouette scores, the knee and the suggested k (None when there is
        neither a knee nor any silhouette score).
    """
    sample_size = check_int_param(sample_size, "sample_size", "elbow", 2, none=True)
    X = check_array(X, estimator="elbow", n_threads=resolve_n_threads(None))
    ks = np.array(sorted({int(k) for k in k_range}), dtype=np.int64)
    if len(ks) == 0 or ks[0] < 1 or ks[-1] > X.shape[0]:
        raise ValueError(f"k_range must hold values in [1, {X.shape[0]}] (the number of samples).")
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(ks))
    sample = None
    if silhouette and sample_size is not None and sample_size < X.shape[0]:
        sample = rng.permutation(X.shape[0])[:sample_size]
    inertias = np.empty(len(ks))
    scores = np.full(len(ks), np.nan)
    for i, (k, seed) in enumerate(zip(ks, seeds)):
        model = KMeans(int(k), n_init=n_init, random_state=int(seed)).fit(X)
        inertias[i] = model.inertia_
        labels = model.labels_ if sample is None else model.labels_[sample]
        if silhouette and 1 < len(np.unique(labels)) < len(labels):
            scores[i] = silhouette_score(X if sample is None else X[sample], labels)
    found = find_knee(ks, inertias) if knee else None
    if found is not None:
        suggested = found
    elif not np.all(np.isnan(scores)):
        suggested = int(ks[np.nanargmax(scores)])
    else:
        suggested = None  # neither a knee nor a single silhouette score to go by
    return ElbowResult(ks, inertias, scores, found, suggested)
