"""The command line reads the tables people have: through a subprocess, as a user runs it."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_support import QUICKMEANS, assert_one_error, cli

import quickmeans

READERS = ["pyarrow", "pandas", "python"]

# Two groups far apart in (age, income); id is numeric too, name and notes are text.
PEOPLE = [
    (1, "alice", 25, 30000, "likes, commas"),
    (2, "bob", 27, 31000, 'said "hi", twice'),
    (3, "carol", 26, 29500, "oops"),
    (4, "dan", 61, 90000, ""),
    (5, "eve", 63, 91000, "NaN-ish, text"),
    (6, "frank", 62, 89000, "x" * 300),
]


def people_csv(delimiter: str = ",") -> str:
    def quote(text: str) -> str:
        if delimiter in text or '"' in text or "," in text:
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [delimiter.join(["id", "name", "age", "income", "notes"])]
    lines += [delimiter.join([str(i), quote(n), str(a), str(m), quote(t)])
              for i, n, a, m, t in PEOPLE]
    return "\n".join(lines) + "\n"


def centers_of(path: Path) -> tuple[list[str], np.ndarray]:
    lines = path.read_text().splitlines()
    return lines[0].split(","), np.loadtxt(lines[1:], delimiter=",", ndmin=2)


def groups(labels_path: Path) -> list[int]:
    labels = np.loadtxt(labels_path, skiprows=1, dtype=int)
    return [int(v == labels[0]) for v in labels]


@pytest.mark.parametrize("reader", READERS)
def test_columns_selects_and_the_rest_is_never_parsed(tmp_path, reader) -> None:
    text = people_csv()
    # An unselected column that is numeric at first and then is not, plus missing values in
    # it: parsing it would fail, so it must not be parsed.
    text = text.replace("\n3,carol,", "\n3z,carol,").replace("\n4,dan,", "\nNA,dan,")
    (tmp_path / "people.csv").write_text(text)
    out = cli("fit", tmp_path / "people.csv", "-k", "2", "--columns", "age,income",
              "--out", tmp_path / "labels.csv", "--centers", tmp_path / "centers.csv",
              env={"QUICKMEANS_CSV_READER": reader})
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    assert "6 rows x 2 columns" in out.stdout
    assert groups(tmp_path / "labels.csv") == [1, 1, 1, 0, 0, 0]
    names, centers = centers_of(tmp_path / "centers.csv")
    assert names == ["age", "income"]
    expected = sorted([[26.0, 30166.666666666668], [62.0, 90000.0]])
    np.testing.assert_allclose(sorted(centers.tolist()), expected)


@pytest.mark.parametrize("reader", READERS)
def test_numeric_columns_are_used_and_one_line_names_the_skipped(tmp_path, reader) -> None:
    (tmp_path / "people.csv").write_text(people_csv())
    out = cli("fit", tmp_path / "people.csv", "-k", "1", "--centers", tmp_path / "c.csv",
              env={"QUICKMEANS_CSV_READER": reader})
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [
        "quickmeans: skipped 2 non-numeric columns: name, notes (choose columns with --columns)"]
    names, centers = centers_of(tmp_path / "c.csv")
    assert names == ["id", "age", "income"]  # an integer id is numeric: it is kept
    data = np.array([[i, a, m] for i, _, a, m, _ in PEOPLE], dtype=float)
    np.testing.assert_allclose(centers[0], data.mean(axis=0))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, delimiter) -> None:
    (tmp_path / "people.csv").write_text(people_csv(delimiter))
    out = cli("fit", tmp_path / "people.csv", "-k", "2", "--columns", "age,income",
              "--out", tmp_path / "labels.csv")
    assert out.returncode == 0, out.stderr
    assert groups(tmp_path / "labels.csv") == [1, 1, 1, 0, 0, 0]


def test_tsv_is_tab_separated_and_delimiter_overrides(tmp_path) -> None:
    # Free text full of commas: sniffing alone could take the comma; .tsv says tab.
    rows = ["a\tb\tnotes"] + [f"{v}\t{2 * v}\tone, two, three, four" for v in range(6)]
    (tmp_path / "t.tsv").write_text("\n".join(rows) + "\n")
    out = cli("fit", tmp_path / "t.tsv", "-k", "1", "--centers", tmp_path / "c.csv")
    assert out.returncode == 0, out.stderr
    names, centers = centers_of(tmp_path / "c.csv")
    assert names == ["a", "b"] and centers.tolist() == [[2.5, 5.0]]
    (tmp_path / "semi.txt").write_text("a;b\n1;2\n3;4\n")
    forced = cli("fit", tmp_path / "semi.txt", "-k", "1", "--delimiter", ",")
    assert_one_error(forced, "no numeric columns", "a;b")  # one column named 'a;b'
    piped = cli("fit", tmp_path / "semi.txt", "-k", "1", "--delimiter", ";")
    assert piped.returncode == 0 and "2 rows x 2 columns" in piped.stdout


def test_excel_byte_order_mark_is_stripped(tmp_path) -> None:
    (tmp_path / "excel.csv").write_bytes(b"\xef\xbb\xbf" + people_csv(";").encode())
    out = cli("fit", tmp_path / "excel.csv", "-k", "1", "--columns", "id,age",
              "--centers", tmp_path / "c.csv")
    assert out.returncode == 0, out.stderr
    names, centers = centers_of(tmp_path / "c.csv")
    assert names == ["id", "age"] and centers.tolist() == [[3.5, 44.0]]


# Numbers as spreadsheets in much of Europe export them: a decimal comma, fields apart by a
# semicolon (or a tab or a bar); negatives, an exponent and integers among them.
MEASURES_TEXT = [["1.5", "-2.25", "30"], ["1.75", "-2.5e1", "31"], ["0.125", "-2", "29"],
                 ["9.5", "40", "90"], ["9.25", "41.5", "91"], ["9.75", "39.125", "89"]]
MEASURES = np.array(MEASURES_TEXT, dtype=float)


def measures_csv(delimiter: str, decimal: str) -> str:
    lines = [delimiter.join(["width", "slope", "weight"])]
    lines += [delimiter.join(v.replace(".", decimal) for v in row) for row in MEASURES_TEXT]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_decimal_commas_are_sniffed(tmp_path, reader, delimiter) -> None:
    text = measures_csv(delimiter, ",")
    assert "2,5e1" in text and "0,125" in text and "1,5" in text
    (tmp_path / "m.csv").write_text(text)
    out = cli("fit", tmp_path / "m.csv", "-k", "2", "--centers", tmp_path / "c.csv",
              "--out", tmp_path / "l.csv", env={"QUICKMEANS_CSV_READER": reader})
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""  # every column numeric: none skipped
    names, centers = centers_of(tmp_path / "c.csv")
    assert names == ["width", "slope", "weight"]
    expected = sorted([MEASURES[:3].mean(axis=0).tolist(), MEASURES[3:].mean(axis=0).tolist()])
    np.testing.assert_allclose(sorted(centers.tolist()), expected, rtol=1e-15)
    assert groups(tmp_path / "l.csv") == [1, 1, 1, 0, 0, 0]


def test_decimal_mark_can_be_forced_and_is_never_guessed_from_a_mix(tmp_path) -> None:
    (tmp_path / "m.csv").write_text(measures_csv(";", ","))
    pointed = cli("fit", tmp_path / "m.csv", "-k", "1", "--decimal", ".")
    assert pointed.returncode == 0, pointed.stderr  # only the integer column reads as numbers
    assert "skipped 2 non-numeric columns: width, slope" in pointed.stderr
    (tmp_path / "points.csv").write_text(measures_csv(";", "."))
    forced = cli("fit", tmp_path / "points.csv", "-k", "1", "--decimal", ",",
                 "--centers", tmp_path / "c.csv")
    assert forced.returncode == 0, forced.stderr  # the same, the other way round
    assert centers_of(tmp_path / "c.csv")[0] == ["weight"]
    assert_one_error(cli("fit", tmp_path / "m.csv", "-k", "1", "--decimal", ",",
                         "--delimiter", ","),
                     "--decimal , needs another delimiter")
    # Both marks in one file: the comma column is not numbers to the default point, and a
    # note says it was skipped, rather than the reader guessing.
    (tmp_path / "mixed.csv").write_text("a;b\n1,5;2.5\n3,0;4.5\n")
    mixed = cli("fit", tmp_path / "mixed.csv", "-k", "1", "--centers", tmp_path / "c.csv")
    assert mixed.returncode == 0, mixed.stderr
    assert mixed.stderr.splitlines() == [
        "quickmeans: skipped 1 non-numeric column: a (choose columns with --columns; if they "
        "hold decimal commas, say so with --decimal ,)"]
    assert centers_of(tmp_path / "c.csv") == (["b"], pytest.approx(np.array([[3.5]])))
    # 1,250 and 12,000 may be thousands: they alone never make the comma a decimal mark.
    (tmp_path / "grouped.csv").write_text("a;b\n1,250;1\n12,000;3\n")
    grouped = cli("fit", tmp_path / "grouped.csv", "-k", "1", "--centers", tmp_path / "c.csv")
    assert grouped.returncode == 0, grouped.stderr
    assert "--decimal ," in grouped.stderr and centers_of(tmp_path / "c.csv")[0] == ["b"]
    told = cli("fit", tmp_path / "grouped.csv", "-k", "1", "--decimal", ",",
               "--centers", tmp_path / "c.csv")
    assert told.returncode == 0 and told.stderr == "", told.stderr
    np.testing.assert_allclose(centers_of(tmp_path / "c.csv")[1], [[6.625, 2.0]])
    # One unambiguous value (0,250) is enough.
    (tmp_path / "grouped.csv").write_text("a;b\n0,250;1\n12,000;3\n")
    sniffed = cli("fit", tmp_path / "grouped.csv", "-k", "1", "--centers", tmp_path / "c.csv")
    assert sniffed.returncode == 0 and sniffed.stderr == "", sniffed.stderr
    np.testing.assert_allclose(centers_of(tmp_path / "c.csv")[1], [[6.125, 2.0]])


def test_data_from_standard_input(tmp_path) -> None:
    piped = cli("fit", "-", "-k", "2", "--columns", "age,income", "--out",
                tmp_path / "labels.csv", "--model", tmp_path / "m.qm", input=people_csv(";"))
    assert piped.returncode == 0, piped.stderr
    assert groups(tmp_path / "labels.csv") == [1, 1, 1, 0, 0, 0]
    predicted = cli("predict", "-", "--model", tmp_path / "m.qm", input=people_csv())
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.split() == (tmp_path / "labels.csv").read_text().split()[1:]
    commas = cli("fit", "-", "-k", "1", "--centers", tmp_path / "c.csv",
                 input=measures_csv("\t", ","))
    assert commas.returncode == 0, commas.stderr
    np.testing.assert_allclose(centers_of(tmp_path / "c.csv")[1][0], MEASURES.mean(axis=0))
    assert_one_error(cli("fit", "-", "-k", "2", input=""), "stdin: the file holds no data")
    binary = cli("fit", "-", "-k", "2", input=gzip.compress(people_csv().encode()).decode(
        "latin-1"), encoding="latin-1")
    assert_one_error(binary, "stdin: not a text CSV file")
    bad = cli("fit", "-", "-k", "1", input="a,b\n1,2\n3,4,5\n")
    assert_one_error(bad, "stdin: line 3 has 3 fields, expected 2")


def test_standard_input_that_is_a_terminal_is_refused_not_awaited() -> None:
    import pty

    controller, terminal = pty.openpty()
    try:
        out = cli("fit", "-", "-k", "2", stdin=terminal, timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    assert_one_error(out, "standard input is a terminal", "cat data.csv | quickmeans fit -")


def _zip(data: bytes, *names: str) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("suffix, compress", [
    (".csv.gz", gzip.compress), (".csv.bz2", bz2.compress), (".csv.xz", lzma.compress),
    (".zip", lambda data: _zip(data, "export/people.csv")),
    (".tsv.gz", None),
])
def test_compressed_input(tmp_path, suffix, compress) -> None:
    if compress is None:  # a gzipped .tsv: the inner suffix still says tab
        data, compress = people_csv("\t").encode(), gzip.compress
    else:
        data = people_csv().encode()
    (tmp_path / f"people{suffix}").write_bytes(compress(data))
    out = cli("fit", tmp_path / f"people{suffix}", "-k", "2", "--columns", "age,income",
              "--out", tmp_path / "labels.csv")
    assert out.returncode == 0, out.stderr
    assert groups(tmp_path / "labels.csv") == [1, 1, 1, 0, 0, 0]


def test_compressed_npy_and_damaged_or_crowded_archives(tmp_path) -> None:
    import io

    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    buffer = io.BytesIO()
    np.save(buffer, X)
    (tmp_path / "x.npy.gz").write_bytes(gzip.compress(buffer.getvalue()))
    out = cli("fit", tmp_path / "x.npy.gz", "-k", "2", "--out", tmp_path / "l.csv")
    assert out.returncode == 0, out.stderr
    assert groups(tmp_path / "l.csv") == [1, 1, 0, 0]
    (tmp_path / "two.zip").write_bytes(_zip(b"a\n1\n", "a.csv", "b.csv"))
    assert_one_error(cli("fit", tmp_path / "two.zip", "-k", "1"), "holds 2 files",
                     "a.csv, b.csv", "exactly one")
    (tmp_path / "bad.csv.gz").write_bytes(gzip.compress(b"a,b\n1,2\n")[:-9])
    assert_one_error(cli("fit", tmp_path / "bad.csv.gz", "-k", "1"), "not a valid gz file")


def _python2_npy(X: np.ndarray, extra: bytes = b"") -> bytes:
    """X as Python 2's numpy saved it: a header with long integers (40L), which numpy reads
    with a warning; ``extra`` bytes after the data damage it."""
    rows, cols = X.shape
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}L, {cols}L), }}"
    header = header.encode() + b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + \
        X.astype("<f8").tobytes() + extra


@pytest.mark.parametrize("suffix", [".npy", ".npy.gz"])
def test_python2_npy_reads_without_a_warning_line(tmp_path, suffix) -> None:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    with pytest.warns(UserWarning, match="created on Python 2"):  # what numpy says of it
        np.testing.assert_array_equal(np.load(io.BytesIO(_python2_npy(X))), X)
    pack = gzip.compress if suffix.endswith(".gz") else (lambda b: b)
    (tmp_path / f"x{suffix}").write_bytes(pack(_python2_npy(X)))
    out = cli("fit", tmp_path / f"x{suffix}", "-k", "2", "--out", tmp_path / "l.csv")
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert groups(tmp_path / "l.csv") == [1, 1, 0, 0]
    (tmp_path / f"bad{suffix}").write_bytes(pack(_python2_npy(X, b"\x00")))
    assert_one_error(cli("fit", tmp_path / f"bad{suffix}", "-k", "2"),
                     "not a valid .npy file", "but 65 bytes follow it")


MISSING_CSV = """a,b,c
1.0,10.0,100
NA,11.0,101
2.0,,102
3.0,12.0,null
4.0,NaN,103
5.0,13.0,None
6.0,14.0,n/a
7.0,15.0,104
"""


def _missing_matrix() -> np.ndarray:
    rows = [line.split(",") for line in MISSING_CSV.splitlines()[1:]]
    return np.array([[float(c) if c not in ("NA", "", "null", "NaN", "None", "n/a") else np.nan
                      for c in row] for row in rows])


@pytest.mark.parametrize("reader", READERS)
def test_missing_values_are_reported_dropped_or_imputed(tmp_path, reader) -> None:
    path = tmp_path / "holes.csv"
    path.write_text(MISSING_CSV)
    env = {"QUICKMEANS_CSV_READER": reader}
    assert_one_error(cli("fit", path, "-k", "1", env=env),
                     "6 missing values in 6 rows", "first on line 3", "'a'",
                     "--missing drop or --missing mean")
    X = _missing_matrix()
    complete = ~np.isnan(X).any(axis=1)
    dropped = cli("fit", path, "-k", "1", "--missing", "drop", "--out", tmp_path / "l.csv",
                  "--centers", tmp_path / "c.csv", env=env)
    assert dropped.returncode == 0, dropped.stderr
    assert "2 rows x 3 columns" in dropped.stdout
    lines = (tmp_path / "l.csv").read_text().splitlines()
    assert lines == ["row,label", "0,0", "7,0"]  # 0-based data rows, as pandas numbers them
    np.testing.assert_allclose(centers_of(tmp_path / "c.csv")[1][0], X[complete].mean(axis=0))
    imputed = cli("fit", path, "-k", "1", "--missing", "mean", "--centers", tmp_path / "m.csv",
                  env=env)
    assert imputed.returncode == 0, imputed.stderr
    assert "8 rows x 3 columns" in imputed.stdout
    np.testing.assert_allclose(centers_of(tmp_path / "m.csv")[1][0], np.nanmean(X, axis=0))


def test_missing_line_number_counts_blank_lines_and_quoted_newlines(tmp_path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text('a,note\n1,"two\nlines"\n\n2,x\n,y\n3,z\n')
    assert_one_error(cli("fit", path, "-k", "1", "--columns", "a"),
                     "1 missing values in 1 rows", "first on line 6")


def test_predict_with_dropped_rows_says_which_rows(tmp_path) -> None:
    (tmp_path / "train.csv").write_text("a,b\n0,0\n0,1\n10,10\n10,11\n")
    fit = cli("fit", tmp_path / "train.csv", "-k", "2", "--model", tmp_path / "m.qm")
    assert fit.returncode == 0, fit.stderr
    (tmp_path / "new.csv").write_text("a,b\n0,0\n,5\n10,10\n")
    out = cli("predict", tmp_path / "new.csv", "--model", tmp_path / "m.qm",
              "--missing", "drop")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "row,label" and [r.split(",")[0] for r in lines[1:]] == ["0", "2"]
    assert lines[1].split(",")[1] != lines[2].split(",")[1]


def test_header_rules(tmp_path) -> None:
    numeric = tmp_path / "numeric.csv"
    numeric.write_text("2019,2020\n1,2\n3,4\n5,6\n")
    as_data = cli("fit", numeric, "-k", "1", "--centers", tmp_path / "c.csv")
    assert as_data.returncode == 0 and "4 rows x 2 columns" in as_data.stdout
    assert centers_of(tmp_path / "c.csv")[0] == ["x0", "x1"]
    as_header = cli("fit", numeric, "-k", "1", "--header", "--centers", tmp_path / "h.csv")
    assert as_header.returncode == 0 and "3 rows x 2 columns" in as_header.stdout
    names, centers = centers_of(tmp_path / "h.csv")
    assert names == ["2019", "2020"] and centers.tolist() == [[3.0, 4.0]]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("7,alice,31\n8,bob,40\n9,carol,35\n")
    assert_one_error(cli("fit", mixed, "-k", "1"), "line 1", "could be a header or data",
                     "--header or --no-header")
    told = cli("fit", mixed, "-k", "1", "--no-header", "--centers", tmp_path / "n.csv")
    assert told.returncode == 0, told.stderr
    assert "3 rows x 2 columns" in told.stdout and "column 1" in told.stderr
    np.testing.assert_allclose(centers_of(tmp_path / "n.csv")[1], [[8.0, 106 / 3]])
    both = cli("fit", mixed, "-k", "1", "--header", "--no-header")
    assert_one_error(both, "not allowed with")


def test_parquet_pandas_index_is_never_a_feature(tmp_path) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [0.0, 0.0, 10.0, 10.0], "b": [0.0, 1.0, 10.0, 11.0],
                          "name": ["w", "x", "y", "z"]}, index=[100, 200, 300, 400])
    frame.to_parquet(tmp_path / "unnamed.parquet")  # stored as __index_level_0__
    frame.rename_axis("id").to_parquet(tmp_path / "named.parquet")  # index_columns: ["id"]
    for name in ("unnamed.parquet", "named.parquet"):
        out = cli("fit", tmp_path / name, "-k", "1", "--centers", tmp_path / "c.csv")
        assert out.returncode == 0, out.stderr
        assert "4 rows x 2 columns" in out.stdout
        names, centers = centers_of(tmp_path / "c.csv")
        assert names == ["a", "b"] and centers.tolist() == [[5.0, 5.5]]
        assert "name" in out.stderr and "index" not in out.stderr


def test_outputs_never_overwrite_the_input(tmp_path) -> None:
    data = tmp_path / "points.csv"
    data.write_text("a,b\n0,0\n0,1\n10,10\n10,11\n")
    before = data.read_bytes()
    os.link(data, tmp_path / "hardlink.csv")
    (tmp_path / "symlink.csv").symlink_to(data)
    for option, target in [("--out", data), ("--centers", tmp_path / "hardlink.csv"),
                           ("--model", tmp_path / "symlink.csv"),
                           ("--out", tmp_path / "sub" / ".." / "points.csv")]:
        (tmp_path / "sub").mkdir(exist_ok=True)
        assert_one_error(cli("fit", data, "-k", "2", option, target), option,
                         "never writes over its input")
        assert data.read_bytes() == before
    fit = cli("fit", data, "-k", "2", "--model", tmp_path / "m.qm")
    assert fit.returncode == 0, fit.stderr
    model_bytes = (tmp_path / "m.qm").read_bytes()
    assert_one_error(cli("predict", data, "--model", tmp_path / "m.qm", "--out",
                         tmp_path / "m.qm"), "--out", "never writes over its input")
    assert_one_error(cli("predict", data, "--model", tmp_path / "m.qm", "--out", data),
                     "never writes over its input")
    assert (tmp_path / "m.qm").read_bytes() == model_bytes and data.read_bytes() == before
    assert_one_error(cli("fit", data, "-k", "2", "--out", tmp_path / "x.csv", "--centers",
                         tmp_path / "x.csv"), "name the same file")


def test_plot_writes_the_format_its_suffix_names(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    data = tmp_path / "points.csv"
    data.write_text("a,b\n0,0\n0,1\n10,10\n10,11\n5,5\n")
    out = cli("fit", data, "-k", "2", "--plot", tmp_path / "fit.pdf")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "fit.pdf").read_bytes()[:5] == b"%PDF-"
    out = cli("elbow", data, "--k-min", "1", "--k-max", "3", "--plot", tmp_path / "elbow.svg")
    assert out.returncode == 0, out.stderr
    svg = (tmp_path / "elbow.svg").read_bytes()
    assert svg.startswith(b"<?xml") and b"<svg" in svg[:1000]
    assert_one_error(cli("fit", data, "-k", "2", "--plot", tmp_path / "fit.nope"),
                     "--plot", "nope")


def test_predict_prints_only_labels_and_a_closed_pipe_is_quiet(tmp_path) -> None:
    rng = np.random.RandomState(0)
    X = np.vstack([rng.randn(100_000, 2), rng.randn(100_000, 2) + 20])
    np.save(tmp_path / "x.npy", X)
    fit = cli("fit", tmp_path / "x.npy", "-k", "2", "--model", tmp_path / "m.qm",
              "--out", tmp_path / "l.csv")
    assert fit.returncode == 0, fit.stderr
    out = cli("predict", tmp_path / "x.npy", "--model", tmp_path / "m.qm")
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(np.array(out.stdout.split(), dtype=int),
                                  np.loadtxt(tmp_path / "l.csv", skiprows=1, dtype=int))
    assert re.fullmatch(r"quickmeans predict: 200000 rows; cluster sizes \[100000, 100000\]\n",
                        out.stderr)
    # `quickmeans predict ... | head -1`: the reader goes away after one line.
    with subprocess.Popen([*QUICKMEANS, "predict", str(tmp_path / "x.npy"), "--model",
                           str(tmp_path / "m.qm")], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        first = proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read()
        status = proc.wait(timeout=60)
    assert first.strip() in (b"0", b"1")
    assert status in (0, 141), (status, stderr)
    assert stderr.decode().splitlines() == [out.stderr.strip()]  # the summary, no traceback


def test_version() -> None:
    out = cli("--version")
    assert out.returncode == 0 and out.stdout == f"quickmeans {quickmeans.__version__}\n"


def test_elbow_without_kneed_suggests_from_silhouette(tmp_path) -> None:
    rng = np.random.RandomState(0)
    corners = np.array([[-10.0, -10.0], [-10.0, 10.0], [10.0, -10.0], [10.0, 10.0]])
    np.save(tmp_path / "x.npy", corners[rng.randint(4, size=800)] + rng.randn(800, 2))
    blocked = "import sys\nsys.modules['kneed'] = None  # `import kneed` raises ImportError"
    out = cli("elbow", tmp_path / "x.npy", "--k-min", "2", "--k-max", "6", wrapper=blocked)
    assert out.returncode == 0, out.stderr
    rows = re.findall(r"^\s+(\d+)\s+([0-9.e+]+)\s+([0-9.]+)$", out.stdout, re.M)
    assert [int(k) for k, _, _ in rows] == [2, 3, 4, 5, 6]
    best = max(rows, key=lambda r: float(r[2]))[0]
    assert best == "4" and "suggested k: 4 (the best silhouette)" in out.stdout
    assert "knee" not in out.stdout.replace("the knee", "")  # no knee is marked
    assert out.stderr.splitlines() == [
        "quickmeans: the knee of the inertia curve needs kneed: pip install 'quickmeans[plot]'"]
    with_kneed = cli("elbow", tmp_path / "x.npy", "--k-min", "2", "--k-max", "6")
    assert with_kneed.returncode == 0 and "<- knee" in with_kneed.stdout
    assert with_kneed.stderr == ""


def test_readers_agree_on_quotes_and_whitespace(tmp_path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text('a,b,t\n" 1.5",2,"x, y"\n3 ,4,z\n"5",6e0,"q ""r"""\n')
    results = []
    for reader in READERS:
        out = cli("fit", path, "-k", "1", "--centers", tmp_path / f"{reader}.csv",
                  env={"QUICKMEANS_CSV_READER": reader})
        assert out.returncode == 0, (reader, out.stderr)
        results.append(centers_of(tmp_path / f"{reader}.csv")[1].tolist())
    assert results == [[[3.1666666666666665, 4.0]]] * 3


