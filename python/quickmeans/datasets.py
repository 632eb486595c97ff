"""Small built-in datasets, generated (never downloaded)."""

from __future__ import annotations

import numpy as np

__all__ = ["three_blobs"]


def three_blobs(n_samples: int = 300, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The classic tutorial data: three 2-D Gaussian blobs (X, true labels).

    Parameters
    ----------
    n_samples : int, default=300
        Total number of points, split evenly between the blobs.
    random_state : int, default=0
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    """
    rng = np.random.RandomState(random_state)
    centers = np.array([[-2.5, 0.5], [2.0, 3.0], [1.5, -2.5]])
    y = np.arange(n_samples) % len(centers)
    X = centers[y] + 0.7 * rng.randn(n_samples, 2)
    return X, y
