"""The engine gives back what it takes: memory stays flat over thousands of calls, and a fit
stopped midway (Ctrl-C, or an exception from a callback) frees everything it allocated.

Two measures, both taken after a warm-up (the first calls grow the heap, numpy's caches and
OpenMP's thread pool once): the resident set size from /proc/self/statm, which sees any
leak big enough to matter, and glibc's count of heap bytes in use (mallinfo2), which sees a
leak of a few hundred bytes per call that RSS, rounded to pages and padded by the
allocator's free lists, would hide.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import subprocess
import sys
from typing import Any, Callable

import numpy as np
import pytest
import scipy.sparse as sp

import quickmeans
from conftest import make_blobs

MB = 1 << 20


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def heap_bytes() -> int | None:
    """Bytes malloc has handed out and not had back (arenas plus mmapped chunks), or None
    where the C library has no mallinfo2 (not glibc >= 2.33): RSS is then the only check."""
    mallinfo2 = getattr(ctypes.CDLL(None), "mallinfo2", None)
    if mallinfo2 is None:
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


def usage() -> tuple[int, int | None]:
    gc.collect()  # cycles (exceptions and their tracebacks) are not leaks
    return rss_bytes(), heap_bytes()


# -- thousands of small calls ----------------------------------------------------------------

X64 = make_blobs(1_500, 8, 6, seed=30)
X32 = X64.astype(np.float32)
SPARSE = sp.csr_matrix(np.maximum(X64, 0.0))
SPARSE32 = SPARSE.astype(np.float32)
NAN_ROW = X64.copy()
NAN_ROW[7, 3] = np.nan


def expect_error(error: type[Exception], call: Callable[[], Any]) -> None:
    with pytest.raises(error):
        call()


def cycle(i: int) -> None:
    """One fit with predict/transform/score, rotating over dtypes, dense and sparse input,
    the three algorithms, one or two engine threads, and an error raised at a different
    place each time."""
    data = (X64, X32, SPARSE, SPARSE32)[i % 4]
    algorithm = ("lloyd", "elkan", "hamerly")[i % 3]
    # Mostly one thread: when other processes keep the two cores busy, each OpenMP team
    # wake-up waits for a time slice, and a two-thread cycle takes ~100 ms instead of ~1 ms.
    # Every 19th cycle still runs the per-thread scratch paths (19 is prime to the periods
    # of the other choices, so those cycles meet every dtype, algorithm and error).
    n_threads = 2 if i % 19 == 0 else 1
    model = quickmeans.KMeans(6, random_state=i, algorithm=algorithm,
                              n_threads=n_threads).fit(data)
    assert model.predict(data).shape == (1_500,)
    assert model.transform(data).shape == (1_500, 6)
    assert model.score(data) < 0
    if i % 7 == 0:
        quickmeans.MiniBatchKMeans(6, random_state=i, batch_size=256, max_iter=2,
                                   n_threads=n_threads).fit(data).predict(data)
    errors: list[Callable[[], Any]] = [
        lambda: model.predict(X64[:, :3]),  # wrong number of features
        lambda: model.predict(NAN_ROW),  # NaN found by the engine during predict
        lambda: quickmeans.KMeans(6, init=X64[:5], n_threads=n_threads).fit(X64),  # bad init
        lambda: quickmeans.KMeans(6, n_threads=n_threads).fit(NAN_ROW),  # NaN, before the fit
        lambda: quickmeans.KMeans(6, n_threads=n_threads).fit(data, sample_weight=np.ones(3)),
    ]
    expect_error(ValueError, errors[i % len(errors)])


def test_two_thousand_fit_predict_cycles_keep_memory_flat() -> None:
    for i in range(200):
        cycle(i)
    rss_before, heap_before = usage()
    for i in range(200, 2_000):
        cycle(i)
    rss_after, heap_after = usage()
    print(f"RSS {rss_before / MB:.1f} -> {rss_after / MB:.1f} MB, "
          f"heap {heap_before} -> {heap_after} bytes")
    # Each cycle allocates a few hundred KB (copies, labels, distances, engine scratch): a
    # leaked buffer of any size shows in RSS; 1,800 cycles leaking one small block each
    # (>= 150 bytes) show in the heap count.
    assert rss_after - rss_before < 4 * MB
    if heap_before is not None and heap_after is not None:
        assert heap_after - heap_before < 256 * 1024


# -- fits stopped midway, in a subprocess ----------------------------------------------------

# Run with `python -c SCRIPT MODE`, MODE "interrupt" or "raise". Prints one JSON line.
# In a subprocess so that SIGINT meets Python's default handler, not pytest's, and so that
# memory figures are not those of the whole test session.
SCRIPT = r"""
import json, os, signal, sys, threading, time
import numpy as np, scipy.sparse as sp
import quickmeans
from test_resources import usage

mode = sys.argv[1]
rng = np.random.RandomState(0)
X64 = rng.uniform(size=(200_000, 8))  # uniform data: hundreds of iterations to converge
X32 = X64[:100_000].astype(np.float32)  # Elkan's n x k bounds: 25 MB
SPARSE = sp.random(200_000, 200, density=0.02, format="csr", random_state=rng)
SEEDS = SPARSE[:64].toarray()
# (data, KMeans parameters): fits that run for seconds unless stopped.
CASES = [
    (X64, dict(n_clusters=64, init=X64[:64], algorithm="lloyd")),
    (X32, dict(n_clusters=64, init=X32[:64], algorithm="elkan")),
    (X64, dict(n_clusters=64, init=X64[:64], algorithm="hamerly")),
    (SPARSE, dict(n_clusters=64, init=SEEDS, algorithm="lloyd")),
    # Seeding 1000 centers takes over a second: a Ctrl-C stops it there. The callback's
    # exception comes after seeding, so there fewer seeds are enough.
    (X64 if mode == "interrupt" else X32,
     dict(n_clusters=1000 if mode == "interrupt" else 20, init="k-means++", random_state=0)),
]
SMALL = rng.uniform(size=(3_000, 4))


