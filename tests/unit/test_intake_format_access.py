"""Access databases in a seizure (jobs.intake.formats.access, mdbtools).

Databases with rows are written by the generator's Jet 4 writer (jobs.synth.items.access, itself
checked with mdbtools and access-parser in test_synth_access.py) and read through intake whole:
records, locators (table, row), ledger, items register; the expected values are those written. An
Access file is told by its header (``Standard Jet DB`` / ``Standard ACE DB`` at offset 4) under any
name; a damaged one is refused; the tools missing refuse it ``reader_unavailable``; and the limits
every tool run is under are real: stand-in tools (small scripts put first on ``PATH``) that hang,
allocate or write are stopped by them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest
from factories import run_intake

from jobs.common.config import AccessLimits
from jobs.intake.formats import access
from jobs.intake.formats.rows import ItemStats, ParseOptions
from jobs.intake.refusals import ItemRefused
from jobs.synth.items.access import AccessColumn, AccessTable, mdb_bytes

# A Jet 4 header start (version byte 1 at offset 20) with nothing valid after it.
DAMAGED = b"\x00\x01\x00\x00Standard Jet DB\x00\x01" + bytes(range(256)) * 16
ACE = b"\x00\x01\x00\x00Standard ACE DB\x00\x02" + b"\x00" * 4000
OK_CSV = "姓名,手机号\n赵六,13912345670\n".encode("utf-8")


needs_mdbtools = pytest.mark.skipif(shutil.which("mdb-tables") is None, reason="mdbtools not installed (make system-deps)")


@needs_mdbtools
def test_damaged_access_files_refused_under_any_name(tmp_path):
    items, entries, raw, _, refusals = run_intake(tmp_path, {"a.mdb": DAMAGED, "b.dat": ACE, "ok.csv": OK_CSV})
    assert [(r["path"], r["refusal_reason"], r["refusal_detail"]) for r in refusals] == [
        ("a.mdb", "unreadable_item", "mdb-tables: exit 1"), ("b.dat", "unreadable_item", "mdb-tables: exit 1")]
    assert (items["a.mdb"]["format_detected"], items["b.dat"]["format_detected"]) == ("access", "access")
    assert items["a.mdb"]["sha256"] == hashlib.sha256(DAMAGED).hexdigest()
    assert [(r["item_path"], r["name_raw"]) for r in raw] == [("ok.csv", "赵六")]


def test_access_without_mdbtools_refused_reader_unavailable(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    items, _, raw, _, refusals = run_intake(tmp_path, {"a.accdb": ACE, "ok.csv": OK_CSV})
    assert [(r["path"], r["refusal_reason"], r["refusal_detail"]) for r in refusals] == [
        ("a.accdb", "reader_unavailable", "mdbtools")]
    assert [r["item_path"] for r in raw] == ["ok.csv"]


def _stand_in(folder: Path, body: str) -> None:
    """mdb-tables, mdb-count and mdb-export as one Python script running ``body``."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in access.TOOLS:
        p = folder / tool
        p.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n")
        p.chmod(0o755)


def _refusal(tmp_path, monkeypatch, body: str, **limits) -> str:
    _stand_in(tmp_path / "bin", body)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    db = tmp_path / "x.mdb"
    db.write_bytes(ACE)
    with pytest.raises(ItemRefused) as exc:
        list(access.parse_access(db, ItemStats(), ParseOptions(access=AccessLimits(**{"timeout_seconds": 30, **limits}))))
    return f"{exc.value.reason}: {exc.value.detail}"


def test_a_hanging_tool_is_killed_at_the_timeout(tmp_path, monkeypatch):
    assert _refusal(tmp_path, monkeypatch, "time.sleep(60)", timeout_seconds=1) == "unreadable_item: mdb-tables: timeout"


def test_a_tool_cannot_take_more_memory_than_its_limit(tmp_path, monkeypatch):
    # 3 GiB is more than the address-space limit (2 GiB): MemoryError, exit 1. Without the limit the
    # allocation succeeds (calloc'd pages are not touched) and the script exits 0.
    assert _refusal(tmp_path, monkeypatch, "b = bytearray(3 << 30)", memory_bytes=2 << 30) == (
        "unreadable_item: mdb-tables: exit 1")


def test_a_tool_that_prints_more_than_its_limit_is_stopped(tmp_path, monkeypatch):
    # 1 MiB of table names against a 64 KiB cap; without the cap the stand-in exits 0.
    body = "sys.stdout.write(('t' * 1023 + '\\n') * 1024)"
    assert _refusal(tmp_path, monkeypatch, body, max_output_bytes=64 << 10) == "unreadable_item: mdb-tables: output too large"


