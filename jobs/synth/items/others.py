"""The four smaller items: the zip's CSV member, the legacy XLS, the MySQL dump, the headerless TXT.

- ``会员数据.zip``: a zip holding ``会员数据/注册用户.csv`` (member name stored as GBK bytes without
  the UTF-8 flag): GB18030 CSV, a title line above the header (quarantined by design:
  ``malformed_junk_before_header``). Its ground-truth ``path`` is ``会员数据.zip/会员数据/注册用户.csv``
  (intake's member path).
- ``学生家长名单.xls``: legacy Excel 97-2003 (xlwt), several sheets (<= 65,535 data rows each), mobile
  numbers as number cells (11 digits: exact in a double). With ``access``: ``学生家长名单.mdb``, the same
  rows as a Jet 4 Access database, one table a sheet (:mod:`jobs.synth.items.access`).
- ``商城会员.sql``: MySQL dump, CREATE TABLE + multi-row INSERTs, backslash escapes, NULLs; tuples with
  a value missing (``malformed_sql_value_count``).
- ``三要素.txt``: no header; name, ID number, mobile, tab separated, mixed CRLF/LF; lines with a field
  missing (``malformed_missing_field``).
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

from jobs.synth.contract import ADDRESS, EMAIL, ID_NUMBER, NAME, PHONE, spec_key
from jobs.synth.layout import (
    HEADERLESS_ITEM,
    P_DUP,
    SQL_ITEM,
    SQL_TABLE,
    XLS_HEADER,
    XLS_ITEM,
    XLS_MAX_DATA_ROWS_PER_SHEET,
    ZIP_ITEM,
    ZIP_MEMBER,
)
from jobs.synth.persons import Persons
from jobs.synth.state import SeizureState
from jobs.synth.xlsx import ZIP_EPOCH

#: Head of the SQL dump, up to ``LOCK TABLES`` (the INSERT statements follow, then ``UNLOCK TABLES;``).
SQL_DUMP_HEAD = (
    "-- MySQL dump 10.13  Distrib 5.7.26, for Linux (x86_64)\n--\n-- Host: localhost    Database: shop\n"
    "/*!40101 SET NAMES utf8mb4 */;\n\n"
    f"DROP TABLE IF EXISTS `{SQL_TABLE}`;\n"
    f"CREATE TABLE `{SQL_TABLE}` (\n"
    "  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `username` varchar(64) DEFAULT NULL,\n"
    "  `realname` varchar(32) DEFAULT NULL,\n  `idcard` varchar(18) DEFAULT NULL,\n"
    "  `mobile` varchar(20) DEFAULT NULL,\n  `email` varchar(128) DEFAULT NULL,\n"
    "  `addr` varchar(255) DEFAULT NULL,\n  `remark` text,\n  PRIMARY KEY (`id`),\n"
    "  KEY `idx_mobile` (`mobile`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\n"
    f"LOCK TABLES `{SQL_TABLE}` WRITE;\n")


def simple_row(st: SeizureState, persons: Persons, item: str, fresh) -> tuple[str, ...]:
    """A within-file duplicate (format variants included) or a fresh base record from ``fresh()``."""
    recent = st.recent[item]
    if recent and st.rng.random() < P_DUP[item]:
        return persons.duplicate(st.pick(recent), cross_file=False)
    probable = persons.probable_row(recent)
    if probable is not None:
        return probable
    record = fresh()
    st.register_base(record)
    st.remember(recent, record)
    return record


class _GbkZipInfo(zipfile.ZipInfo):
    """A zip entry whose name is stored as GBK bytes without the UTF-8 flag (bit 11), as Chinese
    Windows zip tools write it (APPNOTE 4.4.4: without the flag a reader assumes CP437)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - overrides zipfile's private hook
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


