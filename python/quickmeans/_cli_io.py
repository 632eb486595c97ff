"""Files for the command line: data in (.csv, .npy, .parquet), labels, centers and models out.

Every problem a user can cause (missing file, unreadable or non-numeric data, an unknown
column, an unwritable path) raises ``CliError`` with one line that says what to fix.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class CliError(Exception):
    """A problem with the user's files or arguments, reported as one line."""


@dataclass
class Table:
    """Numeric data read from a file, with its column names (None when it had none)."""

    values: np.ndarray
    columns: list[str] | None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(path: Path) -> Table:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [row for row in csv.reader(f) if row and any(cell.strip() for cell in row)]
    except UnicodeDecodeError as err:
        raise CliError(f"{path}: not a text CSV file ({err.reason})") from err
    if not rows:
        raise CliError(f"{path}: the file holds no data")
    header = None if all(_is_number(c) for c in rows[0]) else [c.strip() for c in rows[0]]
    body = rows[1:] if header is not None else rows
    if not body:
        raise CliError(f"{path}: the file holds a header but no rows")
    width = len(header) if header is not None else len(body[0])
    values = np.empty((len(body), width))
    for i, row in enumerate(body):
        if len(row) != width:
            raise CliError(f"{path}: line {i + 1 + (header is not None)} has {len(row)} fields, "
                           f"expected {width}")
        for j, cell in enumerate(row):
            try:
                values[i, j] = float(cell)
            except ValueError:
                name = header[j] if header is not None else f"column {j}"
                raise CliError(f"{path}: {name!s} is not numeric (line "
                               f"{i + 1 + (header is not None)}: {cell!r})") from None
    return Table(values, header)


def _read_parquet(path: Path) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise CliError("reading .parquet needs pyarrow: pip install pyarrow") from err
    table = pq.read_table(path)
    columns = list(table.column_names)
    arrays = []
    for name in columns:
        column = table.column(name).to_numpy(zero_copy_only=False)
        if column.dtype.kind not in "biuf":
            raise CliError(f"{path}: column {name!r} is not numeric ({column.dtype})")
        arrays.append(column.astype(np.float64))
    return Table(np.column_stack(arrays) if arrays else np.empty((0, 0)), columns)


def read_table(path_text: str, columns: str | None = None) -> Table:
    """Read DATA; keep only ``columns`` (comma-separated names, or indices without header)."""
    path = Path(path_text)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            values = np.load(path, mmap_mode="r", allow_pickle=False)
            if values.ndim != 2 or values.dtype.kind not in "biuf":
                raise CliError(f"{path}: expected a 2-D numeric array, got {values.dtype} "
                               f"with shape {values.shape}")
            table = Table(values, None)
        elif suffix == ".parquet":
            table = _read_parquet(path)
        else:
            table = _read_csv(path)
    except (OSError, ValueError) as err:
        raise CliError(f"{path}: cannot read it ({err})") from err
    if columns:
        table = select_columns(table, [c.strip() for c in columns.split(",") if c.strip()], path)
    if table.values.shape[0] == 0 or table.values.shape[1] == 0:
        raise CliError(f"{path}: the data is empty")
    return table


def select_columns(table: Table, wanted: list[str], path: Path) -> Table:
    """The named columns (or, for data without a header, the given indices)."""
    index = []
    for name in wanted:
        if table.columns is not None and name in table.columns:
            index.append(table.columns.index(name))
        elif name.isdigit() and int(name) < table.values.shape[1]:
            index.append(int(name))
        else:
            known = ", ".join(table.columns) if table.columns else f"0..{table.values.shape[1] - 1}"
            raise CliError(f"{path}: no column {name!r} (columns: {known})")
    names = [table.columns[i] for i in index] if table.columns is not None else None
    return Table(np.asarray(table.values)[:, index], names)


def write_text(path_text: str, text: str) -> None:
    try:
        Path(path_text).write_text(text, encoding="utf-8")
    except OSError as err:
        raise CliError(f"{path_text}: cannot write it ({err.strerror or err})") from err


def write_labels(path_text: str, labels: np.ndarray) -> None:
    write_text(path_text, "label\n" + "".join(f"{int(v)}\n" for v in labels))


def write_centers(path_text: str, centers: np.ndarray, columns: list[str] | None) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns or [f"x{j}" for j in range(centers.shape[1])])
    writer.writerows([[repr(float(v)) for v in row] for row in centers])
    write_text(path_text, out.getvalue())


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
        try:
            with np.load(path_text, allow_pickle=False) as f:
                columns = [str(c) for c in f["columns"]]
                return cls(f["centers"], f["mean"], f["scale"], columns or None)
        except FileNotFoundError as err:
            raise CliError(f"{path_text}: no such model file") from err
        except (OSError, ValueError, KeyError) as err:
            raise CliError(f"{path_text}: not a quickmeans model file") from err
