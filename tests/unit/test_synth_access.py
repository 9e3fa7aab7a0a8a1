"""The generator's Jet 4 writer (jobs.synth.items.access), checked only with readers others wrote.

Every database written here is read back by mdbtools (``mdb-tables``, ``mdb-schema``, ``mdb-count``,
``mdb-export``: Debian's package, the tools intake runs) and by ``access-parser`` (PyPI, a
second, independent Python parser); the expected values are the values the test wrote. mdb-export
prints NULL and an empty text alike (an empty field, libmdb binds both with length 0), so the NULL /
empty-string difference is checked with access-parser, which keeps them apart.
"""

from __future__ import annotations

import csv
import io
import shutil
import struct
import subprocess

import pytest
from access_parser import AccessParser

from jobs.synth.items.access import AccessColumn, AccessTable, mdb_bytes, write_mdb

needs_mdbtools = pytest.mark.skipif(shutil.which("mdb-export") is None, reason="mdbtools not installed (make system-deps)")

COLUMNS = (AccessColumn("姓名", length=20), AccessColumn("身份证号", length=18), AccessColumn("手机号", length=11),
           AccessColumn("备注", kind="memo"))
#: Identifiers that must stay text, Chinese text, NULL and empty strings, and memos stored inline
#: (short), on one LVAL page (2,000 bytes) and chained over LVAL pages (10,000 bytes).
SPECIAL = [
    ("张三", "11010519491231002X", "13912345678", "北京市朝阳区建国路88号"),
    ("李四", "000123", "01391234567", None),
    ("王五", "", None, ""),
    (None, None, None, None),
    ("赵六", "110105194912310021", "13800000000", "长" * 1000),
    ("孙七", "44030119900101123X", "19912345678", "备注" * 2500),
]
#: 400 more rows: about 110 bytes each, so the table spans several 4 KB data pages.
MANY = [(f"人员{i}", f"{i:018d}", f"139{i:08d}", f"第{i}号") for i in range(400)]


def _tables() -> list[AccessTable]:
    return [AccessTable("人员名单", COLUMNS, SPECIAL + MANY),
            AccessTable("Phones", [AccessColumn("phone", length=11)], [("13912345678",), ("0",)]),
            AccessTable("空表", [AccessColumn("a")], [])]


def _tool(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, check=True, env={"LC_ALL": "C.UTF-8"}).stdout.decode("utf-8")


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("mdb") / "名单.mdb"
    write_mdb(path, _tables())
    return path


@needs_mdbtools
def test_mdbtools_lists_counts_and_exports_every_value_written(database):
    assert _tool("mdb-ver", str(database)).strip() == "JET4"
    assert _tool("mdb-tables", "-1", str(database)).splitlines() == ["人员名单", "Phones", "空表"]
    for table in _tables():
        assert _tool("mdb-count", str(database), table.name).strip() == str(len(table.rows))
        rows = list(csv.reader(io.StringIO(_tool("mdb-export", str(database), table.name), newline="")))
        assert rows[0] == [c.name for c in table.columns]
        assert rows[1:] == [["" if v is None else v for v in row] for row in table.rows]


@needs_mdbtools
def test_mdbtools_schema_gives_the_column_types_and_lengths(database):
    schema = _tool("mdb-schema", str(database), "access")
    body = schema[schema.index("CREATE TABLE [人员名单]"):]
    lines = [" ".join(line.split()) for line in body.splitlines()[2:6]]
    assert lines == ["[姓名] Text (20),", "[身份证号] Text (18),", "[手机号] Text (11),", "[备注] Memo/Hyperlink (255)"]
    assert "CREATE TABLE [空表]" in schema and "MSysObjects" not in schema


def test_access_parser_reads_the_same_values_with_null_apart_from_empty(database):
    db = AccessParser(str(database))
    assert [name for name in db.catalog if name != "MSysObjects"] == ["人员名单", "Phones", "空表"]
    for table in _tables()[:2]:
        parsed = db.parse_table(table.name)
        assert list(parsed) == [c.name for c in table.columns]
        assert list(zip(*parsed.values())) == [tuple(row) for row in table.rows]
    assert dict(db.parse_table("空表")) == {"a": ""}  # how access-parser shows a table without rows


def test_rows_span_several_data_pages_owned_by_the_table(database):
    # The page layout of HACKING.md (4 KB pages, byte 0 the page type, a data page's bytes 4-7 the
    # page of its table definition), the table definition's page from access-parser's catalogue.
    data = database.read_bytes()
    pages = [data[i:i + 4096] for i in range(0, len(data), 4096)]
    assert len(data) % 4096 == 0
    tdef = AccessParser(str(database)).catalog["人员名单"]
    owned = [p for p in pages if p[0] == 0x01 and struct.unpack_from("<I", p, 4)[0] == tdef]
    assert len(owned) >= 10  # 406 rows of about 110 bytes
    assert sum(struct.unpack_from("<H", p, 12)[0] for p in owned) == len(SPECIAL) + len(MANY)
    lval = [p for p in pages if p[0] == 0x01 and p[4:8] == b"LVAL"]
    assert len(lval) == 1 + 3  # one page for the 2,000-byte memo, three chained for the 10,000-byte one


def test_written_bytes_are_deterministic_and_limits_refused():
    assert mdb_bytes(_tables()) == mdb_bytes(_tables())
    with pytest.raises(ValueError, match="longer than column"):
        mdb_bytes([AccessTable("t", [AccessColumn("a", length=2)], [("abc",)])])
    with pytest.raises(ValueError, match="Basic Multilingual Plane"):
        mdb_bytes([AccessTable("t", [AccessColumn("a")], [("𠀀",)])])  # U+20000, outside UCS-2
    with pytest.raises(ValueError, match="distinct"):
        mdb_bytes([AccessTable("t", [AccessColumn("a")], []), AccessTable("T", [AccessColumn("a")], [])])
    with pytest.raises(ValueError, match="1 to 255"):
        mdb_bytes([AccessTable("t", [AccessColumn("a", length=256)], [])])
    with pytest.raises(ValueError, match="larger than a page"):
        mdb_bytes([AccessTable("t", [AccessColumn(f"c{i}") for i in range(9)], [("x" * 255,) * 9])])