class ZipItem:
    """Lines of the zip's CSV member (the driver adds the title line and the header)."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons

    def chunk(self, lines: list[str], start: int, count: int) -> None:
        """Rows of the zip's CSV member: name, mobile, e-mail, address (plain cells, no quotes needed)."""
        _, inserts = self.st.plans[ZIP_ITEM]
        for i in range(start, start + count):
            for _kind in inserts.get(i, ()):
                lines.append("")
                self.st.blank_line(ZIP_ITEM)
            rendered = simple_row(self.st, self.persons, ZIP_ITEM, lambda: (
                self.st.name(), "", self.st.phones.next(), self.st.address(), "",
                self.st.email() if self.st.rng.random() < 0.5 else ""))
            cells = (rendered[NAME], rendered[PHONE], rendered[EMAIL], rendered[ADDRESS])
            if any("," in c or '"' in c or "\n" in c for c in cells):
                raise AssertionError("a zip CSV cell would need quoting")
            lines.append(",".join(cells))
            self.st.row_written(spec_key(rendered), {})
            self.st.good_row(ZIP_ITEM)

    def write(self, part: Path, csv_bytes: bytes) -> None:
        """Write the zip to ``part``: one deflated member ``ZIP_MEMBER`` (name as GBK bytes) of ``csv_bytes``."""
        info = _GbkZipInfo(ZIP_MEMBER, date_time=ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with zipfile.ZipFile(part, "w") as zf:
            zf.writestr(info, csv_bytes)


class XlsItem:
    """Rows of the XLS item; ``rows_per_sheet`` spreads them over about two sheets."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons
        self.rows_per_sheet = min(XLS_MAX_DATA_ROWS_PER_SHEET, max(1, math.ceil(st.good_rows[XLS_ITEM] / 2)))

    def chunk(self, rows: list, start: int, count: int) -> None:
        """Rows of the XLS item: (values or None for an empty row). Plain mobile numbers become number cells."""
        rng = self.st.rng
        _, inserts = self.st.plans[XLS_ITEM]
        for i in range(start, start + count):
            for _kind in inserts.get(i, ()):
                rows.append(None)
                self.st.blank_line(XLS_ITEM)
            rendered = simple_row(self.st, self.persons, XLS_ITEM, lambda: (
                self.st.name(), self.st.ids.valid(), self.st.phones.next(), self.st.address(), "", ""))
            phone: Any = rendered[PHONE]
            if phone.isascii() and phone.isdigit() and len(phone) == 11 and rng.random() < 0.5:
                phone = float(phone)  # typed as a number in Excel: 11 digits are exact in a double
            school_class = f"{rng.randrange(1, 7)}年级{rng.randrange(1, 9)}班"
            rows.append((rendered[NAME], rendered[ID_NUMBER], phone, rendered[ADDRESS], school_class))
            self.st.row_written(spec_key(rendered), {XLS_HEADER[4]: school_class})
            self.st.good_row(XLS_ITEM)

    def sheets(self, rows: list) -> list[list]:
        """``rows`` (from :meth:`chunk`) split into sheets: a new sheet when one holds ``rows_per_sheet``
        data rows (blank rows stay with the rows before them) or 65,535 rows (BIFF8: 65,536 with the header)."""
        sheets: list[list] = []
        data_in_sheet = 0
        for row in rows:
            if not sheets or len(sheets[-1]) >= XLS_MAX_DATA_ROWS_PER_SHEET or (row is not None and data_in_sheet >= self.rows_per_sheet):
                sheets.append([])
                data_in_sheet = 0
            sheets[-1].append(row)
            data_in_sheet += row is not None
        return sheets

    def write(self, part: Path, rows: list) -> int:
        """Write ``rows`` (from :meth:`chunk`) as an XLS workbook to ``part``; returns the number of sheets."""
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        text = xlwt.easyxf(num_format_str="@")
        sheets = self.sheets(rows)
        for n, sheet_rows in enumerate(sheets, start=1):
            sheet = book.add_sheet(f"第{n}页")
            for c, v in enumerate(XLS_HEADER):
                sheet.write(0, c, v, text)
            for r, row in enumerate(sheet_rows, start=1):
                for c, v in enumerate(row or ()):
                    if isinstance(v, float):
                        sheet.write(r, c, v)
                    elif v != "":
                        sheet.write(r, c, v, text)
        with open(part, "wb") as fh:
            book.save(fh)
        return len(sheets)

    def write_access(self, part: Path, rows: list) -> int:
        """Write ``rows`` (from :meth:`chunk`) as a Jet 4 Access database to ``part`` (issue 16): one
        table a sheet of :meth:`sheets`, named as the sheet, the header's columns as TEXT and 住址 as
        MEMO; every value text (a number cell's mobile number as its 11 digits), an empty cell NULL,
        a blank row a row of NULLs. Returns the number of tables (one header line each for intake)."""
        from jobs.synth.items.access import AccessColumn, AccessTable, write_mdb

        def text(v: Any) -> str | None:
            if isinstance(v, float):
                return f"{v:.0f}"  # an 11-digit mobile number: exact in a double
            return v or None

        columns = [AccessColumn(h, kind="memo" if h == XLS_HEADER[ADDRESS] else "text") for h in XLS_HEADER]
        tables = [AccessTable(f"第{n}页", columns, [[text(v) for v in row] if row is not None else [None] * len(columns)
                                                    for row in sheet_rows])
                  for n, sheet_rows in enumerate(self.sheets(rows), start=1)]
        write_mdb(part, tables)
        return len(tables)


class SqlItem:
    """Tuples of the SQL dump, numbered by ``sql_id`` (the driver groups them into INSERT statements)."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons
        self.sql_id = 0
        self.last: tuple | None = None  # (rendered, username, remark) of the last good tuple

    @staticmethod
    def _literal(value: str) -> str:
        """A MySQL string literal with backslash escapes; ``NULL`` for ``""``."""
        if value == "":
            return "NULL"
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"

    def chunk(self, tuples: list[str], start: int, count: int) -> None:
        """Tuples of the SQL dump (the caller groups them into INSERT statements).

        Specials of the plan (issue 12): ``identical_row_other_id`` repeats the previous good tuple
        under the next ``id`` (an identical row: only the row identifier differs);
        ``unmapped_only_row`` leaves every person column NULL and keeps a unique ``username`` and a
        ``remark`` (a record whose content is only in unmapped columns: a record of its own).
        """
        rng = self.st.rng
        specials, inserts = self.st.plans[SQL_ITEM]
        lit = self._literal
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                self.sql_id += 1
                values = [str(self.sql_id), lit("u" + str(rng.randrange(10**6))), lit(self.st.name()), lit(self.st.ids.valid()),
                          lit(self.st.random_mobile()), "NULL", lit(self.st.address())]  # remark missing
                tuples.append("(" + ",".join(values) + ")")
                self.st.quarantined_row(SQL_ITEM, kind)
            special = specials.get(i)
            if special == "identical_row_other_id" and self.last is not None:
                rendered, user, remark = self.last
                self.st.injected[special] += 1
            elif special == "unmapped_only_row":
                rendered = ("",) * 6
                user = f"{self.st.user_names[int(rng.random() * len(self.st.user_names))]}_{self.sql_id + 1}"
                remark = ("老客户", "it's VIP", "备注\\无")[int(rng.random() * 3)]
                self.st.register_base(rendered, extra_key=f"username\x1d{user}\x1eremark\x1d{remark}")
                self.st.injected[special] += 1
            else:
                rendered = simple_row(self.st, self.persons, SQL_ITEM, lambda: (
                    self.st.name(), self.st.ids.valid() if rng.random() < 0.7 else "", self.st.phones.next(),
                    self.st.address() if rng.random() < 0.6 else "", "", self.st.email() if rng.random() < 0.4 else ""))
                user = self.st.user_names[int(rng.random() * len(self.st.user_names))]
                remark = ("老客户", "it's VIP", "备注\\无", "")[int(rng.random() * 4)]
            self.sql_id += 1
            values = [str(self.sql_id), lit(user), lit(rendered[NAME]), lit(rendered[ID_NUMBER]), lit(rendered[PHONE]),
                      lit(rendered[EMAIL]), lit(rendered[ADDRESS]), lit(remark) if remark else "''"]
            tuples.append("(" + ",".join(values) + ")")
            self.last = (rendered, user, remark)
            self.st.row_written(spec_key(rendered), {"username": user, "remark": remark})
            self.st.good_row(SQL_ITEM)


class HeaderlessItem:
    """Lines of the headerless TXT, line endings included."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons

    def chunk(self, lines: list[str], start: int, count: int) -> None:
        """Lines of the headerless TXT: name, ID number, mobile, tab separated; CRLF or LF endings."""
        rng = self.st.rng
        _, inserts = self.st.plans[HEADERLESS_ITEM]
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                if kind == "blank_empty":
                    lines.append("\r\n" if rng.random() < 0.5 else "\n")
                    self.st.blank_line(HEADERLESS_ITEM)
                else:
                    lines.append(f"{self.st.name()}\t{self.st.random_mobile()}\n")
                    self.st.quarantined_row(HEADERLESS_ITEM, kind)
            rendered = simple_row(self.st, self.persons, HEADERLESS_ITEM, lambda: (
                self.st.name(), self.st.ids.valid(), self.st.phones.next(), "", "", ""))
            end = "\r\n" if rng.random() < 0.5 else "\n"
            lines.append(f"{rendered[NAME]}\t{rendered[ID_NUMBER]}\t{rendered[PHONE]}{end}")
            self.st.row_written(spec_key(rendered), {})
            self.st.good_row(HEADERLESS_ITEM)
