"""Initial centers: greedy k-means++, weighted random choice, an array or a callable.

Random numbers are drawn here, in the order scikit-learn draws them, and the engine consumes
them: the same random_state gives the same seeds as scikit-learn and as quickmeans.reference.
"""

from __future__ import annotations

from typing import Any, Callable, Union

import numpy as np

from quickmeans import _core, _engine
from quickmeans._validation import (
    check_array,
    check_data,
    check_int_param,
    check_random_state,
    check_sample_weight,
    is_sparse,
    resolve_n_threads,
)

InitSpec = Union[str, Callable[..., Any], np.ndarray]


def n_local_trials_default(n_clusters: int) -> int:
    """scikit-learn's greedy k-means++ uses 2 + int(ln k) candidates per step."""
    return 2 + int(np.log(n_clusters))


def selection_probabilities(sample_weight: np.ndarray | None, n_samples: int) -> np.ndarray:
    # Always a p vector, even for unit weights: RandomState.choice draws differently with
    # p=None, and scikit-learn always passes one.
    if sample_weight is None:
        return np.full(n_samples, 1.0 / n_samples)
    return sample_weight / sample_weight.sum()


def _total_weight(sample_weight: np.ndarray | None) -> float | None:
    """NumPy's sum of the weights (what p divides by; 0.0 for unit weights, which the engine
    does not read), None where the engine cannot draw: no positive, finite total (NumPy's
    choice then raises its own error)."""
    if sample_weight is None:
        return 0.0
    total = float(sample_weight.sum())
    return total if total > 0 and np.isfinite(total) else None


def _first_occurrences(indices: np.ndarray) -> list[int]:
    """The distinct indices in the order they first occur (how choice keeps a round's draws).
    A dict keeps first occurrences in order: BisectingKMeans draws two rows per split, where
    np.unique's sorts cost 40 us a call (4 ms of a 100-cluster fit)."""
    return list(dict.fromkeys(indices.tolist()))


def choose_rows(n_samples: int, size: int, sample_weight: np.ndarray | None,
                random_state: np.random.RandomState) -> np.ndarray:
    """``random_state.choice(n_samples, size, replace=False, p=...)`` with scikit-learn's p
    (selection_probabilities): the same indices from the same random numbers, the first round
    drawn by the engine in one pass over the weights instead of NumPy's several. The rare
    repeated index is redrawn as NumPy does (its p with the found rows zeroed)."""
    total = _total_weight(sample_weight)
    if total is None:
        return random_state.choice(n_samples, size=size, replace=False,
                                   p=selection_probabilities(sample_weight, n_samples))
    first = _core.inverse_cdf_draws(sample_weight, total, n_samples,
                                    random_state.random_sample(size))
    found = _first_occurrences(first)
    if len(found) < size:
        p = selection_probabilities(sample_weight, n_samples).copy()
        if np.count_nonzero(p > 0) < size:
            raise ValueError("Fewer non-zero entries in p than size")
        while len(found) < size:
            uniforms = random_state.random_sample(size - len(found))
            p[found] = 0
            cdf = np.cumsum(p)
            cdf /= cdf[-1]
            new = cdf.searchsorted(uniforms, side="right")
            found.extend(_first_occurrences(new))
    return np.asarray(found, dtype=np.int64)


def choose_row(n_samples: int, sample_weight: np.ndarray | None,
               random_state: np.random.RandomState) -> int:
    """``random_state.choice(n_samples, p=...)`` with scikit-learn's p, drawn by the engine."""
    total = _total_weight(sample_weight)
    if total is None:
        return int(random_state.choice(n_samples,
                                       p=selection_probabilities(sample_weight, n_samples)))
    uniform = np.array([random_state.random_sample()])
    return int(_core.inverse_cdf_draws(sample_weight, total, n_samples, uniform)[0])


def draw_kmeans_plusplus(
    n_samples: int, n_clusters: int, sample_weight: np.ndarray | None,
    random_state: np.random.RandomState, n_local_trials: int,
) -> tuple[int, np.ndarray]:
    """The first center's index and the (n_clusters - 1, n_local_trials) uniforms."""
    first = choose_row(n_samples, sample_weight, random_state)
    uniforms = random_state.uniform(size=(max(n_clusters - 1, 0), n_local_trials))
    return first, np.ascontiguousarray(uniforms, dtype=np.float64)


def run_kmeans_plusplus(
    X: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None,
    random_state: np.random.RandomState, n_threads: int, n_local_trials: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """k-means++ on validated input; returns (centers, indices)."""
    trials = n_local_trials_default(n_clusters) if n_local_trials is None else n_local_trials
    first, uniforms = draw_kmeans_plusplus(X.shape[0], n_clusters, sample_weight, random_state,
                                           trials)
    return _engine.kmeans_plusplus(X, sample_weight, n_clusters, first, uniforms, n_threads)


def random_init(
    X: np.ndarray, n_clusters: int, sample_weight: np.ndarray | None,
    random_state: np.random.RandomState,
) -> np.ndarray:
    """n_clusters distinct samples, drawn with probability proportional to their weight."""
    positive = X.shape[0] if sample_weight is None else int(np.count_nonzero(sample_weight))
    if positive < n_clusters:
        raise ValueError(
            f"init='random' needs at least n_clusters={n_clusters} samples with positive "
            f"sample_weight; only {positive} have one."
        )
    seeds = choose_rows(X.shape[0], n_clusters, sample_weight, random_state)
    return _engine.rows(X, seeds)


def check_centers_shape(centers: np.ndarray, n_clusters: int, n_features: int) -> None:
    if centers.ndim != 2 or centers.shape[0] != n_clusters:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the number of "
            f"clusters {n_clusters}."
        )
    if centers.shape[1] != n_features:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the number of "
            f"features of the data {n_features}."
        )


