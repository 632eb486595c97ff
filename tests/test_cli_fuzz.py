"""Fuzzing the command line and the model loader with random and damaged files.

Every run must end in success or in one line ``quickmeans: error: ...`` with status 2:
never a traceback, a crash or a hang. Most examples call ``main`` in this process (with an
alarm as the hang guard); a few run the real command in a subprocess with a timeout.
"""

from __future__ import annotations

import contextlib
import io
import signal
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_support import cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quickmeans.__main__ import main
from quickmeans._cli_io import CliError
from quickmeans._cli_model import SavedModel


def _valid_files() -> dict[str, bytes]:
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(20, 3), rng.randn(20, 3) + 8])
    files = {}
    files[".csv"] = ("a,b,c,name\n" + "".join(f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},\"n, {i}\"\n"
                                              for i, r in enumerate(X))).encode()
    buffer = io.BytesIO()
    np.save(buffer, X)
    files[".npy"] = buffer.getvalue()
    buffer = io.BytesIO()
    np.savez(buffer, centers=X[:2], mean=np.zeros(3), scale=np.ones(3),
             columns=np.array(["a", "b", "c"]))
    files[".qm"] = buffer.getvalue()
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2]}), buffer)
    files[".parquet"] = buffer.getvalue()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.csv", files[".csv"])
    files[".zip"] = buffer.getvalue()
    return files


VALID = _valid_files()
SUFFIXES = sorted(VALID)


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, bytes): random bytes, or a valid file with a few bytes changed."""
    suffix = draw(st.sampled_from(SUFFIXES))
    if draw(st.booleans()):
        return suffix, draw(st.binary(max_size=2000))
    data = bytearray(VALID[suffix])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return suffix, bytes(data)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "good.csv").write_bytes(VALID[".csv"])
    return folder


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang("the command did not finish within 60 s")


def run_main(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                status = main(args)
            except SystemExit as exit_:  # argparse
                status = exit_.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return status, err.getvalue()


def check_outcome(status: int, stderr: str) -> None:
    lines = stderr.splitlines()
    if status == 0:
        assert all(line.startswith("quickmeans") for line in lines), stderr
        return
    assert status == 2, (status, stderr)
    assert len(lines) == 1 and lines[0].startswith("quickmeans: error: "), stderr
    assert "internal error" not in lines[0], stderr


FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(damaged())
def test_fit_and_predict_on_damaged_data(folder, case) -> None:
    suffix, data = case
    path = folder / f"data{'.csv.gz' if suffix == '.qm' else suffix}"
    path.write_bytes(data)
    check_outcome(*run_main(["fit", str(path), "-k", "2", "--model", str(folder / "m.qm")]))
    if (folder / "m.qm").exists():
        check_outcome(*run_main(["predict", str(path), "--model", str(folder / "m.qm")]))


@FUZZ
@given(damaged())
def test_damaged_models(folder, case) -> None:
    suffix, data = case
    model = folder / "damaged.qm"
    model.write_bytes(data if suffix == ".qm" else VALID[".qm"][:len(data)] + data)
    try:
        saved = SavedModel.load(str(model))
    except CliError as err:
        assert "\n" not in str(err) and "not a quickmeans model" in str(err)
    else:  # what loads is a model predict can use
        k, d = saved.centers.shape
        assert k >= 1 and d >= 1 and saved.mean.shape == saved.scale.shape == (d,)
        assert np.all(np.isfinite(saved.centers)) and np.all(saved.scale > 0)
    check_outcome(*run_main(["predict", str(folder / "good.csv"), "--model", str(model)]))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_the_real_command_on_damaged_files(folder, case) -> None:
    suffix, data = case
    path = folder / f"sub{suffix}"
    path.write_bytes(data)
    command = (["predict", folder / "good.csv", "--model", path] if suffix == ".qm"
               else ["fit", path, "-k", "2"])
    result = cli(*command, timeout=60)
    check_outcome(result.returncode, result.stderr)
