"""Benchmark quickmeans against scikit-learn, sklearnex and FAISS: ``python bench/run.py``.

All libraries run in this one process, on the same data and, where the case says so, from
the same explicit init, with the same thread count. Prints markdown tables to stdout
(progress to stderr) and writes ``<out>/latest.json`` and ``<out>/latest.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cases as cases_mod  # noqa: E402
from bench import chart, convergence, machine, memory, peak, report  # noqa: E402
from bench.measure import (  # noqa: E402
    Outcome,
    Row,
    log,
    run_e2e,
    run_lloyd,
    run_predict,
    run_sparse,
)
from bench.peers import PEER_CLASSES, Peer  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small shapes: a smoke test of the whole harness (~30 s)")
    parser.add_argument("--cases", default="all",
                        help=f"comma-separated groups ({', '.join(cases_mod.GROUPS)}) or case "
                             "ids (L1, E1, P1, ...); default: all")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed repeats per measurement; the median is reported")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="directory for latest.json and latest.png (default: bench/results)")
    parser.add_argument("--peers", default=",".join(PEER_CLASSES),
                        help="comma-separated libraries to run (default: all installed)")
    parser.add_argument("--threads", type=int, default=_usable_cores(),
                        help="threads for every library (default: all usable cores)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    unknown = set(args.peers.split(",")) - set(PEER_CLASSES)
    if unknown:
        parser.error(f"unknown peers: {', '.join(sorted(unknown))}")
    return args


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def select(suite: cases_mod.Suite, spec: str) -> tuple[dict[str, list[Any]], set[str]]:
    """The cases ``--cases`` names, per group, and the groups that were named."""
    wanted = {s.strip() for s in spec.split(",") if s.strip()}
    if not wanted or "all" in wanted:
        wanted = set(cases_mod.GROUPS)
    groups = {
        "lloyd": [c for c in suite.lloyd if "lloyd" in wanted or c.id in wanted],
        "e2e": [c for c in suite.e2e if "e2e" in wanted or c.id in wanted],
        "predict": [c for c in suite.predict if "predict" in wanted or c.id in wanted],
        "sparse": [c for c in suite.sparse if "sparse" in wanted or c.id in wanted],
    }
    known = set(cases_mod.GROUPS) | {
        c.id for g in (suite.lloyd, suite.e2e, suite.predict, suite.sparse) for c in g}
    unknown = wanted - known
    if unknown:
        raise SystemExit(f"bench/run.py: unknown cases: {', '.join(sorted(unknown))}")
    return groups, wanted


def make_peers(names: list[str], threads: int) -> tuple[list[Peer], dict[str, str]]:
    """Instantiate and import each library; the ones that fail are reported, not run."""
    peers, status = [], {}
    for name in names:
        peer = PEER_CLASSES[name](threads)
        if peer.load():
            peers.append(peer)
            status[name] = peer.version()
        else:
            status[name] = peer.reason
            log(f"{name}: {peer.reason} — skipped")
    return peers, status


def keep_earlier_figures(path: Path, payload: dict[str, Any], rows: list[Row]) -> list[Row]:
    """Merges into payload what the last run written to `path` measured and this one did not
    (its cases' rows, and the convergence, scaling, memory and GEMM peak sections): a run of
    a few cases, as the README's commands make, would otherwise wipe the others' figures.
    payload["case_started"] says which run each case's figures come from. Returns the rows
    for the chart: this run's and the kept ones."""
    started = {row.case: payload["started"] for row in rows}
    try:
        earlier = json.loads(path.read_text())
    except (OSError, ValueError):
        earlier = None
    if not isinstance(earlier, dict) or earlier.get("quick") != payload["quick"]:
        payload["case_started"] = started
        return rows
    earlier_started = earlier.get("case_started", {})
    kept = [Row(**r) for r in earlier.get("results", []) if r.get("case") not in started]
    for row in kept:
        started.setdefault(row.case, earlier_started.get(row.case, earlier.get("started")))
    payload["results"] = payload["results"] + [row.as_dict() for row in kept]
    for section in ("convergence", "scaling"):
        if section not in payload and section in earlier:
            payload[section] = earlier[section]
    for section in ("memory", "gemm_peak"):
        if not payload.get(section) and earlier.get(section):
            payload[section] = earlier[section]
    payload["case_started"] = started
    return rows + kept


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    suite = cases_mod.QUICK if args.quick else cases_mod.FULL
    groups, wanted = select(suite, args.cases)
    from threadpoolctl import threadpool_limits

    peers, status = make_peers(args.peers.split(","), args.threads)

    def variant(peer: Peer, algorithm: str) -> Peer:
        other = type(peer)(args.threads, algorithm)
        other.load()
        return other

    payload: dict[str, Any] = {
        "quick": args.quick,
        "repeats": args.repeats,
        "machine": machine.info(peers, args.threads),
        "peers": status,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    rows: list[Row] = []
    warnings: list[str] = []
    peaks: list[dict[str, Any]] = []
    memory_results: list[dict[str, Any]] = []

    def take(outcome: Outcome) -> None:
        rows.extend(outcome.rows)
        warnings.extend(outcome.warnings)

    with threadpool_limits(limits=args.threads):
        need_peak = "peak" in wanted or groups["lloyd"] or groups["predict"]
        if need_peak:
            for dtype in ("float32", "float64"):
                log(f"[peak] numpy matmul {dtype}")
                peaks.append(peak.best_gemm_peak(dtype, args.threads, suite.gemm_target_seconds,
                                                 suite.gemm_max_n, max(5, args.repeats)))
        peak_by_dtype = {p["dtype"]: p["gflops"] for p in peaks}
        for case in groups["lloyd"]:
            take(run_lloyd(case, peers, variant, args.repeats, peak_by_dtype,
                           suite.settle_seconds))
        for case in groups["e2e"]:
            take(run_e2e(case, peers, suite.settle_seconds))
        for case in groups["predict"]:
            take(run_predict(case, peers, args.repeats, peak_by_dtype, suite.settle_seconds))
        for case in groups["sparse"]:
            take(run_sparse(case, peers, args.repeats, suite.settle_seconds))
        if "convergence" in wanted:
            payload["convergence"] = convergence.run_convergence(args.threads, args.repeats,
                                                                 args.quick)
        if "scaling" in wanted:
            payload["scaling"] = convergence.run_scaling(args.threads, args.repeats, args.quick)
    if "memory" in wanted:
        mem = suite.memory
        for library in mem.libraries:
            if library not in {p.library for p in peers}:
                continue
            for dtype in mem.dtypes:
                log(f"[memory] {library} {dtype} {mem.n} x {mem.d} in a child process")
                memory_results.append(memory.measure(library, dtype, mem.n, mem.d, mem.k,
                                                     mem.max_iter, args.threads))
        sp = suite.sparse_memory
        for library in sp.libraries:
            if library not in {p.library for p in peers}:
                continue
            for dtype in sp.dtypes:
                log(f"[memory] {library} {dtype} {sp.n} x {sp.d} CSR in a child process")
                memory_results.append(memory.measure(library, dtype, sp.n, sp.d, sp.k,
                                                     sp.max_iter, args.threads, sp.density))
    elapsed = time.perf_counter() - started

    for m in memory_results:
        if m.get("library") == "quickmeans" and m.get("copy_of_x"):
            kind = "sparse " if m.get("density") else ""
            warnings.append(f"memory: quickmeans {kind}{m['dtype']} fit grew RSS by "
                            f"{m['growth_over_x']:.2f} x the size of X (a copy of X?)")

    payload.update({
        "elapsed_seconds": elapsed,
        "gemm_peak": peaks,
        "results": [r.as_dict() for r in rows],
        "memory": memory_results,
        "warnings": warnings,
    })
    info = payload["machine"]
    print(_header(info, status, args, elapsed))
    if rows:
        print("\n" + report.results_table(rows))
        print("\n× sklearn = sklearn's time / this time (> 1: faster than sklearn); "
              "† = against sklearn running the same algorithm. lloyd cases: tol=0, fixed "
              "max_iter, same explicit init; GFLOP/s = 2·n·k·d / time per iteration; "
              "% peak = of numpy matmul in the same dtype. sparse cases: the same on CSR X "
              "(dense init); GFLOP/s = 2·nnz·k / time per iteration.")
    if peaks:
        print("\nGEMM peak (numpy matmul, same threads; OpenBLAS's AVX-512 kernels where it "
              "picked AVX2 ones on an AVX-512 CPU, bench/peak.py):\n\n" + report.peak_table(peaks))
    if memory_results:
        print("\nMemory: peak RSS growth of one fit in a fresh process, over the RSS after "
              "X was made:\n\n" + report.memory_table(memory_results))
    if "convergence" in payload:
        print("\nTime to convergence from one shared k-means++ init, default tol (× = that "
              "sklearn time / this time):\n\n" + convergence.convergence_table(
                  payload["convergence"]))
    if "scaling" in payload:
        print("\nHow cost grows (time per iteration while n, then k, doubles):\n\n"
              + convergence.scaling_table(payload["scaling"]))
        args.out.mkdir(parents=True, exist_ok=True)
        convergence.scaling_chart(payload["scaling"], args.out / "scaling.png")
    for w in warnings:
        print(f"\nWARNING: {w}")

    out: Path = args.out
    rows = keep_earlier_figures(out / "latest.json", payload, rows)
    report.write_json(out / "latest.json", payload)
    title = (f"quickmeans vs peers, {info['cpu_model']}, {args.threads} threads"
             + (" (--quick)" if args.quick else ""))
    drew = chart.speedup_chart(rows, out / "latest.png", title)
    log(f"wrote {out / 'latest.json'}" + (f" and {out / 'latest.png'}" if drew else ""))
    log(f"total {elapsed:.1f} s")
    return 0


def _header(info: dict[str, Any], status: dict[str, str], args: argparse.Namespace,
            elapsed: float) -> str:
    libs = ", ".join(f"{name} {version}" for name, version in status.items())
    return (
        f"## quickmeans benchmark{' (--quick)' if args.quick else ''}\n\n"
        f"- CPU: {info['cpu_model']}, {info['usable_cores']} usable cores, "
        f"{args.threads} threads for every library; quickmeans SIMD: "
        f"{info['quickmeans_simd_level']}\n"
        f"- {libs}; numpy {info['numpy']}, Python {info['python']}\n"
        f"- median of {args.repeats} repeats; run took {elapsed:.0f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
