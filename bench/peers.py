"""One adapter per k-means library, all with the same interface.

Every adapter times only the library call itself (``time.perf_counter`` around ``fit`` or
``predict``); conversions a library needs (FAISS wants float32) happen outside the timing
and are named in the result's note. ``fit`` also takes a scipy.sparse CSR X (init stays
dense) for the libraries whose ``no_sparse`` is empty.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class FitResult:
    """What one timed fit produced."""

    seconds: float
    n_iter: int
    inertia: float
    centers: np.ndarray
    note: str = ""


class Peer:
    """Base adapter: a library (import name ``module``) running one algorithm.

    Subclasses implement ``_fit``, ``_fit_default``, ``_fitted`` and ``_predict`` and may
    override ``version``.
    """

    library: str = ""
    module: str = ""
    distribution: str = ""
    algorithms: tuple[str, ...] = ("lloyd",)
    #: Why the library cannot fit scipy.sparse input; empty when it can.
    no_sparse: str = ""

    def __init__(self, threads: int, algorithm: str = "lloyd") -> None:
        if algorithm not in self.algorithms:
            raise ValueError(f"{self.library} has no algorithm {algorithm!r}")
        self.threads = threads
        self.algorithm = algorithm
        self._mod: Any = None
        self._error: str | None = None

    @property
    def label(self) -> str:
        """Name shown in tables: the library, and the algorithm when it is not Lloyd."""
        return self.library if self.algorithm == "lloyd" else f"{self.library} ({self.algorithm})"

    # -- availability -----------------------------------------------------------------------

    def load(self) -> bool:
        """Import the library once; False (with ``reason``) when it is not installed."""
        if self._mod is None and self._error is None:
            try:
                self._mod = importlib.import_module(self.module)
                self._setup()
            except Exception as exc:  # noqa: BLE001 - any import failure means "skip"
                self._error = f"not installed ({type(exc).__name__}: {exc})"
        return self._mod is not None

    @property
    def reason(self) -> str:
        return self._error or ""

    def _setup(self) -> None:
        """Library-wide setup after import (thread counts, logging)."""

    def version(self) -> str:
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return str(getattr(self._mod, "__version__", "unknown"))

    # -- the common interface ---------------------------------------------------------------

    def fit(self, X: np.ndarray, init: np.ndarray, max_iter: int, tol: float) -> FitResult:
        """Fit from the explicit ``init`` (n_init=1) for at most ``max_iter`` iterations."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._fit(X, init, max_iter, tol)

    def fit_default(self, X: np.ndarray, k: int, seed: int) -> FitResult:
        """Fit with the library's defaults (its own init, run to convergence, n_init=1)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._fit_default(X, k, seed)

    def fitted(self, X: np.ndarray, init: np.ndarray, max_iter: int) -> Any:
        """A fitted model (from ``init``, ``max_iter`` iterations) for ``predict``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._fitted(X, init, max_iter)

    def predict(self, model: Any, X: np.ndarray) -> tuple[float, np.ndarray]:
        """(seconds, labels) of one timed predict of X."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            labels = self._predict(model, X)
            return time.perf_counter() - start, np.asarray(labels).ravel()

    def set_centers(self, model: Any, centers: np.ndarray) -> None:
        """Make a fitted model predict with ``centers`` (so every library uses the same)."""
        model.cluster_centers_ = np.array(centers, copy=True)

    def plusplus_indices(self, X: np.ndarray, k: int, seed: int) -> np.ndarray | None:
        """Rows k-means++ picks with this seed (None: the library does not expose it)."""
        return None

    def _fit(self, X: np.ndarray, init: np.ndarray, max_iter: int, tol: float) -> FitResult:
        raise NotImplementedError

    def _fit_default(self, X: np.ndarray, k: int, seed: int) -> FitResult:
        raise NotImplementedError

    def _fitted(self, X: np.ndarray, init: np.ndarray, max_iter: int) -> Any:
        raise NotImplementedError

    def _predict(self, model: Any, X: np.ndarray) -> np.ndarray:
        return model.predict(X)


def _timed_estimator_fit(est: Any, X: np.ndarray) -> FitResult:
    start = time.perf_counter()
    est.fit(X)
    seconds = time.perf_counter() - start
    return FitResult(seconds, int(est.n_iter_), float(est.inertia_),
                     np.asarray(est.cluster_centers_))


class EstimatorPeer(Peer):
    """A peer with scikit-learn's KMeans estimator API; subclasses build the estimator."""

    def _estimator(self, k: int, **kw: Any) -> Any:
        raise NotImplementedError

    def _fit(self, X: np.ndarray, init: np.ndarray, max_iter: int, tol: float) -> FitResult:
        est = self._estimator(init.shape[0], init=init, n_init=1, max_iter=max_iter, tol=tol)
        return _timed_estimator_fit(est, X)

    def _fit_default(self, X: np.ndarray, k: int, seed: int) -> FitResult:
        return _timed_estimator_fit(self._estimator(k, n_init=1, random_state=seed), X)

    def _fitted(self, X: np.ndarray, init: np.ndarray, max_iter: int) -> Any:
        est = self._estimator(init.shape[0], init=init, n_init=1, max_iter=max_iter, tol=0.0)
        return est.fit(X)


