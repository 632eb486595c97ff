"""KMeans and k_means: scikit-learn's estimator contract over the native engine."""

from __future__ import annotations

import mmap
import numbers
import warnings
from typing import Any

import numpy as np

from quickmeans import _core, _engine
from quickmeans._compat import (
    HAVE_SKLEARN,
    SKLEARN_VERSION,
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    ConvergenceWarning,
    TransformerMixin,
)
from quickmeans._init import CenteredCallableInit, initial_centers
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
from quickmeans._verbose import fit_verbose

ALGORITHMS = ("lloyd", "elkan", "hamerly", "auto")


def choose_algorithm(n_samples: int, n_features: int, n_clusters: int, itemsize: int,
                     memory_mapped: bool = False) -> str:
    """What algorithm='auto' runs, from measurements of the engine (``bench/run.py --cases
    convergence``):

    Hamerly's bounds skip most samples once labels settle, and the samples they cannot
    decide go through Lloyd's SIMD kernel in blocks; the bounds pass costs about as much
    as scanning a few centers, so Hamerly wins when a scan of all k centers is long
    (k x d x itemsize / 4 from 256: on 1M x 8 float64, k=16, Hamerly took 0.36 s and
    Lloyd 0.49 s on 2 threads, 29 iterations; on shorter scans Lloyd's one pass wins). Lloyd
    keeps memory-mapped X out of core: Hamerly's 8 bytes of bounds per sample would be most
    of the fit's memory there. Every algorithm gives the same labels, centers and n_iter.
    """
    if memory_mapped or n_clusters < 2 or n_samples < 1024:
        return "lloyd"
    if n_clusters * n_features * itemsize / 4 >= 256:
        return "hamerly"
    return "lloyd"


def is_memory_mapped(X: object) -> bool:
    """Whether X's memory is a file mapping (np.memmap or a view of one)."""
    base = X
    while base is not None:
        if isinstance(base, (np.memmap, mmap.mmap)):
            return True
        base = getattr(base, "base", None)
    return False


def cluster_sizes(labels: np.ndarray, n_clusters: int, block: int = 1 << 18) -> np.ndarray:
    """Samples per cluster, counted in blocks: np.bincount casts int32 labels to intp, and a
    copy twice the size of the labels would be most of an out-of-core fit's extra memory."""
    sizes = np.zeros(n_clusters, dtype=np.int64)
    for start in range(0, len(labels), block):
        sizes += np.bincount(labels[start:start + block], minlength=n_clusters)
    return sizes


