"""The spherical k-means step on raw rows: assign by maximum cosine, sum normalised rows.

For unit-norm centers c_j, ``||x - c_j||^2 = |x|^2 - 2 x.c_j + 1``, so the center nearest in
Euclidean distance is the one of maximum cosine, whatever |x| is: the engine's Lloyd
assignment labels the raw rows correctly (to its rounding, which is why rows of norms far
from 1 are normalised first: _spherical_norms.rows_for_cosines). Handing it the weights
``w / |x|`` makes its per-cluster sums the sums of the *normalised* rows,
``S_j = sum w x/|x|``, whose direction is the new center, and
``sum over cluster j of w cos = c_j . S_j``. X is not normalised, copied or modified for this:
one native pass per step, dense or CSR alike.

Rows of norm zero get the scaled weight 0: they are labelled (every center is then at cosine
0, so the engine's tie rule gives them the lowest index), count with cosine 0 in the
objective and never move a center.

MiniBatch and distributed fits reuse ``spherical_step`` on their batches / partitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from quickmeans import _core, _engine
from quickmeans._spherical_norms import row_norms, unit_slack

Data = Any  # an ndarray or a _sparse.CsrInput, as _validation.check_data returns them

_BLOCK_ROWS = 8192


def scaled_weights(norms: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    """``w / |x|``, and 0 for rows of norm zero: the engine weights of spherical_step."""
    w = np.ones(len(norms)) if sample_weight is None else sample_weight
    out = np.zeros(len(norms))
    nonzero = norms > 0
    out[nonzero] = w[nonzero] / norms[nonzero]
    return out


@dataclass
class Rows:
    """What a fit needs to know about its rows, computed once: their norms, the engine
    weights ``w / |x|`` (0 for rows of norm zero), the sample weights and the zero rows."""

    norms: np.ndarray
    scaled: np.ndarray
    weights: np.ndarray  # the sample weights (ones for None), float64
    zero_rows: np.ndarray  # indices of the rows of norm zero
    entry_rows: np.ndarray | None  # CSR: the row of every stored value
    ties_possible: bool  # CSR, or dense X holding exact zeros (see settle_ties)
    engine_weights: np.ndarray | None  # what the engine is handed: scaled, or None (below)
    used: np.ndarray | None  # used_columns(X)


def entry_rows_of(X: Data) -> np.ndarray | None:
    if isinstance(X, np.ndarray):
        return None
    return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))


def has_zero_entries(X: Data) -> bool:
    """CSR always counts (its implicit zeros); dense X is scanned once, in blocks."""
    if not isinstance(X, np.ndarray):
        return True
    return any(not X[start:start + _BLOCK_ROWS].all()
               for start in range(0, X.shape[0], _BLOCK_ROWS))


def prepare_rows(X: Data, sample_weight: np.ndarray | None,
                 norms: np.ndarray | None = None) -> Rows:
    """Two passes over X (norms, unless given, and zero entries); X itself is not copied.
    X should come from rows_for_cosines, and norms from it too."""
    norms = row_norms(X) if norms is None else norms
    weights = np.ones(len(norms)) if sample_weight is None else sample_weight
    scaled = scaled_weights(norms, sample_weight)
    # Unweighted rows already of unit norm (to X's rounding): the engine sums them as they
    # are, through its SIMD path for unweighted sums (weighted sums take a scalar loop,
    # about a third of a pass at d=384, k=100).
    unit = sample_weight is None and bool(np.all(np.abs(norms - 1.0) <= unit_slack(X.dtype)))
    return Rows(norms, scaled, weights, np.flatnonzero(norms == 0), entry_rows_of(X),
                has_zero_entries(X), None if unit else scaled, used_columns(X))


def _assigned_dots(X: Data, entry_rows: np.ndarray | None, c64: np.ndarray,
                   labels: np.ndarray) -> np.ndarray:
    if entry_rows is not None:
        return np.bincount(entry_rows, weights=X.data * c64[labels[entry_rows], X.indices],
                           minlength=X.shape[0])
    dots = np.empty(X.shape[0])
    for start in range(0, X.shape[0], _BLOCK_ROWS):
        stop = start + _BLOCK_ROWS
        dots[start:stop] = np.einsum("ij,ij->i", X[start:stop], c64[labels[start:stop]],
                                     dtype=np.float64)
    return dots


def _disjoint_rows(X: Data, norms: np.ndarray, centers: np.ndarray,
                   labels: np.ndarray) -> np.ndarray:
    """CSR rows sharing no column with the support of their center (their cosine to it is
    exactly 0), for k <= 64: a bit per center for every column, OR-ed over each row's
    columns. About half the cost of gathering the center values (a cache-resident uint64
    per stored value instead of a random read into k x d doubles)."""
    bits = np.uint64(1) << np.arange(centers.shape[0], dtype=np.uint64)
    column_bits = np.bitwise_or.reduce(np.where(centers != 0, bits[:, None], np.uint64(0)),
                                       axis=0)
    nonempty = np.flatnonzero(np.diff(X.indptr) > 0)
    row_bits = np.zeros(X.shape[0], dtype=np.uint64)
    if nonempty.size:  # reduceat over the starts of non-empty rows only: empty ones add nothing
        row_bits[nonempty] = np.bitwise_or.reduceat(column_bits[X.indices], X.indptr[nonempty])
    shared = (row_bits >> labels.astype(np.uint64)) & np.uint64(1)
    return np.flatnonzero((shared == 0) & (norms > 0))


def used_columns(X: Data) -> np.ndarray | None:
    """For CSR X with no negative value, which columns hold a non-zero value (what
    ``_covered`` checks against); None otherwise (dense X, or negative values)."""
    if isinstance(X, np.ndarray) or (X.data.size and X.data.min() < 0):
        return None
    return np.bincount(X.indices[X.data != 0], minlength=X.shape[1]) > 0


def _covered(used: np.ndarray | None, centers: np.ndarray) -> bool:
    """Whether no CSR row can be at cosine exactly 0 from every center, in O(k d): with
    non-negative values (TF-IDF), a row with a column in some center's support has a
    positive cosine there, so it is tied only if it misses the union of the supports; once
    that union covers every column X uses (after the first step, as a rule) nothing is."""
    return used is not None and bool(np.all((centers != 0).any(axis=0)[used]))


def settle_ties(X: Data, norms: np.ndarray, entry_rows: np.ndarray | None,
                centers: np.ndarray, labels: np.ndarray,
                used: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows sharing no feature with their center (cosine exactly 0: common for TF-IDF
    against centers that are rows) are exact ties, which the engine would break by the
    rounding of the centers' norms. They go to the first center of maximum cosine, computed
    exactly. Returns (rows relabelled, their new labels) and updates ``labels``. O(nnz) plus
    the tied rows against all centers; only needed where X has zero entries. ``used`` is
    ``used_columns(X)``: with it, the search is skipped when no tie is possible."""
    if entry_rows is not None and _covered(used, centers):
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=labels.dtype)
    c64 = centers.astype(np.float64)
    if entry_rows is not None and centers.shape[0] <= 64:
        tied = _disjoint_rows(X, norms, centers, labels)
    else:
        dots = _assigned_dots(X, entry_rows, c64, labels)
        tied = np.flatnonzero((dots == 0) & (norms > 0))
    if not tied.size:
        return tied, tied
    tied_rows = X.matrix[tied] if entry_rows is not None else X[tied]
    best = np.argmax(np.asarray(tied_rows @ c64.T, dtype=np.float64), axis=1)
    best = best.astype(labels.dtype)
    moved = best != labels[tied]
    rows, new = tied[moved], best[moved]
    labels[rows] = new
    return rows, new


