"""SQLite database files in a seizure (jobs.intake.formats.sqlite, Python's sqlite3).

The databases are written here by Python's own ``sqlite3`` (the SQLite library, not our code);
expected rows are the values inserted, expected hashes come from hashlib over the file's bytes.
An SQLite file is read by its magic bytes under any name (an application's ``.dat``), so a test
puts one under a text name.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3

from factories import digests, run_intake

OK_CSV = "姓名,手机号\n赵六,13912345670\n".encode("utf-8")


def _db(path, *statements, rows=()):
    con = sqlite3.connect(path)
    for sql in statements:
        con.execute(sql)
    for sql, values in rows:
        con.executemany(sql, values)
    con.commit()
    con.close()
    return path.read_bytes()


def _rows(raw, item):
    return [(r["sheet"], r["line_number"], r["name_raw"], r["id_number_raw"], r["phone_raw"], r["address_raw"],
             json.loads(r["extra"] or "{}") or None) for r in raw if r["item_path"] == item]


def test_sqlite_tables_read_as_text_in_rowid_order_under_any_name(tmp_path):
    data = _db(tmp_path / "a.db",
               "CREATE TABLE 人员 (姓名 TEXT, 身份证号 TEXT, 手机号 TEXT, 地址 TEXT)",
               "CREATE TABLE numbers (姓名 TEXT, 身份证号 INTEGER, 手机号 INTEGER, r REAL, b BLOB)",
               rows=[("INSERT INTO 人员 (rowid, 姓名, 身份证号, 手机号, 地址) VALUES (?, ?, ?, ?, ?)",
                      [(2, "李四", "110105194912310021", "013912345679", "北京市朝阳区"),
                       (1, "张三", "11010519491231002X", "13912345678", None),
                       (3, "王五", "000123", "0", "")]),
                     ("INSERT INTO numbers VALUES (?, ?, ?, ?, ?)",
                      [("钱七", 110105194912310021, 13912345678, 1.5, b"\x00\xff"),
                       ("孙八", None, None, 110105194912310021.0, None)])])
    bad = _db(tmp_path / "b.db", "CREATE TABLE t (姓名 TEXT, 手机号 TEXT)",
              "INSERT INTO t VALUES ('周九', '13912345671')",
              "INSERT INTO t VALUES (CAST(x'ff' AS TEXT), '13912345672')")
    items, entries, raw, quarantine, refusals = run_intake(tmp_path, {"导出.dat": data, "b.sqlite": bad, "ok.csv": OK_CSV})

    assert refusals == []
    a = items["导出.dat"]
    assert (a["sha256"], a["bytes"]) == (digests(data)["sha256"], len(data))
    assert (a["format"], a["sheets"], a["rows_read"], a["records"], a["rows_quarantined"]) == (
        "sqlite", ["numbers", "人员"], 5, 5, 0)
    # one header line per table + one line per row; precision lost: the REAL 1.10105194912310021e17
    assert (a["physical_lines"], a["header_rows"], a["precision_lost_cells"]) == (7, 2, 1)
    assert a["headers"] == {"numbers": ["姓名", "身份证号", "手机号", "r", "b"], "人员": ["姓名", "身份证号", "手机号", "地址"]}
    assert a["line_ledger"]["balanced"] is True
    # Text as stored: 18 digits and leading zeros kept; INTEGER as its exact digits; BLOB as X'hex';
    # an integer-valued REAL of 18 digits shown as Excel's General format shows it (15 digits).
    assert _rows(raw, "导出.dat") == [
        ("numbers", 1, "钱七", "110105194912310021", "13912345678", None, {"b": "X'00FF'", "r": "1.5"}),
        ("numbers", 2, "孙八", None, None, None, {"b": None, "r": "1.10105194912310E+17"}),
        ("人员", 1, "张三", "11010519491231002X", "13912345678", None, None),
        ("人员", 2, "李四", "110105194912310021", "013912345679", "北京市朝阳区", None),
        ("人员", 3, "王五", "000123", "0", "", None)]  # an empty TEXT is kept as stored
    # a TEXT value that is not UTF-8 is quarantined, the rest of the table read
    b = items["b.sqlite"]
    assert (b["format"], b["rows_read"], b["records"], b["rows_quarantined"]) == ("sqlite", 2, 1, 1)
    assert _rows(raw, "b.sqlite") == [("t", 1, "周九", None, "13912345671", None, None)]
    assert [(q["item_path"], q["sheet"], q["line_number"], q["reason_code"]) for q in quarantine] == [
        ("b.sqlite", "t", 2, "undecodable")]
    assert _rows(raw, "ok.csv") == [("", 2, "赵六", None, "13912345670", None, None)]
    # the originals are never written (read-only, immutable): same bytes after intake
    assert hashlib.sha256((tmp_path / "evidence" / "导出.dat").read_bytes()).hexdigest() == digests(data)["sha256"]


def test_sqlite_views_triggers_virtual_tables_never_run(tmp_path):
    path = tmp_path / "h.db"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE p (姓名 TEXT, 手机号 TEXT);
        INSERT INTO p VALUES ('张三', '13912345678');
        CREATE TABLE audit (n INTEGER);
        -- would write on any change; a read never fires it
        CREATE TRIGGER tr AFTER INSERT ON p BEGIN INSERT INTO audit VALUES (1); END;
        -- an endless recursive view: selecting it would never end
        CREATE VIEW forever AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c;
        CREATE VIRTUAL TABLE ft USING fts5(姓名, 手机号);
        INSERT INTO ft VALUES ('李四', '13912345679');
        CREATE TABLE g (姓名 TEXT, up TEXT GENERATED ALWAYS AS (upper(姓名)) VIRTUAL);
        INSERT INTO g (姓名) VALUES ('王五');
        ANALYZE;
    """)
    # a statistics table claiming a huge row count (the reader counts rows itself), and a virtual
    # table of a module that does not exist here (written as the schema row a hostile file can hold)
    con.execute("UPDATE sqlite_stat1 SET stat = '999999999999 1'")
    con.execute("PRAGMA writable_schema = ON")
    con.execute("INSERT INTO sqlite_master VALUES ('table', 'evil', 'evil', 0, 'CREATE VIRTUAL TABLE evil USING nosuch(x)')")
    con.commit()
    con.close()
    data = path.read_bytes()
    items, _, raw, quarantine, refusals = run_intake(tmp_path, {"h.db": data})

    assert refusals == [] and quarantine == []
    h = items["h.db"]
    assert (h["sheets"], h["records"], h["rows_read"], h["blank_lines"]) == (["audit", "g", "p"], 2, 2, 0)
    assert {k: v for k, v in h["column_inference"].items() if "skipped" in v} == {
        "evil": {"skipped": "virtual table (calls a module): not read"},
        "forever": {"skipped": "view (runs the file's own SQL): not read"},
        "ft": {"skipped": "virtual table (calls a module): not read"},
        **{f"ft_{s}": {"skipped": "shadow table of a virtual table (the module's own storage): not read"}
           for s in ("config", "content", "data", "docsize", "idx")},
        "g.up": {"skipped": "virtual generated column (computed, not stored): not read"},
        "tr": {"skipped": "trigger (the file's own SQL): never fired, nothing is written"}}
    assert [(r["sheet"], r["line_number"], r["name_raw"], r["phone_raw"]) for r in raw] == [
        ("g", 1, "王五", None), ("p", 1, "张三", "13912345678")]
    assert hashlib.sha256((tmp_path / "evidence" / "h.db").read_bytes()).hexdigest() == digests(data)["sha256"]


