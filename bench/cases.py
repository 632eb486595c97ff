"""Deterministic data generation and the benchmark case definitions (full and --quick)."""

from __future__ import annotations

from dataclasses import dataclass, field

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


def init_rows(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k distinct rows of X chosen at random (seeded): the explicit init everybody gets."""
    rng = np.random.default_rng(seed + 1_000_003)
    index = np.sort(rng.choice(X.shape[0], size=k, replace=False))
    return np.ascontiguousarray(X[index])


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
class MemoryCase:
    """Peak RSS growth of one fit in a fresh process, against the size of X and of labels."""

    n: int
    d: int
    k: int
    dtypes: tuple[str, ...] = ("float32", "float64")
    max_iter: int = 5
    libraries: tuple[str, ...] = ("quickmeans", "sklearn")


@dataclass(frozen=True)
class Suite:
    """Everything one run measures."""

    lloyd: tuple[LloydCase, ...]
    e2e: tuple[EndToEndCase, ...]
    predict: tuple[PredictCase, ...]
    memory: MemoryCase
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
    memory=MemoryCase(2_000_000, 16, 16),
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
    memory=MemoryCase(400_000, 16, 8, max_iter=3),
    gemm_target_seconds=0.05,
    gemm_max_n=1024,
    settle_seconds=0.05,
)

#: Names accepted by ``--cases``: a group or a single case id.
GROUPS = ("lloyd", "e2e", "predict", "memory", "peak")
