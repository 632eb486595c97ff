"""MiniBatchKMeans: scikit-learn's online k-means, one native assign-and-sum call per batch.

Random numbers are drawn in the order scikit-learn draws them (validation subsample, init
subsample, k-means++ seeds, batch indices, reassignment picks), so the same random_state
samples the same mini-batches as scikit-learn.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from quickmeans import _engine
from quickmeans._compat import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from quickmeans._init import initial_centers
from quickmeans._kmeans import KMeans
from quickmeans._validation import (
    InvalidParameterError,
    check_data,
    check_features,
    check_int_param,
    check_random_state,
    check_real_param,
    check_sample_weight,
    record_features,
    resolve_n_threads,
)

Data = Any  # what _validation.check_data returns: an ndarray or a _sparse.CsrInput


def take_rows(X: Data, index: np.ndarray) -> Data:
    """The given samples, kept sparse for CSR input (a dense init subsample of wide sparse
    data could be far larger than X itself)."""
    if isinstance(X, np.ndarray):
        return np.take(X, index, axis=0)
    from quickmeans._sparse import CsrInput

    # Row selection of a canonical CSR matrix is canonical again: no re-validation needed.
    return CsrInput(X.matrix[index])


def take_weights(weights: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
    return None if weights is None else weights[index]


class BatchSampler:
    """Draws mini-batch indices exactly as ``RandomState.choice(n, size, p=p)`` does.

    scikit-learn draws every batch with choice(..., p=normalized weights), which rebuilds and
    re-checks an O(n_samples) distribution at every step, then binary-searches it at random
    places (a cache miss per level). The same uniforms give the same indices here, faster:
    the distribution is built once, and looked up in a cache-friendly way.
    """

    def __init__(self, weights: np.ndarray | None, n_samples: int) -> None:
        p = np.full(n_samples, 1.0 / n_samples) if weights is None else weights / weights.sum()
        cdf = p.cumsum()
        cdf /= cdf[-1]
        self.cdf = cdf
        self.uniform = weights is None

    def draw(self, size: int, random_state: np.random.RandomState) -> np.ndarray:
        u = random_state.random_sample(size)
        return self._guess_and_correct(u) if self.uniform else self._sorted_search(u)

    def _sorted_search(self, u: np.ndarray) -> np.ndarray:
        # With sorted keys each binary search starts from the previous result.
        order = np.argsort(u)
        index = np.empty(len(u), dtype=np.intp)
        index[order] = self.cdf.searchsorted(u[order], side="right")
        return index

    def _guess_and_correct(self, u: np.ndarray) -> np.ndarray:
        """searchsorted(u, 'right') on the uniform cdf: floor(u * n) is right but for
        rounding in the cdf's cumulative sum, which moves the answer by an index or so; step
        until every index j satisfies cdf[j - 1] <= u < cdf[j], which defines the answer."""
        cdf, n = self.cdf, len(self.cdf)
        index = np.minimum((u * n).astype(np.intp), n - 1)
        while True:
            move_right = cdf[index] <= u  # never past n - 1: cdf[n - 1] == 1 > u
            move_left = (index > 0) & (cdf[index - 1] > u)
            if not (move_right.any() or move_left.any()):
                return index
            index += move_right
            index -= move_left


def update_centers(centers: np.ndarray, counts: np.ndarray, sums: np.ndarray,
                   batch_weights: np.ndarray) -> None:
    """The online mean, in place: c <- (c * count + batch sum) / (count + batch weight).

    Centers that received no weight in this batch keep their position and count.
    """
    hit = batch_weights > 0
    new_counts = counts[hit] + batch_weights[hit]
    # float64 arithmetic, stored back in the centers' dtype.
    centers[hit] = (centers[hit] * counts[hit, None] + sums[hit]) / new_counts[:, None]
    counts[hit] = new_counts


def reassign_low_count_centers(
    centers: np.ndarray, counts: np.ndarray, batch: Data, ratio: float,
    random_state: np.random.RandomState, verbose: int,
) -> None:
    """Move centers whose count is below ``ratio`` times the largest count onto random
    samples of the batch, as scikit-learn does: at most half a batch of them, and their count
    is raised to the smallest remaining count so they are not reassigned again at once."""
    to_reassign = counts < ratio * counts.max()
    n_batch = batch.shape[0]
    if to_reassign.sum() > 0.5 * n_batch:
        to_reassign[np.argsort(counts)[int(0.5 * n_batch):]] = False
    n_reassigns = int(to_reassign.sum())
    if n_reassigns:
        picks = random_state.choice(n_batch, replace=False, size=n_reassigns)
        if verbose:
            print(f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers.")
        centers[to_reassign] = _engine.rows(batch, picks)
        if not to_reassign.all():  # all of them only when reassignment_ratio > 1
            counts[to_reassign] = np.min(counts[~to_reassign])


class EarlyStopping:
    """fit's stopping rules: a small center shift (tol > 0), or no improvement of the
    exponentially weighted average of the mean batch inertia for max_no_improvement steps."""

    def __init__(self, n_samples: int, batch_size: int, tol: float,
                 max_no_improvement: int | None, verbose: int) -> None:
        # A span of about one pass over the data (n_samples / batch_size steps).
        self.alpha = min(batch_size * 2.0 / (n_samples + 1), 1.0)
        self.batch_size = batch_size
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.verbose = verbose
        self.ewa_inertia: float | None = None
        self.ewa_inertia_min: float | None = None
        self.no_improvement = 0
        self.last_inertia = 0.0

    def should_stop(self, step: int, n_steps: int, squared_shift: float,
                    batch_inertia: float) -> bool:
        mean_inertia = batch_inertia / self.batch_size
        self.last_inertia = mean_inertia
        if step == 1:
            # The first batch measures the init, not the optimisation.
            if self.verbose:
                print(f"Minibatch step {step}/{n_steps}: mean batch inertia: {mean_inertia}")
            return False
        if self.ewa_inertia is None:
            self.ewa_inertia = mean_inertia
        else:
            self.ewa_inertia = self.ewa_inertia * (1 - self.alpha) + mean_inertia * self.alpha
        if self.verbose:
            print(f"Minibatch step {step}/{n_steps}: mean batch inertia: {mean_inertia}, "
                  f"ewa inertia: {self.ewa_inertia}")
        if self.tol > 0.0 and squared_shift <= self.tol:
            if self.verbose:
                print(f"Converged (small centers change) at step {step}/{n_steps}")
            return True
        if self.ewa_inertia_min is None or self.ewa_inertia < self.ewa_inertia_min:
            self.no_improvement = 0
            self.ewa_inertia_min = self.ewa_inertia
        else:
            self.no_improvement += 1
        if self.max_no_improvement is not None and self.no_improvement >= self.max_no_improvement:
            if self.verbose:
                print(f"Converged (lack of improvement in inertia) at step {step}/{n_steps}")
            return True
        return False

    def mean_inertia(self) -> float:
        return self.last_inertia if self.ewa_inertia is None else self.ewa_inertia


class MiniBatchKMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin,
                      BaseEstimator):
    """Mini-Batch K-Means clustering, a drop-in for :class:`sklearn.cluster.MiniBatchKMeans`.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form as well as the number of centroids to generate.
    init : {'k-means++', 'random'}, callable or array-like of shape (n_clusters, n_features), \
