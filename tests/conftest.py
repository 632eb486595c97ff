"""Shared fixtures: small datasets generated here (no downloads)."""

from __future__ import annotations

import numpy as np
import pytest


def make_blobs(n: int, d: int, centers: int, *, seed: int = 0, spread: float = 1.0,
               box: float = 10.0, dtype: type = np.float64) -> np.ndarray:
    """Gaussian blobs around `centers` random points in [-box, box]^d."""
    rng = np.random.RandomState(seed)
    means = rng.uniform(-box, box, size=(centers, d))
    which = rng.randint(centers, size=n)
    return (means[which] + spread * rng.randn(n, d)).astype(dtype)


@pytest.fixture
def blobs() -> np.ndarray:
    return make_blobs(600, 3, 4, seed=1)
