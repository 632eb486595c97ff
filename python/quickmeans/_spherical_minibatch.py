"""SphericalMiniBatchKMeans: spherical k-means by mini-batches, for streams of embeddings.

MiniBatchKMeans' sampling, stopping rules, reassignment and ``partial_fit``, with the
spherical step of SphericalKMeans on every batch (maximum cosine against unit centers, sums
of the normalised rows) and the online update done on directions: a center moves to the
direction of ``count * c + S``, where S sums the batch's normalised rows assigned to it and
count is the weight it has received so far (the running mean of its rows' directions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from quickmeans._minibatch import MiniBatchKMeans, reassign_low_count_centers
from quickmeans._spherical import SphericalKMeans, normalised_feature_variance
from quickmeans._spherical_init import spherical_centers
from quickmeans._spherical_norms import normalise_rows, rows_for_cosines
from quickmeans._spherical_step import prepare_rows, spherical_step, unit_or_previous

Data = Any  # an ndarray or a _sparse.CsrInput


def _parameters_section(doc: str | None) -> str:
    """The Parameters section of a numpydoc class docstring (up to Attributes); "" where
    there is none (python -OO strips docstrings)."""
    start, end = (doc or "").find("    Parameters\n"), (doc or "").find("    Attributes\n")
    return doc[start:end] if doc and 0 <= start < end else ""


class SphericalMiniBatchKMeans(MiniBatchKMeans):

    def _initial_centers(self, X: Data, weights: np.ndarray | None, params: dict[str, Any],
                         random_state: np.random.RandomState) -> np.ndarray:
        return spherical_centers(*rows_for_cosines(X), params["n_clusters"], self.init, weights,
                                 random_state, params["n_threads"])

    def _labels_and_inertia(self, X: Data, weights: np.ndarray | None, centers: np.ndarray,
                            n_threads: int) -> tuple[np.ndarray, float]:
        X, norms = rows_for_cosines(X)
        rows = prepare_rows(X, weights, norms)
        step = spherical_step(X, rows, normalise_rows(centers, X.dtype), n_threads)
        return step.labels, max(float(rows.weights.sum()) - step.cosine_total, 0.0)

    def _scaled_tol(self, X: Data, tol: float, n_threads: int) -> float:
        if tol == 0:
            return 0.0
        return normalised_feature_variance(*rows_for_cosines(X), n_threads) * tol

    def _step(self, batch: Data, weights: np.ndarray | None, centers: np.ndarray,
              params: dict[str, Any], random_state: np.random.RandomState) -> float:
        """One mini-batch: the spherical step, the online update of the hit centers'
        directions (in place), maybe a reassignment; returns the batch's
        ``sum w (1 - cos)`` against the centers before the move."""
        batch, norms = rows_for_cosines(batch)
        rows = prepare_rows(batch, weights, norms)
        step = spherical_step(batch, rows, normalise_rows(centers, batch.dtype),
                              params["n_threads"])
        hit = np.flatnonzero(step.weights > 0)
        merged = centers[hit].astype(np.float64) * self._counts[hit, None] + step.sums[hit]
        norms = np.sqrt(np.einsum("ij,ij->i", merged, merged))
        moved = norms > 0  # rows cancelling exactly leave the center where it was
        centers[hit[moved]] = merged[moved] / norms[moved, None]
        self._counts[hit] += step.weights[hit]
        ratio = params["reassignment_ratio"]
        if self._needs_reassignment(params["n_clusters"]) and ratio > 0:
            previous = centers.copy()
            reassign_low_count_centers(centers, self._counts, batch, ratio, random_state,
                                       params["verbose"])
            centers[:] = unit_or_previous(centers, previous)
        return max(float(rows.weights.sum()) - step.cosine_total, 0.0)

    # -- using a fitted model: exactly as a fitted SphericalKMeans -----------------------------

    _test_data = SphericalKMeans._test_data
    _unit_centers = SphericalKMeans._unit_centers
    _labels = SphericalKMeans._labels
    predict = SphericalKMeans.predict
    transform = SphericalKMeans.transform
    score = SphericalKMeans.score
    fit_transform = SphericalKMeans.fit_transform


# The parameters are MiniBatchKMeans' own (tol is relative to the normalised rows'
# variance, as the summary says), so their documentation is taken from it, not repeated.
SphericalMiniBatchKMeans.__doc__ = (
    """Mini-batch spherical k-means: clusters rows by cosine similarity, unit-norm centers.

    The parameters, attributes and stopping rules are :class:`MiniBatchKMeans`'s; what is
    measured is :class:`SphericalKMeans`'s: ``inertia_`` is the sum over samples of
    ``weight * (1 - cos)`` to the assigned center, ``transform`` returns cosine distances
    ``1 - cos``, ``predict`` the center of maximum cosine. ``tol`` is relative to the mean
    per-feature variance of the normalised rows. Each batch moves a center to the
    direction of its accumulated weight times the center plus the batch's normalised rows
    assigned to it. Rows of norm zero are labelled 0 and never move a center. X is never
    normalised in place or copied for the steps (k-means++ seeding runs on a normalised
    copy of the ``init_size`` subsample).

    Use it, rather than :class:`SphericalKMeans`, for data that arrives in pieces
    (``partial_fit``) or is too large to pass over many times.

"""
    + _parameters_section(MiniBatchKMeans.__doc__)
    + """    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Unit-norm cluster centers, in the dtype of X.
    labels_ : ndarray of shape (n_samples,), dtype int32
        Labels of each point (if compute_labels is True); 0 for rows of norm zero.
    inertia_ : float
        ``sum of weight * (1 - cos)`` to the assigned centers if compute_labels is True;
        otherwise an estimate from the mini-batches.
    n_iter_ : int
        Number of passes over the dataset made by fit.
    n_steps_ : int
        Number of mini-batches processed.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined only when X has string column names.

    Examples
"""
    + """    --------
    >>> import numpy as np
    >>> from quickmeans import SphericalMiniBatchKMeans
    >>> X = np.array([[1.0, 0.1], [2.0, 0.0], [0.1, 1.0], [0.0, 3.0]])
    >>> model = SphericalMiniBatchKMeans(n_clusters=2, batch_size=4, random_state=0).fit(X)
    >>> sorted(model.predict(X).tolist()) == [0, 0, 1, 1]
    True
    """
)
