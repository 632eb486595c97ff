"""quickmeans.plot: the pictures have the right size and show the right data."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib  # test dependencies (the plot extra): these tests run, never skip
import numpy as np
import pytest

from conftest import make_blobs, png_size

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import quickmeans  # noqa: E402
from quickmeans import KMeans, plot  # noqa: E402
from quickmeans.datasets import three_blobs  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    """Every test's figures are closed (pyplot warns past 20 open ones: an error here)."""
    yield
    plt.close("all")


def offsets(ax: matplotlib.axes.Axes, label: str) -> np.ndarray:
    (collection,) = [c for c in ax.collections if c.get_label() == label]
    return np.asarray(collection.get_offsets())


def test_clusters_2d(tmp_path: Path) -> None:
    X, _ = three_blobs()
    model = KMeans(3, random_state=0).fit(X)
    path = tmp_path / "clusters.png"
    ax = plot.clusters(X, model, title="three blobs", path=path)
    assert png_size(path) == (600, 500)
    assert plt.imread(path).shape[:2] == (500, 600)
    assert ax.get_title() == "three blobs"
    np.testing.assert_allclose(offsets(ax, "points"), X)  # 2-D data is drawn as it is
    np.testing.assert_allclose(offsets(ax, "centers"), model.cluster_centers_)
    assert offsets(ax, "centers").shape == (3, 2)


def test_clusters_colours_follow_labels() -> None:
    X, _ = three_blobs()
    model = KMeans(3, random_state=0).fit(X)
    ax = plot.clusters(X, model)
    (points,) = [c for c in ax.collections if c.get_label() == "points"]
    colours = points.get_facecolors()[:, :3]
    labels = model.predict(X)
    for c in range(3):  # one colour per cluster, different clusters different colours
        assert len(np.unique(colours[labels == c], axis=0)) == 1
    assert len(np.unique(colours, axis=0)) == 3


def test_clusters_pca_projection() -> None:
    """With d > 2, points and centers share one projection: each projected center is the
    mean of its cluster's projected points (the centers are the cluster means)."""
    X = make_blobs(500, 6, 4, seed=3)
    model = KMeans(4, random_state=0).fit(X)
    ax = plot.clusters(X, model)
    points, centers = offsets(ax, "points"), offsets(ax, "centers")
    assert points.shape == (500, 2) and centers.shape == (4, 2)
    labels = model.predict(X)
    np.testing.assert_array_equal(labels, model.labels_)
    for c in range(4):
        np.testing.assert_allclose(centers[c], points[labels == c].mean(axis=0), atol=1e-8)
    # The projection is PCA: centered, the axes uncorrelated, the first the widest.
    np.testing.assert_allclose(points.mean(axis=0), 0, atol=1e-8)
    cov = np.cov(points.T)
    assert abs(cov[0, 1]) < 1e-8 * cov[0, 0] and cov[0, 0] >= cov[1, 1]
    expected = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)[:2] ** 2 / (len(X) - 1)
    np.testing.assert_allclose(np.diag(cov), expected)
    assert ax.get_xlabel().startswith("PC1") and ax.get_ylabel().startswith("PC2")


def test_clusters_on_given_axes_and_sklearn_model(tmp_path: Path) -> None:
    from sklearn import cluster
    X = make_blobs(200, 3, 3, seed=2)
    model = cluster.KMeans(3, n_init=1, random_state=0).fit(X)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3), dpi=50)
    ax = plot.clusters(X, model, ax=right, path=tmp_path / "pair.png")
    assert ax is right and not left.collections
    assert png_size(tmp_path / "pair.png") == (800, 300)  # the given figure, at dpi 100


def test_elbow_marks_knee(tmp_path: Path) -> None:
    X = make_blobs(400, 2, 4, seed=0, spread=0.5)
    result = quickmeans.elbow(X, range(1, 9))
    assert result.knee is not None
    path = tmp_path / "elbow.png"
    ax = plot.elbow(result, path=path)
    assert png_size(path) == (600, 500)
    inertia, knee = ax.get_lines()
    np.testing.assert_array_equal(inertia.get_xdata(), result.k)
    np.testing.assert_allclose(inertia.get_ydata(), result.inertia)
    assert knee.get_linestyle() == "--"
    assert list(knee.get_xdata()) == [result.knee] * 2
    assert f"k = {result.knee}" in knee.get_label()
    assert f"k = {result.suggested}" in ax.get_title()
    # The silhouette curve is on a twin y-axis sharing x; k = 1 has no score (NaN).
    (twin,) = [other for other in ax.figure.axes if other is not ax]
    (silhouette,) = twin.get_lines()
    np.testing.assert_allclose(silhouette.get_ydata(), result.silhouette)
    assert np.isnan(result.silhouette[0]) and not np.isnan(result.silhouette[1:]).any()


def test_elbow_without_silhouette_or_knee() -> None:
    result = quickmeans.ElbowResult(k=np.array([2, 3]), inertia=np.array([10.0, 5.0]),
                                    silhouette=np.full(2, np.nan), knee=None, suggested=2)
    ax = plot.elbow(result)
    assert len(ax.get_lines()) == 1  # the inertia curve only: no knee line
    assert len(ax.figure.axes) == 1  # and no twin axis for all-NaN silhouettes


def test_import_quickmeans_does_not_import_matplotlib() -> None:
    code = ("import sys, quickmeans; assert 'matplotlib' not in sys.modules, "
            "sorted(m for m in sys.modules if m.startswith('matplotlib'))")
    subprocess.run([sys.executable, "-c", code], check=True)
    code = "import sys, quickmeans.plot; assert 'matplotlib' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_matplotlib_message() -> None:
    # A None entry in sys.modules makes the import fail, as if matplotlib were absent.
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "try:\n    import quickmeans.plot\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert "pip install 'quickmeans[plot]'" in out
