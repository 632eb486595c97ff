"""Every failure of the command line is one line on stderr and exit status 2 (130 for Ctrl-C)."""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_support import QUICKMEANS, assert_one_error, cli


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_with_header(header: str) -> bytes:
    """A version 1.0 .npy whose header dictionary is ``header`` (and 16 bytes of data)."""
    text = header.encode("latin1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + bytes(16)


def model_bytes(**members: np.ndarray | bytes) -> bytes:
    d = 2
    arrays: dict[str, np.ndarray | bytes] = {
        "centers": np.zeros((3, d)), "mean": np.zeros(d), "scale": np.ones(d),
        "columns": np.array(["a", "b"])}
    arrays.update(members)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, value in arrays.items():
            archive.writestr(name + ".npy", value if isinstance(value, bytes)
                             else npy_bytes(value))
    return buffer.getvalue()


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "points.csv"
    path.write_text("a,b\n0,0\n0,1\n10,10\n10,11\n")
    return path


def test_memory_error_is_one_line(data) -> None:
    # An allocation failing inside the fit, as it does on a machine that is too small.
    wrapper = ("import quickmeans\n"
               "def fit(self, *args, **kwargs):\n"
               "    raise MemoryError('Unable to allocate 7.45 GiB')\n"
               "quickmeans.KMeans.fit = fit")
    assert_one_error(cli("fit", data, "-k", "2", wrapper=wrapper), "out of memory",
                     "7.45 GiB")


def test_csv_field_over_the_csv_module_limit(tmp_path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,b,notes\n1,2," + "x" * 140_000 + "\n3,4,short\n")
    assert_one_error(cli("fit", path, "-k", "1", "--columns", "a,b"), "line 2",
                     "field larger than field limit")


def test_a_million_columns_on_one_line_is_refused_before_parsing(tmp_path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(b",".join([b"1"] * 3_000_000) + b"\n")
    assert_one_error(cli("fit", path, "-k", "1"), "3000000 fields",
                     "at most 100000 columns")


@pytest.mark.parametrize("content, reason", [
    (b"", "the file is empty"),
    ("truncated", "File is not a zip file"),
    (model_bytes(centers=np.array(5.0)), "non-empty 2-D array, got shape ()"),
    (model_bytes(centers=np.zeros(2)), "non-empty 2-D array, got shape (2,)"),
    (model_bytes(centers=np.zeros((0, 2))), "non-empty 2-D array"),
    (model_bytes(mean=np.zeros(3)), "mean has shape (3,), expected (2,)"),
    (model_bytes(centers=np.array([[np.nan, 0.0]])), "NaN or infinite"),
    (model_bytes(scale=np.zeros(2)), "not positive"),
    (model_bytes(centers=np.zeros((2, 2), dtype=np.int64)), "not floating-point"),
    (model_bytes(centers=npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-2, 2), }")), "invalid shape"),
    (model_bytes(centers=npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }")),
     "claims 1000000000000000000 values"),
    (model_bytes(centers=npy_with_header(
        "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }")), "not plain numbers"),
    (b"PK\x03\x04" + bytes(40), "not a quickmeans model file"),
])
def test_damaged_models_are_one_line(tmp_path, data, content, reason) -> None:
    if content == "truncated":
        good = model_bytes()
        content = good[:len(good) // 2]
    (tmp_path / "model.qm").write_bytes(content)
    assert_one_error(cli("predict", data, "--model", tmp_path / "model.qm"),
                     "not a quickmeans model file", reason)


def test_model_member_claiming_more_than_the_limit(tmp_path, data) -> None:
    # A zip entry whose directory claims 2 GiB: refused from the directory, not read.
    good = model_bytes()
    buffer = io.BytesIO(good)
    with zipfile.ZipFile(buffer) as archive:
        info = archive.getinfo("centers.npy")
        offset = good.rfind(b"PK\x01\x02", 0, good.find(b"centers.npy", info.header_offset + 31))
    patched = bytearray(good)
    struct.pack_into("<I", patched, offset + 24, 2**31)  # uncompressed size
    (tmp_path / "model.qm").write_bytes(bytes(patched))
    assert_one_error(cli("predict", data, "--model", tmp_path / "model.qm"),
                     "not a quickmeans model file", "more than the")


@pytest.mark.parametrize("content, reason", [
    (npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }"),
     "invalid shape (-1, 2)"),
    (npy_with_header("{'descr': '<f8', 'fortran_order': False, "
                     "'shape': (1000000000, 1000000000), }"), "claims 1000000000000000000"),
    (npy_bytes(np.zeros((4, 2)))[:-5], "bytes follow it"),
    (b"\x93NUMPY\x01\x00\xff\xff{", "not a valid .npy header"),
    (npy_bytes(np.zeros(4)), "expected a 2-D numeric array"),
])
def test_damaged_npy_data_is_one_line(tmp_path, content, reason) -> None:
    (tmp_path / "x.npy").write_bytes(content)
    assert_one_error(cli("fit", tmp_path / "x.npy", "-k", "1"), reason)


def test_model_fifo_is_refused_without_hanging(tmp_path, data) -> None:
    os.mkfifo(tmp_path / "model.fifo")
    os.mkfifo(tmp_path / "data.fifo")
    assert_one_error(cli("predict", data, "--model", tmp_path / "model.fifo", timeout=60),
                     "model.fifo", "not a regular file")
    assert_one_error(cli("fit", tmp_path / "data.fifo", "-k", "1", timeout=60),
                     "data.fifo", "not a regular file")


def test_directory_unreadable_and_junk_inputs(tmp_path, data) -> None:
    assert_one_error(cli("fit", tmp_path, "-k", "1"), "is a directory")
    assert_one_error(cli("predict", data, "--model", tmp_path), "is a directory")
    rng = np.random.RandomState(0)
    (tmp_path / "junk.csv").write_bytes(rng.bytes(5000))
    assert_one_error(cli("fit", tmp_path / "junk.csv", "-k", "1"), "not a text CSV")
    (tmp_path / "junk.parquet").write_bytes(rng.bytes(5000))
    assert_one_error(cli("fit", tmp_path / "junk.parquet", "-k", "1"), "parquet")
    (tmp_path / "empty.csv").write_bytes(b"")
    assert_one_error(cli("fit", tmp_path / "empty.csv", "-k", "1"), "holds no data")


def test_unreadable_file(tmp_path) -> None:
    path = tmp_path / "secret.csv"
    path.write_text("a\n1\n")
    os.chmod(path, 0)
    if os.access(path, os.R_OK):  # root reads anything: take a file read() refuses (EIO)
        path = Path("/proc/self/mem")
    assert_one_error(cli("fit", path, "-k", "1"), str(path), "cannot read it")


def test_scale_with_an_overflowing_standard_deviation(tmp_path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("a,b\n1e308,1\n-1e308,2\n1.5e308,3\n-1.7e308,4\n")
    assert_one_error(cli("fit", path, "-k", "2", "--scale"), "--scale", "'a'", "overflows")


def test_ctrl_c_is_one_line_and_status_130(tmp_path) -> None:
    rng = np.random.RandomState(0)
    X = rng.randn(400_000, 16)
    np.save(tmp_path / "big.npy", X)
    data = str(tmp_path / "big.npy")
    with subprocess.Popen([*QUICKMEANS, "fit", data, "-k", "400", "--max-iter", "100000",
                           "--n-init", "50"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        maps = Path(f"/proc/{proc.pid}/maps")
        deadline = time.monotonic() + 120
        # The data is memory-mapped while it is clustered: then the fit is under way.
        while data not in maps.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # fail now, not after the 50 runs (Popen's exit waits)
            proc.kill()
            raise
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert stderr.splitlines() == ["quickmeans: error: interrupted"], stderr


def test_usage_errors_are_one_line(data) -> None:
    assert_one_error(cli("fit", data), "-k", "required")
    assert_one_error(cli("fit", data, "-k", "2", "--missing", "guess"), "--missing")
    assert_one_error(cli("fit", data, "-k", "2", "--delimiter", "ab"), "--delimiter")



def command_swallowing_a_ctrl_c(module: str, function: str) -> str:
    """Python code running the quickmeans command (its arguments from the code's argv) with
    quickmeans.<module>.<function> replaced by one that sends the process SIGINT, swallows
    the KeyboardInterrupt and carries on."""
    return (
        "import os, signal, sys\n"
        f"from quickmeans import {module}\n"
        f"real = {module}.{function}\n"
        "def swallowing(*args, **kwargs):\n"
        "    try:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    except KeyboardInterrupt:\n"
        "        pass\n"
        "    return real(*args, **kwargs)\n"
        f"{module}.{function} = swallowing\n"
        "from quickmeans.__main__ import run\n"
        "sys.argv = ['quickmeans', *sys.argv[1:]]\n"
        "run()\n")


def test_ctrl_c_dropped_by_a_native_reader_is_still_status_130(tmp_path) -> None:
    # pyarrow's CSV reader checks for signals itself and can drop the KeyboardInterrupt it
    # finds (measured: a Ctrl-C 0.35-0.6 s into a 1M-row read let the fit finish, exit 0).
    # Here the reader is one that takes the interrupt and carries on, as that one did.
    path = tmp_path / "x.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i % 7}\n" for i in range(200)))
    code = command_swallowing_a_ctrl_c("_cli_csv", "_python")
    result = subprocess.run([sys.executable, "-c", code, "fit", str(path), "-k", "2"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QUICKMEANS_CSV_READER": "python"})
    assert result.returncode == 130, (result.returncode, result.stderr)
    assert result.stderr.splitlines()[-1] == "quickmeans: error: interrupted", result.stderr


def test_ctrl_c_swallowed_before_the_fit_still_stops_the_engine(tmp_path) -> None:
    # A KeyboardInterrupt can be lost on its way (a native reader, a finalizer): the
    # command's SIGINT handler also tells the engine, whose next stop check ends the fit.
    # Here the interrupt is swallowed just before the seeding: the fit must not run (no
    # labels written), and the command ends in one line, exit 130.
    data = tmp_path / "x.npy"
    np.save(data, np.random.RandomState(0).randn(3000, 4))
    labels = tmp_path / "labels.txt"
    code = command_swallowing_a_ctrl_c("_kmeans", "initial_centers")
    result = subprocess.run([sys.executable, "-c", code, "fit", str(data), "-k", "5",
                             "--out", str(labels)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 130, (result.returncode, result.stderr)
    assert result.stderr.splitlines() == ["quickmeans: error: interrupted"], result.stderr
    assert not labels.exists()
