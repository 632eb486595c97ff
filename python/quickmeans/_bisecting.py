"""BisectingKMeans: scikit-learn's divisive k-means, each 2-way split run by the native engine.

The same random_state gives scikit-learn's tree, labels and centers: one RandomState feeds
every split's init in split order, each split is n_init runs of 2-means (init 'random',
'k-means++' or a callable) keeping the first lowest inertia (within 1e-6), run to the raw
``tol`` (scikit-learn does not scale it by the data's variance here), and the leaf to split
next is the first one, in left-to-right order, with the highest score.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from typing import Any, Callable

import numpy as np

from quickmeans import _engine
from quickmeans._bisecting_rows import Cluster, ClusterRows, rows_of
from quickmeans._compat import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from quickmeans._init import check_init_array, initial_centers
from quickmeans._kmeans import ALGORITHMS, KMeans
from quickmeans._validation import (
    InvalidParameterError,
    check_centers,
    check_data,
    check_int_param,
    check_random_state,
    check_real_param,
    check_sample_weight,
    record_features,
    resolve_n_threads,
)
from quickmeans._verbose import fit_verbose

STRATEGIES = ("biggest_inertia", "largest_cluster")

# scikit-learn keeps a new split only when its inertia is lower by more than this fraction
# (room for rounding that depends on the thread count).
_BETTER_BY = 1e-6


class _Node:
    """A cluster of the hierarchy: its center, its samples while it is a leaf, its score and
    inertia (the weighted squared distances of its samples to its center; None for the root)."""

    def __init__(self, center: np.ndarray | None, cluster: Cluster | None, score: float,
                 inertia: float | None = None) -> None:
        self.center = center
        self.cluster = cluster  # None once split: the children hold the samples
        self.score = score
        self.inertia = inertia
        self.children: tuple[_Node, _Node] | None = None

    def leaves(self) -> Iterator[_Node]:
        """The leaves from left to right (the order of the final labels)."""
        pending = [self]
        while pending:
            node = pending.pop()
            if node.children is None:
                yield node
            else:
                pending.extend(reversed(node.children))


def _first_best(leaves: list[_Node]) -> int:
    """The position of the first leaf with the highest score."""
    best = 0
    for i, leaf in enumerate(leaves):
        if leaf.score > leaves[best].score:
            best = i
    return best


class _MeanShiftedCallable:
    """A user's init callable, handed a cluster's rows as scikit-learn hands them: dense rows
    minus the mean of all of X (scikit-learn clusters in that frame), sparse rows as they
    are; the centers it returns are shifted back into X's frame, where quickmeans clusters."""

    def __init__(self, init: Callable[..., Any], mean: np.ndarray | None) -> None:
        self.init, self.mean = init, mean

    def __call__(self, X: _engine.Data, random_state: np.random.RandomState,
                 n_threads: int) -> np.ndarray:
        data = X - self.mean if self.mean is not None else _engine.user_view(X)
        centers = check_init_array(self.init(data, 2, random_state=random_state), X, 2,
                                   n_threads)
        if self.mean is not None:
            centers += self.mean
        return centers


class BisectingKMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin,
                      BaseEstimator):
    """Bisecting K-Means clustering, a drop-in for :class:`sklearn.cluster.BisectingKMeans`.

    Starting from one cluster holding every sample, the cluster with the highest score is
    split in two by 2-means until there are ``n_clusters`` leaves. The same random_state
    gives scikit-learn's labels and centers (in float64).

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form as well as the number of centroids to generate.
    init : {'k-means++', 'random'} or callable, default='random'
        Method for initialization of each bisection: greedy k-means++, 2 samples chosen at
        random (weighted by ``sample_weight``), or a callable ``init(X, n_clusters,
        random_state)`` called with ``n_clusters=2`` that returns 2 centers.
    n_init : int, default=1
        Number of inner 2-means runs with different seeds in each bisection; the run with
        the lowest inertia is kept.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for the inner inits.
    max_iter : int, default=300
        Maximum number of iterations of the inner k-means at each bisection.
    verbose : int, default=0
        Verbosity mode: the inner runs' inertia at every iteration and each split's centers.
    tol : float, default=1e-4
        Absolute tolerance of the inner runs: a run stops when the summed squared shift of
        its 2 centers is at most ``tol`` (as in scikit-learn, not scaled by the variance).
    copy_x : bool, default=True
        Accepted for compatibility; quickmeans never modifies X.
    algorithm : {'lloyd', 'elkan', 'hamerly', 'auto'}, default='auto'
        The inner k-means algorithm, as in :class:`KMeans` (all give identical results).
        'auto' (scikit-learn's default is 'lloyd', which gives the same splits) runs Hamerly
        on clusters of 1024 samples or more: with two centers its lower bound is the
        distance to the other center itself, and most samples keep their side for the
        tens of iterations a large split takes.
    bisecting_strategy : {'biggest_inertia', 'largest_cluster'}, default='biggest_inertia'
        Which leaf is split next: the one with the largest sum of squared errors, or the
        one with the most samples.
    n_threads : int or None, default=None
        Threads for the engine. None uses OpenMP's current limit; -1 uses all cores.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers, in the dtype of X.
    labels_ : ndarray of shape (n_samples,), dtype int32
        Labels of each point.
    inertia_ : float
        Sum of squared distances of samples to their cluster center, weighted by the sample
        weights if provided.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, defined only when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from quickmeans import BisectingKMeans
    >>> X = np.array([[1, 1], [10, 1], [3, 1], [10, 0], [2, 1], [10, 2],
    ...               [10, 8], [10, 9], [10, 10]])
    >>> model = BisectingKMeans(n_clusters=3, random_state=0).fit(X)
    >>> model.labels_.tolist()
    [0, 2, 0, 2, 0, 2, 1, 1, 1]
    >>> model.predict([[0, 0], [12, 3]]).tolist()
    [0, 2]
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "random",
        n_init: int = 1,
        random_state: Any = None,
        max_iter: int = 300,
        verbose: int = 0,
        tol: float = 1e-4,
        copy_x: bool = True,
        algorithm: str = "auto",
        bisecting_strategy: str = "biggest_inertia",
        n_threads: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.random_state = random_state
        self.max_iter = max_iter
        self.verbose = verbose
        self.tol = tol
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.bisecting_strategy = bisecting_strategy
        self.n_threads = n_threads

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    if hasattr(KMeans, "_more_tags"):  # scikit-learn < 1.6: the same expected failure
        _more_tags = KMeans._more_tags

    # -- parameters -------------------------------------------------------------------------

    def _checked_params(self) -> dict[str, Any]:
        owner = type(self).__name__
        if not (callable(self.init) or (isinstance(self.init, str)
                                        and self.init in ("k-means++", "random"))):
            raise InvalidParameterError(
                f"The 'init' parameter of {owner} must be a str among {{'k-means++', 'random'}}"
                f" or a callable. Got {self.init!r} instead."
            )
        for name, value, options in (("algorithm", self.algorithm, ALGORITHMS),
                                     ("bisecting_strategy", self.bisecting_strategy,
                                      STRATEGIES)):
            if not isinstance(value, str) or value not in options:
                raise InvalidParameterError(
                    f"The '{name}' parameter of {owner} must be a str among "
                    f"{{{', '.join(repr(o) for o in options)}}}. Got {value!r} instead."
                )
        return {
            "n_clusters": check_int_param(self.n_clusters, "n_clusters", owner, 1),
            "n_init": check_int_param(self.n_init, "n_init", owner, 1),
            "max_iter": check_int_param(self.max_iter, "max_iter", owner, 1),
            "tol": check_real_param(self.tol, "tol", owner, 0.0),
            "n_threads": resolve_n_threads(self.n_threads),
            "verbose": int(self.verbose) if isinstance(self.verbose, numbers.Integral) else 0,
        }

    # -- fitting ----------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> BisectingKMeans:
        """Compute bisecting k-means clustering.

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
        n_threads = params["n_threads"]
        X_raw = X
        X = check_data(X, estimator=type(self).__name__, n_threads=n_threads)
        n_clusters = params["n_clusters"]
        if X.shape[0] < n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
        weights = check_sample_weight(sample_weight, X.shape[0])
        random_state = check_random_state(self.random_state)
        dense = isinstance(X, np.ndarray)
        # X's mean, in X's dtype as scikit-learn's: the frame a callable init and the verbose
        # output see, and the root's center, which is a center only when n_clusters=1 (every
        # other center comes from a weighted 2-means split). Else a pass over X is saved and
        # the root (which predict never reads) gets the children's mean.
        needs_mean = n_clusters == 1 or callable(self.init) or params["verbose"]
        mean = X.mean(axis=0) if dense and needs_mean else None
        init = _MeanShiftedCallable(self.init, mean) if callable(self.init) else self.init
        root_center = None
        if needs_mean:
            root_center = np.asarray(
                mean if dense else np.asarray(X.matrix.mean(axis=0)).ravel(), dtype=X.dtype)
        samples = ClusterRows(X, weights, n_threads)
        root = _Node(root_center, samples.root(), 0.0)
        leaves = [root]  # left to right
        for _ in range(n_clusters - 1):
            i = _first_best(leaves)
            self._bisect(samples, leaves[i], init, random_state, mean, params)
            leaves[i:i + 1] = leaves[i].children

        labels = np.empty(X.shape[0], dtype=np.int32)
        for i, leaf in enumerate(leaves):
            assert leaf.cluster is not None
            labels[slice(None) if leaf.cluster.index is None else leaf.cluster.index] = i
            leaf.cluster = None
        del samples  # the working copies of X
        centers = np.ascontiguousarray(np.stack([leaf.center for leaf in leaves]),
                                       dtype=X.dtype)
        leaf_inertias = [leaf.inertia for leaf in leaves]
        if any(value is None for value in leaf_inertias):  # the root alone (n_clusters=1)
            inertia = _engine.inertia(X, weights, centers, labels, n_threads)
        else:  # every leaf's own sum, from the split that made it: no pass over X
            inertia = math.fsum(leaf_inertias)
        if not np.isfinite(inertia):
            raise ValueError(
                f"The inertia overflows float64 ({inertia}): sample_weight times squared "
                "distances is too large. Rescale X or sample_weight."
            )
        record_features(self, X_raw, X)
        self._store_tree(root, X.shape[1], X.dtype)
        self.cluster_centers_ = centers
        self._n_features_out = n_clusters
        self.labels_ = labels
        self.inertia_ = float(inertia)
        return self

    def _bisect(self, samples: ClusterRows, node: _Node, init: Any,
                random_state: np.random.RandomState, mean: np.ndarray | None,
                params: dict[str, Any]) -> None:
        """Split a leaf in two: the best of n_init 2-means runs on its samples."""
        n_threads = params["n_threads"]
        assert node.cluster is not None
        part, part_weights = samples.rows(node.cluster)
        algorithm = self.algorithm
        if algorithm == "auto":  # measured: bench/bisecting.py, 500k x 16 f32, k=100
            algorithm = "hamerly" if part.shape[0] >= 1024 else "lloyd"
        # The split's inertia decides between runs only when there are several; a single run's
        # comes, side by side, from the pass that places the children's rows (dense X).
        final_inertia = params["n_init"] > 1 or not samples.dense
        best: tuple | None = None
        for _ in range(params["n_init"]):
            if isinstance(init, _MeanShiftedCallable):
                start = init(part, random_state, n_threads)
            else:
                start = initial_centers(part, 2, init, part_weights, random_state, n_threads)
            if params["verbose"]:
                run = fit_verbose(part, part_weights, start, params["max_iter"], params["tol"],
                                  n_threads, None, "" if algorithm == "elkan" else ".")
            else:
                run = _engine.fit(part, part_weights, start, algorithm, params["max_iter"],
                                  params["tol"], n_threads, None, final_inertia)
            if best is None or run[2] < best[2] * (1 - _BETTER_BY):
                best = run
        assert best is not None
        centers, labels = best[0], best[1]
        if params["verbose"]:
            # scikit-learn prints the centers in its frame: X minus its mean.
            shown = centers - mean if mean is not None else centers
            print(f"New centroids from bisection: {shown}")
        del part, part_weights
        children, inertias = samples.split(node.cluster, labels, centers)
        if inertias is None:
            inertias = self._side_inertias(samples, children, centers, best[2], n_threads)
        sizes = [len(child.index) for child in children]  # children always have an index
        scores = list(inertias) if self.bisecting_strategy == "biggest_inertia" else sizes
        if node.center is None:  # the root, its mean not computed: that of its children
            counts = np.array(sizes, dtype=np.float64)[:, None]
            node.center = ((counts * centers).sum(axis=0) / counts.sum()).astype(centers.dtype)
        node.children = (_Node(centers[0], children[0], scores[0], inertias[0]),
                         _Node(centers[1], children[1], scores[1], inertias[1]))
        node.cluster = None  # the children hold the samples now

    @staticmethod
    def _side_inertias(samples: ClusterRows, children: tuple[Cluster, Cluster],
                       centers: np.ndarray, total: float, n_threads: int) -> list[float]:
        """Each side's weighted squared distances to its center, for sparse X (dense X gets
        them from split_rows). The engine's inertia of the split (exact, against the final
        centers) is their sum, so only the smaller side is summed and the other is the
        difference: a pass over at most half the cluster instead of two over all of it."""
        sizes = [len(child.index) for child in children]  # children always have an index
        side = 0 if sizes[0] <= sizes[1] else 1
        small = 0.0
        if sizes[side]:
            rows, weights = samples.rows(children[side])
            small = float(_engine.inertia(rows, weights,
                                          np.ascontiguousarray(centers[side:side + 1]),
                                          np.zeros(sizes[side], dtype=np.int32), n_threads))
        other = max(float(total) - small, 0.0)
        return [small, other] if side == 0 else [other, small]

    def _store_tree(self, root: _Node, n_features: int, dtype: np.dtype) -> None:
        """The hierarchy as arrays (picklable, cheap to walk): node i's children in
        _tree_children[i] (-1 for a leaf), its center, and a leaf's label."""
        nodes: list[_Node] = []
        order = [root]
        while order:  # breadth first; each node's children get the next free numbers
            node = order.pop(0)
            nodes.append(node)
            if node.children is not None:
                order.extend(node.children)
        number = {id(node): i for i, node in enumerate(nodes)}
        children = np.full((len(nodes), 2), -1, dtype=np.int64)
        for i, node in enumerate(nodes):
            if node.children is not None:
                children[i] = [number[id(child)] for child in node.children]
        leaf_label = np.full(len(nodes), -1, dtype=np.int64)
        for label, leaf in enumerate(root.leaves()):
            leaf_label[number[id(leaf)]] = label
        self._tree_children = children
        self._tree_centers = np.stack([np.asarray(n.center, dtype=dtype) for n in nodes])
        self._tree_leaf_label = leaf_label

    # -- using a fitted model ---------------------------------------------------------------

    _test_data = KMeans._test_data
    _centers_like = KMeans._centers_like
    _transform_checked = KMeans._transform_checked
    _transform_float64 = KMeans._transform_float64
    transform = KMeans.transform
    score = KMeans.score
    fit_predict = KMeans.fit_predict
    fit_transform = KMeans.fit_transform

    def predict(self, X: Any) -> np.ndarray:
        """Predict which cluster each sample in X belongs to, going down the hierarchy.

        From the root, each sample goes to the nearer of the two centers of the node's
        children until it reaches a leaf (as scikit-learn's; this may differ from the
        nearest of ``cluster_centers_``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            New data to predict.

        Returns
        -------
        labels : ndarray of shape (n_samples,), dtype int32
            Index of the cluster each sample belongs to.
        """
        X = self._test_data(X)
        n_threads = resolve_n_threads(self.n_threads)
        tree_centers = check_centers(self._tree_centers, X.shape[1], X.dtype,
                                     name="the tree's centers")
        labels = np.empty(X.shape[0], dtype=np.int32)
        pending: list[tuple[int, np.ndarray | None]] = [(0, None)]  # (node, its samples)
        while pending:
            node, index = pending.pop()
            left, right = self._tree_children[node]
            if left < 0:
                labels[slice(None) if index is None else index] = self._tree_leaf_label[node]
                continue
            if index is not None and len(index) == 0:
                continue
            side = _engine.predict(rows_of(X, index, n_threads), tree_centers[[left, right]],
                                   n_threads)
            everyone = np.arange(X.shape[0]) if index is None else index
            pending.append((int(left), everyone[side == 0]))
            pending.append((int(right), everyone[side == 1]))
        return labels
