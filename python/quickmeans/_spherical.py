"""SphericalKMeans: k-means by cosine similarity, over the engine's Lloyd pass.

Every iteration is one native pass (``_spherical_step.spherical_step``) over the raw rows:
no normalised copy of X is made for the iterations, dense or CSR.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from quickmeans import _engine
from quickmeans._compat import (
    HAVE_SKLEARN,
    SKLEARN_VERSION,
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    ConvergenceWarning,
    TransformerMixin,
)
from quickmeans._kmeans import cluster_sizes, is_memory_mapped, is_same_clustering
from quickmeans._spherical_init import spherical_centers
from quickmeans._spherical_norms import normalise_rows, rows_for_cosines, unit_rows
from quickmeans._spherical_step import (
    Rows,
    assigned_cosines,
    cosine_matrix,
    entry_rows_of,
    has_zero_entries,
    make_steps,
    prepare_rows,
    relocate_empty,
    scaled_weights,
    settle_ties,
    used_columns,
)
from quickmeans._validation import (
    InvalidParameterError,
    check_centers,
    check_data,
    check_features,
    check_int_param,
    check_is_fitted,
    check_random_state,
    check_real_param,
    check_sample_weight,
    record_features,
    resolve_n_threads,
)

Data = Any  # an ndarray or a _sparse.CsrInput


def normalised_feature_variance(X: Data, norms: np.ndarray, n_threads: int) -> float:
    """The mean per-feature variance of the normalised rows (zero rows as zeros), which
    scales ``tol`` as KMeans's tol is scaled by X's: ``(m/n - |mean x/|x||^2) / d`` for m
    non-zero rows, from one engine pass with a single center (its sums are sum x/|x|)."""
    n, d = X.shape
    center = np.zeros((1, d), dtype=X.dtype)
    sums = _engine.assign_and_sum(X, scaled_weights(norms, None), center, n_threads)[1][0]
    mean = sums / n
    return max(0.0, (np.count_nonzero(norms) / n - float(mean @ mean)) / d)


def run_spherical(X: Data, rows: Rows, centers: np.ndarray, max_iter: int, tol: float,
                  n_threads: int, verbose: bool = False, memory_mapped: bool = False
                  ) -> tuple[np.ndarray, np.ndarray, float, int]:
    """One run from unit-norm ``centers``: (centers, labels, inertia, n_iter).

    Stops when the labels no longer change, or when the summed squared shift of the centers
    is at most ``tol`` (absolute); then assigns once more at the final centers unless the
    stop was strict and moved no empty cluster (the labels are those of the final centers).
    """
    total_weight = float(rows.weights.sum())
    steps = make_steps(X, rows, centers.shape[0], n_threads, memory_mapped)
    labels_old: np.ndarray | None = None
    strict = relocated = False
    n_iter = 0
    step = None
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (the count is the result)
        step = steps(centers)
        if verbose:
            print(f"Iteration {n_iter - 1}, inertia {total_weight - step.cosine_total}.")
        new_centers, relocated = relocate_empty(X, rows, step, centers)
        diff = np.subtract(new_centers, centers, dtype=np.float64)
        shift = float(np.einsum("ij,ij->", diff, diff))
        centers = new_centers
        if labels_old is not None and np.array_equal(step.labels, labels_old):
            strict = True
            break
        if shift <= tol:
            break
        labels_old = step.labels
    assert step is not None
    if strict and not relocated:
        # Same labels, so the same sums: sum of w cos at the new centers is c_j . S_j.
        cosine_total = float(np.einsum("ij,ij->", step.sums, np.asarray(centers, dtype=np.float64)))
        return centers, step.labels, total_weight - cosine_total, n_iter
    final = steps(centers)
    return centers, final.labels, total_weight - final.cosine_total, n_iter


class SphericalKMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin,
                      BaseEstimator):
    """Spherical k-means: clusters rows by cosine similarity, with unit-norm centers.

    The rows of X are taken as directions (their norms do not matter): each row is assigned
    to the center of maximum cosine similarity, and each center is the normalised (weighted)
    sum of its cluster's normalised rows. This maximises the weighted sum of cosines, i.e.
    minimises ``inertia_ = sum_i w_i (1 - cos(x_i, c_label(i)))``. Use it for TF-IDF
    vectors and embeddings, where the direction carries the meaning. X is never normalised
    in place, nor copied for the iterations (dense float32/float64 or scipy.sparse CSR)
    unless a non-zero row's norm lies outside [2^-10, 2^10]: the fit then runs on a
    normalised copy, as the engine's distances resolve cosines only near unit norm.

    Exact ties (a sparse row sharing no column with any center is at cosine 0 from all of
    them) go to the lowest center index. Rows of norm zero (e.g. a document made only of
    stop words) have no direction: they are
    labelled with the lowest center index (every center is at cosine 0 from them), count
    with cosine 0 (``1 * weight``) in ``inertia_`` and ``score``, have distance 1 to every
    center in ``transform``, and never move a center.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form as well as the number of centroids to generate.
    init : {'k-means++', 'random'}, callable or array-like of shape (n_clusters, n_features), \