def check_init_array(init: Any, X: np.ndarray, n_clusters: int, n_threads: int) -> np.ndarray:
    """A private C-contiguous copy of the init centers, in X's dtype."""
    if is_sparse(init):
        raise TypeError("init must be a dense array of centers, not a sparse matrix.")
    centers = np.asarray(init)
    if centers.ndim != 2:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the number of "
            f"clusters {n_clusters}."
        )
    centers = check_array(centers, name="init", dtype=X.dtype, n_threads=n_threads)
    check_centers_shape(centers, n_clusters, X.shape[1])
    return np.array(centers, order="C", copy=True)


class CenteredCallableInit:
    """A KMeans init callable, handed X as scikit-learn's KMeans hands it: dense X minus its
    column means (the frame scikit-learn clusters in, for accuracy), sparse X as it is. The
    centers it returns are shifted back into X's frame, where quickmeans clusters. The
    centered copy is made once per fit and shared by the n_init calls."""

    def __init__(self, init: Callable[..., Any], X: Any) -> None:
        self.init = init
        if isinstance(X, np.ndarray):
            self.mean: np.ndarray | None = X.mean(axis=0)  # in X's dtype, as scikit-learn's
            self.data: Any = X - self.mean
        else:
            self.mean, self.data = None, _engine.user_view(X)

    def centers(self, X: Any, n_clusters: int, random_state: np.random.RandomState,
                n_threads: int) -> np.ndarray:
        centers = self.init(self.data, n_clusters, random_state=random_state)
        centers = check_init_array(centers, X, n_clusters, n_threads)
        if self.mean is not None:
            centers += self.mean
        return centers


def initial_centers(
    X: np.ndarray, n_clusters: int, init: InitSpec | CenteredCallableInit,
    sample_weight: np.ndarray | None, random_state: np.random.RandomState, n_threads: int,
) -> np.ndarray:
    if isinstance(init, CenteredCallableInit):
        return init.centers(X, n_clusters, random_state, n_threads)
    if isinstance(init, str) and init == "k-means++":
        return run_kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_threads)[0]
    if isinstance(init, str) and init == "random":
        return random_init(X, n_clusters, sample_weight, random_state)
    if callable(init):
        centers = init(_engine.user_view(X), n_clusters, random_state=random_state)
        return check_init_array(centers, X, n_clusters, n_threads)
    return check_init_array(init, X, n_clusters, n_threads)


def kmeans_plusplus(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    x_squared_norms: Any = None,
    random_state: Any = None,
    n_local_trials: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Init n_clusters seeds according to greedy k-means++ (scikit-learn's signature).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data to pick seeds from.
    n_clusters : int
        The number of centroids to initialize.
    sample_weight : array-like of shape (n_samples,), default=None
        The weights for each observation in `X`. If `None`, all observations are assigned
        equal weight.
    x_squared_norms : array-like of shape (n_samples,), default=None
        Accepted for compatibility and checked for shape; squared distances are computed
        exactly by the engine instead.
    random_state : int, RandomState instance or None, default=None
        Determines random number generation for centroid initialization.
    n_local_trials : int, default=None
        The number of seeding trials for each center (except the first), of which the one
        reducing inertia the most is greedily chosen. None means ``2 + int(ln(n_clusters))``.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The initial centers for k-means.
    indices : ndarray of shape (n_clusters,)
        The index location of the chosen centers in the data array X.
    """
    n_threads = resolve_n_threads(None)
    X = check_data(X, estimator="kmeans_plusplus", n_threads=n_threads)
    n_clusters = check_int_param(n_clusters, "n_clusters", "kmeans_plusplus", 1)
    weights = check_sample_weight(sample_weight, X.shape[0])
    if X.shape[0] < n_clusters:
        raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
    if x_squared_norms is not None and np.shape(x_squared_norms) != (X.shape[0],):
        length = np.shape(x_squared_norms)[0] if np.ndim(x_squared_norms) else 0
        raise ValueError(
            f"The length of x_squared_norms {length} should be equal to the length of "
            f"n_samples {X.shape[0]}."
        )
    if n_local_trials is not None:
        n_local_trials = check_int_param(n_local_trials, "n_local_trials", "kmeans_plusplus", 1)
    centers, indices = run_kmeans_plusplus(
        X, n_clusters, weights, check_random_state(random_state), n_threads, n_local_trials
    )
    return centers, indices
