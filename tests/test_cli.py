"""The console script, run as a user would: through a subprocess."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import quickmeans
from conftest import png_size
from quickmeans.datasets import three_blobs


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("launcher", ["script", "module"])
def test_demo_prints_centers_inertia_iterations_time(launcher: str) -> None:
    if launcher == "script":
        # The script sits next to this interpreter in a venv, activated or not.
        exe = shutil.which("quickmeans", path=os.path.dirname(sys.executable))
        exe = exe or shutil.which("quickmeans")
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


# -- fit / predict / elbow on files ----------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "quickmeans", *args)


@pytest.fixture(scope="module")
def square(tmp_path_factory) -> tuple:
    """3,000 points around the four corners of a square, as .csv (header), .npy, .parquet."""
    folder = tmp_path_factory.mktemp("cli")
    corners = np.array([[-10.0, -10.0], [-10.0, 10.0], [10.0, -10.0], [10.0, 10.0]])
    rng = np.random.RandomState(0)
    X = corners[rng.randint(4, size=3000)] + rng.randn(3000, 2)
    csv_path = folder / "points.csv"
    np.savetxt(csv_path, np.column_stack([X, rng.randn(3000)]), delimiter=",",
               header="a,b,noise", comments="")
    np.save(folder / "points.npy", X)
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1]}), folder / "points.parquet")
    return folder, X


def test_fit_writes_labels_centers_model_and_predict_reuses_it(square) -> None:
    folder, X = square
    out = cli("fit", str(folder / "points.csv"), "-k", "4", "--columns", "a,b", "--scale",
              "--out", str(folder / "labels.csv"), "--centers", str(folder / "centers.csv"),
              "--model", str(folder / "model.qm"))
    assert out.returncode == 0, out.stderr
    sizes = [int(n) for n in re.findall(r"cluster \d+: (\d+) samples", out.stdout)]
    assert sorted(sizes) == [np.sum(np.all(np.sign(X) == s, axis=1)) for s in
                             sorted([[-1, -1], [-1, 1], [1, -1], [1, 1]],
                                    key=lambda s: np.sum(np.all(np.sign(X) == s, axis=1)))]
    assert "inertia:" in out.stdout and "iterations:" in out.stdout and "time:" in out.stdout
    labels = np.loadtxt(folder / "labels.csv", skiprows=1, dtype=int)
    centers = np.loadtxt(folder / "centers.csv", delimiter=",", skiprows=1)
    # Centers are written in the data's units: each is the mean of its rows.
    for c in range(4):
        np.testing.assert_allclose(centers[c], X[labels == c].mean(axis=0), atol=1e-9)
    for data in ("points.npy", "points.parquet", "points.csv"):
        pred = cli("predict", str(folder / data), "--model", str(folder / "model.qm"),
                   "--out", str(folder / "again.csv"))
        assert pred.returncode == 0, pred.stderr
        np.testing.assert_array_equal(
            np.loadtxt(folder / "again.csv", skiprows=1, dtype=int), labels)


def test_csv_without_header(square, tmp_path) -> None:
    _, X = square
    np.savetxt(tmp_path / "plain.csv", X, delimiter=",")
    out = cli("fit", str(tmp_path / "plain.csv"), "-k", "4")
    assert out.returncode == 0, out.stderr
    assert "3000 rows x 2 columns" in out.stdout


def test_elbow_suggests_four_in_seconds(square) -> None:
    folder, _ = square
    out = cli("elbow", str(folder / "points.npy"), "--k-min", "2", "--k-max", "12")
    assert out.returncode == 0, out.stderr
    assert "suggested k: 4" in out.stdout
    assert float(re.search(r"\(([0-9.]+) s\)", out.stdout).group(1)) < 10


@pytest.mark.parametrize("command", ["fit", "predict", "elbow", "demo", "bench"])
def test_every_command_has_help(command) -> None:
    out = cli(command, "--help")
    assert out.returncode == 0 and "usage: quickmeans " + command in out.stdout


@pytest.mark.parametrize("args, message", [
    (["fit", "{folder}/missing.csv", "-k", "2"], "no such file"),
    (["fit", "{folder}/words.csv", "-k", "2"], "not numeric"),
    (["fit", "{folder}/points.csv", "-k", "5000"], "number of rows"),
    (["fit", "{folder}/points.csv", "-k", "2", "--columns", "zz"], "no column 'zz'"),
    (["fit", "{folder}/points.csv", "-k", "2", "--out", "{folder}/no/such/dir/l.csv"],
     "cannot write"),
    (["predict", "{folder}/points.csv", "--model", "{folder}/points.csv"],
     "not a quickmeans model"),
    (["elbow", "{folder}/points.csv", "--k-min", "5", "--k-max", "3"], "k-min"),
    (["fit", "{folder}/binary.csv", "-k", "2"], "not a text CSV"),
])
def test_errors_are_one_clear_line(square, args, message) -> None:
    folder, _ = square
    (folder / "words.csv").write_text("a,b\n1,2\n3,oops\n")
    (folder / "binary.csv").write_bytes(b"\xff\xfe\x00\x81\x82")
    out = cli(*[a.format(folder=folder) for a in args])
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    assert message in lines[0]


def test_progress_bar_on_a_terminal_only(square) -> None:
    import os
    import pty

    folder, _ = square
    args = [sys.executable, "-m", "quickmeans", "fit", str(folder / "points.csv"), "-k", "4",
            "--columns", "a,b", "--init", "random"]
    quiet = run(*args)
    assert quiet.returncode == 0 and quiet.stderr == ""  # not a terminal: no bar
    main, child = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a real size
    chunks: list[bytes] = []

    def drain() -> None:  # read while the child runs: a closed pty drops what is unread
        while True:
            try:
                data = os.read(main, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    import threading

    reader = threading.Thread(target=drain)
    reader.start()
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=child, text=True) as proc:
        os.close(child)
        stdout, _ = proc.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(main)
    assert proc.returncode == 0 and "inertia:" in stdout
    bar = b"".join(chunks).decode(errors="replace")
    assert "k-means" in bar and "iter" in bar  # tqdm's bar, on the terminal only


def test_bench_compares_with_sklearn() -> None:
    out = cli("bench", "--n", "20000", "-k", "16", "--iterations", "3", "--repeats", "1")
    assert out.returncode == 0, out.stderr
    inertias = [float(v) for v in re.findall(r"inertia ([0-9.e+]+)", out.stdout)]
    assert len(inertias) == 2 and inertias[0] == pytest.approx(inertias[1], rel=1e-4)
    assert re.search(r"quickmeans is [0-9.]+x scikit-learn", out.stdout)


def test_fit_and_elbow_plots(square) -> None:
    folder, _ = square
    out = cli("fit", str(folder / "points.csv"), "-k", "4", "--plot", str(folder / "fit.png"))
    assert out.returncode == 0, out.stderr
    assert png_size(folder / "fit.png") == (600, 500)
    out = cli("elbow", str(folder / "points.npy"), "--k-max", "6", "--plot",
              str(folder / "elbow.png"))
    assert out.returncode == 0, out.stderr
    assert png_size(folder / "elbow.png") == (600, 500)
    bad = cli("fit", str(folder / "points.csv"), "-k", "4", "--plot", str(folder / "no/x.png"))
    assert bad.returncode == 2 and "cannot write" in bad.stderr


def test_command_line_runs_without_importing_scikit_learn(tmp_path) -> None:
    # scikit-learn's import was most of the command's start-up (1.9 s of 3.3 s for a
    # 1M x 8 CSV here); the command takes quickmeans' numpy-only base classes instead.
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(300, 3), rng.randn(300, 3) + 6])
    data = tmp_path / "x.csv"
    np.savetxt(data, X, delimiter=",", header="a,b,c", comments="")
    code = ("import runpy, sys\n"
            "sys.argv = ['quickmeans', 'fit', sys.argv[1], '-k', '2', '--seed', '0',"
            " '--centers', sys.argv[2]]\n"
            "try:\n    runpy.run_module('quickmeans', run_name='__main__')\n"
            "except SystemExit as stop:\n    assert stop.code == 0, stop.code\n"
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(data), str(tmp_path / "c.csv")],
                         capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout
    centers = np.loadtxt(tmp_path / "c.csv", delimiter=",", skiprows=1)
    expected = quickmeans.KMeans(2, random_state=0).fit(X).cluster_centers_
    np.testing.assert_allclose(np.sort(centers, axis=0), np.sort(expected, axis=0), rtol=1e-12)


def test_numpy_only_estimators_fit_as_the_scikit_learn_based_ones() -> None:
    # QUICKMEANS_SKLEARN=0 (what the command sets) gives the stand-in base classes: the
    # same parameters, repr and fit as with scikit-learn's.
    code = ("import sys, numpy as np, quickmeans\n"
            "X = np.random.RandomState(1).randn(500, 4)\n"
            "m = quickmeans.KMeans(3, random_state=0, n_init=2)\n"
            "print(sorted(m.get_params()) == sorted(quickmeans.KMeans().get_params()))\n"
            "print(repr(m))\n"
            "print('sklearn' in sys.modules)\n"
            "np.save(sys.argv[1], m.fit(X).cluster_centers_)\n")
    path = "centers_numpy_only.npy"
    with tempfile.TemporaryDirectory() as folder:
        target = os.path.join(folder, path)
        out = subprocess.run([sys.executable, "-c", code, target], capture_output=True, text=True,
                             timeout=120, check=True,
                             env={**os.environ, "QUICKMEANS_SKLEARN": "0"})
        lines = out.stdout.splitlines()
        assert lines == ["True", "KMeans(n_clusters=3, n_init=2, random_state=0)", "False"], lines
        X = np.random.RandomState(1).randn(500, 4)
        expected = quickmeans.KMeans(3, random_state=0, n_init=2).fit(X).cluster_centers_
        np.testing.assert_array_equal(np.load(target), expected)