default='k-means++'
        Method for initialization, run on ``init_size`` random samples: greedy k-means++,
        ``n_clusters`` samples chosen at random, a callable ``init(X, n_clusters,
        random_state)`` returning centers, or the initial centers themselves.
    max_iter : int, default=100
        Maximum number of passes over the complete dataset before stopping, independently of
        any early stopping heuristic.
    batch_size : int, default=1024
        Size of the mini-batches.
    verbose : int, default=0
        Verbosity mode.
    compute_labels : bool, default=True
        Compute label assignment and inertia for the complete dataset once the minibatch
        optimization has converged in fit.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for centroid initialization, mini-batch sampling
        and random reassignment.
    tol : float, default=0.0
        Stop early when the summed squared change of the centers over a step is at most
        ``tol`` times the mean of the per-feature variances of X. 0 disables this rule.
    max_no_improvement : int or None, default=10
        Stop early when this many consecutive mini-batches do not improve the smoothed
        inertia. None disables this rule.
    init_size : int or None, default=None
        Number of samples randomly drawn to run the initialization on (and as many, drawn
        again, to compare the ``n_init`` inits). None means ``3 * batch_size``, or
        ``3 * n_clusters`` when ``3 * batch_size < n_clusters`` (scikit-learn's rule), and
        never more than the number of samples.
    n_init : 'auto' or int, default='auto'
        Number of random initializations fit tries; the best on the validation samples is
        kept. 'auto' means 1 for 'k-means++' or an array, 3 for 'random' or a callable. As in
        scikit-learn, partial_fit initialises once, from its first batch.
    reassignment_ratio : float, default=0.01
        Centers whose accumulated weight falls below this fraction of the largest one are
        moved to random samples of the current batch.
    n_threads : int or None, default=None
        Threads for the engine. None uses OpenMP's current limit; -1 uses all cores.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers, in the dtype of X.
    labels_ : ndarray of shape (n_samples,), dtype int32
        Labels of each point (if compute_labels is True).
    inertia_ : float
        The weighted sum of squared distances of the samples to their closest center if
        compute_labels is True; otherwise an estimate from the mini-batches.
    n_iter_ : int
        Number of passes over the dataset made by fit.
    n_steps_ : int
        Number of mini-batches processed.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined only when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from quickmeans import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [4, 2], [4, 0], [4, 4],
    ...               [4, 5], [0, 1], [2, 2], [3, 2], [5, 5], [1, -1]])
    >>> km = MiniBatchKMeans(n_clusters=2, random_state=0, batch_size=6).fit(X)
    >>> km.cluster_centers_.shape
    (2, 2)
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        max_iter: int = 100,
        batch_size: int = 1024,
        verbose: int = 0,
        compute_labels: bool = True,
        random_state: Any = None,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        init_size: int | None = None,
        n_init: Any = "auto",
        reassignment_ratio: float = 0.01,
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.n_threads = n_threads

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    if hasattr(KMeans, "_more_tags"):  # scikit-learn < 1.6: the same expected failure
        _more_tags = KMeans._more_tags

    # -- parameters -------------------------------------------------------------------------

    def _init_is_array(self) -> bool:
        return not isinstance(self.init, str) and not callable(self.init)

    def _checked_params(self) -> dict[str, Any]:
        """Validated parameters (the public attributes stay as the user set them)."""
        owner = type(self).__name__
        if isinstance(self.init, str) and self.init not in ("k-means++", "random"):
            raise InvalidParameterError(
                f"The 'init' parameter of {owner} must be a str among {{'k-means++', 'random'}}, "
                f"a callable or an array-like. Got {self.init!r} instead."
            )
        if not isinstance(self.compute_labels, (bool, np.bool_)):
            raise InvalidParameterError(
                f"The 'compute_labels' parameter of {owner} must be an instance of 'bool'. "
                f"Got {self.compute_labels!r} instead."
            )
        return {
            "n_clusters": check_int_param(self.n_clusters, "n_clusters", owner, 1),
            "n_init": self._checked_n_init(owner),
            "max_iter": check_int_param(self.max_iter, "max_iter", owner, 1),
            "batch_size": check_int_param(self.batch_size, "batch_size", owner, 1),
            "tol": check_real_param(self.tol, "tol", owner, 0.0),
            "max_no_improvement": (None if self.max_no_improvement is None else check_int_param(
                self.max_no_improvement, "max_no_improvement", owner, 0)),
            "init_size": (None if self.init_size is None
                          else check_int_param(self.init_size, "init_size", owner, 1)),
            "reassignment_ratio": check_real_param(self.reassignment_ratio,
                                                   "reassignment_ratio", owner, 0.0),
            "n_threads": resolve_n_threads(self.n_threads),
            "verbose": int(self.verbose) if isinstance(self.verbose, numbers.Integral) else 0,
        }

    def _checked_n_init(self, owner: str) -> int:
        if isinstance(self.n_init, str) and self.n_init == "auto":
            plusplus = isinstance(self.init, str) and self.init == "k-means++"
            # scikit-learn's MiniBatchKMeans tries 3 inits (not KMeans' 10) for random ones.
            n_init = 1 if (plusplus or self._init_is_array()) else 3
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
                stacklevel=4,
            )
            n_init = 1
        return n_init

    def _check_params_vs_input(self, params: dict[str, Any], n_samples: int) -> None:
        """Sizes that depend on the first data seen: the batch size and init_size."""
        n_clusters = params["n_clusters"]
        if n_samples < n_clusters:
            raise ValueError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")
        self._batch_size = min(params["batch_size"], n_samples)
        init_size = params["init_size"]
        if init_size is None:
            # scikit-learn's rule (not max(3 * batch_size, 3 * n_clusters)): 3 * n_clusters
            # only when 3 * batch_size would not even hold one sample per cluster.
            init_size = 3 * self._batch_size
            if init_size < n_clusters:
                init_size = 3 * n_clusters
        elif init_size < n_clusters:
            warnings.warn(
                f"init_size={init_size} should be larger than n_clusters={n_clusters}. "
                "Setting it to min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            init_size = 3 * n_clusters
        self._init_size = min(init_size, n_samples)

    # -- fitting ----------------------------------------------------------------------------

    def _seed_centers(self, X: Data, weights: np.ndarray | None, params: dict[str, Any],
                      random_state: np.random.RandomState) -> np.ndarray:
        """Initial centers computed on an init_size subsample (drawn afresh for each of the
        n_init tries, as scikit-learn does)."""
        n_samples = X.shape[0]
        if self._init_size < n_samples:
            index = random_state.randint(0, n_samples, self._init_size)
            sub_weights = take_weights(weights, index)
            if not self._too_little_weight(sub_weights, params["n_clusters"]):
                X, weights = take_rows(X, index), sub_weights
            # else: seed on all of X. The subsample is drawn ignoring the weights, so it
            # may hold no weight at all (k-means++ would divide by zero) or fewer weighted
            # samples than init='random' needs, though X has enough.
        return self._initial_centers(X, weights, params, random_state)

    def _initial_centers(self, X: Data, weights: np.ndarray | None, params: dict[str, Any],
                         random_state: np.random.RandomState) -> np.ndarray:
        return initial_centers(X, params["n_clusters"], self.init, weights, random_state,
                               params["n_threads"])

    def _too_little_weight(self, weights: np.ndarray | None, n_clusters: int) -> bool:
        if weights is None:
            return False
        needed = n_clusters if isinstance(self.init, str) and self.init == "random" else 1
        return bool(np.count_nonzero(weights) < needed)

    def _best_init(self, X: Data, weights: np.ndarray | None, params: dict[str, Any],
                   random_state: np.random.RandomState) -> np.ndarray:
        """The init with the lowest inertia on one shared validation subsample."""
        n_threads = params["n_threads"]
        valid_index = random_state.randint(0, X.shape[0], self._init_size)
        X_valid, w_valid = take_rows(X, valid_index), take_weights(weights, valid_index)
        best_centers, best_inertia = None, np.inf
        for i in range(params["n_init"]):
            if params["verbose"]:
                print(f"Init {i + 1}/{params['n_init']} with method {self.init}")
            centers = self._seed_centers(X, weights, params, random_state)
            _, inertia = self._labels_and_inertia(X_valid, w_valid, centers, n_threads)
            if params["verbose"]:
                print(f"Inertia for init {i + 1}/{params['n_init']}: {inertia}")
            if best_centers is None or inertia < best_inertia:
                best_centers, best_inertia = centers, inertia
        assert best_centers is not None
        return best_centers

    def _labels_and_inertia(self, X: Data, weights: np.ndarray | None, centers: np.ndarray,
                            n_threads: int) -> tuple[np.ndarray, float]:
        """Labels of X and the objective for the given centers (in X's dtype)."""
        labels = _engine.predict(X, centers, n_threads)
        return labels, float(_engine.inertia(X, weights, centers, labels, n_threads))

    def _scaled_tol(self, X: Data, tol: float, n_threads: int) -> float:
        """fit's tol as a squared center shift: relative to the mean feature variance."""
        return 0.0 if tol == 0 else _engine.mean_feature_variance(X, n_threads) * tol

    def _needs_reassignment(self, n_clusters: int) -> bool:
        """Reassign once every 10 * n_clusters samples, and whenever a center is empty."""
        self._n_since_last_reassign += self._batch_size
        if (self._counts == 0).any() or self._n_since_last_reassign >= 10 * n_clusters:
            self._n_since_last_reassign = 0
            return True
        return False

    def _step(self, batch: Data, weights: np.ndarray | None, centers: np.ndarray,
              params: dict[str, Any], random_state: np.random.RandomState) -> float:
        """One mini-batch: assign and sum natively, move the centers in place, maybe
        reassign; returns the batch inertia against the centers before the move."""
        engine_centers = np.ascontiguousarray(centers, dtype=batch.dtype)
        _, sums, batch_weights, inertia = _engine.assign_and_sum(
            batch, weights, engine_centers, params["n_threads"])
        update_centers(centers, self._counts, sums, batch_weights)
        ratio = params["reassignment_ratio"]
        if self._needs_reassignment(params["n_clusters"]) and ratio > 0:
            reassign_low_count_centers(centers, self._counts, batch, ratio, random_state,
                                       params["verbose"])
        return float(inertia)

    def _start(self, X: Data, params: dict[str, Any]) -> None:
        """Fresh online state for fit or a first partial_fit."""
        self._check_params_vs_input(params, X.shape[0])
        self._counts = np.zeros(params["n_clusters"], dtype=np.float64)
        self._n_since_last_reassign = 0

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Compute the centroids on X by chunking it into mini-batches.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training instances. float32 and float64 are used as they are; other numeric
            dtypes are converted to float64. scipy.sparse input is used as CSR.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X: mini-batches are drawn with probability
            proportional to them. If None, all observations are assigned equal weight.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        params = self._checked_params()
        n_threads = params["n_threads"]
        X_raw = X
        X = check_data(X, estimator=type(self).__name__, n_threads=n_threads)
        weights = check_sample_weight(sample_weight, X.shape[0])
        random_state = check_random_state(self.random_state)
        self._random_state = random_state  # a later partial_fit continues this stream
        tol = self._scaled_tol(X, params["tol"], n_threads)
        self._start(X, params)
        centers = self._best_init(X, weights, params, random_state)

        n_samples = X.shape[0]
        n_steps = (params["max_iter"] * n_samples) // self._batch_size
        sampler = BatchSampler(weights, n_samples)
        stopping = EarlyStopping(n_samples, self._batch_size, tol, params["max_no_improvement"],
                                 params["verbose"])
        step = 0
        while step < n_steps:
            step += 1
            batch = take_rows(X, sampler.draw(self._batch_size, random_state))
            # The batch was drawn in proportion to the weights: it counts with unit weights.
            previous = centers.copy() if tol > 0 else centers
            batch_inertia = self._step(batch, None, centers, params, random_state)
            shift = float(np.sum((centers - previous) ** 2)) if tol > 0 else 0.0
            if stopping.should_stop(step, n_steps, shift, batch_inertia):
                break

        record_features(self, X_raw, X)
        self.cluster_centers_ = centers
        self._n_features_out = centers.shape[0]
        self.n_steps_ = step
        self.n_iter_ = int(np.ceil(step * self._batch_size / n_samples))
        if self.compute_labels:
            self.labels_, self.inertia_ = self._labels_and_inertia(X, weights, centers, n_threads)
        else:
            total_weight = n_samples if weights is None else float(weights.sum())
            self.inertia_ = float(stopping.mean_inertia() * total_weight)
        return self

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Update the k-means estimate on a single mini-batch X.

        The first call (on an unfitted estimator) initialises the centers from this batch.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training instances to cluster.
        y : Ignored
            Not used, present here for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            The weights for each observation in X. If None, all observations are assigned
            equal weight.

        Returns
        -------
        self : object
            Updated estimator.
        """
        params = self._checked_params()
        n_threads = params["n_threads"]
        has_centers = hasattr(self, "cluster_centers_")
        X_raw = X
        X = check_data(X, estimator=type(self).__name__, n_threads=n_threads)
        if has_centers:
            check_features(self, X_raw, X)
        weights = check_sample_weight(sample_weight, X.shape[0])
        if not hasattr(self, "_random_state"):
            self._random_state = check_random_state(self.random_state)
        random_state = self._random_state
        if not has_centers:
            record_features(self, X_raw, X)
            self._start(X, params)
            # Like scikit-learn, a single init from the first batch: n_init is fit's.
            self.cluster_centers_ = self._seed_centers(X, weights, params, random_state)
            self._n_features_out = self.cluster_centers_.shape[0]
            self.n_steps_ = 0

        self._step(X, weights, self.cluster_centers_, params, random_state)
        if self.compute_labels:
            centers = np.ascontiguousarray(self.cluster_centers_, dtype=X.dtype)
            self.labels_, self.inertia_ = self._labels_and_inertia(X, weights, centers, n_threads)
        self.n_steps_ += 1
        return self

    # -- using a fitted model: exactly as a fitted KMeans (same checks, same engine calls) --

    _test_data = KMeans._test_data
    _centers_like = KMeans._centers_like
    _transform_checked = KMeans._transform_checked
    _transform_float64 = KMeans._transform_float64
    predict = KMeans.predict
    transform = KMeans.transform
    score = KMeans.score
    fit_predict = KMeans.fit_predict
    fit_transform = KMeans.fit_transform
