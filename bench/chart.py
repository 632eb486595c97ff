"""PNG bar chart: speed-up over scikit-learn per case and library (log scale)."""

from __future__ import annotations

from pathlib import Path

from bench.measure import Row

COLORS = {
    "quickmeans": "#d62728",
    "quickmeans (elkan)": "#ff9896",
    "sklearn": "#7f7f7f",
    "sklearn (elkan)": "#c7c7c7",
    "sklearnex": "#1f77b4",
    "faiss": "#2ca02c",
}


def speedup_chart(rows: list[Row], path: Path, title: str) -> bool:
    """Grouped bars, one group per case; False when matplotlib is missing or no data."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter, NullFormatter
    except ImportError:
        return False
    rows = [r for r in rows if r.speedup is not None]
    if not rows:
        return False
    cases = list(dict.fromkeys(r.case for r in rows))
    titles = {r.case: r.title for r in rows}
    peers = list(dict.fromkeys(r.peer for r in rows))
    width = 0.8 / len(peers)
    fig, ax = plt.subplots(figsize=(max(8.0, 1.6 * len(cases) + 3), 5.0), dpi=120)
    for j, peer in enumerate(peers):
        xs, ys = [], []
        for i, case in enumerate(cases):
            row = next((r for r in rows if r.case == case and r.peer == peer), None)
            if row is not None and row.speedup:
                xs.append(i - 0.4 + (j + 0.5) * width)
                ys.append(row.speedup)
        bars = ax.bar(xs, ys, width=width, label=peer, color=COLORS.get(peer))
        ax.bar_label(bars, labels=[f"{y:.1f}" for y in ys], fontsize=7, padding=1)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    speedups = [r.speedup for r in rows if r.speedup]
    low, high = min(min(speedups), 1.0) / 1.3, max(max(speedups), 1.0) * 1.5
    ax.set_ylim(low, high)
    ax.set_yticks([t for t in (0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20, 50, 100) if low <= t <= high])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("speed-up over scikit-learn (×, log scale)")
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels([f"{c}\n{titles[c].replace(', ', chr(10), 1)}" for c in cases],
                       fontsize=8)
    ax.set_title(title + "\n(elkan rows: against sklearn's elkan)"
                 if any("(" in p for p in peers) else title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return True
