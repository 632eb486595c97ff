"""Tables for the command line: .csv/.tsv text, .npy, .parquet, each possibly compressed.

``read_table`` returns the numeric columns to cluster (``Table``); the CSV rules are in
``_cli_csv``. Compression is chosen by the last suffix (``.gz``, ``.bz2``, ``.xz``, ``.zip``
with exactly one member) and the format by the one before it (or the zip member's name).
Without ``--columns`` the numeric columns are used and one line on stderr names the others;
pandas' index columns in a parquet file are never used. Missing values (NaN, nulls and, in
text, ``MISSING``) are an error by default, or ``--missing drop`` drops their rows or
``--missing mean`` puts the column's mean in their place.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from quickmeans._cli_csv import layout, line_of_row, read_columns
from quickmeans._cli_io import (
    STDIN_NAME,
    CliError,
    Table,
    note,
    open_regular_file,
    read_regular_file,
    read_stdin,
)
from quickmeans._cli_npy import npy_from_bytes, quiet_legacy_headers, read_npy_header

_DECOMPRESS: dict[str, Callable[[bytes], bytes]] = {
    ".gz": gzip.decompress, ".bz2": bz2.decompress, ".xz": lzma.decompress}
_CODEC_ERRORS = (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError, zipfile.BadZipFile,
                 NotImplementedError, RuntimeError)
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")


def read_table(path_text: str, columns: str | list[str] | None = None, *,
               header: bool | None = None,
               delimiter: str | None = None, missing: str = "error",
               reader: str | None = None, decimal: str | None = None) -> Table:
    """Read DATA (``-``: CSV text on standard input): the ``columns`` named (comma-separated
    names, or 0-based indices), or else every numeric column, with a note (for stderr)
    naming the columns skipped."""
    path = Path(STDIN_NAME if path_text == "-" else path_text)
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    wanted = columns or None
    name = path.name
    compression = Path(name).suffix.lower()
    if path_text == "-":
        name, source = STDIN_NAME, read_stdin()
    elif compression in _DECOMPRESS or compression == ".zip":
        name, data = _decompress(path, read_regular_file(path, "data file"), compression)
        source: Any = data
    else:
        source = path
    kind = Path(name).suffix.lower()
    commas = False  # a CSV's skipped columns hold decimal commas (for the note)
    if kind == ".npy":
        values, names, skipped, locate = _npy(path, source), None, [], lambda r: f"row {r}"
    elif kind == ".parquet":
        values, names, skipped = _parquet(path, source, wanted)
        wanted, locate = None, (lambda r: f"row {r}")
    else:
        data = source if isinstance(source, bytes) else read_regular_file(path, "data file")
        values, names, skipped, locate, commas = _csv(path, name, data, wanted, header,
                                                      delimiter, reader, decimal)
        wanted = None
    table = Table(values, names)
    if wanted:
        table = select_columns(table, wanted, path)
    if skipped:
        shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more"
                                            if len(skipped) > 10 else "")
        hint = "; if they hold decimal commas, say so with --decimal ," if commas else ""
        note(f"skipped {len(skipped)} non-numeric column{'s' if len(skipped) > 1 else ''}: "
             f"{shown} (choose columns with --columns{hint})")
    if table.values.ndim != 2 or table.values.shape[0] == 0 or table.values.shape[1] == 0:
        raise CliError(f"{path}: the data is empty")
    return _missing(table, missing, path, locate)


def _decompress(path: Path, raw: bytes, compression: str) -> tuple[str, bytes]:
    inner = path.name[:-len(compression)]
    try:
        if compression != ".zip":
            return inner, _DECOMPRESS[compression](raw)
        import io

        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = [i for i in archive.infolist() if not i.is_dir()]
            if len(members) != 1:
                listed = ", ".join(i.filename for i in members[:5]) or "nothing"
                raise CliError(f"{path}: the zip holds {len(members)} files ({listed}); "
                               "quickmeans reads a zip of exactly one")
            return Path(members[0].filename).name, archive.read(members[0])
    except CliError:
        raise
    except _CODEC_ERRORS as err:
        raise CliError(f"{path}: not a valid {compression[1:]} file "
                       f"({str(err).splitlines()[0] if str(err) else type(err).__name__})"
                       ) from None


def _npy(path: Path, source: Path | bytes) -> np.ndarray:
    try:
        if isinstance(source, bytes):
            values = npy_from_bytes(source)
        else:
            with open_regular_file(path, "data file") as f:
                size = f.seek(0, 2)
                f.seek(0)
                read_npy_header(f, size)
            with quiet_legacy_headers():
                values = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError, OverflowError) as err:
        raise CliError(f"{path}: not a valid .npy file ({err})") from None
    if values.ndim != 2 or values.dtype.kind not in "biuf":
        raise CliError(f"{path}: expected a 2-D numeric array, got {values.dtype} "
                       f"with shape {values.shape}")
    return values


def _parquet(path: Path, source: Path | bytes,
             wanted: list[str] | None) -> tuple[np.ndarray, list[str], list[str]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as err:
        raise CliError("reading .parquet needs pyarrow: pip install pyarrow") from err
    try:
        with contextlib.ExitStack() as stack:
            opened = (pa.BufferReader(source) if isinstance(source, bytes) else
                      stack.enter_context(open_regular_file(path, "data file")))
            return _parquet_columns(path, pq.ParquetFile(opened), wanted)
    except CliError:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError, KeyError, IndexError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CliError(f"{path}: not a readable parquet file ({reason})") from None


def _parquet_columns(path: Path, pf: Any,
                     wanted: list[str] | None) -> tuple[np.ndarray, list[str], list[str]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = pf.schema_arrow
    try:
        index = {c for c in (schema.pandas_metadata or {}).get("index_columns", [])
                 if isinstance(c, str)}
    except (ValueError, AttributeError, TypeError):  # damaged pandas metadata
        index = set()
    names = [n for n in schema.names if n not in index and not _PANDAS_INDEX.fullmatch(n)]
    skipped: list[str] = []
    if wanted:
        chosen = [_resolve(w, names, len(names), path) for w in wanted]
        for j in chosen:
            if not _numeric_arrow(schema.field(names[j]).type):
                raise CliError(f"{path}: column {names[j]!r} is not numeric "
                               f"({schema.field(names[j]).type})")
    else:
        chosen = [j for j, n in enumerate(names) if _numeric_arrow(schema.field(n).type)]
        skipped = [n for j, n in enumerate(names) if j not in set(chosen)]
        if not chosen and names:
            raise CliError(f"{path}: no numeric columns (columns: {', '.join(names[:10])})")
    table = pf.read(columns=[names[j] for j in chosen])
    arrays = [pc.cast(table.column(i), pa.float64()).to_numpy(zero_copy_only=False)
              for i in range(table.num_columns)]
    values = np.column_stack(arrays) if arrays else np.empty((0, 0))
    return values, [names[j] for j in chosen], skipped


def _numeric_arrow(kind: Any) -> bool:
    import pyarrow.types as pt

    return bool(pt.is_integer(kind) or pt.is_floating(kind) or pt.is_boolean(kind)
                or pt.is_decimal(kind))


def _csv(path: Path, name: str, data: bytes, wanted: list[str] | None, header: bool | None,
         delimiter: str | None, reader: str | None, decimal: str | None) -> tuple[Any, ...]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # the UTF-8 byte-order mark Excel writes
    if b"\x00" in data[:1 << 20]:
        raise CliError(f"{path}: not a text CSV file (it holds NUL bytes)")
    body = data.lstrip(b"\r\n")
    lay = layout(body, name, path, delimiter=delimiter, header=header,
                 skipped_lines=data[:len(data) - len(body)].count(b"\n"), decimal=decimal)
    names = lay.header
    if wanted:
        selected = [_resolve(w, names, lay.width, path) for w in wanted]
        skipped = []
    else:
        selected = [j for j in range(lay.width) if lay.numeric[j]]
        label = (lambda j: names[j]) if names is not None else (lambda j: f"column {j}")
        skipped = [label(j) for j in range(lay.width) if not lay.numeric[j]]
        if not selected:
            raise CliError(f"{path}: no numeric columns (columns: "
                           f"{', '.join(label(j) for j in range(min(lay.width, 10)))})")
    values = read_columns(body, lay, selected, path, reader)
    chosen = [names[j] for j in selected] if names is not None else None
    return (values, chosen, skipped, (lambda r: f"line {line_of_row(body, lay, r)}"),
            lay.comma_numbers)


def _resolve(name: str, names: list[str] | None, width: int, path: Path) -> int:
    if names is not None and name in names:
        return names.index(name)
    if name.isdigit() and int(name) < width:
        return int(name)
    known = ", ".join(names[:20]) if names else f"0..{width - 1}"
    raise CliError(f"{path}: no column {name!r} (columns: {known})")


def select_columns(table: Table, wanted: list[str], path: Path) -> Table:
    """The named columns (or, for data without a header, the given indices)."""
    index = [_resolve(w, table.columns, table.values.shape[1], path) for w in wanted]
    names = [table.columns[i] for i in index] if table.columns is not None else None
    return Table(np.asarray(table.values)[:, index], names, table.rows)


def _missing(table: Table, how: str, path: Path, locate: Callable[[int], str]) -> Table:
    values = table.values
    if values.dtype.kind != "f":
        return table
    holes = np.isnan(values)
    if not holes.any():
        return table
    bad_rows = np.flatnonzero(holes.any(axis=1))
    if how == "drop":
        keep = np.flatnonzero(~holes.any(axis=1))
        if len(keep) == 0:
            raise CliError(f"{path}: every row has a missing value; nothing is left to cluster")
        return Table(np.ascontiguousarray(values[keep]), table.columns, keep)
    if how == "mean":
        empty = np.flatnonzero(holes.all(axis=0))
        if len(empty):
            raise CliError(f"{path}: column {_name(table, empty[0])} has no values to average")
        filled = np.array(values, dtype=np.float64)
        filled[holes] = np.take(np.nanmean(filled, axis=0), np.nonzero(holes)[1])
        return Table(filled, table.columns, table.rows)
    first = int(bad_rows[0])
    column = _name(table, int(np.flatnonzero(holes[first])[0]))
    raise CliError(f"{path}: {int(holes.sum())} missing values in {len(bad_rows)} rows, the "
                   f"first on {locate(first)} in {column}; use --missing drop or --missing mean")


def _name(table: Table, j: int) -> str:
    return repr(table.columns[j]) if table.columns is not None else f"column {j}"
