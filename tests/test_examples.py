"""The scripts in examples/ run as documented and say something sensible.

Each example runs in a fresh interpreter (``python examples/<name>.py``, with warnings as
errors, like this test suite), exactly as a user would run it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, timeout: float = 120.0) -> str:
    """Run one example; fail with its output unless it exits 0. Returns its stdout."""
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLES / name)],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=EXAMPLES.parent,
    )
    assert proc.returncode == 0, f"{name} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def recommendations(output: str, keywords: str) -> list[str]:
    """The genres ("[space]") of the movies listed under one query's heading."""
    block = output.split(f"Recommendations for {keywords!r}", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"^\s+\d\.\d+\s+\[(\w+)\]", block, flags=re.MULTILINE)


def test_text_recommendations() -> None:
    pytest.importorskip("sklearn")
    out = run_example("text_recommendations.py")
    assert "csr_matrix" in out or "csr_array" in out  # the fit really got sparse input
    ari = float(re.search(r"adjusted Rand index .*: ([-\d.]+)", out).group(1))
    assert ari > 0.9, out  # the clusters are the hidden genres
    assert len(re.findall(r"^  cluster \d+ ", out, flags=re.MULTILINE)) == 6
    for keywords, genre in [("rocket to Mars", "space"), ("alien signal", "space"),
                            ("chef opens a restaurant", "cooking")]:
        assert recommendations(out, keywords) == [genre] * 5, out
    assert "Recommendations for 'xyzzy': none" in out
