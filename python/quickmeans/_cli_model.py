"""The model file `quickmeans fit --model` writes and `quickmeans predict --model` reads.

It is a .npz (a zip of four .npy members): ``centers`` (k x d, in the scaled space), ``mean``
and ``scale`` (d values each: predict computes ``(X - mean) / scale``), ``columns`` (d names,
or none). The loader treats the file as untrusted: it refuses anything but a regular file
without opening it in blocking mode, checks each member's header (shape, dtype, size against
the bytes present, at most ``MAX_MODEL_BYTES``) before reading it, then the shapes agree, the
numbers are finite and the scales positive. Any problem is a one-line ``CliError``.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quickmeans._cli_io import CliError, read_regular_file
from quickmeans._cli_npy import read_npy_header

#: The largest member a model file may hold (1 GiB: 134 million float64 centre coordinates).
MAX_MODEL_BYTES = 1 << 30

_MEMBERS = ("centers", "mean", "scale", "columns")
# Everything reading a damaged zip can raise: truncated, bad CRC, bad deflate stream,
# an unsupported compression method, an encrypted member.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
               NotImplementedError, RuntimeError, OverflowError, UnicodeDecodeError)


@dataclass
class SavedModel:
    """What ``quickmeans predict`` needs: centers in the scaled space and the scaling."""

    centers: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    columns: list[str] | None

    def save(self, path_text: str) -> None:
        try:
            with open(path_text, "wb") as f:  # a file object: numpy adds no .npz suffix
                np.savez(f, centers=self.centers, mean=self.mean, scale=self.scale,
                         columns=np.array(self.columns or [], dtype=str))
        except OSError as err:
            raise CliError(f"{path_text}: cannot write it ({err.strerror or err})") from err

    @classmethod
    def load(cls, path_text: str) -> SavedModel:
        path = Path(path_text)
        data = read_regular_file(path, "quickmeans model file")
        try:
            arrays = _read_members(data)
        except CliError:
            raise
        except _ZIP_ERRORS as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise CliError(f"{path}: not a quickmeans model file ({reason})") from None
        try:
            return _check(arrays)
        except ValueError as err:
            raise CliError(f"{path}: not a quickmeans model file ({err})") from None


def _read_members(data: bytes) -> dict[str, np.ndarray]:
    if not data:
        raise ValueError("the file is empty")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        missing = [m for m in _MEMBERS if m + ".npy" not in infos]
        if missing:
            raise ValueError(f"no {', '.join(missing)} in it")
        return {name: _read_member(archive, infos[name + ".npy"]) for name in _MEMBERS}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    if info.file_size > MAX_MODEL_BYTES:
        raise ValueError(f"{info.filename} claims {info.file_size} bytes, more than the "
                         f"{MAX_MODEL_BYTES} a model may hold")
    with archive.open(info) as f:
        shape, dtype, fortran, offset = read_npy_header(f, info.file_size)
        body = f.read(info.file_size - offset)
    if len(body) != info.file_size - offset:
        raise ValueError(f"{info.filename} is truncated")
    flat = np.frombuffer(body, dtype=dtype)
    return flat.reshape(shape, order="F" if fortran else "C")


def _check(arrays: dict[str, np.ndarray]) -> SavedModel:
    centers, mean, scale, columns = (arrays[m] for m in _MEMBERS)
    for name, a in (("centers", centers), ("mean", mean), ("scale", scale)):
        if a.dtype.kind != "f":
            raise ValueError(f"{name} holds {a.dtype}, not floating-point numbers")
    if centers.ndim != 2 or centers.shape[0] < 1 or centers.shape[1] < 1:
        raise ValueError(f"centers must be a non-empty 2-D array, got shape {centers.shape}")
    d = centers.shape[1]
    for name, a in (("mean", mean), ("scale", scale)):
        if a.shape != (d,):
            raise ValueError(f"{name} has shape {a.shape}, expected ({d},) for {d} features")
    if columns.dtype.kind != "U" or columns.ndim != 1 or columns.shape[0] not in (0, d):
        raise ValueError(f"columns must be 0 or {d} names, got {columns.dtype} with shape "
                         f"{columns.shape}")
    centers, mean, scale = (np.asarray(a, dtype=np.float64) for a in (centers, mean, scale))
    for name, a in (("centers", centers), ("mean", mean), ("scale", scale)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} holds NaN or infinite values")
    if not np.all(scale > 0):
        raise ValueError("scale holds values that are not positive")
    names = [str(c) for c in columns]
    return SavedModel(np.ascontiguousarray(centers), mean.copy(), scale.copy(), names or None)