class QuickMeansPeer(EstimatorPeer):
    """quickmeans.KMeans with an explicit thread count."""

    library = "quickmeans"
    module = "quickmeans"
    distribution = "quickmeans"
    algorithms = ("lloyd", "elkan", "hamerly", "auto")

    def simd_level(self) -> str:
        from quickmeans import _core

        return str(_core.simd_level())

    def _estimator(self, k: int, **kw: Any) -> Any:
        return self._mod.KMeans(k, algorithm=self.algorithm, n_threads=self.threads, **kw)

    def _fit_default(self, X: np.ndarray, k: int, seed: int) -> FitResult:
        # The constructor's own algorithm ('auto'), as a user who changes one import gets it;
        # the other cases time the algorithm the row names.
        return _timed_estimator_fit(
            self._mod.KMeans(k, n_init=1, random_state=seed, n_threads=self.threads), X)

    def plusplus_indices(self, X: np.ndarray, k: int, seed: int) -> np.ndarray | None:
        return np.asarray(self._mod.kmeans_plusplus(X, k, random_state=seed)[1])


class SklearnPeer(EstimatorPeer):
    """sklearn.cluster.KMeans (threads set by the caller's threadpool_limits)."""

    library = "sklearn"
    module = "sklearn.cluster"
    distribution = "scikit-learn"
    algorithms = ("lloyd", "elkan")

    def _estimator(self, k: int, **kw: Any) -> Any:
        return self._mod.KMeans(k, algorithm=self.algorithm, **kw)

    def plusplus_indices(self, X: np.ndarray, k: int, seed: int) -> np.ndarray | None:
        if self.library != "sklearn":
            return None
        return np.asarray(self._mod.kmeans_plusplus(X, k, random_state=seed)[1])


class _LogCapture(logging.Handler):
    """Keeps sklearnex's INFO messages, to tell oneDAL runs from fallbacks to sklearn."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class SklearnexPeer(SklearnPeer):
    """Intel's sklearnex.cluster.KMeans (oneDAL; uses all cores through TBB)."""

    library = "sklearnex"
    module = "sklearnex.cluster"
    distribution = "scikit-learn-intelex"
    algorithms = ("lloyd",)

    def _setup(self) -> None:
        self._log = _LogCapture()
        logger = logging.getLogger("sklearnex")
        for handler in logger.handlers:  # sklearnex's own stderr handler: keep it quiet
            handler.setLevel(max(handler.level, logging.WARNING))
        logger.setLevel(logging.INFO)
        logger.addHandler(self._log)
        logger.propagate = False
        try:  # oneDAL's thread count, where daal4py exposes it
            import daal4py

            daal4py.daalinit(self.threads)
        except Exception:  # noqa: BLE001, S110 - optional
            pass

    def set_centers(self, model: Any, centers: np.ndarray) -> None:
        super().set_centers(model, centers)
        backend = getattr(model, "_onedal_estimator", None)
        if backend is not None:  # oneDAL keeps its own copy of the model
            backend.cluster_centers_ = np.array(centers, copy=True)

    def _backend_note(self) -> str:
        fallback = any("fallback" in m.lower() for m in self._log.messages)
        self._log.messages.clear()
        return "FELL BACK to sklearn" if fallback else ""

    def _fit(self, X: np.ndarray, init: np.ndarray, max_iter: int, tol: float) -> FitResult:
        self._log.messages.clear()
        result = super()._fit(X, init, max_iter, tol)
        result.note = self._backend_note()
        return result

    def _fit_default(self, X: np.ndarray, k: int, seed: int) -> FitResult:
        self._log.messages.clear()
        result = super()._fit_default(X, k, seed)
        result.note = self._backend_note()
        return result


