"""Runs the cases on the peers: timing loops, speedups, GFLOP/s and agreement checks.

Repeats are interleaved (repeat 1 of every peer, then repeat 2, ...) so that noise from a
shared machine spreads over all libraries instead of hitting one. Before each timed call the
harness sleeps briefly: the libraries bring their own thread pools (several OpenMP
runtimes, OpenBLAS, TBB) whose workers spin for a while after a parallel region and would
otherwise steal the cores from the next library.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from bench.cases import EndToEndCase, LloydCase, PredictCase, SparseCase
from bench.peers import FitResult, Peer


@dataclass
class Row:
    """One line of a results table."""

    section: str
    case: str
    title: str
    peer: str
    library: str
    algorithm: str
    dtype: str
    #: Median seconds: per iteration (lloyd), per fit (e2e) or per predict (predict).
    seconds: float | None
    times: list[float] = field(default_factory=list)
    n_iter: float | None = None
    inertia: float | None = None
    #: Baseline seconds / these seconds: > 1 is faster than scikit-learn.
    speedup: float | None = None
    baseline: str | None = None
    gflops: float | None = None
    peak_fraction: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Outcome:
    """The rows of a section plus the warnings its checks raised."""

    rows: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


#: Idle time before each timed call, for the previous library's spinning workers to sleep.
SETTLE_SECONDS = 0.2
def settle(seconds: float = SETTLE_SECONDS) -> None:
    """Let other thread pools go idle before timing."""
    time.sleep(seconds)


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the tables."""
    print(message, file=sys.stderr, flush=True)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def _set_speedups(rows: list[Row]) -> None:
    """Against sklearn running the same algorithm when there is such a row, else sklearn."""
    by_peer = {r.peer: r for r in rows}
    for row in rows:
        base = by_peer.get(f"sklearn ({row.algorithm})") or by_peer.get("sklearn")
        if base is not None and base.seconds and row.seconds:
            row.speedup = base.seconds / row.seconds
            row.baseline = base.peer


def _lloyd_peers(case: LloydCase, peers: list[Peer], make: Any) -> list[Peer]:
    """The Lloyd peers plus, per extra algorithm, the peers that implement it."""
    chosen = list(peers)
    for algorithm in case.extra_algorithms:
        for peer in peers:
            if algorithm in type(peer).algorithms:
                chosen.append(make(peer, algorithm))
    return chosen


def run_lloyd(case: LloydCase, peers: list[Peer], make: Any, repeats: int,
              peak: dict[str, float], settle_s: float = SETTLE_SECONDS) -> Outcome:
    """Fixed-iteration Lloyd from one explicit init: per-iteration time = fit / n_iter_."""
    out = Outcome()
    log(f"[{case.id}] {case.title}: generating data")
    X, init = case.data()
    active = _lloyd_peers(case, peers, make)
    for peer in active:  # warm-up: one iteration each
        peer.fit(X, init, 1, 0.0)
    results: dict[str, list[FitResult]] = {p.label: [] for p in active}
    for rep in range(repeats):
        for peer in active:
            settle(settle_s)
            res = peer.fit(X, init, case.max_iter, 0.0)
            results[peer.label].append(res)
            log(f"[{case.id}] rep {rep + 1}/{repeats} {peer.label:<22} {res.seconds:8.3f} s"
                f"  n_iter={res.n_iter}  inertia={res.inertia:.6g}")
    for peer in active:
        runs = results[peer.label]
        per_iter = [r.seconds / max(r.n_iter, 1) for r in runs]
        seconds = statistics.median(per_iter)
        gflops = case.flops_per_iter / seconds / 1e9
        dtype_peak = peak.get(case.dtype)
        notes = sorted({r.note for r in runs if r.note})
        out.rows.append(Row(
            "lloyd", case.id, case.title, peer.label, peer.library, peer.algorithm, case.dtype,
            seconds, per_iter, runs[-1].n_iter, runs[-1].inertia,
            gflops=gflops, peak_fraction=gflops / dtype_peak if dtype_peak else None,
            note="; ".join(notes),
        ))
    _set_speedups(out.rows)
    out.warnings += _check_lloyd(case.id, case.title, results,
                                 1e-4 if case.dtype == "float32" else 1e-7, case.extra_algorithms)
    del X
    return out


def _check_lloyd(case_id: str, title: str, results: dict[str, list[FitResult]], rtol: float,
                 extra_algorithms: tuple[str, ...] = ()) -> list[str]:
    """quickmeans must match sklearn from the same init: same n_iter, inertia close."""
    found = []
    pairs = [("quickmeans", "sklearn")]
    pairs += [(f"quickmeans ({a})", f"sklearn ({a})") for a in extra_algorithms]
    pairs += [(f"quickmeans ({a})", "quickmeans") for a in extra_algorithms]
    for mine, theirs in pairs:
        if not results.get(mine) or not results.get(theirs):
            continue
        a, b = results[mine][-1], results[theirs][-1]
        if a.n_iter != b.n_iter or _rel(a.inertia, b.inertia) > rtol:
            found.append(
                f"{case_id} {title}: {mine} n_iter={a.n_iter} inertia={a.inertia:.9g} vs "
                f"{theirs} n_iter={b.n_iter} inertia={b.inertia:.9g} "
                f"(rel diff {_rel(a.inertia, b.inertia):.2e}, tolerance {rtol:g})"
            )
        if not all(r.n_iter == a.n_iter and r.inertia == a.inertia for r in results[mine]):
            found.append(f"{case_id}: {mine} is not deterministic across repeats")
    return found


