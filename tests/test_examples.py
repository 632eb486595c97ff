"""The scripts in examples/ run as documented and say something sensible.

Each example runs in a fresh interpreter (``python examples/<name>.py``, with warnings as
errors, like this test suite), exactly as a user would run it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import png_size

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str, timeout: float = 120.0) -> str:
    """Run one example (with command-line ``args``); fail with its output unless it exits 0.
    Returns its stdout."""
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name), *args],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=EXAMPLES.parent,
    )
    assert proc.returncode == 0, f"{name} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def recommendations(output: str, keywords: str) -> list[str]:
    """The genres ("[space]") of the movies listed under one query's heading."""
    block = output.split(f"Recommendations for {keywords!r}", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\s+\d\.\d+\s+\[(\w+)\]", block, flags=re.MULTILINE)


def test_text_recommendations() -> None:
    out = run_example("text_recommendations.py")
    assert "csr_matrix" in out or "csr_array" in out  # the fit really got sparse input
    ari = float(re.search(r"adjusted Rand index .*: ([-\d.]+)", out).group(1))
    assert ari > 0.9, out  # the clusters are the hidden genres
    assert len(re.findall(r"^  cluster \d+ ", out, flags=re.MULTILINE)) == 6
    for keywords, genre in [("rocket to Mars", "space"), ("alien signal", "space"),
                            ("chef opens a restaurant", "cooking")]:
        assert recommendations(out, keywords) == [genre] * 5, out
    assert "Recommendations for 'xyzzy': none" in out


def test_three_blobs(tmp_path: Path) -> None:
    out = run_example("three_blobs.py", "--out", str(tmp_path))
    centers = np.array(re.findall(r"^  center \d: \(\s*([-\d.]+),\s*([-\d.]+)\)", out,
                                  flags=re.MULTILINE), dtype=float)
    # The means three_blobs draws around (quickmeans/datasets.py), 100 points each.
    true_means = np.array([[-2.5, 0.5], [2.0, 3.0], [1.5, -2.5]])
    assert centers.shape == (3, 2), out
    distance = np.linalg.norm(centers[:, None] - true_means[None], axis=2)
    assert sorted(distance.argmin(axis=1)) == [0, 1, 2], out  # one center per blob
    assert distance.min(axis=1).max() < 0.3, out
    assert png_size(tmp_path / "clusters.png") == (600, 500)
    assert (tmp_path / "clusters.png").stat().st_size < 150_000


def test_color_quantization(tmp_path: Path) -> None:
    out = run_example("color_quantization.py", "--out", str(tmp_path))
    before = int(re.search(r"colours before: (\d+)", out).group(1))
    after = int(re.search(r"colours after: (\d+)", out).group(1))
    mse = float(re.search(r"mean squared error .*: ([\d.]+)", out).group(1))
    assert before > 10_000 and after == 16, out
    assert 0 < mse < 400, out  # an RMSE of under 20 levels out of 255
    assert png_size(tmp_path / "quantization.png")[0] > 0


def test_elbow_digits(tmp_path: Path) -> None:
    out = run_example("elbow_digits.py", "--out", str(tmp_path))
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+([-\d.]+)", out, flags=re.MULTILINE)
    assert [int(k) for k, _, _ in rows] == list(range(2, 16)), out
    inertia = [float(i) for _, i, _ in rows]
    assert inertia == sorted(inertia, reverse=True), out  # more clusters, less inertia
    suggested = int(re.search(r"suggested k: (\d+)", out).group(1))
    assert 5 <= suggested <= 14, out  # around the 10 digits
    assert png_size(tmp_path / "elbow.png") == (600, 500)
    assert (tmp_path / "elbow.png").stat().st_size < 150_000


def test_anomaly_detection(tmp_path: Path) -> None:
    out = run_example("anomaly_detection.py", "--out", str(tmp_path))
    recall = float(re.search(r"recall: ([\d.]+)", out).group(1))
    precision = float(re.search(r"precision: ([\d.]+)", out).group(1))
    assert recall >= 0.9, out
    assert precision > 0.5, out  # 50 anomalies vs about 1% of 2000 normal points flagged
    assert png_size(tmp_path / "anomalies.png") == (600, 500)
