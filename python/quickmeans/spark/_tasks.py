"""Partition tasks, run on the executors by mapInArrow: Arrow batches in, one small record
batch per partition out. No per-row Python: a block of rows is one NumPy array.

The cached data is a DataFrame of blocks (see ``to_blocks``): each row holds the raw bytes of
up to a few thousand feature rows, so one iteration moves a few large binary values from the
JVM to Python instead of converting every vector. Blocks carry their partition id and index,
and every task sums its blocks in index order, so a result depends on the data and its
partitioning only, not on scheduling.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable

import numpy as np
import pyarrow as pa
from pyspark import TaskContext

from quickmeans import _engine
from quickmeans._spherical_norms import row_norms

BLOCK_SCHEMA = ("pid int, idx int, n long, d long, nulls long, nonfinite long, "
                "negative long, zero_norm long, wsum double, mean binary, m2 binary, "
                "x binary, w binary")
ITER_COLUMNS = ["pid", "idx", "n", "x", "w"]


def _aligned(a: np.ndarray) -> np.ndarray:
    # Buffers from Arrow can start at any address; the engine's loads assume the dtype's.
    return np.require(a, requirements=["C_CONTIGUOUS", "ALIGNED"])


def _batch(columns: dict[str, list], schema: dict[str, pa.DataType]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(columns[n], type=t) for n, t in schema.items()],
                                      names=list(schema))


def to_blocks(batches: Iterator[pa.RecordBatch], dtype: str, cosine: bool,
              has_weight: bool) -> Iterator[pa.RecordBatch]:
    """Input rows (column 0: list<double> features, column 1: double weight) to blocks, with
    per-block checks and statistics the driver reads before it iterates. ``d`` is the rows'
    common length (-1 if they differ), so the driver checks sizes without another pass."""
    pid = TaskContext.get().partitionId()
    for idx, batch in enumerate(batches):
        feats = batch.column(0)
        n = len(feats)
        nulls = feats.null_count
        d = 0
        if n and nulls == 0:
            lengths = np.diff(feats.offsets.to_numpy(zero_copy_only=False))
            d = int(lengths[0]) if (lengths == lengths[0]).all() else -1
        values = feats.flatten()
        nulls += values.null_count
        out = {"pid": pid, "idx": idx, "n": n, "d": d, "nulls": nulls,
               "nonfinite": 0, "negative": 0, "zero_norm": 0, "wsum": 0.0, "mean": b"",
               "m2": b"", "x": b"", "w": None}
        w = None
        if has_weight:
            wcol = batch.column(1)
            out["nulls"] += wcol.null_count
            if wcol.null_count == 0:
                w = wcol.to_numpy(zero_copy_only=False).astype(np.float64)
                out["nonfinite"] += int(np.count_nonzero(~np.isfinite(w)))
                out["negative"] = int(np.count_nonzero(w < 0))
        if out["nulls"] or d < 0 or n == 0:
            yield _batch({k: [v] for k, v in out.items()}, _BLOCK_TYPES)
            continue
        x = values.to_numpy(zero_copy_only=False).reshape(n, d).astype(np.float64)
        if cosine:  # spherical k-means: unit rows, normalised once here
            norms = row_norms(x)
            out["zero_norm"] = int(np.count_nonzero(norms == 0))
            x = x / np.where(norms > 0, norms, 1.0)[:, None]
        x = np.ascontiguousarray(x.astype(dtype))  # checked after the cast: float32 overflows
        out["nonfinite"] += int(np.count_nonzero(~np.isfinite(x).all(axis=1)))
        mean = x.mean(axis=0, dtype=np.float64)
        out.update(mean=mean.tobytes(), m2=((x - mean) ** 2).sum(axis=0, dtype=np.float64)
                   .tobytes(), x=x.tobytes(), wsum=float(n if w is None else w.sum()))
        out["w"] = None if w is None else w.tobytes()
        yield _batch({k: [v] for k, v in out.items()}, _BLOCK_TYPES)


_BLOCK_TYPES = {"pid": pa.int32(), "idx": pa.int32(), "n": pa.int64(), "d": pa.int64(),
                "nulls": pa.int64(), "nonfinite": pa.int64(), "negative": pa.int64(),
                "zero_norm": pa.int64(), "wsum": pa.float64(), "mean": pa.binary(),
                "m2": pa.binary(), "x": pa.binary(), "w": pa.binary()}


def arrow_records(batches: Iterator[pa.RecordBatch]) -> Iterator[tuple]:
    """(pid, idx, n, x, w) of each cached block in ``ITER_COLUMNS``' Arrow batches."""
    for batch in batches:
        cols = batch.to_pydict()
        yield from zip(*(cols[name] for name in ITER_COLUMNS))