def small_fit():
    return quickmeans.KMeans(5, random_state=1, n_threads=2).fit(SMALL)


class Boom(Exception):
    pass


# The native calls a fit spends its time in: a Ctrl-C is sent once the main thread is in one.
ENGINE_CALLS = {quickmeans._core.fit, quickmeans._core.fit_csr,
                quickmeans._core.kmeans_plusplus, quickmeans._core.kmeans_plusplus_csr}


def interrupt_once(data, params, delay):
    # From another thread, as a user's Ctrl-C, and only once the main thread is inside the
    # engine (never during validation, however slow a loaded machine makes it): a profile
    # hook sees the native call begin; the sender waits for that, then until the main thread
    # has left the hook (it holds the GIL whenever it looks, so the main thread, out of the
    # hook, can only be in the native call), then `delay` more seconds, well inside the
    # seconds these fits run for. Python runs its handler in the main thread when the engine
    # polls for signals between iterations.
    main = threading.main_thread().ident
    entered = threading.Event()

    def hook(frame, event, arg):
        if event == "c_call" and arg in ENGINE_CALLS:
            sys.setprofile(None)
            entered.set()

    def send():
        entered.wait()
        while sys._current_frames()[main].f_code is hook.__code__:
            time.sleep(0.001)
        time.sleep(delay)
        signal.pthread_kill(main, signal.SIGINT)

    sender = threading.Thread(target=send)
    model = quickmeans.KMeans(tol=0, max_iter=100_000, n_threads=2, **params)
    sender.start()
    sys.setprofile(hook)
    try:
        model.fit(data)
        return "finished"
    except KeyboardInterrupt as exc:
        return where(exc, 0)  # no callback here, so no iteration count
    finally:
        sys.setprofile(None)
        sender.join()


def raise_once(data, params, delay):
    progress = []

    def explode(iteration, inertia):
        progress.append(iteration)
        if iteration == 1:
            raise Boom("from the callback")

    model = quickmeans.KMeans(tol=0, max_iter=100_000, n_threads=2, **params)
    model._progress = explode  # the command line's per-iteration hook
    try:
        model.fit(data)
        return "finished"
    except Boom as exc:
        return where(exc, len(progress))


def where(exc, iterations):
    # The innermost frame of the traceback: the function the exception came out of.
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return f"{os.path.basename(code.co_filename)}:{code.co_name}:{iterations}"


def threads():
    return len(os.listdir("/proc/self/task"))


stop_once = interrupt_once if mode == "interrupt" else raise_once
reference = small_fit()
# Delays from 0 to 0.12 s into the engine: the stop hits various iterations.
# Two warm-up rounds: after one, the allocator may still take ~20 MB more from the OS once
# (with bytes in use flat) as the cases' ~10 MB working sets land in other places.
places = [stop_once(*case, 0.0) for _ in range(2) for case in CASES]
rss_before, heap_before = usage()
threads_before = threads()
places += [stop_once(*case, 0.04 * r) for r in range(4) for case in CASES]
rss_after, heap_after = usage()
after = small_fit()
print(json.dumps(dict(
    places=places, rss_before=rss_before, rss_after=rss_after, heap_before=heap_before,
    heap_after=heap_after, threads_before=threads_before, threads_after=threads(),
    same_fit=bool(np.array_equal(after.labels_, reference.labels_)
                  and np.array_equal(after.cluster_centers_, reference.cluster_centers_)
                  and after.inertia_ == reference.inertia_ and after.n_iter_ == reference.n_iter_),
)))
"""


def run_script(mode: str) -> dict[str, Any]:
    # The script imports this module's helpers.
    path = os.pathsep.join(filter(None, [os.path.dirname(__file__),
                                         os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_stopped_fits(result: dict[str, Any], expected_places: list[str]) -> None:
    print({k: v for k, v in result.items() if k != "places"})
    # Every fit was stopped (none ran to the end), where it should have been.
    assert result["places"] == expected_places * 6
    # A stopped fit leaves nothing behind: memory and OS threads (OpenMP's pool) stay flat...
    assert result["rss_after"] - result["rss_before"] < 4 * MB, result
    if result["heap_before"] is not None:
        assert result["heap_after"] - result["heap_before"] < 256 * 1024, result
    assert result["threads_after"] == result["threads_before"]
    # ...and the next fit runs normally, to the same result as before any stop.
    assert result["same_fit"]


def test_ctrl_c_stops_fits_midway_without_leaking() -> None:
    # KeyboardInterrupt comes out of the native call (the innermost frame is the Python
    # function that called it): the engine's own stop check raised it, between two
    # iterations for the four fits, between two seeds for k-means++.
    check_stopped_fits(run_script("interrupt"),
                       ["_engine.py:fit:0"] * 4 + ["_engine.py:kmeans_plusplus:0"])


def test_exception_from_a_callback_stops_fits_without_leaking() -> None:
    # The callback's own exception comes out of fit, with its traceback, at iteration 1.
    check_stopped_fits(run_script("raise"), ["<string>:explode:2"] * 5)