def _move_rows(X: Data, rows: Rows, moved: np.ndarray, old: np.ndarray, new: np.ndarray,
               sums: np.ndarray) -> None:
    """Moves the normalised rows ``moved`` from the clusters ``old`` to ``new`` in sums."""
    if rows.entry_rows is None:
        part = X[moved].astype(np.float64) * rows.scaled[moved][:, None]
        np.add.at(sums, old, -part)
        np.add.at(sums, new, part)
        return
    coo = X.matrix[moved].tocoo()
    values = coo.data * rows.scaled[moved][coo.row]
    np.add.at(sums, (old[coo.row], coo.col), -values)
    np.add.at(sums, (new[coo.row], coo.col), values)


@dataclass
class StepResult:
    """One step against ``centers``: labels, per-cluster ``sum w x/|x|`` (k x d float64),
    per-cluster weight of the non-zero rows, and ``sum w cos`` over all rows."""

    labels: np.ndarray
    sums: np.ndarray
    weights: np.ndarray
    cosine_total: float


def _result(labels: np.ndarray, sums: np.ndarray, rows: Rows,
            centers: np.ndarray) -> StepResult:
    k = centers.shape[0]
    # Zero rows belong to no direction: their weight counts in the objective, not here.
    direction_weights = rows.weights if not rows.zero_rows.size else np.where(
        rows.norms > 0, rows.weights, 0.0)
    weights = np.bincount(labels, weights=direction_weights, minlength=k)
    cosine_total = float(np.einsum("ij,ij->", sums, np.asarray(centers, dtype=np.float64)))
    return StepResult(labels, sums, weights, cosine_total)


