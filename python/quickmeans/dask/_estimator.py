"""quickmeans.dask.KMeans: the estimator over the driver."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import dask
import dask.array as da
import numpy as np

from quickmeans._compat import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    ConvergenceWarning,
    TransformerMixin,
)
from quickmeans._init import check_init_array
from quickmeans._spherical_norms import normalise_rows
from quickmeans._validation import (
    InvalidParameterError,
    check_array,
    check_int_param,
    check_is_fitted,
    check_random_state,
    check_real_param,
    check_sample_weight,
    is_sparse,
    resolve_n_threads,
)
from quickmeans.dask._driver import (
    INIT_ROUNDS,
    INITS,
    _Chunks,
    _feature_variance_and_weights,
    _lloyd,
    _ordered_sum,
    _sampled_init,
    _scalable_init,
    _shared,
)
from quickmeans.dask._spherical_tasks import (
    _chunk_predict_spherical,
    _chunk_transform_spherical,
    _chunk_unit,
    spherical_inertia,
)
from quickmeans.dask._tasks import (
    _chunk_assign,
    _chunk_predict,
    _chunk_stats,
    _chunk_transform,
)

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
    spherical : bool, default=False
        Spherical k-means, as :class:`quickmeans.SphericalKMeans`: rows are compared by
        cosine similarity (their lengths do not matter; the workers scale each chunk's rows
        to unit norm, X itself is untouched), centers have unit norm, ``inertia_`` is
        ``sum w (1 - cos)``, ``transform`` returns cosine distances ``1 - cos`` and
        ``tol`` is relative to the variance of the normalised rows. Rows of norm zero get
        label 0.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers, in the dtype of X (float32 or float64).
    labels_ : dask array of shape (n_samples,), dtype int32
        Labels of each point, lazy: computed from X and the final centers when asked for.
    inertia_ : float
        Sum of squared distances of samples to their closest cluster center (with
        ``spherical``, of ``1 - cos``), weighted by the sample weights if provided.
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
        spherical: bool = False,
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
        self.spherical = spherical

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
        if not isinstance(self.spherical, (bool, np.bool_)):
            raise InvalidParameterError(
                f"The 'spherical' parameter of {owner} must be an instance of 'bool'. "
                f"Got {self.spherical!r} instead."
            )
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
        centers = check_init_array(centers, like, n_clusters, local_threads)
        return normalise_rows(centers, X.dtype) if self.spherical else centers

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
        X_raw = X
        if self.spherical:  # the fit runs on unit rows (made on the workers, chunk by chunk)
            X = X.map_blocks(_chunk_unit, dtype=X.dtype)

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
            data, centers, params["max_iter"], tol, self.n_threads, params["verbose"],
            float(chunk_weights.sum()) if self.spherical else None)

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
        self.labels_ = self._predict_dask(X_raw)
        return self

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Compute cluster centers and return ``labels_`` (a lazy dask array).

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            Training instances to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weights for each observation in X; None gives every observation weight 1.

        Returns
        -------
        labels : dask array of shape (n_samples,)
            Index of the cluster each sample belongs to (``labels_``).
        """
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
        task = _chunk_predict_spherical if self.spherical else _chunk_predict
        return X.map_blocks(task, self._centers_like(X), self.n_threads,
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
        chunks = (X_checked.chunks[0], (self.cluster_centers_.shape[0],))
        if self.spherical:
            distances = X_checked.map_blocks(_chunk_transform_spherical,
                                             self._centers_like(X_checked), chunks=chunks,
                                             dtype=X_checked.dtype)
        else:
            distances = X_checked.map_blocks(_chunk_transform, self._centers_like(X_checked),
                                             self.n_threads, chunks=chunks,
                                             dtype=X_checked.dtype)
        return distances if isinstance(X, da.Array) else distances.compute()

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """Compute clustering and transform X to cluster-distance space.

        Parameters
        ----------
        X : dask array or array-like of shape (n_samples, n_features)
            Training instances to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : dask array or array-like of shape (n_samples,), default=None
            The weights for each observation in X; None gives every observation weight 1.

        Returns
        -------
        X_new : dask array or ndarray of shape (n_samples, n_clusters)
            Distances of each sample to each cluster center (a dask array for a dask input).
        """
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
        if self.spherical:
            X = X.map_blocks(_chunk_unit, dtype=X.dtype)
        data = _Chunks(
            x=X.to_delayed().ravel().tolist(),
            w=[None] * X.numblocks[0] if weights is None
            else weights.to_delayed().ravel().tolist(),
            sizes=np.array(X.chunks[0], dtype=np.int64),
        )
        centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)
        parts = data.map(_chunk_assign, _shared(centers), self.n_threads)
        if not self.spherical:
            return -sum(p[2] for p in parts)
        total = float(X.shape[0]) if weights is None else float(weights.sum().compute())
        return -spherical_inertia(total, _ordered_sum([p[0] for p in parts]), centers)