class FaissPeer(Peer):
    """faiss.Kmeans: no subsampling (max_points_per_centroid = n), float32 only."""

    library = "faiss"
    module = "faiss"
    distribution = "faiss-cpu"
    no_sparse = "no sparse input (faiss.Kmeans trains on dense float32 vectors)"

    def _setup(self) -> None:
        self._mod.omp_set_num_threads(self.threads)

    @staticmethod
    def _float32(X: np.ndarray) -> tuple[np.ndarray, str]:
        if X.dtype == np.float32 and X.flags.c_contiguous:
            return X, ""
        return np.ascontiguousarray(X, dtype=np.float32), "on a float32 copy"

    def inertia(self, centers: np.ndarray, X: np.ndarray) -> float:
        """Sum of squared distances of X to its nearest center (FAISS's exact search)."""
        index = self._mod.IndexFlatL2(centers.shape[1])
        index.add(np.ascontiguousarray(centers, dtype=np.float32))
        distances, _ = index.search(X, 1)
        return float(distances.sum(dtype=np.float64))

    def _train(self, Xf: np.ndarray, k: int, init: np.ndarray | None, **params: Any) -> tuple:
        km = self._mod.Kmeans(Xf.shape[1], k, verbose=False, **params)
        init32 = None if init is None else np.ascontiguousarray(init, dtype=np.float32)
        start = time.perf_counter()
        km.train(Xf, init_centroids=init32)
        return km, time.perf_counter() - start

    def _fit(self, X: np.ndarray, init: np.ndarray, max_iter: int, tol: float) -> FitResult:
        Xf, note = self._float32(X)
        km, seconds = self._train(Xf, init.shape[0], init, niter=max_iter, seed=1,
                                  max_points_per_centroid=Xf.shape[0],
                                  min_points_per_centroid=1)
        return FitResult(seconds, max_iter, self.inertia(km.centroids, Xf),
                         np.array(km.centroids), "; ".join(filter(None, [note, _splits(km)])))

    def _fit_default(self, X: np.ndarray, k: int, seed: int) -> FitResult:
        Xf, note = self._float32(X)
        km, seconds = self._train(Xf, k, None, seed=seed, max_points_per_centroid=Xf.shape[0])
        niter = int(km.cp.niter)
        default_note = f"own random init, {niter} iter (its default), all points"
        return FitResult(seconds, niter, self.inertia(km.centroids, Xf), np.array(km.centroids),
                         "; ".join(filter(None, [default_note, note])))

    def _fitted(self, X: np.ndarray, init: np.ndarray, max_iter: int) -> Any:
        Xf, _ = self._float32(X)
        km, _ = self._train(Xf, init.shape[0], init, niter=max_iter, seed=1,
                            max_points_per_centroid=Xf.shape[0], min_points_per_centroid=1)
        return km

    def set_centers(self, model: Any, centers: np.ndarray) -> None:
        centers32 = np.ascontiguousarray(centers, dtype=np.float32)
        model.index.reset()
        model.index.add(centers32)
        model.centroids = centers32

    def predict(self, model: Any, X: np.ndarray) -> tuple[float, np.ndarray]:
        return super().predict(model, self._float32(X)[0])

    def _predict(self, model: Any, X: np.ndarray) -> np.ndarray:
        return model.index.search(X, 1)[1]


def _splits(km: Any) -> str:
    """FAISS re-seeds empty clusters by splitting big ones (sklearn relocates far points)."""
    try:
        splits = sum(int(stat["nsplit"]) for stat in km.iteration_stats)
    except (AttributeError, KeyError, TypeError):
        return ""
    return f"{splits} empty-cluster splits" if splits else ""


PEER_CLASSES: dict[str, type[Peer]] = {
    "quickmeans": QuickMeansPeer,
    "sklearn": SklearnPeer,
    "sklearnex": SklearnexPeer,
    "faiss": FaissPeer,
}