#: Inertia agreement asked of quickmeans and sklearn on sparse input: loose enough for
#: sums taken in another order, tight enough to catch a different clustering.
SPARSE_RTOL = 1e-6


def run_sparse(case: SparseCase, peers: list[Peer], repeats: int,
               settle_s: float = SETTLE_SECONDS) -> Outcome:
    """Fixed-iteration Lloyd on CSR X from one dense explicit init, like ``run_lloyd``.

    Unlike the dense cases, a library may fail here (no sparse support, or a version that
    refuses sparse input): it gets a row with the reason instead of stopping the run. A
    library whose one-iteration warm-up is very slow is skipped, and one whose fits are
    slow gets a single repeat, both with a note.
    """
    out = Outcome()
    log(f"[{case.id}] {case.title}: generating data")
    X, init = case.data()
    notes: dict[str, list[str]] = {p.label: [] for p in peers}
    active: list[Peer] = []
    for peer in peers:
        if peer.no_sparse:
            notes[peer.label].append(f"skipped: {peer.no_sparse}")
            continue
        try:  # warm-up: one iteration, which also tells a hopeless library
            warm = peer.fit(X, init, 1, 0.0).seconds
        except Exception as exc:  # noqa: BLE001 - any failure becomes a note
            notes[peer.label].append(_error_note(exc))
            log(f"[{case.id}] {peer.label}: {_error_note(exc)}")
            continue
        if warm > case.skip_warmup_seconds:
            notes[peer.label].append(f"skipped: one iteration took {warm:.1f} s")
            log(f"[{case.id}] {peer.label}: one iteration took {warm:.1f} s — skipped")
            continue
        active.append(peer)
    results: dict[str, list[FitResult]] = {p.label: [] for p in peers}
    for rep in range(repeats):
        for peer in list(active):
            settle(settle_s)
            try:
                res = peer.fit(X, init, case.max_iter, 0.0)
            except Exception as exc:  # noqa: BLE001
                notes[peer.label].append(_error_note(exc))
                active.remove(peer)
                continue
            results[peer.label].append(res)
            log(f"[{case.id}] rep {rep + 1}/{repeats} {peer.label:<22} {res.seconds:8.3f} s"
                f"  n_iter={res.n_iter}  inertia={res.inertia:.6g}")
            if res.seconds > case.slow_fit_seconds and rep + 1 < repeats:
                notes[peer.label].append(f"1 repeat (a fit took {res.seconds:.1f} s)")
                active.remove(peer)
    for peer in peers:
        runs = results[peer.label]
        note = "; ".join(notes[peer.label] + sorted({r.note for r in runs if r.note}))
        if not runs:
            out.rows.append(Row("sparse", case.id, case.title, peer.label, peer.library,
                                peer.algorithm, case.dtype, None, note=note))
            continue
        per_iter = [r.seconds / max(r.n_iter, 1) for r in runs]
        seconds = statistics.median(per_iter)
        out.rows.append(Row(
            "sparse", case.id, case.title, peer.label, peer.library, peer.algorithm,
            case.dtype, seconds, per_iter, runs[-1].n_iter, runs[-1].inertia,
            gflops=case.flops_per_iter / seconds / 1e9, note=note,
        ))
    _set_speedups(out.rows)
    out.warnings += _check_lloyd(case.id, case.title, results, SPARSE_RTOL)
    if "quickmeans" in results and not results["quickmeans"]:
        out.warnings.append(f"{case.id}: no quickmeans result on sparse input "
                            f"({'; '.join(notes.get('quickmeans', [])) or 'not run'})")
    del X
    return out


