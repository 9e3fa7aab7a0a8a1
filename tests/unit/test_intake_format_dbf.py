"""dBASE ``.dbf`` tables in a seizure (jobs.intake.formats.dbf, dbfread).

The tables are written here by the ``dbf`` package (an independent writer, not our reader's
dbfread); where that writer cannot store what a seized file can hold (it passes numbers through a
float, so an 18-digit number loses its last digits) the field's bytes are set here from the dBASE
file structure: header of 32 bytes, 32 bytes per field descriptor and a 0x0D terminator, then
fixed-length records, each a deletion flag byte (`` `` or ``*``) and the fields in order.
Expected rows are the values written; hashes come from hashlib; byte offsets from that structure.
"""

from __future__ import annotations

import hashlib
import json

import dbf
from factories import digests, run_intake

SYNONYMS = {"name": ["xm"], "id_number": ["sfzh"], "phone": ["sj"], "address": ["dz"]}


def _table(path, spec, rows, codepage, deleted=()):
    t = dbf.Table(str(path), spec, codepage=codepage, dbf_type="db3")
    t.open(dbf.READ_WRITE)
    for row in rows:
        t.append(row)
    for i in deleted:
        dbf.delete(t[i])
    t.close()
    return bytearray(path.read_bytes())


def _layout(spec):
    """(header length, record length, {field: (offset in the record, length)}) of a dBASE III table."""
    fields, offset = {}, 1
    for part in spec.split(";"):
        name, size = part.split()
        length = int(size.strip("CNDL()").split(",")[0]) if "(" in size else {"D": 8, "L": 1}[size[0]]
        fields[name.upper()] = (offset, length)
        offset += length
    return 32 + 32 * len(fields) + 1, offset, fields


def _set(data, spec, record, field, text: bytes):
    header_len, record_len, fields = _layout(spec)
    start, length = fields[field]
    at = header_len + record * record_len + start
    data[at:at + length] = text.rjust(length)


def _rows(raw):
    return [(r["line_number"], r["byte_offset"], r["name_raw"], r["id_number_raw"], r["phone_raw"], r["address_raw"],
             json.loads(r["extra"] or "{}")) for r in raw]


SPEC = "xm C(20); sfzh C(18); sj N(18,0); dz C(30); je N(10,2); rq D; flag L"


