"""Markdown tables (stdout, pasteable into a README) and the results JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.measure import Row

MIB = 1024 * 1024


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        padded = [c.rjust(w) if i in right else c.ljust(w)
                  for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths)]
    return "\n".join([line(header), "|" + "|".join(rule) + "|",
                      *(line(r) for r in rows)])


def _time(row: Row) -> str:
    if row.seconds is None:
        return "—"
    if row.section in ("lloyd", "sparse"):
        return f"{row.seconds * 1e3:.2f} ms/iter"
    if row.section == "predict":
        return f"{row.seconds * 1e3:.1f} ms"
    return f"{row.seconds:.2f} s"


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def _n_iter(row: Row) -> str:
    if row.n_iter is None:
        return "—"
    return f"{row.n_iter:g}" if float(row.n_iter).is_integer() else f"{row.n_iter:.1f}"


def results_table(rows: list[Row]) -> str:
    """Every timed result: time, speed-up vs sklearn, n_iter, inertia, GFLOP/s, % of peak."""
    header = ["case", "data", "library", "time (median)", "× sklearn", "n_iter", "inertia",
              "GFLOP/s", "% peak", "note"]
    body = []
    for r in rows:
        speedup = "—" if r.speedup is None else f"{r.speedup:.2f}"
        if r.baseline and r.baseline != "sklearn":
            speedup += "†"
        body.append([
            r.case, r.title, r.peer, _time(r), speedup, _n_iter(r),
            _num(r.inertia, ".6g"), _num(r.gflops, ".1f"),
            _num(None if r.peak_fraction is None else 100 * r.peak_fraction, ".0f"),
            r.note,
        ])
    return _table(header, body, right={3, 4, 5, 6, 7, 8})


def peak_table(peaks: list[dict[str, Any]]) -> str:
    body = [[p["dtype"], f"{p['n']}³", f"{p['seconds'] * 1e3:.0f} ms", f"{p['gflops']:.1f}",
             p.get("kernels", "")] for p in peaks]
    return _table(["dtype", "matmul", "time (best)", "GFLOP/s", "BLAS kernels"], body,
                  right={1, 2, 3})


def memory_table(results: list[dict[str, Any]]) -> str:
    """Peak RSS growth of a fit against the size of X and of the labels."""
    body = []
    for m in results:
        shape = f"{m['n']:,} x {m['d']}, k={m['k']}"
        if m.get("density"):
            shape = f"{m['n']:,} x {m['d']:,} CSR, density {m['density']:g}, k={m['k']}"
        if "error" in m:
            body.append([m["library"], m["dtype"], shape, "—", "—", "—", "—",
                         f"error: {' '.join(m['error'])}"])
            continue
        verdict = "copy of X" if m["copy_of_x"] else "no copy of X"
        body.append([
            m["library"], m["dtype"], shape, f"{m['x_bytes'] / MIB:.1f}",
            f"{m['labels_bytes'] / MIB:.1f}", f"{m['peak_growth_bytes'] / MIB:.1f}",
            f"{m['growth_over_x']:.2f}", verdict,
        ])
    return _table(["library", "dtype", "data", "X (MiB)", "labels n·4 (MiB)",
                   "peak RSS growth (MiB)", "growth / X", "verdict"], body,
                  right={3, 4, 5, 6})


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically (a .tmp file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    tmp.replace(path)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
