"""Out of core: a read-only memory-mapped X is fitted where it lies, never copied."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import quickmeans
from conftest import make_blobs

# Runs in a fresh interpreter: fits a memory-mapped .npy file while a thread samples the
# process's anonymous memory (RssAnon: what the fit allocates; the file's pages are page
# cache, reclaimable, and not the process's own). Prints size of X, peak growth, labels size.
PROBE = textwrap.dedent("""
    import sys, threading, time
    import numpy as np
    import quickmeans

    def anon_bytes():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024

    X = np.load(sys.argv[1], mmap_mode="r")
    init = np.array(X[:: len(X) // 8][:8])
    quickmeans.KMeans(8, init=init, max_iter=1).fit(X[:2000])  # threads and arenas up
    base = anon_bytes()
    peak, done = base, False

    def poll():
        global peak
        while not done:
            peak = max(peak, anon_bytes())
            time.sleep(0.001)

    thread = threading.Thread(target=poll)
    thread.start()
    model = quickmeans.KMeans(8, init=init, max_iter=5, tol=0).fit(X)
    done = True
    thread.join()
    peak = max(peak, anon_bytes())
    print(X.nbytes, peak - base, model.labels_.nbytes)
""")


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> str:
    # 256 MiB of float32 written block by block (never whole in memory).
    path = str(tmp_path_factory.mktemp("ooc") / "x.npy")
    n, d = 2 * 1024 * 1024, 32
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    rng = np.random.default_rng(0)
    for start in range(0, n, 1 << 18):
        rows = min(1 << 18, n - start)
        X[start:start + rows] = rng.standard_normal((rows, d), dtype=np.float32)
        X[start:start + rows] += rng.integers(0, 8, size=(rows, 1)).astype(np.float32) * 3
    X.flush()
    del X
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_memmap_fit_allocates_labels_and_small_buffers_only(big_file) -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, big_file], capture_output=True,
                         text=True, check=True, timeout=300)
    x_bytes, growth, label_bytes = map(int, out.stdout.split())
    allowed = label_bytes + 8 * 2**20  # labels plus a few MiB of per-thread buffers
    assert growth <= allowed, (growth, allowed)
    assert x_bytes >= 10 * allowed  # the file is many times what the fit allows itself


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_memmap_fit_equals_in_memory_fit(tmp_path, dtype) -> None:
    X = make_blobs(5000, 6, 4, seed=31, spread=2.0, dtype=dtype)
    path = tmp_path / "x.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    assert not mapped.flags.writeable
    a = quickmeans.KMeans(4, random_state=0).fit(mapped)
    b = quickmeans.KMeans(4, random_state=0).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(quickmeans.KMeans(4, random_state=0).fit(mapped).predict(
        mapped), b.predict(X))


def test_auto_keeps_lloyd_for_memory_mapped_input(tmp_path) -> None:
    from quickmeans._kmeans import is_memory_mapped

    X = make_blobs(2000, 16, 4, seed=3, spread=2.0, dtype=np.float32)
    path = tmp_path / "x.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    assert is_memory_mapped(mapped) and is_memory_mapped(mapped[10:])
    assert not is_memory_mapped(X) and not is_memory_mapped(np.asarray(mapped) + 0)
