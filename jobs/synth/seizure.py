"""The driver: writes the items in interleaved chunks, then checks and returns the ground truth.

:class:`SeizureGenerator` builds the shared state, the persons and one writer per item, streams the
rows in chunks (memory does not grow with ``records`` except for 8 bytes per base record, the key
digests of the uniqueness check, and the small injection plans), renames each ``.part`` file when
all are complete, and adds up the counts kept while writing.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any

from jobs.synth.contract import spec_key
from jobs.synth.items.bank import BankItem
from jobs.synth.items.courier import CourierItem
from jobs.synth.items.exchange import ExchangeItem
from jobs.synth.items.headers import Big5Item, FullwidthItem, NestedItem, open_csv
from jobs.synth.items.hotel import HotelItem
from jobs.synth.items.others import SQL_DUMP_HEAD, HeaderlessItem, SqlItem, XlsItem, ZipItem
from jobs.synth.items.rar import pack_as_rar
from jobs.synth.layout import (
    ACCESS_ITEM,
    BANK_HEADER,
    BANK_ITEM,
    BANK_SEPARATOR,
    BIG5_HEADER,
    BIG5_ITEM,
    CHUNK_RECORDS,
    COURIER_HEADER,
    COURIER_ITEM,
    EXCHANGE_ITEM,
    FULLWIDTH_HEADER,
    FULLWIDTH_ITEM,
    HEADERLESS_ITEM,
    HOTEL_HEADER,
    HOTEL_ITEM,
    ITEMS,
    LINKAGE_TRUTH_FILE,
    LINKAGE_TRUTH_HEADER,
    NESTED_ITEM,
    PROBABLE_KINDS,
    RAR_ITEM,
    ROW_IDENTIFIER_COLUMNS,
    SQL_ITEM,
    SQL_TABLE,
    SQL_TUPLES_PER_INSERT,
    XLS_ITEM,
    ZIP_HEADER,
    ZIP_ITEM,
    ZIP_TITLE,
)
from jobs.synth.persons import Persons
from jobs.synth.state import SeizureState
from jobs.synth.xlsx import XlsxTextWriter

#: Where the canonical fields are in a hotel row (HOTEL_HEADER), a courier row (COURIER_HEADER) and
#: the keys of an exchange object, by CANONICAL_FIELDS position (configs/column_synonyms.yaml):
#: the rest of a row is its unmapped information.
HOTEL_FIELD_COLUMNS = {0: "Name", 1: "CtfId", 2: "Mobile", 3: "Address", 5: "EMail"}
COURIER_FIELD_COLUMNS = {0: "收件人", 2: "收件人电话", 3: "收件地址"}
EXCHANGE_FIELD_KEYS = {0: ("xm", "name"), 1: ("sfzh", "id_card"), 2: ("sjh", "phone", "mobile"), 3: ("dz", "address"),
                       4: ("yhkh", "bank_card")}


def _row_information(header, cells, field_columns: dict[int, str]) -> tuple[tuple[str, ...], dict[str, str]]:
    """(normalized six-field key, unmapped columns) of a row written under ``header``."""
    at = {h: i for i, h in enumerate(header)}
    rendered = tuple(str(cells[at[field_columns[f]]]) if f in field_columns else "" for f in range(6))
    mapped = {field_columns[f] for f in field_columns}
    extras = {h: str(cells[i]) for i, h in enumerate(header) if h not in mapped and h not in ROW_IDENTIFIER_COLUMNS}
    return spec_key(rendered), extras


class _RowsWritten:
    """Forwards the rows an item writes (``writerow`` of a csv writer, ``append``/``blank`` of the
    XLSX writer) and records each one's information in the state (identical rows, issue 12), so
    that the item modules need not know about it."""

    def __init__(self, target, st: SeizureState, header, field_columns: dict[int, str]) -> None:
        self._target, self._st, self._header, self._fields = target, st, header, field_columns

    def _record(self, cells) -> None:
        self._st.row_written(*_row_information(self._header, cells, self._fields))

    def writerow(self, cells) -> None:
        self._record(cells)
        self._target.writerow(cells)

    def append(self, cells) -> None:
        self._record(cells)
        self._target.append(cells)

    def blank(self) -> None:
        self._target.blank()


def _exchange_rows_written(st: SeizureState, lines: list[str]) -> None:
    """Record the information of the good lines of an exchange chunk (JSON objects; the malformed
    lines the item writes are never objects, the blank lines are blank)."""
    for line in lines:
        if not line.strip() or not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        rendered = [""] * 6
        extras = {}
        for k, v in obj.items():
            f = next((f for f, keys in EXCHANGE_FIELD_KEYS.items() if k in keys), None)
            if f is None:
                extras[k] = str(v)
            else:
                rendered[f] = str(v)
        st.row_written(spec_key(tuple(rendered)), extras)


class SeizureGenerator:
    """Writes the items in interleaved chunks and keeps every count while writing.

    Args:
        records: good rows requested over all items.
        seed: seed of the Faker pools and of every random choice.
    """

    def __init__(self, *, records: int, seed: int, rar: bool = False, access: bool = False) -> None:
        self.rar, self.access = rar, access
        self.st = SeizureState(records=records, seed=seed)
        self.persons = Persons(self.st)
        self.hotel = HotelItem(self.st, self.persons)  # draws the first hotel row id: keep it first
        self.bank = BankItem(self.st, self.persons)
        self.courier = CourierItem(self.st, self.persons)
        self.exchange = ExchangeItem(self.st, self.persons)
        self.zip = ZipItem(self.st, self.persons)
        self.xls = XlsItem(self.st, self.persons)
        self.sql = SqlItem(self.st, self.persons)
        self.headerless = HeaderlessItem(self.st, self.persons)
        self.shapes = Big5Item(self.st, self.persons), FullwidthItem(self.st, self.persons), NestedItem(self.st, self.persons)

    def write(self, evidence: Path) -> dict[str, Any]:
        """Write the items into ``evidence`` and ``linkage_truth.csv`` beside it; return the ground truth.

        Each file is written as ``<name>.part`` and renamed once every item is complete and the
        uniqueness check has passed.
        """
        parts = {item: evidence / (item + ".part") for item in ITEMS}
        n_chunks = max(1, math.ceil(self.st.records / CHUNK_RECORDS))

        def share(item: str, c: int) -> tuple[int, int]:
            n = self.st.good_rows[item]
            lo, hi = n * c // n_chunks, n * (c + 1) // n_chunks
            return lo, hi - lo

        book = XlsxTextWriter(parts[COURIER_ITEM], COURIER_HEADER, data_rows=self.st.good_rows[COURIER_ITEM],
                              rows_per_sheet=self.courier.rows_per_sheet)
        zip_lines: list[str] = [ZIP_TITLE, ",".join(ZIP_HEADER)]
        self.st.quarantined_row(ZIP_ITEM, "malformed_junk_before_header")
        xls_rows: list = []
        sql_out = open(parts[SQL_ITEM], "w", encoding="utf-8", newline="", buffering=1 << 20)
        sql_out.write(SQL_DUMP_HEAD)
        headerless = open(parts[HEADERLESS_ITEM], "w", encoding="utf-8", newline="", buffering=1 << 20)
        big5, big5_rows = open_csv(parts[BIG5_ITEM], BIG5_HEADER, "big5")  # strict: a value outside Big5 raises
        fullwidth, fullwidth_rows = open_csv(parts[FULLWIDTH_ITEM], FULLWIDTH_HEADER, "utf-8-sig")
        nested = open(parts[NESTED_ITEM], "w", encoding="utf-8", newline="", buffering=1 << 20)
        linkage_part = evidence.parent / (LINKAGE_TRUTH_FILE + ".part")
        self.persons.linkage_out = open(linkage_part, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self.persons.linkage_out.write(",".join(LINKAGE_TRUTH_HEADER) + "\n")
        try:
            with open(parts[HOTEL_ITEM], "w", encoding="utf-8-sig", newline="", buffering=1 << 20) as hotel, \
                 open(parts[BANK_ITEM], "w", encoding="gb18030", newline="", buffering=1 << 20) as bank, \
                 open(parts[EXCHANGE_ITEM], "w", encoding="utf-8", newline="", buffering=1 << 20) as exchange:
                writer = csv.writer(hotel, lineterminator="\r\n")
                writer.writerow(HOTEL_HEADER)
                hotel_rows = _RowsWritten(writer, self.st, HOTEL_HEADER, HOTEL_FIELD_COLUMNS)
                courier_rows = _RowsWritten(book, self.st, COURIER_HEADER, COURIER_FIELD_COLUMNS)
                bank.write(BANK_SEPARATOR.join(BANK_HEADER) + "\r\n")
                for c in range(n_chunks):
                    self.hotel.chunk(hotel, hotel_rows, *share(HOTEL_ITEM, c))
                    lines: list[str] = []
                    self.bank.chunk(lines, *share(BANK_ITEM, c))
                    bank.write("".join(line + "\r\n" for line in lines))
                    self.courier.chunk(courier_rows, *share(COURIER_ITEM, c))
                    lines = []
                    self.exchange.chunk(lines, *share(EXCHANGE_ITEM, c))
                    _exchange_rows_written(self.st, lines)
                    exchange.write("".join(line + "\n" for line in lines))
                    self.zip.chunk(zip_lines, *share(ZIP_ITEM, c))
                    self.xls.chunk(xls_rows, *share(XLS_ITEM, c))
                    tuples: list[str] = []
                    self.sql.chunk(tuples, *share(SQL_ITEM, c))
                    for k in range(0, len(tuples), SQL_TUPLES_PER_INSERT):
                        sql_out.write(f"INSERT INTO `{SQL_TABLE}` VALUES " + ",".join(tuples[k:k + SQL_TUPLES_PER_INSERT]) + ";\n")
                    lines = []
                    self.headerless.chunk(lines, *share(HEADERLESS_ITEM, c))
                    headerless.write("".join(lines))
                    self.shapes[0].chunk(big5_rows, *share(BIG5_ITEM, c))
                    self.shapes[1].chunk(fullwidth_rows, *share(FULLWIDTH_ITEM, c))
                    lines = []
                    self.shapes[2].chunk(lines, *share(NESTED_ITEM, c))
                    nested.write("".join(line + "\n" for line in lines))
            sql_out.write("UNLOCK TABLES;\n")
        finally:
            book.close()
            sql_out.close()
            headerless.close()
            for fh in (big5, fullwidth, nested):
                fh.close()
            self.persons.linkage_out.close()
        self.zip.write(parts[ZIP_ITEM], "".join(line + "\r\n" for line in zip_lines).encode("gb18030"))
        # the XLS item, or with ``access`` the same rows as an Access database (one table a sheet)
        self.xls_sheets = (self.xls.write_access if self.access else self.xls.write)(parts[XLS_ITEM], xls_rows)
        self.st.check_unique_keys()
        names = {item: item for item in ITEMS}
        if self.rar:  # the headerless item inside a RAR; its ground truth at the member's path
            pack_as_rar(parts[HEADERLESS_ITEM], HEADERLESS_ITEM)
            names[HEADERLESS_ITEM] = RAR_ITEM
            self.st.items[HEADERLESS_ITEM]["path"] = f"{RAR_ITEM}/{HEADERLESS_ITEM}"
            (evidence / HEADERLESS_ITEM).unlink(missing_ok=True)
        if self.access:  # its ground truth at the database's path: intake reads it as one item
            names[XLS_ITEM] = self.st.items[XLS_ITEM]["path"] = ACCESS_ITEM
            (evidence / XLS_ITEM).unlink(missing_ok=True)
        for item in ITEMS:
            os.replace(parts[item], evidence / names[item])
        os.replace(linkage_part, evidence.parent / LINKAGE_TRUTH_FILE)
        return self._ground_truth(book.sheets)

    def _ground_truth(self, sheets: int) -> dict[str, Any]:
        """The ground truth from the counts kept while writing, after checking that they add up."""
        self.st.items[HOTEL_ITEM]["header_rows"] = 1
        self.st.items[BANK_ITEM]["header_rows"] = 1
        self.st.items[COURIER_ITEM]["header_rows"] = sheets
        self.st.items[ZIP_ITEM]["header_rows"] = 1
        self.st.items[XLS_ITEM]["header_rows"] = self.xls_sheets
        self.st.items[BIG5_ITEM]["header_rows"] = self.st.items[FULLWIDTH_ITEM]["header_rows"] = 1
        raw = sum(i["raw_rows"] for i in self.st.items.values())
        quarantined = sum(i["quarantined_rows"] for i in self.st.items.values())
        records = raw - quarantined
        if records != self.st.records or sum(self.st.categories.values()) != self.st.unique:
            raise AssertionError("bookkeeping does not add up")
        duplicates = records - self.st.unique
        if duplicates != (self.st.injected["duplicate_within_file"] + self.st.injected["duplicate_cross_file"]
                          + self.st.injected["identical_row_other_id"]):
            raise AssertionError("duplicate bookkeeping does not add up")
        probable = sum(self.st.injected[k] for k in PROBABLE_KINDS) + self.st.injected["same_person_other_field_set"]
        if self.persons.probable_records != probable:
            raise AssertionError("probable duplicate bookkeeping does not add up")
        if len(self.st.row_tags) != records:
            raise AssertionError("row bookkeeping does not add up")
        levels = self.st.levels()
        return {
            "seed": self.st.seed,
            "records_requested": self.st.records,
            "raw_rows": raw,
            "quarantined_rows": quarantined,
            "records": records,
            "duplicate_records": duplicates,
            "unique_records": self.st.unique,
            "probable_duplicate_records": self.persons.probable_records,
            "persons": self.st.unique - self.persons.probable_records,
            "categories": {k: {"unique_records": v} for k, v in self.st.categories.items()},
            "duplicate_levels": levels["duplicate_levels"],
            "bounds": levels["bounds"],
            "items": [self.st.items[item] for item in ITEMS],
            "injected": dict(self.st.injected),
        }