@needs_mdbtools
def test_the_limits_come_from_the_intake_settings(tmp_path):
    # intake.access of configs/pipeline.yaml, as the intake stage passes it: table u's CSV is 130
    # bytes of UTF-8 (header 7, one quoted row of 40 characters 123), more than a 40-byte cap; t's is
    # 25 and mdb-tables / mdb-count print 4 and 2. Nothing of the item is used.
    data = mdb_bytes([AccessTable("t", [AccessColumn("姓名")], [("张三",), ("李四",)]),
                      AccessTable("u", [AccessColumn("姓名")], [("王五" * 20,)])])
    _, _, raw, _, refusals = run_intake(tmp_path / "a", {"a.mdb": data}, settings={"access": {"max_output_bytes": 40}})
    assert [(r["path"], r["refusal_detail"]) for r in refusals] == [("a.mdb", "mdb-export: output too large")]
    _, _, raw, _, refusals = run_intake(tmp_path / "b", {"a.mdb": data}, settings={"access": {"max_output_bytes": 400}})
    assert refusals == [] and [r["name_raw"] for r in raw] == ["张三", "李四", "王五" * 20]


def test_a_tool_cannot_write_a_file(tmp_path, monkeypatch):
    # RLIMIT_FSIZE = 0: the first byte written to a file fails (a C tool is killed by SIGXFSZ; Python
    # ignores that signal and gets EFBIG, so the stand-in exits 1). Without the limit it exits 0.
    target = tmp_path / "written"
    body = f"open({str(target)!r}, 'wb', buffering=0).write(b'x')"
    assert _refusal(tmp_path, monkeypatch, body) == "unreadable_item: mdb-tables: exit 1"
    assert not target.exists() or target.stat().st_size == 0


def _rc4(key: bytes, data: bytes) -> bytes:
    """RC4 written out here (the textbook key schedule and generator), independent of the reader's library."""
    box, j = list(range(256)), 0
    for i in range(256):
        j = (j + box[i] + key[i % len(key)]) % 256
        box[i], box[j] = box[j], box[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + box[i]) % 256
        box[i], box[j] = box[j], box[i]
        out.append(byte ^ box[(box[i] + box[j]) % 256])
    return bytes(out)


def _jet3_header(code_page: int) -> bytes:
    """Page 0 of a Jet 3 file: magic, version 0 at 0x14, the code page at 0x3C, bytes 0x18..0x95
    masked with RC4 under the key 0x6b39dac7 (little-endian), as Access 97 writes them."""
    page = bytearray(2048)
    page[0:20] = b"\x00\x01\x00\x00Standard Jet DB\x00"
    page[0x3C:0x3E] = code_page.to_bytes(2, "little")
    page[0x18:0x18 + 126] = _rc4((0x6B39DAC7).to_bytes(4, "little"), bytes(page[0x18:0x18 + 126]))
    return bytes(page)


def test_jet3_code_page_is_read_from_the_masked_header_and_given_to_mdbtools(tmp_path, monkeypatch):
    assert access.jet3_code_page(_jet3_header(936)) == ("CP936", True)
    assert access.jet3_code_page(_jet3_header(1252)) == ("CP1252", True)
    assert access.jet3_code_page(_jet3_header(0)) == ("CP936", False)  # none declared: Chinese Windows
    assert access.jet3_code_page(_jet3_header(54321)) == ("CP936", False)  # no such code page
    assert access.jet3_code_page(ACE) is None  # ACE / Jet 4: Unicode
    # the stand-in prints the charset it was given as a table name, which must then be exported
    body = """
import os
tool = sys.argv[0].rsplit("/", 1)[-1]
if tool == "mdb-tables":
    print(os.environ["MDB_JET3_CHARSET"])
elif tool == "mdb-count":
    print(1)
else:
    print('"姓名"'); print('"张三"')
"""
    _stand_in(tmp_path / "bin", body)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    items, _, raw, _, refusals = run_intake(tmp_path, {"a.mdb": _jet3_header(1252), "b.mdb": _jet3_header(0) + b"\x01"})
    assert refusals == []
    assert [(p, items[p]["sheets"], items[p]["encoding"], items[p]["encoding_detected"]) for p in ("a.mdb", "b.mdb")] == [
        ("a.mdb", ["CP1252"], "cp1252", "Jet 3: declared"), ("b.mdb", ["CP936"], "cp936", "Jet 3: undeclared, CP936 assumed")]


