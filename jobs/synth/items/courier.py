"""The courier waybills (``快递面单.xlsx``): several sheets (<= 100,000 data rows each), text cells.

The recipient (name, phone, address) is the record; the waybill number, the sender (masked on
privacy waybills), the goods and the time are kept-aside columns. Blank rows from the item's plan.
"""

from __future__ import annotations

import math

from jobs.synth.contract import ADDRESS, NAME, PHONE
from jobs.synth.layout import COURIER_ITEM, P_DUP, P_REUSE_CANDIDATE, XLSX_MAX_DATA_ROWS_PER_SHEET
from jobs.synth.persons import Persons
from jobs.synth.state import SeizureState
from jobs.synth.xlsx import XlsxTextWriter

#: Kept-aside columns of a waybill: the goods and the carrier prefix of the waybill number.
COURIER_GOODS = ("文件", "衣服", "鞋", "食品", "日用品", "电子产品", "书籍", "化妆品", "配件", "药品")
WAYBILL_PREFIXES = ("SF", "YT", "ZT", "JD", "")


class CourierItem:
    """Rows of the courier workbook; ``rows_per_sheet`` spreads them over about three sheets."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons
        n_courier = st.good_rows[COURIER_ITEM]
        self.rows_per_sheet = min(XLSX_MAX_DATA_ROWS_PER_SHEET, max(1, math.ceil(n_courier / 3)))

    def chunk(self, book: XlsxTextWriter, start: int, count: int) -> None:
        """Append good rows ``start``..``start + count - 1`` to ``book``, with the blank rows the plan inserts."""
        rng = self.st.rng
        _, inserts = self.st.plans[COURIER_ITEM]
        recent = self.st.recent[COURIER_ITEM]
        for i in range(start, start + count):
            for _kind in inserts.get(i, ()):
                book.blank()
                self.st.blank_line(COURIER_ITEM)
            if recent and rng.random() < P_DUP[COURIER_ITEM]:
                rendered = self.persons.duplicate(self.st.pick(recent), cross_file=False)
            elif (probable := self.persons.probable_row(recent)) is not None:
                rendered = probable
            elif (relative := self.persons.relative(recent, with_id=False)) is not None:
                rendered = relative
                self.st.register_base(rendered)
            else:
                rendered = (self.st.name(), "", self.st.phones.next(), self.st.address(), "", "")
                self.st.register_base(rendered)
                self.st.remember(recent, rendered)
                if rng.random() < P_REUSE_CANDIDATE:
                    self.st.remember(self.st.reuse_candidates, rendered)
            sender = self.st.name()
            if rng.random() < 0.3:  # privacy waybills mask the sender (kept-aside columns)
                sender = sender[0] + "*" * (len(sender) - 1)
            sender_phone = self.st.random_mobile()
            if rng.random() < 0.4:
                sender_phone = sender_phone[:3] + "****" + sender_phone[7:]
            prefix = WAYBILL_PREFIXES[int(rng.random() * len(WAYBILL_PREFIXES))]
            book.append([
                f"{prefix}{rng.randrange(10**12):012d}", sender, sender_phone, self.st.address(),
                rendered[NAME], rendered[PHONE], rendered[ADDRESS],
                COURIER_GOODS[int(rng.random() * len(COURIER_GOODS))], self.st.timestamp(),
            ])
            self.st.good_row(COURIER_ITEM)
