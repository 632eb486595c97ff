"""k-means++ on dense rows skips distances that cannot change a potential (the triangle
test, the float32 screen: cpp/include/quickmeans/seeding_pruned.hpp). A wrong skip changes a
row's min(closest, dist) and so the candidates or the choice: the seeds must equal the
NumPy reference's, which computes every distance, on data where the tests are tight.
"""

from __future__ import annotations

import numpy as np
import pytest

import quickmeans
from conftest import for_each_simd_level
from quickmeans import reference as ref

DTYPES = [np.float64, np.float32]


def collinear(dtype: type) -> np.ndarray:
    # Points 0, 1, 2, ... on a line, each 70 times: a row at 1 from its center is at exactly
    # twice that from a candidate at 2, where the triangle test is an equality, and exact
    # ties between a row's closest and a candidate's distance are everywhere. 4480 rows: three
    # of the engine's 2048-row chunks.
    return np.repeat(np.arange(64, dtype=dtype)[:, None] * np.ones((1, 3), dtype), 70, axis=0)


def lattice(dtype: type) -> np.ndarray:
    # A 20 x 20 grid, each point 12 times: many equal distances, duplicates of every center.
    g = np.arange(20, dtype=dtype)
    return np.repeat(np.array(np.meshgrid(g, g)).reshape(2, -1).T.astype(dtype), 12, axis=0)


def blobs(dtype: type, scale: float = 1.0) -> np.ndarray:
    # Well separated blobs (most rows pruned once their blob has a center), with a scale far
    # from 1 to check the bounds' relative terms.
    rng = np.random.RandomState(3)
    means = rng.uniform(-10, 10, (25, 12))
    X = means[rng.randint(25, size=7000)] + 0.3 * rng.standard_normal((7000, 12))
    return (X * scale).astype(dtype)


def three_points(dtype: type) -> np.ndarray:
    # Thousands of copies of three points: closest is 0 for most rows after three steps.
    points = [np.zeros((3000, 4)), np.ones((3000, 4)), 2 * np.ones((100, 4))]
    return np.concatenate(points).astype(dtype)


CASES = {
    "collinear": (collinear, 20),
    "lattice": (lattice, 60),
    "blobs": (blobs, 40),
    "tiny blobs": (lambda dt: blobs(dt, 1e-15), 40),
    "huge blobs": (lambda dt: blobs(dt, 1e15), 40),
    "three points": (three_points, 3),
}


def assert_seeds_equal_reference(X: np.ndarray, k: int, w: np.ndarray | None, seed: int,
                                 n_local_trials: int | None = None) -> None:
    centers, indices = quickmeans.kmeans_plusplus(X, k, sample_weight=w, random_state=seed,
                                                  n_local_trials=n_local_trials)
    ref_centers, ref_indices = ref.kmeans_plusplus(X, k, sample_weight=w,
                                                   random_state=np.random.RandomState(seed),
                                                   n_local_trials=n_local_trials)
    np.testing.assert_array_equal(indices, ref_indices)
    np.testing.assert_array_equal(centers, ref_centers)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_seeds_equal_reference_where_the_skips_are_tight(case, dtype, weighted) -> None:
    make, k = CASES[case]
    X = make(dtype)
    w = np.random.RandomState(1).uniform(0.2, 3.0, len(X)) if weighted else None
    for seed in range(2):
        assert_seeds_equal_reference(X, k, w, seed)


@pytest.mark.parametrize("n_local_trials", [1, 3, 5, 9])
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_trial_count_gives_the_reference_seeds(dtype, n_local_trials) -> None:
    # The screen scores candidates four at a time, then the one to three left.
    assert_seeds_equal_reference(blobs(dtype), 30, None, 0, n_local_trials)


@pytest.mark.parametrize("dtype", DTYPES)
def test_wide_rows_give_the_reference_seeds(dtype) -> None:
    # 300 features: rows too long for the prefetch, a transposed tail past the last full
    # block of lanes, larger rounding bounds.
    rng = np.random.RandomState(5)
    means = rng.uniform(-3, 3, (8, 301))
    X = (means[rng.randint(8, size=3000)] + rng.standard_normal((3000, 301))).astype(dtype)
    assert_seeds_equal_reference(X, 12, None, 0)


@pytest.mark.parametrize("d", [50, 64, 389])
def test_long_float32_rows_screened_row_major_give_the_reference_seeds(d) -> None:
    # From 3 vectors of features on (12, 24 or 48 by SIMD level), float32 rows are screened
    # where they lie, four, two or one candidates at a time, lanes summed across at the
    # end, the features past the last full vector masked: 50 and 389 have such a tail.
    # Collinear rows (exact ties of closest and dist, triangle tests that are equalities),
    # well separated blobs (rows pruned, so the screen reads a list with gaps) and every
    # trial count from 1 to 9 (every mix of 4, 2 and 1), at every SIMD level.
    line = np.repeat(np.arange(48, dtype=np.float32)[:, None] * np.ones((1, d), np.float32), 60,
                     axis=0)
    rng = np.random.RandomState(7)
    means = rng.uniform(-10, 10, (20, d))
    separated = means[rng.randint(20, size=5000)] + 0.3 * rng.standard_normal((5000, d))
    separated = separated.astype(np.float32)
    w = rng.uniform(0.2, 3.0, len(separated))

    def run(level: str) -> None:
        assert_seeds_equal_reference(line, 16, None, 0)
        for trials in range(1, 10):
            assert_seeds_equal_reference(separated, 30, w if trials % 2 else None, trials, trials)

    for_each_simd_level(run)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_chunk_without_potential_is_never_drawn(dtype) -> None:
    # The draws find a target's chunk from the chunks' running sums, then sum that chunk
    # again: a whole 2048-row chunk of zero weight leaves the running sum flat, and neither
    # its rows nor its neighbours' must be drawn by mistake.
    X = blobs(dtype)
    w = np.ones(len(X))
    w[2048:4096] = 0.0
    for seed in range(3):
        assert_seeds_equal_reference(X, 30, w, seed)
        indices = quickmeans.kmeans_plusplus(X, 30, sample_weight=w, random_state=seed)[1]
        assert not np.any((indices >= 2048) & (indices < 4096))


@pytest.mark.parametrize("dtype", DTYPES)
def test_seeds_do_not_depend_on_the_thread_count(dtype) -> None:
    # Gains and potentials are summed per fixed chunk, the chunks in order.
    from quickmeans._init import run_kmeans_plusplus

    X = blobs(dtype)
    one, two, eight = (run_kmeans_plusplus(X, 40, None, np.random.RandomState(0), threads)[1]
                       for threads in (1, 2, 8))
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, eight)