def test_the_default_reader_falls_back_without_pyarrow_and_pandas(tmp_path) -> None:
    (tmp_path / "people.csv").write_text(people_csv())
    blocked = ("import sys\nfor name in ('pyarrow', 'pyarrow.csv', 'pandas'):\n"
               "    sys.modules[name] = None")
    out = cli("fit", tmp_path / "people.csv", "-k", "2", "--columns", "age,income",
              "--out", tmp_path / "l.csv", wrapper=blocked)
    assert out.returncode == 0, out.stderr
    assert groups(tmp_path / "l.csv") == [1, 1, 1, 0, 0, 0]
    assert sys.modules.get("pyarrow", True) is not None  # this process is untouched


def test_predict_parses_only_the_model_columns(tmp_path) -> None:
    (tmp_path / "train.csv").write_text("a,b\n0,0\n0,1\n10,10\n10,11\n")
    fit = cli("fit", tmp_path / "train.csv", "-k", "2", "--model", tmp_path / "m.qm")
    assert fit.returncode == 0, fit.stderr
    # Other columns, in another order, with holes and text: only b and a are parsed.
    (tmp_path / "new.csv").write_text("id,b,notes,a\nNA,0,x,0\n,10.5,oops,10\n7,1,,0\n")
    out = cli("predict", tmp_path / "new.csv", "--model", tmp_path / "m.qm")
    assert out.returncode == 0, out.stderr
    labels = out.stdout.split()
    assert len(labels) == 3 and labels[0] == labels[2] != labels[1]
    assert out.stderr.startswith("quickmeans predict: 3 rows") and len(out.stderr.splitlines()) == 1
    (tmp_path / "other.csv").write_text("a,c\n0,0\n")
    assert_one_error(cli("predict", tmp_path / "other.csv", "--model", tmp_path / "m.qm"),
                     "no column 'b'")
