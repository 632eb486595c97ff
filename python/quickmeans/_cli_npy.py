"""Reading .npy arrays from untrusted files: the header is checked before anything is allocated.

``np.load`` trusts the header: a negative dimension raises OverflowError from deep inside,
and a header that claims 10^18 elements makes it try to allocate them. Here the header's
shape and dtype are checked against the number of bytes actually present first.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

_format = np.lib.format


@contextlib.contextmanager
def quiet_legacy_headers() -> Iterator[None]:
    """Silences numpy's warning for a header written by Python 2 (or damaged to look like
    one): the command's stderr holds one line per problem, and such a header either reads
    correctly or is reported as not valid."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Reading `.npy` or `.npz` file required "
                                "additional header parsing", category=UserWarning)
        yield


def read_npy_header(f: BinaryIO, size: int) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    """(shape, dtype, fortran_order, data offset) of the .npy at ``f``'s start.

    ``size`` is the number of bytes the .npy occupies; the header must describe exactly
    that many bytes of data. Raises ValueError saying what is wrong.
    """
    try:
        version = _format.read_magic(f)
        with quiet_legacy_headers():
            if version == (1, 0):
                shape, fortran, dtype = _format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = _format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
    except Exception as err:  # noqa: BLE001 - numpy's parse of a damaged header raises
        # ValueError, SyntaxError, tokenize.TokenError, TypeError, OverflowError ...
        raise ValueError(f"not a valid .npy header ({err})") from None
    if any(not isinstance(n, int) or n < 0 for n in shape):
        raise ValueError(f"the .npy header has an invalid shape {shape}")
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise ValueError(f"the .npy holds {dtype}, not plain numbers or strings")
    offset = f.tell()
    count = math.prod(shape)
    if offset + count * dtype.itemsize != size:
        raise ValueError(f"the .npy header claims {count} values of {dtype} "
                         f"({count * dtype.itemsize} bytes) but {size - offset} bytes follow it")
    return tuple(shape), dtype, bool(fortran), offset


def npy_from_bytes(data: bytes) -> np.ndarray:
    """The array in ``data`` (a whole .npy), after the header check."""
    shape, dtype, fortran, offset = read_npy_header(io.BytesIO(data), len(data))
    flat = np.frombuffer(data, dtype=dtype, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C")
