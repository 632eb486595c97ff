"""K-means on dask arrays: every Lloyd iteration is one map-reduce over row chunks.

Each chunk is assigned by the native kernel (``_engine.assign_and_sum``) where it lives and
sends back only its per-cluster sums, weights and inertia (O(k*d) bytes); the driver adds the
chunk results in chunk order (so the result does not depend on which worker finished first)
and updates the centers. Every task is a pure function of its inputs, so a task that
distributed re-runs after a worker died returns the same bytes. Random numbers are drawn on
the driver only (chunk tasks get integer seeds), so the same ``random_state`` and the same
chunking give the same result on any scheduler and any number of workers.

Needs the ``dask`` extra: ``pip install quickmeans[dask]`` (dask[array] and distributed; a
``distributed.Client`` is optional, any dask scheduler works).
"""

from __future__ import annotations

try:  # absolute import: this is the top-level dask package, not quickmeans.dask
    import dask  # noqa: F401
    import dask.array  # noqa: F401
except ImportError as error:  # pragma: no cover - only without the extra
    raise ImportError("quickmeans.dask needs dask: pip install 'quickmeans[dask]'") from error

from quickmeans.dask._estimator import KMeans  # noqa: E402

__all__ = ["KMeans"]
