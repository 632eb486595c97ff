"""The console script, run as a user would: through a subprocess."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from quickmeans.datasets import three_blobs


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("launcher", ["script", "module"])
def test_demo_prints_centers_inertia_iterations_time(launcher: str) -> None:
    if launcher == "script":
        exe = shutil.which("quickmeans")
        if exe is None:
            pytest.fail("the quickmeans console script is not installed")
        result = run(exe, "demo")
    else:
        result = run(sys.executable, "-m", "quickmeans", "demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    centers = [tuple(float(v) for v in m.split(","))
               for m in re.findall(r"center \(([^)]*)\)", out)]
    assert len(centers) == 3
    # Each printed center is near one of the blob means it was generated from.
    X, y = three_blobs()
    means = np.array([X[y == j].mean(axis=0) for j in range(3)])
    for c in centers:
        assert np.min(np.linalg.norm(means - np.array(c), axis=1)) < 0.05
    inertia = float(re.search(r"inertia: ([0-9.]+)", out).group(1))
    assert 0 < inertia < 300 * 2 * 0.7**2 * 1.5
    assert int(re.search(r"iterations: (\d+)", out).group(1)) >= 1
    assert re.search(r"time: [0-9.]+ ms", out)


def test_help_and_bad_usage() -> None:
    assert "demo" in run(sys.executable, "-m", "quickmeans", "--help").stdout
    assert "blobs" in run(sys.executable, "-m", "quickmeans", "demo", "--help").stdout
    bad = run(sys.executable, "-m", "quickmeans", "demo", "-k", "0")
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
    assert "n_clusters" in bad.stderr