def _error_note(exc: BaseException) -> str:
    """``error: TypeError: first line of the message`` (at most ~120 characters)."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return "error: " + (text if len(text) <= 120 else text[:117] + "...")


def run_e2e(case: EndToEndCase, peers: list[Peer], settle_s: float = SETTLE_SECONDS) -> Outcome:
    """Default fit per seed: median time, mean inertia, inertia vs sklearn in %."""
    out = Outcome()
    log(f"[{case.id}] {case.title}: generating data")
    X = case.data()
    warm = X[: min(X.shape[0], 50 * case.k)]
    for peer in peers:
        peer.fit_default(warm, case.k, 0)
    results: dict[str, list[FitResult]] = {p.label: [] for p in peers}
    for seed in case.seeds:
        for peer in peers:
            settle(settle_s)
            res = peer.fit_default(X, case.k, seed)
            results[peer.label].append(res)
            log(f"[{case.id}] seed {seed} {peer.label:<22} {res.seconds:8.3f} s"
                f"  n_iter={res.n_iter}  inertia={res.inertia:.6g}")
    sk = results.get("sklearn")
    sk_mean = statistics.fmean(r.inertia for r in sk) if sk else None
    for peer in peers:
        runs = results[peer.label]
        mean_inertia = statistics.fmean(r.inertia for r in runs)
        notes = sorted({r.note for r in runs if r.note})
        if sk_mean:
            notes.insert(0, f"inertia {100 * (mean_inertia / sk_mean - 1):+.3f}% vs sklearn")
        out.rows.append(Row(
            "e2e", case.id, case.title, peer.label, peer.library, peer.algorithm, case.dtype,
            statistics.median(r.seconds for r in runs), [r.seconds for r in runs],
            statistics.fmean(r.n_iter for r in runs), mean_inertia, note="; ".join(notes),
        ))
    _set_speedups(out.rows)
    qm = results.get("quickmeans")
    if qm and sk:
        by_label = {p.label: p for p in peers}
        for seed, a, b in zip(case.seeds, qm, sk):
            if a.n_iter != b.n_iter or _rel(a.inertia, b.inertia) > 1e-4:
                out.warnings.append(
                    f"{case.id} seed {seed}: quickmeans n_iter={a.n_iter} "
                    f"inertia={a.inertia:.9g} vs sklearn n_iter={b.n_iter} "
                    f"inertia={b.inertia:.9g} (rel diff {_rel(a.inertia, b.inertia):.2e}); "
                    + _plusplus_diagnosis(by_label["quickmeans"], by_label["sklearn"], X,
                                          case.k, seed)
                )
    del X
    return out


def _plusplus_diagnosis(mine: Peer, theirs: Peer, X: np.ndarray, k: int, seed: int) -> str:
    """Where a disagreement starts: do both k-means++ pick the same rows for this seed?"""
    a = mine.plusplus_indices(X, k, seed)
    b = theirs.plusplus_indices(X, k, seed)
    if a is None or b is None:
        return "k-means++ not compared"
    if np.array_equal(a, b):
        return "same k-means++ rows: the Lloyd iterations diverge"
    first = int(np.argmax(a != b))
    return f"k-means++ picks different rows from center {first} on"


def run_predict(case: PredictCase, peers: list[Peer], repeats: int,
                peak: dict[str, float], settle_s: float = SETTLE_SECONDS) -> Outcome:
    """predict of all of X, every library with the same centers.

    Each library fits its own model once (first rows of X, same init), then gets the
    reference centers (sklearn's, else the first peer's) so that predict alone is compared.
    """
    out = Outcome()
    log(f"[{case.id}] {case.title}: generating data, fitting models")
    X, init = case.data()
    fit_rows = X[: case.fit_rows]
    models = {p.label: p.fitted(fit_rows, init, case.fit_iter) for p in peers}
    reference_peer = next((p for p in peers if p.label == "sklearn"), peers[0])
    centers = np.array(models[reference_peer.label].cluster_centers_
                       if reference_peer.library != "faiss"
                       else models[reference_peer.label].centroids)
    for peer in peers:
        peer.set_centers(models[peer.label], centers)
    calls: dict[str, int] = {}
    for peer in peers:  # warm-up, and how many calls make one repeat
        peer.predict(models[peer.label], X[:10_000])
        first, _ = peer.predict(models[peer.label], X)
        calls[peer.label] = max(1, min(50, math.ceil(case.min_seconds / max(first, 1e-6))))
    times: dict[str, list[float]] = {p.label: [] for p in peers}
    labels: dict[str, np.ndarray] = {}
    for rep in range(repeats):
        for peer in peers:
            settle(settle_s)
            for _ in range(calls[peer.label]):
                seconds, labels[peer.label] = peer.predict(models[peer.label], X)
                times[peer.label].append(seconds)
            log(f"[{case.id}] rep {rep + 1}/{repeats} {peer.label:<22} "
                f"{statistics.median(times[peer.label][-calls[peer.label]:]):8.4f} s "
                f"(median of {calls[peer.label]} calls)")
    reference = labels.get("sklearn")
    for peer in peers:
        seconds = statistics.median(times[peer.label])
        gflops = case.flops / seconds / 1e9
        dtype_peak = peak.get(case.dtype)
        note = ""
        if reference is not None:
            same = float(np.mean(labels[peer.label] == reference))
            note = f"labels = sklearn's: {100 * same:.3f}%"
            if peer.library == "quickmeans" and same < 0.999:
                out.warnings.append(f"{case.id}: quickmeans predict agrees with sklearn on "
                                    f"only {100 * same:.3f}% of the points")
        out.rows.append(Row(
            "predict", case.id, case.title, peer.label, peer.library, peer.algorithm,
            case.dtype, seconds, times[peer.label], gflops=gflops,
            peak_fraction=gflops / dtype_peak if dtype_peak else None, note=note,
        ))
    _set_speedups(out.rows)
    del X
    return out