def is_same_clustering(labels: np.ndarray, other: np.ndarray, n_clusters: int) -> bool:
    """True when two labelings are equal up to a permutation of the cluster ids."""
    mapping = np.full(n_clusters, -1, dtype=np.int64)
    mapping[labels] = other
    return bool(np.array_equal(mapping[labels], other))


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """K-Means clustering, a drop-in replacement for :class:`sklearn.cluster.KMeans`.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form as well as the number of centroids to generate.
    init : {'k-means++', 'random'}, callable or array-like of shape (n_clusters, n_features), \
default='k-means++'
        Method for initialization: greedy k-means++, ``n_clusters`` samples chosen at random
        (weighted by ``sample_weight``), a callable ``init(X, n_clusters, random_state)``
        returning centers, or the initial centers themselves.
    n_init : 'auto' or int, default='auto'
        Number of runs with different seeds; the run with the lowest inertia is kept. 'auto'
        means 1 for 'k-means++' or an array, 10 for 'random' or a callable.
    max_iter : int, default=300
        Maximum number of iterations of a single run.
    tol : float, default=1e-4
        Relative tolerance: a run stops when the summed squared shift of the centers is at
        most ``tol`` times the mean of the per-feature variances of X.
    verbose : int, default=0
        Verbosity mode: print the inertia at every iteration.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for centroid initialization. Equal seeds give
        the same centers as scikit-learn (in float64; in float32 scikit-learn sums its
        k-means++ potentials in float32 and may pick other seeds on large data).
    copy_x : bool, default=True
        Accepted for compatibility; quickmeans never modifies X.
    algorithm : {'lloyd', 'elkan', 'hamerly', 'auto'}, default='auto'
        'lloyd' is the classic EM-style algorithm; 'elkan' and 'hamerly' skip distance
        computations with triangle-inequality bounds (Elkan: n x k bounds, Hamerly: two per
        sample). 'auto' (the default, where scikit-learn's is 'lloyd') picks the fastest for
        the shape (see ``choose_algorithm``). All give the same labels, centers (to rounding)
        and n_iter_ from the same init, so the default changes speed, not results.
    n_threads : int or None, default=None
        Threads for the engine. None uses OpenMP's current limit (which
        ``threadpoolctl.threadpool_limits`` controls); -1 uses all cores.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers, in the dtype of X (float32 or float64).
    labels_ : ndarray of shape (n_samples,), dtype int32
        Labels of each point.
    inertia_ : float
        Sum of squared distances of samples to their closest cluster center, weighted by the
        sample weights if provided.
    n_iter_ : int
        Number of iterations run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined only when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from quickmeans import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
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
        copy_x: bool = True,
        algorithm: str = "auto",
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.n_threads = n_threads

    def __sklearn_tags__(self) -> Any:
        # scikit-learn >= 1.6 asks the estimator what input it takes.
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    if HAVE_SKLEARN and SKLEARN_VERSION < (1, 6):
        # Before 1.6, an estimator declared the common checks it is expected to fail in its
        # tags; scikit-learn's own KMeans and MiniBatchKMeans declare this one (1.6 renamed
        # the check and moved expected failures to check_estimator's caller).
        def _more_tags(self) -> dict[str, Any]:
            return {"_xfail_checks": {
                "check_sample_weights_invariance":
                    "zero sample_weight is not equivalent to removing samples",
            }}

    # -- parameters -------------------------------------------------------------------------

    def _init_is_array(self) -> bool:
        return not isinstance(self.init, str) and not callable(self.init)

    def _checked_params(self) -> dict[str, Any]:
        """Validated parameters for one fit (the public attributes stay as the user set them)."""
        owner = type(self).__name__
        n_clusters = check_int_param(self.n_clusters, "n_clusters", owner, 1)
        if isinstance(self.init, str) and self.init not in ("k-means++", "random"):
            raise InvalidParameterError(
                f"The 'init' parameter of {owner} must be a str among {{'k-means++', 'random'}}, "
                f"a callable or an array-like. Got {self.init!r} instead."
            )
        if isinstance(self.n_init, str) and self.n_init == "auto":
            plusplus = isinstance(self.init, str) and self.init == "k-means++"
            n_init = 1 if (plusplus or self._init_is_array()) else 10
        elif isinstance(self.n_init, numbers.Integral) and not isinstance(self.n_init, bool):
            n_init = check_int_param(self.n_init, "n_init", owner, 1)
        else:
            raise InvalidParameterError(
                f"The 'n_init' parameter of {owner} must be 'auto' or an int in the range "
                f"[1, inf). Got {self.n_init!r} instead."
            )
        if self._init_is_array() and n_init != 1:
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{owner} instead of n_init={n_init}.",
                RuntimeWarning,
                stacklevel=3,
            )
            n_init = 1
        if self.algorithm not in ALGORITHMS:
            raise InvalidParameterError(
                f"The 'algorithm' parameter of {owner} must be a str among "
                f"{{{', '.join(repr(a) for a in ALGORITHMS)}}}. Got {self.algorithm!r} instead."
            )
        algorithm = self.algorithm
        if algorithm in ("elkan", "hamerly") and n_clusters == 1:
            warnings.warn(
                f"algorithm={algorithm!r} doesn't make sense for a single cluster. Using "
                "'lloyd' instead.",
                RuntimeWarning,
                stacklevel=3,
            )
            algorithm = "lloyd"
        return {
            "n_clusters": n_clusters,
            "n_init": n_init,
            "max_iter": check_int_param(self.max_iter, "max_iter", owner, 1),
            "tol": check_real_param(self.tol, "tol", owner, 0.0),
            "algorithm": algorithm,
            "n_threads": resolve_n_threads(self.n_threads),
            "verbose": int(self.verbose) if isinstance(self.verbose, numbers.Integral) else 0,
        }

    # -- fitting ----------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Compute k-means clustering.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training instances. float32 and float64 are used as they are (no copy when
            C-contiguous); other numeric dtypes are converted to float64. scipy.sparse input
            is used as CSR without densifying it (other formats are converted once); the
            centers are dense.
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
        n_threads = params["n_threads"]
        X_raw = X
        tol = params["tol"]
        # With tol > 0, X's check for NaN/inf is made by the pass that scales tol.
        X = check_data(X, estimator=type(self).__name__, n_threads=n_threads, finite=tol == 0)
        if tol != 0:
            tol = _engine.mean_feature_variance(X, n_threads, check_finite_X=True) * tol
        n_clusters = params["n_clusters"]
        if X.shape[0] < n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
        weights = check_sample_weight(sample_weight, X.shape[0])
        random_state = check_random_state(self.random_state)
        algorithm = params["algorithm"]
        if algorithm == "auto":
            algorithm = choose_algorithm(X.shape[0], X.shape[1], n_clusters, X.dtype.itemsize,
                                         is_memory_mapped(X))

        init = CenteredCallableInit(self.init, X) if callable(self.init) else self.init
        best: tuple[np.ndarray, np.ndarray, float, int] | None = None
        for _ in range(params["n_init"]):
            centers = initial_centers(X, n_clusters, init, weights, random_state, n_threads)
            if params["verbose"]:
                print("Initialization complete")
                # scikit-learn's Elkan lines end without the full stop its Lloyd lines have.
                result = fit_verbose(X, weights, centers, params["max_iter"], tol, n_threads,
                                     getattr(self, "_progress", None),
                                     "" if algorithm == "elkan" else ".")
            else:
                result = _engine.fit(X, weights, centers, algorithm, params["max_iter"], tol,
                                     n_threads, getattr(self, "_progress", None))
            if best is None or (
                result[2] < best[2] and not is_same_clustering(result[1], best[1], n_clusters)
            ):
                best = result
        assert best is not None
        centers, labels, inertia, n_iter = best
        if not np.isfinite(inertia):  # X is checked; huge weights can still overflow the sum
            raise ValueError(
                f"The inertia overflows float64 ({inertia}): sample_weight times squared "
                "distances is too large. Rescale X or sample_weight."
            )

        distinct = int(np.count_nonzero(cluster_sizes(labels, n_clusters)))
        if distinct < n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        record_features(self, X_raw, X)
        self.cluster_centers_ = centers
        self._n_features_out = centers.shape[0]
        self.labels_ = labels
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        return self

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Compute cluster centers and predict the cluster index of each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training instances to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X. If None, all observations are assigned
            equal weight.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Index of the cluster each sample belongs to (``labels_``).
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Compute clustering and transform X to cluster-distance space.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training instances to cluster.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X. If None, all observations are assigned
            equal weight.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            Distances of each sample to each cluster center.
        """
        self.fit(X, sample_weight=sample_weight)
        return self._transform_checked(self._test_data(X))

    # -- using a fitted model ---------------------------------------------------------------

    def _test_data(self, X: Any, finite: bool = True) -> np.ndarray:
        check_is_fitted(self)
        X_checked = check_data(X, estimator=type(self).__name__,
                               n_threads=resolve_n_threads(self.n_threads), finite=finite)
        check_features(self, X, X_checked)
        return X_checked

    def _centers_like(self, X: np.ndarray) -> np.ndarray:
        # Centers follow X's dtype (they are small); X is never cast. Checked on every use:
        # they may have been set by hand or loaded.
        return check_centers(self.cluster_centers_, X.shape[1], X.dtype)

    def predict(self, X: Any) -> np.ndarray:
        """Predict the closest cluster each sample in X belongs to.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data to predict.

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int32
            Index of the cluster each sample belongs to.
        """
        X = self._test_data(X, finite=False)  # _engine.predict reports NaN/inf itself
        return _engine.predict(X, self._centers_like(X), resolve_n_threads(self.n_threads))

    def transform(self, X: Any) -> np.ndarray:
        """Transform X to a cluster-distance space (Euclidean distance to every center).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data to transform.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_clusters)
            X transformed in the new space: float32 when X and ``cluster_centers_`` both
            are, float64 otherwise (as scikit-learn's).
        """
        return self._transform_checked(self._test_data(X))

    def _transform_checked(self, X: np.ndarray) -> np.ndarray:
        n_threads = resolve_n_threads(self.n_threads)
        if X.dtype == np.float32 and np.asarray(self.cluster_centers_).dtype != np.float32:
            # scikit-learn's distances are float32 only when X and the centers both are.
            return self._transform_float64(X, n_threads)
        distances = _engine.transform(X, self._centers_like(X), n_threads)
        # Distances are computed in float64 and stored in X's dtype: checked X keeps them
        # finite in float64, but float32 tops out at 3.4e38 (e.g. between -2e38 and 2e38).
        if not _core.all_finite(distances, n_threads):
            raise ValueError(
                f"Distances to the cluster centers overflow {X.dtype}: X has values too large "
                "for its dtype's distances. Convert X to float64 (or rescale it)."
            )
        return distances

    def _transform_float64(self, X: Any, n_threads: int) -> np.ndarray:
        """float32 X's distances to float64 centers, in float64 from the centers themselves
        (not the centers rounded to float32), as scikit-learn computes them. X is converted
        a block of rows at a time (CSR: its values), never whole."""
        centers = check_centers(self.cluster_centers_, X.shape[1], np.dtype(np.float64))
        if not isinstance(X, np.ndarray):
            from quickmeans._sparse import CsrInput

            return _engine.transform(CsrInput(X.matrix.astype(np.float64)), centers, n_threads)
        distances = np.empty((X.shape[0], centers.shape[0]), dtype=np.float64)
        block = max(1, (1 << 20) // X.shape[1])  # 8 MiB of float64 rows at a time
        for start in range(0, X.shape[0], block):
            rows = np.ascontiguousarray(X[start:start + block], dtype=np.float64)
            distances[start:start + block] = _engine.transform(rows, centers, n_threads)
        return distances

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the value of X on the K-means objective (minus the inertia).

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
            Opposite of the value of X on the K-means objective.
        """
        X = self._test_data(X)
        weights = check_sample_weight(sample_weight, X.shape[0])
        n_threads = resolve_n_threads(self.n_threads)
        centers = self._centers_like(X)
        labels = _engine.predict(X, centers, n_threads)
        return -float(_engine.inertia(X, weights, centers, labels, n_threads))


def k_means(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    init: Any = "k-means++",
    n_init: Any = "auto",
    max_iter: int = 300,
    verbose: bool = False,
    tol: float = 1e-4,
    random_state: Any = None,
    copy_x: bool = True,
    algorithm: str = "auto",
    return_n_iter: bool = False,
) -> tuple:
    """Perform K-means clustering algorithm (scikit-learn's function signature).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The observations to cluster.
    n_clusters : int
        The number of clusters to form as well as the number of centroids to generate.
    sample_weight : array-like of shape (n_samples,), default=None
        The weights for each observation in X; None gives every observation weight 1.
    init : {'k-means++', 'random'}, callable or array-like, default='k-means++'
        Method for initialization, as in :class:`KMeans`.
    n_init : 'auto' or int, default='auto'
        Number of runs with different seeds, as in :class:`KMeans`.
    max_iter : int, default=300
        Maximum number of iterations of a single run.
    verbose : bool, default=False
        Print the inertia at every iteration.
    tol : float, default=1e-4
        Relative tolerance on the center shift, as in :class:`KMeans`.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for centroid initialization.
    copy_x : bool, default=True
        Accepted for compatibility; quickmeans never modifies X.
    algorithm : {'lloyd', 'elkan', 'hamerly', 'auto'}, default='auto'
        The k-means algorithm to use, as in :class:`KMeans`.
    return_n_iter : bool, default=False
        Whether to return the number of iterations as well.

    Returns
    -------
    centroid : ndarray of shape (n_clusters, n_features)
        Centroids found at the last iteration of k-means.
    label : ndarray of shape (n_samples,)
        The `label[i]` is the code or index of the centroid the i'th observation is closest to.
    inertia : float
        The final value of the inertia criterion.
    best_n_iter : int
        Number of iterations of the best run, returned only if `return_n_iter` is True.
    """
    est = KMeans(
        n_clusters=n_clusters, init=init, n_init=n_init, max_iter=max_iter, verbose=verbose,
        tol=tol, random_state=random_state, copy_x=copy_x, algorithm=algorithm,
    ).fit(X, sample_weight=sample_weight)
    if return_n_iter:
        return est.cluster_centers_, est.labels_, est.inertia_, est.n_iter_
    return est.cluster_centers_, est.labels_, est.inertia_
