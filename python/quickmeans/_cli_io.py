"""Files for the command line: the error type, safe opening, and what the commands write.

Every problem a user can cause (missing file, unreadable or non-numeric data, an unknown
column, an unwritable path) raises ``CliError`` with one line that says what to fix.
Reading tables is in ``_cli_read``, the saved model in ``_cli_model``.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

#: How messages name standard input (DATA given as ``-``).
STDIN_NAME = "stdin"


class CliError(Exception):
    """A problem with the user's files or arguments, reported as one line."""


#: Lines for stderr that ``main`` prints when the command succeeds (a failure prints only
#: its error, so that it stays one line).
NOTES: list[str] = []


def note(message: str) -> None:
    NOTES.append(f"quickmeans: {message}")


@dataclass
class Table:
    """Numeric data read from a file.

    ``columns`` holds the names (None when the file had none); ``rows`` the 0-based indices of
    the data rows kept when ``--missing drop`` dropped some (None when every row is kept).
    """

    values: np.ndarray
    columns: list[str] | None
    rows: np.ndarray | None = None


def _os_reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def regular_file(path: Path, what: str) -> int:
    """The size of ``path`` after checking, with stat() alone, that it is a regular file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except OSError as err:
        raise CliError(f"{path}: cannot read it ({_os_reason(err)})") from None
    _check_regular(path, st.st_mode, what)
    return st.st_size


def open_regular_file(path: Path, what: str) -> BinaryIO:
    """``path`` opened for reading; a directory, FIFO, device or socket is refused.

    The type is checked with stat() first and the file is opened non-blocking, so a FIFO
    with no writer cannot make the command hang in open().
    """
    regular_file(path, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise CliError(f"{path}: cannot read it ({_os_reason(err)})") from None
    try:
        _check_regular(path, os.fstat(fd).st_mode, what)  # the file may have been swapped
    except CliError:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def read_regular_file(path: Path, what: str) -> bytes:
    """The bytes of a regular file (see ``open_regular_file``)."""
    with open_regular_file(path, what) as f:
        try:
            return f.read()
        except OSError as err:
            raise CliError(f"{path}: cannot read it ({_os_reason(err)})") from None


def read_stdin() -> bytes:
    """All of standard input, which must not be a terminal (a command waiting for typed
    data would look hung)."""
    stream = sys.stdin
    if stream is None or stream.isatty():
        raise CliError("DATA is - (standard input), but standard input is a terminal: pipe "
                       "a CSV into it, as in: cat data.csv | quickmeans fit - -k 3")
    try:
        return stream.buffer.read()
    except OSError as err:
        raise CliError(f"{STDIN_NAME}: cannot read it ({_os_reason(err)})") from None


def _check_regular(path: Path, mode: int, what: str) -> None:
    if stat.S_ISDIR(mode):
        raise CliError(f"{path}: is a directory, not a {what}")
    if not stat.S_ISREG(mode):
        raise CliError(f"{path}: not a regular file (a FIFO, device or socket), not a {what}")


def check_outputs(inputs: Iterable[str | None], outputs: dict[str, str | None]) -> None:
    """Refuse an output path that names an input file, or another output.

    ``outputs`` maps an option (``--out``) to its path. Paths are compared resolved and,
    when both exist, with ``os.path.samefile`` (which also sees hard links).
    """
    named = [(option, Path(p)) for option, p in outputs.items() if p]
    for i, (option, path) in enumerate(named):
        for source in (Path(p) for p in inputs if p):
            if _same_file(path, source):
                raise CliError(f"{option} {path}: that is the input file {source}; "
                               "quickmeans never writes over its input")
        for other_option, other in named[:i]:
            if _same_file(path, other):
                raise CliError(f"{option} and {other_option} name the same file {path}")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop in resolve()
        return False


def write_text(path_text: str, text: str) -> None:
    try:
        Path(path_text).write_text(text, encoding="utf-8")
    except OSError as err:
        raise CliError(f"{path_text}: cannot write it ({_os_reason(err)})") from err


def label_lines(labels: np.ndarray, rows: np.ndarray | None) -> str:
    """``label`` lines, or ``row,label`` lines (0-based data row) when rows were dropped."""
    labels = np.asarray(labels).tolist()
    if rows is None:
        return "".join(f"{v}\n" for v in labels)
    return "".join(f"{r},{v}\n" for r, v in zip(rows.tolist(), labels))


def write_labels(path_text: str, labels: np.ndarray, rows: np.ndarray | None = None) -> None:
    write_text(path_text, ("label\n" if rows is None else "row,label\n")
               + label_lines(labels, rows))


def write_centers(path_text: str, centers: np.ndarray, columns: list[str] | None) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns or [f"x{j}" for j in range(centers.shape[1])])
    writer.writerows([[repr(float(v)) for v in row] for row in centers])
    write_text(path_text, out.getvalue())