def test_tool_output_is_read_as_tables_with_the_row_count_checked(tmp_path, monkeypatch):
    # The stand-in prints what mdb-tables / mdb-count / mdb-export print (mdbtools' CSV: text quoted,
    # quotes doubled, a newline inside a quoted field); a count that differs refuses the item.
    body = """
tool = sys.argv[0].rsplit("/", 1)[-1]
if tool == "mdb-tables":
    print("人员")
elif tool == "mdb-count":
    print(COUNT)
else:
    sys.stdout.write('"姓名","身份证号","手机号"\\n"张三","11010519491231002X","013912345678"\\n"李""四","","139"\\n')
"""
    _stand_in(tmp_path / "bin", body.replace("COUNT", "2"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    items, _, raw, quarantine, refusals = run_intake(tmp_path, {"p.accdb": ACE})
    assert refusals == [] and quarantine == []
    assert (items["p.accdb"]["format"], items["p.accdb"]["sheets"], items["p.accdb"]["records"]) == ("access", ["人员"], 2)
    assert [(r["sheet"], r["line_number"], r["name_raw"], r["id_number_raw"], r["phone_raw"]) for r in raw] == [
        ("人员", 1, "张三", "11010519491231002X", "013912345678"), ("人员", 2, '李"四', None, "139")]
    assert _refusal(tmp_path / "again", monkeypatch, body.replace("COUNT", "3")) == (
        "unreadable_item: rows read differ from mdb-count")


def _raw(raw):
    return [(r["item_path"], r["sheet"], r["line_number"], r["byte_offset"], r["name_raw"], r["id_number_raw"],
             r["phone_raw"], r["address_raw"], json.loads(r["extra"] or "{}")) for r in raw]


@needs_mdbtools
def test_generated_database_read_whole_through_intake(tmp_path):
    person = [AccessColumn("姓名", length=10), AccessColumn("身份证号", length=18), AccessColumn("手机号", length=11),
              AccessColumn("地址", kind="memo"), AccessColumn("班级", length=10)]
    long_address = "广东省深圳市南山区" + "科技园路" * 100  # 409 characters: on an LVAL page
    data = mdb_bytes([
        AccessTable("家长", person, [
            ("张三", "11010519491231002X", "01391234567", "北京市朝阳区", "3年级2班"),
            (None, None, None, None, None),  # a row of NULLs: a blank row
            ("李四", "000123", "13912345678", long_address, ""),  # an empty text is missing, as NULL
            ("王五", "440301199001011234", None, None, None)]),
        AccessTable("空表", [AccessColumn("姓名")], []),
        AccessTable("电话", [AccessColumn("手机号", length=11)], [("13800000000",)])])
    items, entries, raw, quarantine, refusals = run_intake(tmp_path, {"名单.mdb": data})

    assert refusals == [] and quarantine == []
    e = items["名单.mdb"]
    assert (e["sha256"], e["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (e["format"], e["encoding"], e["encoding_detected"]) == ("access", "utf-16-le", "Jet 4 / ACE: Unicode")
    assert e["sheets"] == ["家长", "空表", "电话"]
    assert e["headers"] == {"家长": ["姓名", "身份证号", "手机号", "地址", "班级"], "空表": ["姓名"], "电话": ["手机号"]}
    # one header line a table, one line a row: 3 + 4 + 0 + 1
    assert (e["physical_lines"], e["header_rows"], e["rows_read"], e["blank_lines"], e["records"], e["rows_quarantined"]) == (
        8, 3, 4, 1, 4, 0)
    assert e["line_ledger"] == {"physical_lines": 8, "accounted": 8, "balanced": True,
                                "rule": "physical_lines = rows_read + header_rows + blank_lines + continuation_lines"}
    assert _raw(raw) == [
        ("名单.mdb", "家长", 1, None, "张三", "11010519491231002X", "01391234567", "北京市朝阳区", {"班级": "3年级2班"}),
        ("名单.mdb", "家长", 3, None, "李四", "000123", "13912345678", long_address, {"班级": None}),
        ("名单.mdb", "家长", 4, None, "王五", "440301199001011234", None, None, {"班级": None}),
        ("名单.mdb", "电话", 1, None, None, None, "13800000000", None, {})]
    assert e["column_mapping"]["家长"] == {"姓名": "name", "身份证号": "id_number", "手机号": "phone", "地址": "address",
                                        "班级": "extra"}
    assert entries == [e]  # the items register: this one item
