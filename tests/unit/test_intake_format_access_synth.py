"""The generator's Access item (``generate_seizure(..., access=True)``): the XLS item's rows delivered
as ``学生家长名单.mdb``, with exact ground truth.

Checked against what does not come from the Access writer: the same seed without ``access`` gives
the XLS workbook, whose sheets (read by xlrd, a reader written by others) hold the values the
database's tables hold (read by mdbtools' mdb-export and by access-parser); every other file and
the whole ground truth but the item's path are unchanged; and intake (mdbtools) counts the
database's rows as the ground truth says.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
import xlrd
from access_parser import AccessParser
from factories import run_intake, seizure_with_and_without

from jobs.common.config import load_config
from jobs.synth import generate_seizure

XLS, MDB = "学生家长名单.xls", "学生家长名单.mdb"


def _xls_sheets(path) -> dict[str, list[list[str | None]]]:
    """Each sheet's data rows as text (a number cell's mobile number as its digits, an empty cell None)."""
    book = xlrd.open_workbook(str(path))
    out = {}
    for sheet in book.sheets():
        rows = []
        for r in range(1, sheet.nrows):
            cells = [sheet.cell_value(r, c) if c < sheet.ncols else "" for c in range(5)]
            rows.append([f"{v:.0f}" if isinstance(v, float) else (v or None) for v in cells])
        out[sheet.name] = rows
    return out


@pytest.mark.skipif(shutil.which("mdb-export") is None, reason="mdbtools not installed (make system-deps)")
def test_generated_access_item_holds_the_xls_rows_with_their_ground_truth(tmp_path):
    pair = seizure_with_and_without(tmp_path, "access", XLS, MDB)
    plain, packed, files_mdb, ev_plain, ev_mdb = pair.plain, pair.packed, pair.files_packed, pair.evidence_plain, pair.evidence_packed

    sheets = _xls_sheets(ev_plain / XLS)
    assert len(sheets) >= 2
    env = {"LC_ALL": "C.UTF-8"}
    tables = subprocess.run(["mdb-tables", "-1", str(ev_mdb / MDB)], capture_output=True, check=True, env=env).stdout
    assert tables.decode().splitlines() == list(sheets)
    parsed = AccessParser(str(ev_mdb / MDB))
    for name, rows in sheets.items():
        out = subprocess.run(["mdb-export", str(ev_mdb / MDB), name], capture_output=True, check=True, env=env).stdout
        exported = list(csv.reader(io.StringIO(out.decode("utf-8"), newline="")))
        assert exported[0] == ["姓名", "身份证号", "手机号", "住址", "班级"]
        assert exported[1:] == [[v or "" for v in row] for row in rows]
        table = parsed.parse_table(name)
        assert [list(r) for r in zip(*table.values())] == rows

    item = next(i for i in packed["items"] if i["path"] == MDB)
    assert item["header_rows"] == len(sheets)
    assert packed == {**plain, "items": [item if i["path"] == XLS else i for i in plain["items"]]}

    synonyms = {k: list(v) for k, v in load_config().synonyms.items()}  # as the intake stage passes them
    result = run_intake(tmp_path / "intake", {MDB: files_mdb[MDB]}, synonyms=synonyms)
    e = result.items[MDB]
    assert (e["format"], e["sheets"]) == ("access", list(sheets))
    assert (e["rows_read"], e["rows_quarantined"], e["header_rows"], e["blank_lines"]) == (
        item["raw_rows"], item["quarantined_rows"], item["header_rows"], item["blank_lines"])
    assert e["records"] == item["raw_rows"] - item["quarantined_rows"]
    assert e["line_ledger"]["balanced"] is True
    # a rerun writes the same bytes
    generate_seizure(tmp_path / "again", records=1000, seed=5, access=True)
    assert (tmp_path / "again" / "evidence" / MDB).read_bytes() == files_mdb[MDB]