def spherical_step(X: Data, rows: Rows, centers: np.ndarray, n_threads: int) -> StepResult:
    """Assign every row to its center of maximum cosine and sum the normalised rows.

    ``centers`` must be unit-norm rows in X's dtype; ``rows`` is ``prepare_rows(X, ...)``.
    Stateless: one native pass over X (mini-batch and distributed fits call it per batch).
    """
    labels, sums, _, _ = _engine.assign_and_sum(X, rows.engine_weights, centers, n_threads)
    return _settled(X, rows, centers, labels, sums)


def _settled(X: Data, rows: Rows, centers: np.ndarray, labels: np.ndarray,
             sums: np.ndarray) -> StepResult:
    """The engine's labels and sums with exact ties and zero rows given their documented
    labels (``labels`` and ``sums`` are updated)."""
    if rows.ties_possible:
        old = labels.copy()
        moved, new = settle_ties(X, rows.norms, rows.entry_rows, centers, labels, rows.used)
        if moved.size:  # their normalised rows leave the engine's cluster for the new one
            _move_rows(X, rows, moved, old[moved], new, sums)
    # A zero row is at cosine 0 from every center; the engine would pick the center whose
    # norm rounds lowest. The documented rule is the lowest index.
    labels[rows.zero_rows] = 0
    return _result(labels, sums, rows, centers)


class BoundedSteps:
    """The steps of one fit over dense X, with Hamerly's bounds kept by the engine between
    them (cpp/include/quickmeans/spherical.hpp): rows whose bounds still decide are not
    compared with every center again. Same labels and sums as spherical_step."""

    def __init__(self, X: np.ndarray, rows: Rows, n_clusters: int, n_threads: int) -> None:
        native = _core.SphericalSteps32 if X.dtype == np.float32 else _core.SphericalSteps64
        self._steps = native(X, rows.engine_weights, n_clusters, n_threads)
        self._rows = rows

    def __call__(self, centers: np.ndarray) -> StepResult:
        labels, sums, _, _ = self._steps.step(centers)
        return _result(labels, sums, self._rows, centers)


class SparseSteps:
    """The steps of one fit over CSR X: the engine validates the rows and takes their norms
    once, and keeps its buffers and per-slot sums (k x n_features each) between steps, which
    a stateless spherical_step sets up again at every call. Same result as spherical_step."""

    def __init__(self, X: Data, rows: Rows, n_clusters: int, n_threads: int) -> None:
        self._steps = _core.SphericalStepsCsr(*X.parts(), rows.engine_weights, n_clusters,
                                              n_threads)
        self._X = X
        self._rows = rows

    def __call__(self, centers: np.ndarray) -> StepResult:
        labels, sums, _, _ = self._steps.step(centers)
        return _settled(self._X, self._rows, centers, labels, sums)


def make_steps(X: Data, rows: Rows, n_clusters: int, n_threads: int,
               memory_mapped: bool) -> Callable[[np.ndarray], StepResult]:
    """The step function of one fit: bounded steps where KMeans would pick Hamerly (dense
    X, a long scan of the centers, not memory-mapped) and no exact ties need settling
    (X without zero entries); steps keeping their buffers on CSR X; otherwise stateless
    spherical_step."""
    from quickmeans._kmeans import choose_algorithm

    if not isinstance(X, np.ndarray):
        return SparseSteps(X, rows, n_clusters, n_threads)
    if not rows.ties_possible and choose_algorithm(
            X.shape[0], X.shape[1], n_clusters, X.dtype.itemsize, memory_mapped) == "hamerly":
        return BoundedSteps(X, rows, n_clusters, n_threads)
    return lambda centers: spherical_step(X, rows, centers, n_threads)


