"""Deterministic data generation and the benchmark case definitions (full and --quick)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Rows generated per block: keeps the generator's temporaries small, so that creating X
#: costs about the size of X (the memory case relies on it) and results do not depend on
#: anything but the seed.
CHUNK_ROWS = 65_536


def blobs(
    n: int,
    d: int,
    n_centers: int,
    dtype: type[np.floating] | np.dtype = np.float32,
    seed: int = 0,
    std: float = 1.0,
    box: float = 10.0,
) -> np.ndarray:
    """Isotropic Gaussian blobs (like sklearn's make_blobs), C-contiguous, seeded.

    Blob centers are uniform in [-box, box]^d; each row picks a blob uniformly and adds
    N(0, std^2) noise. Generated block by block directly in ``dtype``: no float64 copy.
    """
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    centers = rng.uniform(-box, box, size=(n_centers, d)).astype(dtype)
    X = np.empty((n, d), dtype=dtype)
    for start in range(0, n, CHUNK_ROWS):
        block = X[start:start + CHUNK_ROWS]
        which = rng.integers(0, n_centers, size=block.shape[0])
        rng.standard_normal(out=block, dtype=dtype)
        block *= dtype.type(std)
        block += centers[which]
    return X


def sparse_blobs(
    n: int,
    d: int,
    n_topics: int,
    density: float,
    dtype: type[np.floating] | np.dtype = np.float64,
    seed: int = 0,
    common_share: float = 0.2,
    topic_share: float = 0.4,
) -> Any:
    """A CSR matrix like TF-IDF: ``round(density * d)`` non-zeros per row, rows L2-normalised.

    Each row puts ``common_share`` of its non-zeros in a small block of columns every row
    uses (four times as wide: like frequent words), ``topic_share`` in the block of its
    topic, one of ``n_topics`` (ten times as wide: rows of a topic share a few columns),
    and the rest anywhere else. The topics are the planted structure. The common block
    keeps the first assignment from being a tie: without it, most rows share no column
    with any of k init rows, sit at the same distance from all of them, and the labels
    depend on how each library rounds. Values are uniform in (0, 1] before normalisation.
    Every row's columns are distinct and sorted (canonical CSR, nnz exactly n * per_row).
    Built block by block straight into CSR arrays: never dense.
    """
    from scipy import sparse

    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    per_row = max(1, round(density * d))
    common = round(common_share * per_row)
    in_topic = round(topic_share * per_row)
    elsewhere = per_row - common - in_topic
    common_width, width = 4 * common, 10 * in_topic
    if common_width + n_topics * width + elsewhere > d:
        raise ValueError(f"{per_row} non-zeros per row in {n_topics} topics do not fit "
                         f"in d={d}")
    indices = np.empty(n * per_row, dtype=np.int32)
    data = np.empty(n * per_row, dtype=dtype)
    for start in range(0, n, CHUNK_ROWS):
        rows = min(CHUNK_ROWS, n - start)
        first = common_width + rng.integers(0, n_topics, size=rows)[:, None] * width
        rest = common_width + _distinct_sorted(rng, rows, elsewhere, d - common_width - width)
        rest += np.where(rest >= first, width, 0)  # jump over the row's topic block
        cols = np.concatenate([
            _distinct_sorted(rng, rows, common, common_width),
            _distinct_sorted(rng, rows, in_topic, width) + first,
            rest,
        ], axis=1)
        cols.sort(axis=1)
        values = 1.0 - rng.random((rows, per_row), dtype=dtype)
        values /= np.linalg.norm(values, axis=1, keepdims=True)
        span = slice(start * per_row, (start + rows) * per_row)
        indices[span] = cols.ravel()
        data[span] = values.ravel()
    indptr = np.arange(0, n * per_row + 1, per_row, dtype=np.int32)
    return sparse.csr_matrix((data, indices, indptr), shape=(n, d))


def _distinct_sorted(rng: np.random.Generator, rows: int, m: int, limit: int) -> np.ndarray:
    """Per row, m distinct sorted integers in [0, limit), without a rejection loop.

    Sorted draws from [0, limit - m] plus 0, 1, ..., m - 1 are strictly increasing.
    """
    draws = np.sort(rng.integers(0, limit - m + 1, size=(rows, m)), axis=1)
    return draws + np.arange(m)


def sparse_nbytes(X: Any) -> int:
    """What a CSR matrix holds in memory: data + indices + indptr."""
    return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)


def init_rows(X: Any, k: int, seed: int = 0) -> np.ndarray:
    """k distinct rows of X chosen at random (seeded): the explicit init everybody gets.

    Always a dense C-contiguous array, also when X is sparse (the k rows only).
    """
    rng = np.random.default_rng(seed + 1_000_003)
    index = np.sort(rng.choice(X.shape[0], size=k, replace=False))
    rows = X[index]
    return np.ascontiguousarray(rows.toarray() if hasattr(rows, "toarray") else rows)


@dataclass(frozen=True)
class LloydCase:
    """Fixed-iteration Lloyd: tol=0, max_iter fixed, n_init=1, one explicit init for all."""

    id: str
    n: int
    d: int
    k: int
    dtype: str
    max_iter: int
    #: Extra algorithms run by the libraries that have them (quickmeans and sklearn).
    extra_algorithms: tuple[str, ...] = ()
    seed: int = 0

    @property
    def title(self) -> str:
        return f"{_si(self.n)} x {self.d}, k={self.k}, {self.dtype}"

    @property
    def flops_per_iter(self) -> float:
        """Distance work of one Lloyd iteration as a GEMM: 2 n k d."""
        return 2.0 * self.n * self.k * self.d

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        X = blobs(self.n, self.d, self.k, np.dtype(self.dtype), seed=self.seed)
        return X, init_rows(X, self.k, self.seed)


@dataclass(frozen=True)
class EndToEndCase:
    """Default fit (k-means++ init, run to convergence, n_init=1) over several seeds."""

    id: str
    n: int
    d: int
    k: int
    dtype: str
    seeds: tuple[int, ...]
    std: float = 2.5

    @property
    def title(self) -> str:
        return f"{_si(self.n)} x {self.d}, k={self.k}, {self.dtype}, defaults"

    def data(self) -> np.ndarray:
        return blobs(self.n, self.d, self.k, np.dtype(self.dtype), seed=7, std=self.std)


@dataclass(frozen=True)
class PredictCase:
    """predict on a model fitted once (same init and iterations for every library)."""

    id: str
    n: int
    d: int
    k: int
    dtype: str
    fit_rows: int
    fit_iter: int = 5
    #: One repeat calls predict until about this long (the median of all calls is kept).
    min_seconds: float = 0.25

    @property
    def title(self) -> str:
        return f"predict {_si(self.n)} x {self.d}, k={self.k}, {self.dtype}"

    @property
    def flops(self) -> float:
        return 2.0 * self.n * self.k * self.d

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        X = blobs(self.n, self.d, self.k, np.dtype(self.dtype), seed=11)
        return X, init_rows(X[: self.fit_rows], self.k, 11)


@dataclass(frozen=True)
class SparseCase:
    """Fixed-iteration Lloyd on CSR input (centers and init dense), like LloydCase."""

    id: str
    n: int
    d: int
    k: int
    density: float
    dtype: str
    max_iter: int
    seed: int = 0
    #: A library whose fits take longer than this gets a single repeat.
    slow_fit_seconds: float = 30.0
    #: A library whose one-iteration warm-up takes longer than this is skipped.
    skip_warmup_seconds: float = 20.0

    @property
    def title(self) -> str:
        return (f"{_si(self.n)} x {_si(self.d)} CSR, density {self.density:g}, k={self.k}, "
                f"{self.dtype}")

    @property
    def nnz(self) -> int:
        return self.n * max(1, round(self.density * self.d))

    @property
    def flops_per_iter(self) -> float:
        """Distance work of one Lloyd iteration on the non-zeros only: 2 nnz k."""
        return 2.0 * self.nnz * self.k

    def data(self) -> tuple[Any, np.ndarray]:
        X = sparse_blobs(self.n, self.d, self.k, self.density, np.dtype(self.dtype),
                         seed=self.seed)
        return X, init_rows(X, self.k, self.seed)


@dataclass(frozen=True)
class MemoryCase:
    """Peak RSS growth of one fit in a fresh process, against the size of X and of labels."""

    n: int
    d: int
    k: int
    dtypes: tuple[str, ...] = ("float32", "float64")
    max_iter: int = 5
    libraries: tuple[str, ...] = ("quickmeans", "sklearn")


@dataclass(frozen=True)
class SparseMemoryCase:
    """Peak RSS growth of one fit on CSR X, against data + indices + indptr of X."""

    n: int
    d: int
    k: int
    density: float
    dtypes: tuple[str, ...] = ("float64",)
    max_iter: int = 5
    libraries: tuple[str, ...] = ("quickmeans", "sklearn")


@dataclass(frozen=True)
class Suite:
    """Everything one run measures."""

    lloyd: tuple[LloydCase, ...]
    e2e: tuple[EndToEndCase, ...]
    predict: tuple[PredictCase, ...]
    sparse: tuple[SparseCase, ...]
    memory: MemoryCase
    sparse_memory: SparseMemoryCase
    gemm_target_seconds: float
    gemm_max_n: int
    #: Idle time before each timed call (lets other libraries' spinning workers sleep).
    settle_seconds: float = 0.2
    notes: list[str] = field(default_factory=list)


def _si(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


FULL = Suite(
    lloyd=(
        LloydCase("L1", 200_000, 32, 64, "float32", 10, ("elkan",)),
        LloydCase("L2", 1_000_000, 8, 16, "float64", 10, ("elkan",)),
        LloydCase("L3", 100_000, 256, 256, "float32", 10, ("elkan",)),
        LloydCase("L4", 1_000_000, 32, 1000, "float32", 5),
    ),
    e2e=(EndToEndCase("E1", 500_000, 16, 100, "float32", (0, 1, 2)),),
    predict=(PredictCase("P1", 1_000_000, 16, 64, "float32", fit_rows=200_000),),
    sparse=(SparseCase("S1", 50_000, 30_000, 20, 0.002, "float64", 30),),
    memory=MemoryCase(2_000_000, 16, 16),
    sparse_memory=SparseMemoryCase(200_000, 30_000, 20, 0.002),
    gemm_target_seconds=1.0,
    gemm_max_n=4096,
)

QUICK = Suite(
    lloyd=(
        LloydCase("L1", 20_000, 32, 64, "float32", 5, ("elkan",)),
        LloydCase("L2", 50_000, 8, 16, "float64", 5, ("elkan",)),
        LloydCase("L3", 5_000, 128, 64, "float32", 5),
        LloydCase("L4", 50_000, 32, 200, "float32", 3),
    ),
    e2e=(EndToEndCase("E1", 20_000, 16, 20, "float32", (0, 1)),),
    predict=(PredictCase("P1", 100_000, 16, 64, "float32", fit_rows=20_000, fit_iter=2,
                         min_seconds=0.05),),
    sparse=(SparseCase("S1", 10_000, 10_000, 20, 0.002, "float64", 10,
                       slow_fit_seconds=5.0, skip_warmup_seconds=5.0),),
    memory=MemoryCase(400_000, 16, 8, max_iter=3),
    sparse_memory=SparseMemoryCase(50_000, 30_000, 20, 0.002, max_iter=3),
    gemm_target_seconds=0.05,
    gemm_max_n=1024,
    settle_seconds=0.05,
)

#: Names accepted by ``--cases``: a group or a single case id.
GROUPS = ("lloyd", "e2e", "predict", "sparse", "memory", "peak", "convergence", "scaling")
