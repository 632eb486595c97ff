"""silhouette_score against scikit-learn's, the second oracle, and by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics

import quickmeans
from conftest import make_blobs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("n", "d", "k"), [(3000, 5, 4), (1500, 70, 9), (700, 2, 25)])
def test_silhouette_equals_sklearn(dtype, n, d, k) -> None:
    X = make_blobs(n, d, k, seed=n, spread=3.0, dtype=dtype)
    labels = quickmeans.KMeans(k, random_state=0).fit_predict(X)
    expected = metrics.silhouette_score(X.astype(np.float64), labels)
    assert quickmeans.silhouette_score(X, labels) == pytest.approx(expected, abs=1e-6)


def test_silhouette_by_hand() -> None:
    # Clusters {0, 1} and {10}: for 0, a = 1, b = 10, s = 0.9; for 1, a = 1, b = 9,
    # s = 8/9; the singleton scores 0. Mean (0.9 + 8/9) / 3.
    X = np.array([[0.0], [1.0], [10.0]])
    assert quickmeans.silhouette_score(X, [0, 0, 1]) == pytest.approx((0.9 + 8 / 9) / 3)


def test_silhouette_labels_any_values_and_sample_size() -> None:
    X = make_blobs(2000, 3, 5, seed=2, spread=2.0)
    labels = quickmeans.KMeans(5, random_state=0).fit_predict(X)
    named = np.array(["a", "b", "c", "d", "e"])[labels]
    assert quickmeans.silhouette_score(X, named) == pytest.approx(
        metrics.silhouette_score(X, labels), abs=1e-9)
    assert quickmeans.silhouette_score(X, labels, sample_size=500, random_state=3) == \
        pytest.approx(metrics.silhouette_score(X, labels, sample_size=500, random_state=3),
                      abs=1e-9)


@pytest.mark.parametrize("labels", [[0] * 10, list(range(10)), [0, 1] * 4])
def test_silhouette_bad_labels(labels) -> None:
    X = make_blobs(10, 2, 2, seed=1)
    with pytest.raises(ValueError):
        quickmeans.silhouette_score(X, labels)


def test_silhouette_bad_input() -> None:
    X = make_blobs(10, 2, 2, seed=1)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        quickmeans.silhouette_score(X, [0, 1] * 5)
    with pytest.raises(ValueError, match="metric"):
        quickmeans.silhouette_score(make_blobs(10, 2, 2), [0, 1] * 5, metric="cosine")


def test_elbow_suggests_the_number_of_clear_clusters() -> None:
    # 3,000 points around the corners of a square, well apart.
    corners = np.array([[-10.0, -10.0], [-10.0, 10.0], [10.0, -10.0], [10.0, 10.0]])
    rng = np.random.RandomState(5)
    X = corners[rng.randint(4, size=3000)] + rng.randn(3000, 2)
    result = quickmeans.elbow(X, range(2, 13))
    assert list(result.k) == list(range(2, 13))
    assert np.all(np.diff(result.inertia) < 0)  # more clusters, less inertia
    assert result.knee == 4 and result.suggested == 4
    assert int(result.k[np.nanargmax(result.silhouette)]) == 4
    fit = quickmeans.KMeans(4, random_state=0).fit(X)
    assert result.inertia[2] == pytest.approx(fit.inertia_, rel=1e-3)


def test_elbow_bad_range() -> None:
    with pytest.raises(ValueError, match="k_range"):
        quickmeans.elbow(make_blobs(10, 2, 2), range(5, 20))
