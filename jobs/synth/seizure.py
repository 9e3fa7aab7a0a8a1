"""The driver: writes the eight items in interleaved chunks, then checks and returns the ground truth.

:class:`SeizureGenerator` builds the shared state, the persons and one writer per item, streams the
rows in chunks (memory does not grow with ``records`` except for 8 bytes per base record, the key
digests of the uniqueness check, and the small injection plans), renames each ``.part`` file when
all are complete, and adds up the counts kept while writing.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any

from jobs.synth.items.bank import BankItem
from jobs.synth.items.courier import CourierItem
from jobs.synth.items.exchange import ExchangeItem
from jobs.synth.items.hotel import HotelItem
from jobs.synth.items.others import SQL_DUMP_HEAD, HeaderlessItem, SqlItem, XlsItem, ZipItem
from jobs.synth.layout import (
    BANK_HEADER,
    BANK_ITEM,
    BANK_SEPARATOR,
    CHUNK_RECORDS,
    COURIER_HEADER,
    COURIER_ITEM,
    EXCHANGE_ITEM,
    HEADERLESS_ITEM,
    HOTEL_HEADER,
    HOTEL_ITEM,
    ITEMS,
    LINKAGE_TRUTH_FILE,
    LINKAGE_TRUTH_HEADER,
    PROBABLE_KINDS,
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


class SeizureGenerator:
    """Writes the items in interleaved chunks and keeps every count while writing.

    Args:
        records: good rows requested over all items.
        seed: seed of the Faker pools and of every random choice.
    """

    def __init__(self, *, records: int, seed: int) -> None:
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
        linkage_part = evidence.parent / (LINKAGE_TRUTH_FILE + ".part")
        self.persons.linkage_out = open(linkage_part, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self.persons.linkage_out.write(",".join(LINKAGE_TRUTH_HEADER) + "\n")
        try:
            with open(parts[HOTEL_ITEM], "w", encoding="utf-8-sig", newline="", buffering=1 << 20) as hotel, \
                 open(parts[BANK_ITEM], "w", encoding="gb18030", newline="", buffering=1 << 20) as bank, \
                 open(parts[EXCHANGE_ITEM], "w", encoding="utf-8", newline="", buffering=1 << 20) as exchange:
                writer = csv.writer(hotel, lineterminator="\r\n")
                writer.writerow(HOTEL_HEADER)
                bank.write(BANK_SEPARATOR.join(BANK_HEADER) + "\r\n")
                for c in range(n_chunks):
                    self.hotel.chunk(hotel, writer, *share(HOTEL_ITEM, c))
                    lines: list[str] = []
                    self.bank.chunk(lines, *share(BANK_ITEM, c))
                    bank.write("".join(line + "\r\n" for line in lines))
                    self.courier.chunk(book, *share(COURIER_ITEM, c))
                    lines = []
                    self.exchange.chunk(lines, *share(EXCHANGE_ITEM, c))
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
            sql_out.write("UNLOCK TABLES;\n")
        finally:
            book.close()
            sql_out.close()
            headerless.close()
            self.persons.linkage_out.close()
        self.zip.write(parts[ZIP_ITEM], "".join(line + "\r\n" for line in zip_lines).encode("gb18030"))
        self.xls_sheets = self.xls.write(parts[XLS_ITEM], xls_rows)
        self.st.check_unique_keys()
        for item in ITEMS:
            os.replace(parts[item], evidence / item)
        os.replace(linkage_part, evidence.parent / LINKAGE_TRUTH_FILE)
        return self._ground_truth(book.sheets)

    def _ground_truth(self, sheets: int) -> dict[str, Any]:
        """The ground truth from the counts kept while writing, after checking that they add up."""
        self.st.items[HOTEL_ITEM]["header_rows"] = 1
        self.st.items[BANK_ITEM]["header_rows"] = 1
        self.st.items[COURIER_ITEM]["header_rows"] = sheets
        self.st.items[ZIP_ITEM]["header_rows"] = 1
        self.st.items[XLS_ITEM]["header_rows"] = self.xls_sheets
        raw = sum(i["raw_rows"] for i in self.st.items.values())
        quarantined = sum(i["quarantined_rows"] for i in self.st.items.values())
        records = raw - quarantined
        if records != self.st.records or sum(self.st.categories.values()) != self.st.unique:
            raise AssertionError("bookkeeping does not add up")
        duplicates = records - self.st.unique
        if duplicates != self.st.injected["duplicate_within_file"] + self.st.injected["duplicate_cross_file"]:
            raise AssertionError("duplicate bookkeeping does not add up")
        probable = sum(self.st.injected[k] for k in PROBABLE_KINDS) + self.st.injected["same_person_other_field_set"]
        if self.persons.probable_records != probable:
            raise AssertionError("probable duplicate bookkeeping does not add up")
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
            "items": [self.st.items[item] for item in ITEMS],
            "injected": dict(self.st.injected),
        }