def directions(sums: np.ndarray, old_centers: np.ndarray) -> np.ndarray:
    """The new centers: each cluster's sum scaled to unit norm, in the centers' dtype. A sum
    of norm zero (no rows, or rows that cancel) keeps its old center."""
    norms = np.sqrt(np.einsum("ij,ij->i", sums, sums))
    out = old_centers.astype(np.float64)
    keep = norms > 0
    out[keep] = sums[keep] / norms[keep, None]
    return np.ascontiguousarray(out, dtype=old_centers.dtype)


def assigned_cosines(X: Data, norms: np.ndarray, centers: np.ndarray,
                     labels: np.ndarray) -> np.ndarray:
    """cos(x_i, centers[labels[i]]) in float64 (0 for rows of norm zero), O(n) memory."""
    dots = np.empty(X.shape[0])
    if isinstance(X, np.ndarray):
        c64 = centers.astype(np.float64)
        for start in range(0, X.shape[0], _BLOCK_ROWS):
            stop = start + _BLOCK_ROWS
            dots[start:stop] = np.einsum("ij,ij->i", X[start:stop], c64[labels[start:stop]],
                                         dtype=np.float64)
    else:
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        products = X.data * centers.astype(np.float64)[labels[rows], X.indices]
        dots = np.bincount(rows, weights=products, minlength=X.shape[0])
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


def cosine_matrix(X: Data, norms: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """cos(x_i, c_j) for every row and center, in X's dtype (0 for rows of norm zero)."""
    if isinstance(X, np.ndarray):
        dots = np.empty((X.shape[0], centers.shape[0]), dtype=X.dtype)
        for start in range(0, X.shape[0], _BLOCK_ROWS):
            np.matmul(X[start:start + _BLOCK_ROWS], centers.T, out=dots[start:start + _BLOCK_ROWS])
    else:
        dots = np.asarray(X.matrix @ centers.T, dtype=X.dtype)
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    dots *= inverse.astype(dots.dtype)[:, None]
    return np.clip(dots, -1.0, 1.0, out=dots)


def relocate_empty(X: Data, rows: Rows, step: StepResult,
                   old_centers: np.ndarray) -> tuple[np.ndarray, bool]:
    """The next centers from a step, empty clusters (no weight) moved to the rows of lowest
    cosine to their own center (lowest first, lower index on ties; rows of norm zero never
    move). Each moved row leaves its cluster's sum and becomes the empty cluster's center.
    Returns (centers in old_centers' dtype, whether a cluster was moved)."""
    empty = np.flatnonzero(step.weights == 0)
    if not empty.size:
        return directions(step.sums, old_centers), False
    norms = rows.norms
    cos = assigned_cosines(X, norms, old_centers, step.labels)
    eligible = np.flatnonzero(norms > 0)
    order = eligible[np.lexsort((eligible, cos[eligible]))][:empty.size]
    if not order.size:
        return directions(step.sums, old_centers), False
    sums = step.sums.copy()
    w = rows.weights
    moved = {}
    for target, row in zip(empty, order):
        unit = _engine.rows(X, np.array([row]))[0].astype(np.float64) / norms[row]
        sums[step.labels[row]] -= w[row] * unit
        sums[target] = w[row] * unit
        moved[int(target)] = unit
    centers = directions(sums, old_centers)
    for target, unit in moved.items():  # the row itself, even when its weight is zero
        centers[target] = unit
    return centers, True


def unit_or_previous(centers: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Rows of ``centers`` at unit norm; a row of norm zero keeps ``previous``'s."""
    c64 = centers.astype(np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", c64, c64))
    out = np.where(norms[:, None] > 0, c64 / np.where(norms > 0, norms, 1.0)[:, None], previous)
    return np.ascontiguousarray(out, dtype=centers.dtype)
