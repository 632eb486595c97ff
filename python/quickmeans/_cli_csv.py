"""CSV and TSV text for the command line: layout (delimiter, header, kinds), then the numbers.

Layout is decided in Python from a sample (the first MiB, at most ``SAMPLE_ROWS`` rows):

* Delimiter: ``--delimiter`` if given, tab for ``.tsv``, else the one of ``, ; <tab> |`` that
  splits the sampled lines into the same number (> 1) of fields, the most fields winning
  (ties in that order); a file none of them splits is one column.
* Header: ``--header`` / ``--no-header`` if given. Otherwise the first line is **data** when
  each of its fields is a number or a missing value, a **header** when none of its fields is
  a number, and reported (exit 2, asking for ``--header`` or ``--no-header``) when it mixes
  numbers and text (``region,2019,2020`` or ``7,alice,31`` could be either).
* Decimal mark: ``--decimal`` if given. Otherwise a comma when the delimiter is not a comma
  and the sample holds numbers written with a decimal comma (``3,25``, as spreadsheets in
  much of Europe export them) and none written with a decimal point; else a point. Numbers
  such as ``1,250`` could also be a thousand and a quarter with a thousands separator, so
  they alone never decide it: the comma columns are then skipped, with a note.
* A column is numeric when its first non-missing value in the sample is a number.

Only the chosen columns are then converted, by pyarrow's CSV reader when it is importable,
else pandas', else the csv module (``QUICKMEANS_CSV_READER=pyarrow|pandas|python`` forces
one). When a fast reader refuses the file, the csv module reads it again: it accepts what it
can and otherwise names the line and the field that is wrong.
"""

from __future__ import annotations

import csv
import io
import os
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quickmeans._cli_io import CliError

#: Spellings of a missing value, compared after strip() and lower().
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none"})
#: More fields than this on the first line is refused before anything is parsed.
MAX_COLUMNS = 100_000
SAMPLE_BYTES = 1 << 20
SAMPLE_ROWS = 1000
DELIMITERS = (",", ";", "\t", "|")
READERS = ("pyarrow", "pandas", "python")

_NUMBER = {
    mark: re.compile(rf"[+-]?(?:\d+{m}?\d*|{m}\d+)(?:[eE][+-]?\d+)?|[+-]?inf(?:inity)?", re.I)
    for mark, m in ((".", r"\."), (",", ","))}
#: A number with a fractional part after the mark (so not an integer, either way).
_FRACTION = {mark: re.compile(rf"[+-]?\d*{m}\d+(?:[eE][+-]?\d+)?")
             for mark, m in ((".", r"\."), (",", ","))}
#: A decimal comma that could as well be a thousands separator (1,250 or -12,000).
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")


def is_missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING


def is_number(cell: str, decimal: str = ".") -> bool:
    return _NUMBER[decimal].fullmatch(cell.strip()) is not None


@dataclass
class Layout:
    delimiter: str
    header: list[str] | None  # the names, or None when the first line is data
    width: int
    numeric: list[bool]  # per column, from the sample
    first_line: int  # the line number of the header (or of the first data row)
    decimal: str = "."  # the decimal mark: "." or ","
    comma_numbers: bool = False  # a non-numeric column's first value is 3,25 (with mark ".")


def _rows(text: str, delimiter: str, path: Path) -> list[list[str]]:
    """The non-empty rows of ``text``; a field over csv's size limit is one clear line."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if row:
                rows.append(row)
                if len(rows) > SAMPLE_ROWS:
                    break
    except csv.Error as err:
        raise CliError(f"{path}: line {reader.line_num}: {err}") from None
    return rows


def _sniff(lines: list[str], path: Path) -> str:
    best, best_fields = ",", 1
    for d in DELIMITERS:
        counts = {len(r) for r in _rows("\n".join(lines), d, path)}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = d, fields
    return best


def _decimal_mark(rows: list[list[str]], delimiter: str) -> str:
    """A comma when the sampled cells hold decimal-comma numbers and no decimal-point ones
    (and the comma is not the delimiter), else a point."""
    if delimiter == ",":
        return "."
    cells = [c.strip() for row in rows for c in row]
    commas = [c for c in cells if _FRACTION[","].fullmatch(c)]
    if any(not _THOUSANDS.fullmatch(c) for c in commas) and \
            not any(_FRACTION["."].fullmatch(c) for c in cells):
        return ","
    return "."


def layout(data: bytes, name: str, path: Path, *, delimiter: str | None,
           header: bool | None, skipped_lines: int, decimal: str | None = None) -> Layout:
    """Decide delimiter, header and column kinds from the start of ``data``."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    fields = max(first.count(d.encode()) for d in ((delimiter,) if delimiter else DELIMITERS))
    if fields + 1 > MAX_COLUMNS:
        raise CliError(f"{path}: line {skipped_lines + 1} has {fields + 1} fields; quickmeans "
                       f"reads at most {MAX_COLUMNS} columns")
    sample = data[:SAMPLE_BYTES]
    if len(data) > SAMPLE_BYTES and b"\n" in sample:
        sample = sample[:sample.rfind(b"\n")]
    text = sample.decode("utf-8", errors="replace")
    if delimiter is None:
        delimiter = "\t" if name.lower().endswith(".tsv") else \
            _sniff(text.splitlines()[:20], path)
    rows = _rows(text, delimiter, path)
    if not rows:
        raise CliError(f"{path}: the file holds no data")
    if decimal == "," and delimiter == ",":
        raise CliError("--decimal , needs another delimiter than the comma (see --delimiter)")
    decimal = decimal or _decimal_mark(rows, delimiter)
    names = _header(rows[0], header, path, skipped_lines + 1, decimal)
    body = rows[1:] if names is not None else rows
    if names is not None and not body:
        raise CliError(f"{path}: the file holds a header but no rows")
    width = len(names) if names is not None else len(body[0])
    numeric, comma_numbers = [], False
    for j in range(width):
        first_value = next((r[j] for r in body if j < len(r) and not is_missing(r[j])), None)
        numeric.append(first_value is not None and is_number(first_value, decimal))
        comma_numbers |= (not numeric[-1] and first_value is not None and decimal == "."
                          and delimiter != "," and is_number(first_value, ","))
    return Layout(delimiter, names, width, numeric, skipped_lines + 1, decimal, comma_numbers)