def blocks_of(records: Iterator[tuple], d: int,
              dtype: str) -> list[tuple[int, np.ndarray, np.ndarray | None]]:
    """(block index, rows, weights) of the blocks in ``records``, in block index order."""
    found = []
    for _, idx, n, x, w in records:
        rows = _aligned(np.frombuffer(x, dtype=dtype).reshape(n, d))
        found.append((idx, rows, None if w is None else _aligned(np.frombuffer(w))))
    return sorted(found, key=lambda b: b[0])


def run(task: Callable[..., dict[str, Any]], names: tuple[str, ...], d: int, dtype: str,
        *args: Any) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A mapInArrow function: ``task(blocks, pid, *args)`` gives the partition's one result
    row (a dict of bytes/floats), sent back with the partition id as the columns ``names``,
    in that order (Spark matches the columns by position)."""
    def body(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        pid = TaskContext.get().partitionId()
        result = task(iter(blocks_of(arrow_records(batches), d, dtype)), pid, *args)
        yield result_batch([(pid, result)], names)
    return body


def result_batch(results: list[tuple[int, dict[str, Any]]],
                 names: tuple[str, ...]) -> pa.RecordBatch:
    """Result rows (partition id, the task's dict) as one batch of columns pid + ``names``."""
    types = {k: RESULT_TYPES[k] for k in ("pid", *names)}
    columns = {"pid": [pid for pid, _ in results],
               **{k: [result[k] for _, result in results] for k in names}}
    return _batch(columns, types)


def result_ipc(results: list[tuple[int, dict[str, Any]]], names: tuple[str, ...]) -> bytes:
    """Result rows as an Arrow IPC stream (what a resident task sends the driver)."""
    batch = result_batch(results, names)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def result_rows(payload: bytes) -> list[dict[str, Any]]:
    """``result_ipc``'s rows back as dicts (parsing Arrow runs no code from the sender)."""
    return pa.ipc.open_stream(payload).read_all().to_pylist()


RESULT_TYPES = {"pid": pa.int32(), "sums": pa.binary(), "weights": pa.binary(),
                "counts": pa.binary(), "cost": pa.float64(), "rows": pa.binary(),
                "extra": pa.binary(), "n": pa.int64()}


def result_schema(*names: str) -> str:
    spark_types = {"binary": "binary", "double": "double", "int32": "int", "int64": "long"}
    return ", ".join(f"{n} {spark_types[str(RESULT_TYPES[n])]}" for n in ("pid", *names))


# -- the tasks ---------------------------------------------------------------------------------


def assign(blocks: Iterator, pid: int, centers: np.ndarray) -> dict[str, Any]:
    """One Lloyd map step: per-cluster sums, weights, row counts and the cost."""
    k, d = centers.shape
    sums, weights = np.zeros((k, d)), np.zeros(k)
    counts, cost = np.zeros(k, dtype=np.int64), 0.0
    for _, x, w in blocks:
        labels, s, wt, inertia = _engine.assign_and_sum(x, w, centers, 1)
        sums += s
        weights += wt
        counts += np.bincount(labels, minlength=k)
        cost += float(inertia)
    return {"sums": sums.tobytes(), "weights": weights.tobytes(), "counts": counts.tobytes(),
            "cost": cost}


def _nearest(x: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = _engine.predict(x, candidates, 1)
    diff = x.astype(np.float64) - candidates[labels].astype(np.float64)
    return np.einsum("ij,ij->i", diff, diff), labels


def oversample(blocks: Iterator, pid: int, candidates: np.ndarray, phi: float, factor: float,
               seeds: np.ndarray) -> dict[str, Any]:
    """Bahmani et al.'s step: keep each row with probability min(1, factor * w d^2 / phi)."""
    rng = np.random.RandomState(seeds[pid])
    kept = []
    for _, x, w in blocks:
        dist, _ = _nearest(x, candidates)
        contribution = dist if w is None else w * dist
        keep = rng.uniform(size=len(x)) * phi < factor * contribution
        kept.append(x[keep].astype(np.float64))
    rows = np.concatenate(kept) if kept else np.zeros((0, candidates.shape[1]))
    return {"rows": rows.tobytes(), "n": len(rows)}


def cost_and_oversample(blocks: Iterator, pid: int, candidates: np.ndarray, factor: float,
                        seeds: np.ndarray, cap: int) -> dict[str, Any]:
    """k-means||'s cost and sampling in one pass, before the total cost phi is known.

    A row is kept iff ``u * phi < factor * w d^2``, i.e. iff ``phi < t = factor * w d^2 / u``.
    phi is at least this partition's cost, so only rows with t above it can be kept: those
    are sent (at most ``cap``, those of largest t, in row order) with their t, and the
    driver keeps those with t > phi. The uniforms are ``oversample``'s, so its pass gives the
    same rows when the cap cut a partition short.
    """
    rng = np.random.RandomState(seeds[pid])
    rows, keys, total = [], [], 0.0
    for _, x, w in blocks:
        dist, _ = _nearest(x, candidates)
        contribution = dist if w is None else w * dist
        total += float(contribution.sum())
        u = rng.uniform(size=len(x))
        with np.errstate(divide="ignore"):
            t = np.where(contribution > 0, factor * contribution / u, 0.0)
        rows.append(x.astype(np.float64))
        keys.append(t)
    d = candidates.shape[1]
    t = np.concatenate(keys) if keys else np.zeros(0)
    keep = np.flatnonzero(t > total)
    keep = np.sort(keep[np.argsort(-t[keep], kind="stable")][:cap])  # back to row order
    x_all = np.concatenate(rows) if rows else np.zeros((0, d))
    return {"cost": total, "rows": x_all[keep].tobytes(), "n": len(keep),
            "extra": t[keep].tobytes()}


def candidate_weights(blocks: Iterator, pid: int, candidates: np.ndarray) -> dict[str, Any]:
    """The weight of the rows nearest to each candidate (k-means||'s final weighting)."""
    weights = np.zeros(len(candidates))
    for _, x, w in blocks:
        _, labels = _nearest(x, candidates)
        weights += np.bincount(labels, weights=w, minlength=len(candidates))
    return {"weights": weights.tobytes()}


def row_at(blocks: Iterator, pid: int, position: float, target: int) -> dict[str, Any]:
    """The row whose weight interval holds ``position`` (in this partition's weight order),
    computed by partition ``target`` only."""
    if pid != target:
        return {"rows": b"", "n": 0}
    last = None
    for _, x, w in blocks:
        weight = float(len(x) if w is None else w.sum())
        if len(x) and position < weight:
            i = int(position) if w is None else int(np.searchsorted(np.cumsum(w), position,
                                                                     side="right"))
            return {"rows": x[min(i, len(x) - 1)].astype(np.float64).tobytes(), "n": 1}
        position -= weight
        if len(x):
            last = x[-1]
    return {"rows": b"" if last is None else last.astype(np.float64).tobytes(),
            "n": 0 if last is None else 1}


def sample(blocks: Iterator, pid: int, fraction: float, seeds: np.ndarray) -> dict[str, Any]:
    """A Bernoulli sample of rows and their weights (init='random')."""
    rng = np.random.RandomState(seeds[pid])
    rows, weights = [], []
    for _, x, w in blocks:
        keep = rng.uniform(size=len(x)) < fraction
        rows.append(x[keep].astype(np.float64))
        weights.append(np.ones(int(keep.sum())) if w is None else w[keep])
    d = rows[0].shape[1] if rows else 0
    rows_all = np.concatenate(rows) if rows else np.zeros((0, d))
    return {"rows": rows_all.tobytes(), "n": len(rows_all),
            "weights": (np.concatenate(weights) if weights else np.zeros(0)).tobytes()}


def farthest(blocks: Iterator, pid: int, centers: np.ndarray, n_far: int) -> dict[str, Any]:
    """The partition's n_far rows farthest from their center (for empty clusters), as
    (distance, block index, row index, label, weight) records plus the rows."""
    records, rows = [], []
    for idx, x, w in blocks:
        dist, labels = _nearest(x, centers)
        index = np.arange(len(x))
        top = np.lexsort((index, -dist))[:n_far]
        weight = np.ones(len(top)) if w is None else w[top]
        records.append(np.column_stack([dist[top], np.full(len(top), idx), index[top],
                                        labels[top], weight]))
        rows.append(x[top].astype(np.float64))
    table = np.concatenate(records) if records else np.zeros((0, 5))
    order = np.lexsort((table[:, 2], table[:, 1], -table[:, 0]))[:n_far]
    d = centers.shape[1]
    return {"extra": table[order].tobytes(), "n": len(order),
            "rows": (np.concatenate(rows)[order] if rows else np.zeros((0, d))).tobytes()}
