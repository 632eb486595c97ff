"""Where BisectingKMeans keeps each leaf's samples until the leaf is split.

The engine's kernels read contiguous rows. Dense X: the root is split on X itself (never
copied, never modified); each split then writes its two children's rows, left then right
and each in X's row order, into a working copy of X, so that every leaf is one contiguous
block of rows (a view, no gather) and the engine runs on it directly. A split reads its
rows from one working copy and writes the children into the other, at the same positions:
the leaves cover disjoint ranges, so no leaf's rows are overwritten. Sparse X: a leaf's rows
are gathered from X by their indices when it is split, as scikit-learn gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quickmeans import _core, _engine


def rows_of(X: _engine.Data, index: np.ndarray | None, n_threads: int) -> _engine.Data:
    """Samples of X as the engine takes them (a C-contiguous block or CSR): X itself for
    index None, else a copy of the listed rows (dense rows gathered by the engine)."""
    if index is None:
        return X
    if isinstance(X, np.ndarray):
        return _core.take_rows(X, index, n_threads)
    from quickmeans._sparse import CsrInput

    part = X.matrix[index]  # scipy keeps each row's sorted, unique column indices
    if part.indices.dtype != part.indptr.dtype:
        part.indices, part.indptr = part.indices.astype(np.int64), part.indptr.astype(np.int64)
    return CsrInput(part)


def aligned_empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose first element starts a 64-byte cache line
    (numpy's allocations start 16 bytes into one, so that a 64-byte row, 16 float32 or 8
    float64, spans two lines: twice the cache misses of the rows a split reads scattered)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(nbytes + 64, dtype=np.uint8)
    start = -buffer.ctypes.data % 64
    return buffer[start:start + nbytes].view(dtype).reshape(shape)


@dataclass
class Cluster:
    """A leaf's samples: their rows of X (None: all of them, in order) and, for dense X,
    where they lie: rows [lo, hi) of working copy `copy` (0: X itself, for the root)."""

    index: np.ndarray | None
    copy: int = 0
    lo: int = 0
    hi: int = 0


class ClusterRows:
    """Hands out each cluster's rows and weights, and places a split's two children."""

    def __init__(self, X: _engine.Data, weights: np.ndarray | None, n_threads: int) -> None:
        self.X, self.weights, self.n_threads = X, weights, n_threads
        self.dense = isinstance(X, np.ndarray)
        # Dense: X, then the two working copies (allocated when first written), and the
        # weights in the same order as each.
        self._rows: list[np.ndarray | None] = [X if self.dense else None, None, None]
        self._weights: list[np.ndarray | None] = [weights, None, None]

    def root(self) -> Cluster:
        return Cluster(None, 0, 0, self.X.shape[0])

    def rows(self, cluster: Cluster) -> tuple[_engine.Data, np.ndarray | None]:
        """The cluster's samples (a view for dense X, a gathered copy for sparse X) and
        their weights (None for unit weights)."""
        if not self.dense:
            index = cluster.index
            w = self.weights
            return (rows_of(self.X, index, self.n_threads),
                    w if w is None or index is None else w[index])
        rows = self._rows[cluster.copy]
        assert rows is not None
        w = self._weights[cluster.copy]
        span = slice(cluster.lo, cluster.hi)
        return rows[span], None if w is None else w[span]

    def split(self, cluster: Cluster, labels: np.ndarray, centers: np.ndarray
              ) -> tuple[tuple[Cluster, Cluster], tuple[float, float] | None]:
        """The two children of a cluster whose samples got `labels` (0 or 1, in the order of
        rows(cluster)), each child's samples keeping their order in X; and, for dense X, each
        child's weighted squared distances to its center (centers[0], centers[1]), summed by
        the engine as it copies the rows (None for sparse X)."""
        if not self.dense:
            order, left = _core.partition_order(labels)
            index = order if cluster.index is None else cluster.index[order]
            return (Cluster(index[:left]), Cluster(index[left:])), None
        target = 2 if cluster.copy == 1 else 1
        if self._rows[target] is None:
            self._rows[target] = aligned_empty(self.X.shape, self.X.dtype)
            if self.weights is not None:
                self._weights[target] = np.empty(self.weights.shape, dtype=self.weights.dtype)
        rows, w = self.rows(cluster)
        span = slice(cluster.lo, cluster.hi)
        index, left, inertia_left, inertia_right = _core.split_rows(
            rows, w, centers, labels, self.n_threads, self._rows[target][span], cluster.index)
        target_weights = self._weights[target]
        if w is not None and target_weights is not None:  # w is X's weights in the cluster's order
            target_weights[span] = self.weights[index]
        middle = cluster.lo + left
        return ((Cluster(index[:left], target, cluster.lo, middle),
                 Cluster(index[left:], target, middle, cluster.hi)), (inertia_left, inertia_right))