def _header(row: list[str], header: bool | None, path: Path, line: int,
            decimal: str) -> list[str] | None:
    if header is False:
        return None
    if header is None:
        numbers = sum(is_number(c, decimal) for c in row)
        if all(is_number(c, decimal) or is_missing(c) for c in row):
            return None
        if numbers:
            raise CliError(f"{path}: line {line} mixes numbers and text, so it could be a "
                           "header or data; say which with --header or --no-header")
    names = [c.strip() for c in row]
    return [n if n else f"column {j}" for j, n in enumerate(names)]


def read_columns(data: bytes, lay: Layout, selected: list[int], path: Path,
                 reader: str | None = None) -> np.ndarray:
    """The ``selected`` columns as float64 (n_rows x len(selected)), NaN where missing."""
    reader = reader or os.environ.get("QUICKMEANS_CSV_READER") or _default_reader()
    if reader not in READERS:
        raise CliError(f"QUICKMEANS_CSV_READER={reader}: use one of {', '.join(READERS)}")
    fast: dict[str, Callable[..., np.ndarray]] = {"pyarrow": _pyarrow, "pandas": _pandas}
    if reader in fast:
        try:
            return fast[reader](data, lay, selected)
        except (ImportError, MemoryError, KeyboardInterrupt):
            raise
        except Exception:  # noqa: BLE001 - refused by the fast reader: the csv module says why
            pass
    return _python(data, lay, selected, path)


def _default_reader() -> str:
    for name in ("pyarrow", "pandas"):
        try:
            __import__(name + (".csv" if name == "pyarrow" else ""))
        except ImportError:
            continue
        return name
    return "python"


def _null_spellings() -> list[str]:
    return sorted({v for m in MISSING | {"N/A"} for v in (m, m.upper(), m.capitalize())})


def _pyarrow(data: bytes, lay: Layout, selected: list[int]) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{j}" for j in range(lay.width)]
    wanted = [names[j] for j in selected]
    table = pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(column_names=names,
                                       skip_rows=1 if lay.header is not None else 0),
        parse_options=pacsv.ParseOptions(delimiter=lay.delimiter,
                                          newlines_in_values=b'"' in data),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted, column_types={n: pa.float64() for n in wanted},
            null_values=_null_spellings(), quoted_strings_can_be_null=True,
            decimal_point=lay.decimal))
    out = np.empty((table.num_rows, len(wanted)))
    for j, n in enumerate(wanted):
        out[:, j] = table.column(n).to_numpy(zero_copy_only=False)
    return out


def _pandas(data: bytes, lay: Layout, selected: list[int]) -> np.ndarray:
    import pandas as pd

    names = [f"c{j}" for j in range(lay.width)]
    wanted = [names[j] for j in selected]
    frame = pd.read_csv(io.BytesIO(data), sep=lay.delimiter, header=None, names=names,
                        skiprows=1 if lay.header is not None else 0, usecols=wanted,
                        dtype={n: "float64" for n in wanted}, na_values=_null_spellings(),
                        keep_default_na=False, skip_blank_lines=True, engine="c",
                        decimal=lay.decimal,
                        encoding_errors="replace")
    return np.ascontiguousarray(frame[wanted].to_numpy(dtype=np.float64))


def _python(data: bytes, lay: Layout, selected: list[int], path: Path) -> np.ndarray:
    text = io.StringIO(data.decode("utf-8", errors="replace"), newline="")
    reader = csv.reader(text, delimiter=lay.delimiter)
    columns = [array("d") for _ in selected]  # 8 bytes a value, not a float object
    names = lay.header
    try:
        if names is not None:
            next(reader, None)
        for row in reader:
            if not row:
                continue
            if len(row) != lay.width:
                raise CliError(f"{path}: line {reader.line_num + lay.first_line - 1} has "
                               f"{len(row)} fields, expected {lay.width}")
            for out, j in zip(columns, selected):
                cell = row[j]
                if is_missing(cell):
                    out.append(np.nan)
                elif is_number(cell, lay.decimal):
                    out.append(float(cell.replace(",", ".") if lay.decimal == "," else cell))
                else:
                    name = names[j] if names is not None else f"column {j}"
                    raise CliError(f"{path}: {name} is not numeric (line "
                                   f"{reader.line_num + lay.first_line - 1}: {cell[:40]!r})")
    except csv.Error as err:
        raise CliError(f"{path}: line {reader.line_num + lay.first_line - 1}: {err}") from None
    out = np.empty((len(columns[0]) if columns else 0, len(columns)))
    for j, values in enumerate(columns):
        out[:, j] = np.frombuffer(values, dtype=np.float64)
    return out


def line_of_row(data: bytes, lay: Layout, row: int) -> int:
    """The line number on which data row ``row`` (0-based) starts, for messages."""
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""),
                        delimiter=lay.delimiter)
    seen, start = -1 if lay.header is None else -2, 1
    try:
        for record in reader:
            if record:
                seen += 1
                if seen == row:
                    return start + lay.first_line - 1
            start = reader.line_num + 1
    except csv.Error:
        pass
    return row + lay.first_line + (lay.header is not None)