default='k-means++'
        'k-means++': greedy k-means++ in cosine distance (on the normalised rows, where
        squared Euclidean distance is ``2 (1 - cos)``); 'random': ``n_clusters`` rows chosen
        at random (weighted by ``sample_weight``); a callable ``init(X, n_clusters,
        random_state)`` returning centers; or the centers themselves. Centers are scaled to
        unit norm; a zero center is an error.
    n_init : 'auto' or int, default='auto'
        Number of runs with different seeds; the run with the lowest inertia is kept. 'auto'
        means 1 for 'k-means++' or an array, 10 for 'random' or a callable.
    max_iter : int, default=300
        Maximum number of iterations of a single run.
    tol : float, default=1e-4
        Relative tolerance: a run stops when the summed squared shift of the (unit) centers
        is at most ``tol`` times the mean per-feature variance of the normalised rows (as
        KMeans scales tol by the variance of X). It also stops when no label changes.
    verbose : int, default=0
        Verbosity mode: print the inertia at every iteration.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for centroid initialization.
    n_threads : int or None, default=None
        Threads for the engine. None uses OpenMP's current limit; -1 uses all cores.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Unit-norm cluster centers, in the dtype of X (float32 or float64).
    labels_ : ndarray of shape (n_samples,), dtype int32
        Labels of each point.
    inertia_ : float
        ``sum_i w_i (1 - cos(x_i, cluster_centers_[labels_[i]]))``.
    n_iter_ : int
        Number of iterations run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined only when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from quickmeans import SphericalKMeans
    >>> X = np.array([[1.0, 0.1], [3.0, 0.2], [0.1, 1.0], [0.2, 5.0]])
    >>> skm = SphericalKMeans(n_clusters=2, random_state=0).fit(X)
    >>> bool(skm.labels_[0] == skm.labels_[1] != skm.labels_[2] == skm.labels_[3])
    True
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        n_init: Any = "auto",
        max_iter: int = 300,
        tol: float = 1e-4,
        verbose: int = 0,
        random_state: Any = None,
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.n_threads = n_threads

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    if HAVE_SKLEARN and SKLEARN_VERSION < (1, 6):
        def _more_tags(self) -> dict[str, Any]:
            return {"_xfail_checks": {
                "check_sample_weights_invariance":
                    "zero sample_weight is not equivalent to removing samples",
            }}

    def _checked_params(self) -> dict[str, Any]:
        owner = type(self).__name__
        init_is_array = not isinstance(self.init, str) and not callable(self.init)
        if isinstance(self.init, str) and self.init not in ("k-means++", "random"):
            raise InvalidParameterError(
                f"The 'init' parameter of {owner} must be a str among {{'k-means++', 'random'}}, "
                f"a callable or an array-like. Got {self.init!r} instead."
            )
        if isinstance(self.n_init, str) and self.n_init == "auto":
            n_init = 1 if (self.init == "k-means++" if isinstance(self.init, str)
                           else init_is_array) else 10
        elif isinstance(self.n_init, numbers.Integral) and not isinstance(self.n_init, bool):
            n_init = check_int_param(self.n_init, "n_init", owner, 1)
        else:
            raise InvalidParameterError(
                f"The 'n_init' parameter of {owner} must be 'auto' or an int in the range "
                f"[1, inf). Got {self.n_init!r} instead."
            )
        if init_is_array and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{owner} instead of n_init={n_init}.", RuntimeWarning, stacklevel=3,
            )
            n_init = 1
        return {
            "n_clusters": check_int_param(self.n_clusters, "n_clusters", owner, 1),
            "n_init": n_init,
            "max_iter": check_int_param(self.max_iter, "max_iter", owner, 1),
            "tol": check_real_param(self.tol, "tol", owner, 0.0),
            "n_threads": resolve_n_threads(self.n_threads),
            "verbose": bool(self.verbose) if isinstance(self.verbose, numbers.Integral) else False,
        }

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> SphericalKMeans:
        """Compute spherical k-means clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training instances. float32 and float64 are used as they are (no copy when
            C-contiguous); scipy.sparse input is used as CSR without densifying it.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X. If None, all observations are assigned
            equal weight.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        params = self._checked_params()
        n_threads, n_clusters = params["n_threads"], params["n_clusters"]
        X_raw = X
        X = check_data(X, estimator=type(self).__name__, n_threads=n_threads)
        if X.shape[0] < n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
        weights = check_sample_weight(sample_weight, X.shape[0])
        X, norms = rows_for_cosines(X)
        rows = prepare_rows(X, weights, norms)
        if rows.zero_rows.size == len(norms):
            raise ValueError("Every row of X is all zeros: spherical k-means needs rows with "
                             "a direction (non-zero vectors).")
        random_state = check_random_state(self.random_state)
        tol = params["tol"]
        if tol > 0:
            tol *= normalised_feature_variance(X, norms, n_threads)
        plusplus = isinstance(self.init, str) and self.init == "k-means++"
        unit = unit_rows(X, norms) if plusplus else None
        best: tuple[np.ndarray, np.ndarray, float, int] | None = None
        for _ in range(params["n_init"]):
            centers = spherical_centers(X, norms, n_clusters, self.init, weights, random_state,
                                        n_threads, unit)
            if params["verbose"]:
                print("Initialization complete")
            result = run_spherical(X, rows, centers, params["max_iter"], tol, n_threads,
                                   params["verbose"], is_memory_mapped(X))
            if best is None or (
                result[2] < best[2] and not is_same_clustering(result[1], best[1], n_clusters)
            ):
                best = result
        del unit
        assert best is not None
        centers, labels, inertia, n_iter = best
        distinct = int(np.count_nonzero(cluster_sizes(labels, n_clusters)))
        if distinct < n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning, stacklevel=2,
            )
        record_features(self, X_raw, X)
        self.cluster_centers_ = centers
        self._n_features_out = centers.shape[0]
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        return self

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Compute the clustering and return the cluster index of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training instances to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to (``labels_``).
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Compute the clustering and transform X to cosine distances to the centers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training instances to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Cosine distances ``1 - cos`` of each sample to each center.
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def _test_data(self, X: Any, finite: bool = True) -> Any:
        check_is_fitted(self)
        checked = check_data(X, estimator=type(self).__name__,
                             n_threads=resolve_n_threads(self.n_threads), finite=finite)
        check_features(self, X, checked)
        return checked

    def _unit_centers(self, X: Any) -> np.ndarray:
        # Checked and normalised on every use: centers may have been set by hand or loaded.
        centers = check_centers(self.cluster_centers_, X.shape[1], X.dtype)
        return normalise_rows(centers, X.dtype, name="cluster_centers_")

    def predict(self, X: Any) -> np.ndarray:
        """Predict the cluster of maximum cosine similarity for each sample in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data to predict.

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int32
            Index of the cluster each sample belongs to (0 for rows of norm zero).
        """
        X = self._test_data(X, finite=False)  # _engine.predict reports NaN/inf itself
        return self._labels(*rows_for_cosines(X))

    def _labels(self, X: Any, norms: np.ndarray) -> np.ndarray:
        # Unit centers: the nearest in Euclidean distance is the one of maximum cosine.
        centers = self._unit_centers(X)
        labels = _engine.predict(X, centers, resolve_n_threads(self.n_threads))
        if has_zero_entries(X):  # exact ties, broken as fit breaks them
            settle_ties(X, norms, entry_rows_of(X), centers, labels, used_columns(X))
        labels[norms == 0] = 0  # no direction: the lowest index, as in fit
        return labels

    def transform(self, X: Any) -> np.ndarray:
        """Transform X to cosine distances to the centers, ``1 - cos`` (in [0, 2]).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data to transform.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Cosine distances in X's dtype; 1 for every center for rows of norm zero.
        """
        X, norms = rows_for_cosines(self._test_data(X))
        cos = cosine_matrix(X, norms, self._unit_centers(X))
        return np.subtract(1, cos, out=cos)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of X's value on the spherical k-means objective (minus its inertia).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X.

        Returns
        -------
        score : float
            ``-sum_i w_i (1 - cos(x_i, nearest center))``.
        """
        X, norms = rows_for_cosines(self._test_data(X))
        weights = check_sample_weight(sample_weight, X.shape[0])
        cos = assigned_cosines(X, norms, self._unit_centers(X), self._labels(X, norms))
        w = np.ones(X.shape[0]) if weights is None else weights
        return -float(w @ (1.0 - cos))