def test_dbf_gbk_table_read_as_stored_with_deleted_records_quarantined(tmp_path):
    data = _table(tmp_path / "t.dbf", SPEC, [
        ("张三", "11010519491231002X", 13912345678, "北京市朝阳区", 12.5, dbf.Date(2020, 1, 2), True),
        ("李四", "000123", 1, "上海市", 0, None, False),
        ("王五", "110105194912310021", 0, "", 1, None, None)], "cp936", deleted=[1])
    _set(data, SPEC, 2, "SJ", b"110105194912310021")  # 18 digits in a numeric field, as a seized file has them
    _set(data, SPEC, 1, "SJ", b"013912345679")        # a writer that kept a leading zero
    data = bytes(data)
    assert data[29] == 0x4D  # the language driver byte the writer set for cp936 (GBK)
    header_len, record_len, _ = _layout(SPEC)
    items, entries, raw, quarantine, refusals = run_intake(tmp_path, {"人员.dbf": data}, synonyms=SYNONYMS)

    assert refusals == []
    e = items["人员.dbf"]
    assert (e["sha256"], e["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (e["format"], e["encoding"], e["encoding_detected"], e["sheets"]) == ("dbf", "cp936", "declared", ["人员"])
    assert (e["physical_lines"], e["header_rows"], e["rows_read"], e["records"], e["rows_quarantined"]) == (4, 1, 3, 2, 1)
    assert e["headers"] == {"人员": ["XM", "SFZH", "SJ", "DZ", "JE", "RQ", "FLAG"]}
    assert e["line_ledger"]["balanced"] is True
    assert _rows(raw) == [
        (1, header_len, "张三", "11010519491231002X", "13912345678", "北京市朝阳区", {"JE": "12.50", "RQ": "20200102", "FLAG": "T"}),
        (3, header_len + 2 * record_len, "王五", "110105194912310021", "110105194912310021", None,
         {"JE": "1.00", "RQ": None, "FLAG": None})]
    assert [(q["line_number"], q["byte_offset"], q["reason_code"], q["raw_line"]) for q in quarantine] == [
        (2, header_len + record_len, "dbf_deleted_record", "李四\t000123\t013912345679\t上海市\t0.00\t\tF")]


def test_dbf_code_pages_big5_undeclared_and_undecodable(tmp_path):
    spec = "xm C(12); sj C(12)"
    big5 = bytes(_table(tmp_path / "b.dbf", spec, [("陳大文", "0912345678")], "cp950"))
    undeclared = _table(tmp_path / "u.dbf", spec, [("王五", "13912345678")], "cp936")
    undeclared[29] = 0  # no language driver: read as GB18030, the Chinese Windows superset of GBK
    _set(undeclared, spec, 0, "XM", "䶮".encode("gb18030").ljust(12))  # a GB18030 character that GBK lacks
    bad = _table(tmp_path / "x.dbf", spec, [("赵六", "13912345670"), ("孙八", "13912345671")], "cp936")
    _set(bad, spec, 1, "XM", b"\xff\xff".ljust(12))  # no such byte pair in GBK
    items, _, raw, quarantine, refusals = run_intake(
        tmp_path, {"b.dbf": big5, "u.dbf": bytes(undeclared), "x.dbf": bytes(bad)}, synonyms=SYNONYMS)

    assert refusals == []
    assert [(p, items[p]["encoding"], items[p]["encoding_detected"], items[p]["records"], items[p]["rows_quarantined"])
            for p in ("b.dbf", "u.dbf", "x.dbf")] == [
        ("b.dbf", "cp950", "declared", 1, 0), ("u.dbf", "gb18030", "undeclared: GB18030 assumed", 1, 0),
        ("x.dbf", "cp936", "declared", 1, 1)]
    assert [(r["item_path"], r["name_raw"], r["phone_raw"]) for r in raw] == [
        ("b.dbf", "陳大文", "0912345678"), ("u.dbf", "䶮", "13912345678"), ("x.dbf", "赵六", "13912345670")]
    assert [(q["item_path"], q["line_number"], q["reason_code"]) for q in quarantine] == [("x.dbf", 2, "undecodable")]


def test_truncated_or_foreign_dbf_refused_and_the_rest_proceeds(tmp_path):
    spec = "xm C(12); sj C(12)"
    good = bytes(_table(tmp_path / "g.dbf", spec, [("张三", "13912345678"), ("李四", "13912345679")], "cp936"))
    header_len, record_len, _ = _layout(spec)
    truncated = good[: header_len + record_len]  # the header still counts two records
    foreign = b"name,phone\n" * 20
    huge = bytearray(good)
    huge[4:8] = (0xFFFFFFFF).to_bytes(4, "little")  # the header's record count: 2^32 - 1
    zero = bytearray(good)
    zero[10:12] = (0).to_bytes(2, "little")  # record length 0
    items, entries, raw, _, refusals = run_intake(
        tmp_path, {"t.dbf": truncated, "f.dbf": foreign, "g.dbf": good, "h.dbf": bytes(huge), "z.dbf": bytes(zero)},
        synonyms=SYNONYMS)
    assert [(r["path"], r["refusal_reason"], r["refusal_detail"]) for r in refusals] == [
        ("f.dbf", "unreadable_item", "ValueError"), ("h.dbf", "unreadable_item", "ValueError"),
        ("t.dbf", "unreadable_item", "ValueError"), ("z.dbf", "unreadable_item", "ValueError")]
    assert [(r["item_path"], r["name_raw"]) for r in raw] == [("g.dbf", "张三"), ("g.dbf", "李四")]
    assert items["t.dbf"]["sha256"] == digests(truncated)["sha256"] and items["t.dbf"]["rows_read"] == 0
