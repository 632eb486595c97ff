"""A k-means run with ``verbose``: scikit-learn's lines, from the engine one step at a time.

At iteration i scikit-learn prints the inertia of the labels it has just assigned, against
the centers they were assigned to (before that iteration's update), then why it stopped:
labels unchanged (strict convergence) or the summed squared center shift within tol. The
engine's per-iteration callback reports neither that inertia (its figure is against the
updated centers) nor the shift, so a verbose run calls the engine for one Lloyd step at a
time: the same arithmetic, hence the same run as the single call a quiet fit makes, for one
more assignment pass per iteration, paid only when verbose.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from quickmeans import _engine


def squared_center_shift(old: np.ndarray, new: np.ndarray) -> float:
    """Sum over the centers of their squared moves, in float64 as the engine sums it."""
    return float(np.square(new.astype(np.float64) - old.astype(np.float64)).sum())


def fit_verbose(
    X: _engine.Data, weights: np.ndarray | None, centers: np.ndarray, max_iter: int,
    tol: float, n_threads: int, progress: Callable[[int, float], None] | None,
    inertia_line_end: str = ".",
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """What ``_engine.fit`` returns (centers, labels, inertia, n_iter) for a run from
    ``centers``, printing scikit-learn's lines. ``progress`` (the command line's hook) is
    called after each iteration, as the engine calls it, with the inertia printed for it."""
    as_printed = X.dtype.type  # scikit-learn's shift and tol are numbers of X's dtype
    labels = _engine.predict(X, centers, n_threads)
    inertia = _engine.inertia(X, weights, centers, labels, n_threads)
    previous: np.ndarray | None = None
    for i in range(max_iter):
        print(f"Iteration {i}, inertia {inertia}{inertia_line_end}")
        # One Lloyd step: the updated centers, the labels against them and their inertia,
        # which are the next iteration's labels and printed inertia.
        new_centers, new_labels, new_inertia, _ = _engine.fit(
            X, weights, centers, "lloyd", 1, 0.0, n_threads, None)
        if progress is not None:
            progress(i, inertia)
        if previous is not None and np.array_equal(labels, previous):
            print(f"Converged at iteration {i}: strict convergence.")
            return new_centers, new_labels, new_inertia, i + 1
        shift = squared_center_shift(centers, new_centers)
        if shift <= tol:
            print(f"Converged at iteration {i}: center shift {as_printed(shift)} within "
                  f"tolerance {as_printed(tol)}.")
            return new_centers, new_labels, new_inertia, i + 1
        previous, labels, centers, inertia = labels, new_labels, new_centers, new_inertia
    return centers, labels, inertia, max_iter
