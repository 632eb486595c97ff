"""Shared fixtures: small datasets generated here (no downloads)."""

from __future__ import annotations

import os
import signal
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# CI draws the same examples on every run, so a red CI can be reproduced (.ci/run sets
# QM_HYPOTHESIS_PROFILE=ci); elsewhere every run explores new ones.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("QM_HYPOTHESIS_PROFILE", "default"))

# The Ctrl-C tests need SIGINT to reach Python, here and in the commands they start. A
# process started in the background by a non-interactive shell (`cmd &`) inherits SIGINT
# ignored, and so do its children: _thread.interrupt_main then does nothing, the commands
# never see their SIGINT, and test_ctrl_c_is_one_line_and_status_130 waited on a fit of 50
# runs (seen once in CI). Python's own handler here gives the children the default action
# back (exec resets handled signals, not ignored ones), which a terminal's Ctrl-C would find.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def for_each_simd_level(run) -> None:
    """run(level) with each SIMD level the engine was built for set in turn; the original
    level is set again afterwards, also when run fails."""
    from quickmeans import _core

    original = _core.simd_level()
    try:
        for level in _core.simd_levels():
            _core.set_simd_level(level)
            run(level)
    finally:
        _core.set_simd_level(original)


def make_blobs(n: int, d: int, centers: int, *, seed: int = 0, spread: float = 1.0,
               box: float = 10.0, dtype: type = np.float64) -> np.ndarray:
    """Gaussian blobs around `centers` random points in [-box, box]^d."""
    rng = np.random.RandomState(seed)
    means = rng.uniform(-box, box, size=(centers, d))
    which = rng.randint(centers, size=n)
    return (means[which] + spread * rng.randn(n, d)).astype(dtype)


def png_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, after checking the file is a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def blobs() -> np.ndarray:
    return make_blobs(600, 3, 4, seed=1)


def directions(n: int, d: int, k: int, *, seed: int = 0, noise: float = 0.4,
               dtype: type = np.float64) -> np.ndarray:
    """Rows around k random unit directions, with norms spread over [0.2, 5] (which must not
    matter to spherical k-means)."""
    rng = np.random.default_rng(seed)
    axes = rng.standard_normal((k, d))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    X = axes[rng.integers(0, k, n)] + noise * rng.standard_normal((n, d)) / np.sqrt(d)
    X *= rng.uniform(0.2, 5.0, (n, 1))
    return X.astype(dtype)


@pytest.fixture(scope="session")
def spark():
    """One local[2] SparkSession for every Spark test (pyspark imported only when used)."""
    import sys

    from pyspark.sql import SparkSession

    previous = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable  # executors run this interpreter
    session = (SparkSession.builder.master("local[2]").appName("quickmeans-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    if previous is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = previous