def test_damaged_sqlite_refused_and_the_rest_proceeds(tmp_path):
    rows = [("INSERT INTO t VALUES (?, ?)", [(f"人{i}", f"139{i:08d}") for i in range(500)])]
    good = _db(tmp_path / "g.db", "CREATE TABLE t (姓名 TEXT, 手机号 TEXT)", rows=rows)
    page = int.from_bytes(good[16:18], "big")  # the page size (SQLite file format §1.3.2)
    corrupt = bytearray(good)
    corrupt[page:page + 16] = b"\xff" * 16  # the table's root page header (page 2) smashed
    huge = bytearray(good)
    huge[28:32] = (0x7FFFFFFF).to_bytes(4, "big")  # in-header database size: 2^31 - 1 pages
    truncated = good[: page + 100]
    items, entries, raw, _, refusals = run_intake(tmp_path, {
        "corrupt.db": bytes(corrupt), "huge.db": bytes(huge), "truncated.db": truncated, "ok.csv": OK_CSV})
    assert [(r["path"], r["refusal_reason"], r["refusal_detail"]) for r in refusals] == [
        ("corrupt.db", "unreadable_item", "DatabaseError"), ("huge.db", "unreadable_item", "DatabaseError"),
        ("truncated.db", "unreadable_item", "DatabaseError")]
    assert {r["item_path"] for r in raw} == {"ok.csv"}
    assert items["corrupt.db"]["sha256"] == hashlib.sha256(bytes(corrupt)).hexdigest()
    assert [(e["path"], e["rows_read"], e["records"]) for e in entries] == [
        ("corrupt.db", 0, 0), ("huge.db", 0, 0), ("ok.csv", 1, 1), ("truncated.db", 0, 0)]
