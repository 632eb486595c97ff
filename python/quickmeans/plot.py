"""Plots of a clustering and of the elbow method (needs matplotlib: the ``plot`` extra).

``import quickmeans`` never imports matplotlib; only ``from quickmeans import plot`` does.
The functions draw on a given Axes or on a new 6 x 5 inch figure, return the Axes, and
save a PNG (600 x 500 pixels for a new figure) when given a path.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

try:
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "quickmeans.plot needs matplotlib: pip install 'quickmeans[plot]'"
    ) from error

from quickmeans._elbow import ElbowResult

__all__ = ["clusters", "elbow", "pca_2d"]

FIGSIZE = (6.0, 5.0)
DPI = 100


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=FIGSIZE, dpi=DPI)
    return new


def _save(ax: Axes, path: str | os.PathLike[str] | None) -> None:
    if path is not None:
        # No bbox_inches="tight": the PNG keeps the figure's size (600 x 500 by default).
        ax.figure.savefig(path, dpi=DPI, format="png")


def pca_2d(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two leading principal axes of ``X`` (plain NumPy SVD of the centered data).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data, n_features >= 2.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        The mean of ``X``; project with ``(Z - mean) @ components.T``.
    components : ndarray of shape (2, n_features)
        The principal axes, signed so that each one's largest coordinate is positive
        (the same data always gives the same picture).
    explained : ndarray of shape (2,)
        The fraction of the variance along each axis.
    """
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    components = vt[:2].copy()
    signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])
    components *= np.where(signs == 0, 1.0, signs)[:, None]
    variance = s**2
    total = variance.sum()
    explained = variance[:2] / total if total > 0 else np.zeros(2)
    return mean, components, explained


def _dense(X: Any) -> np.ndarray:
    X = X.toarray() if hasattr(X, "toarray") else X  # scipy.sparse: plots are small anyway
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    return X


def _palette(n_colors: int) -> np.ndarray:
    """Distinct colours (RGBA rows) for ``n_colors`` clusters: tab10/tab20, else viridis."""
    if n_colors <= 20:
        cmap = matplotlib.colormaps["tab10" if n_colors <= 10 else "tab20"]
        return cmap(np.arange(n_colors))  # the qualitative maps' own colours, in order
    return matplotlib.colormaps["viridis"](np.linspace(0.0, 1.0, n_colors))


def clusters(
    X: Any,
    model: Any,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Axes:
    """Scatter ``X`` coloured by cluster, with the centers marked.

    Data with more than two features is shown on its two leading principal axes (PCA by
    an SVD of the centered data); the centers are projected the same way.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The points to draw, labelled by ``model.predict(X)``.
    model : fitted KMeans-like estimator
        Anything with ``predict`` and ``cluster_centers_`` (quickmeans or scikit-learn).
    ax : matplotlib Axes, optional
        Where to draw; a new 6 x 5 inch figure when None.
    title : str, optional
        The Axes title (default: the number of points and clusters).
    path : str or path-like, optional
        Save the figure there as a PNG (dpi 100: 600 x 500 pixels for a new figure).

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on. Its first collection holds the points, its second the centers.
    """
    X = _dense(X)
    labels = np.asarray(model.predict(X))
    centers = _dense(model.cluster_centers_)
    if X.shape[1] > 2:
        mean, components, explained = pca_2d(X)
        points, marks = (X - mean) @ components.T, (centers - mean) @ components.T
        xlabel, ylabel = (f"PC{i + 1} ({e:.0%} of variance)" for i, e in enumerate(explained))
    elif X.shape[1] == 2:
        points, marks = X, centers
        xlabel, ylabel = "feature 0", "feature 1"
    else:  # one feature: spread it along x only
        points = np.column_stack([X[:, 0], np.zeros(len(X))])
        marks = np.column_stack([centers[:, 0], np.zeros(len(centers))])
        xlabel, ylabel = "feature 0", ""
    ax = _axes(ax)
    n_clusters = len(centers)
    ax.scatter(points[:, 0], points[:, 1], c=_palette(n_clusters)[labels], s=12, alpha=0.7,
               linewidths=0, label="points")
    ax.scatter(marks[:, 0], marks[:, 1], c="black", marker="x", s=120, linewidths=3,
               label="centers", zorder=3)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title if title is not None else f"{len(X)} points, {n_clusters} clusters")
    ax.legend(handles=[ax.collections[1]], loc="best")
    _save(ax, path)
    return ax


def elbow(
    result: ElbowResult,
    *,
    ax: Axes | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Axes:
    """Inertia against k, the knee marked, and silhouette scores on a second y-axis.

    Parameters
    ----------
    result : ElbowResult
        What :func:`quickmeans.elbow` returned.
    ax : matplotlib Axes, optional
        Where to draw; a new 6 x 5 inch figure when None.
    path : str or path-like, optional
        Save the figure there as a PNG (dpi 100: 600 x 500 pixels for a new figure).

    Returns
    -------
    ax : matplotlib Axes
        The Axes of the inertia curve. The knee, if any, is a vertical dashed line; the
        silhouette scores (when any were computed) are on ``ax``'s twin Axes.
    """
    ax = _axes(ax)
    k = np.asarray(result.k)
    handles = ax.plot(k, result.inertia, "o-", color="tab:blue", label="inertia")
    ax.set_xlabel("number of clusters k")
    ax.set_ylabel("inertia", color="tab:blue")
    ax.set_xticks(k if len(k) <= 20 else np.linspace(k[0], k[-1], 11).round().astype(int))
    if result.knee is not None:
        handles.append(ax.axvline(result.knee, color="tab:red", linestyle="--",
                                  label=f"knee: k = {result.knee}"))
    top = ax  # the legend goes on the Axes drawn last, above every line
    silhouette = np.asarray(result.silhouette, dtype=np.float64)
    if not np.all(np.isnan(silhouette)):
        top = ax.twinx()
        handles += top.plot(k, silhouette, "s:", color="tab:orange", label="silhouette")
        top.set_ylabel("silhouette score", color="tab:orange")
    for axes in {ax, top}:  # headroom: the legend sits in a band above the curves
        low, high = axes.get_ylim()
        axes.set_ylim(low, high + 0.2 * (high - low))
    ax.set_title(f"Elbow method: suggested k = {result.suggested}")
    top.legend(handles=handles, loc="upper center", ncol=len(handles), framealpha=0.9)
    _save(ax, path)
    return ax
