"""What the benchmark ran on: CPU, cores, memory, library versions, BLAS and SIMD level."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.peers import Peer, QuickMeansPeer


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (platform's guess elsewhere)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """The AVX-512 / AVX2 / FMA flags the kernel reports."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    return sorted(f for f in flags if f.startswith(("avx", "fma", "amx")))
    except OSError:
        pass
    return []


def memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def repo_head() -> str | None:
    """The repo's HEAD commit (+ "-dirty"); the installed quickmeans may predate it."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("-dirty" if dirty.strip() else "")


def info(peers: list[Peer], threads: int) -> dict[str, Any]:
    """Everything about the machine and the libraries, for results JSON and the header."""
    import numpy as np
    import threadpoolctl

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    libraries: dict[str, str] = {}
    simd = "unknown"
    for peer in peers:
        if peer.library in libraries:
            continue
        libraries[peer.library] = peer.version() if peer.load() else peer.reason
        if isinstance(peer, QuickMeansPeer) and peer.load():
            simd = peer.simd_level()
    blas = [
        {k: entry.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
        for entry in threadpoolctl.threadpool_info()
    ]
    return {
        "cpu_model": cpu_model(),
        "cpu_flags": cpu_flags(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "threads": threads,
        "memory_bytes": memory_bytes(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "threadpoolctl": threadpoolctl.__version__,
        "libraries": libraries,
        "quickmeans_simd_level": simd,
        "repo_head": repo_head(),
        "threadpools": blas,
    }
