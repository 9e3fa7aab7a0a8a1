"""The courier waybills (``快递面单.xlsx``): several sheets (<= 100,000 data rows each), text cells.

Two parties per row (issue 12): the receiver (收件人, 收件人电话, 收件地址) is the record's person, the
sender (寄件人, 寄件人电话, 寄件地址; masked on privacy waybills) is its second party, and both are
part of the record (the pipeline's content key; jobs/normalize/parties.py). The sender is drawn from
a random source seeded by the receiver record's own values (:meth:`CourierItem.sender`), so every
duplicate row of a waybill repeats its sender exactly and the ground truth stays the receiver
record's bookkeeping: one base record = one waybill record. The waybill number, the goods and the
time are kept-aside columns. Blank rows from the item's plan.

The plan's ``waybill_same_receiver_other_sender`` rows (:meth:`CourierItem.other_sender`) repeat a
recent receiver exactly with another sender: another shipment, so another record (one row traded as
one unit is one record, SPC commentary on art. 5 法释〔2017〕10号), counted on its own and never a
probable duplicate of the first waybill. Both senders' phones are unmasked and valid, so the
pipeline's ``sender_phone`` guard (configs/linkage.yaml ``distinct_identifiers``) can tell them apart.
"""

from __future__ import annotations

import hashlib
import math
import random

from jobs.synth.contract import ADDRESS, NAME, PHONE, spec_party
from jobs.synth.identifiers import MOBILE_SEGMENTS
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
        # Receivers already given their other sender: the other sender is a function of the record,
        # so a second pick would write the same two-party record again as a new base record.
        self.other_sender_given: set[tuple[str, ...]] = set()

    def sender(self, record: tuple[str, ...]) -> tuple[str, str, str]:
        """The sender (name, phone, address) of the waybill of ``record``: a function of the record's
        values (not of the run's random stream), so that a duplicate row repeats it (a probable
        duplicate passes its person's first record, :meth:`chunk`). Privacy waybills
        mask the sender's name (30 %) and phone (40 %)."""
        seed = hashlib.blake2b("\x1f".join(record).encode("utf-8"), digest_size=16, person=b"waybill-sender").digest()
        r = random.Random(seed)
        st = self.st
        sender = st.names[int(r.random() * len(st.names))]
        if r.random() < 0.3:
            sender = sender[0] + "*" * (len(sender) - 1)
        segments = MOBILE_SEGMENTS
        phone = f"{segments[int(r.random() * len(segments))]}{r.randrange(10**8):08d}"
        if r.random() < 0.4:
            phone = phone[:3] + "****" + phone[7:]
        address = f"{st.addresses[int(r.random() * len(st.addresses))]}{r.randrange(1, 33)}号{r.randrange(101, 3300)}室"
        return sender, phone, address

    def other_sender(self, recent: list) -> tuple[tuple[str, ...], tuple[str, str, str]] | None:
        """(a recent receiver record, another sender) for a ``waybill_same_receiver_other_sender``
        row, or ``None`` when no recent first waybill has an unmasked sender phone (8 tries).

        The other sender is seeded by the record's values under another personalization than
        :meth:`sender`, its name and phone unmasked, its phone different from the first sender's."""
        st = self.st
        for _ in range(8 if recent else 0):
            record = st.pick(recent)
            if record in self.persons.person_root or record in self.other_sender_given:
                continue  # a retyped waybill (first waybills only), or one that has its other sender
            first = self.sender(record)
            if "*" in first[1]:
                continue  # the guard needs both phones unmasked (a masked phone is no evidence)
            seed = hashlib.blake2b("\x1f".join(record).encode("utf-8"), digest_size=16, person=b"other-sender").digest()
            r = random.Random(seed)
            segments = MOBILE_SEGMENTS
            phone = first[1]
            while phone == first[1]:
                phone = f"{segments[int(r.random() * len(segments))]}{r.randrange(10**8):08d}"
            name = st.names[int(r.random() * len(st.names))]
            address = f"{st.addresses[int(r.random() * len(st.addresses))]}{r.randrange(1, 33)}号{r.randrange(101, 3300)}室"
            self.other_sender_given.add(record)
            return record, (name, phone, address)
        return None

    def chunk(self, book: XlsxTextWriter, start: int, count: int) -> None:
        """Append good rows ``start``..``start + count - 1`` to ``book``, with the blank rows the plan inserts."""
        rng = self.st.rng
        specials, inserts = self.st.plans[COURIER_ITEM]
        recent = self.st.recent[COURIER_ITEM]
        parties = self.persons.second_party
        for i in range(start, start + count):
            for _kind in inserts.get(i, ()):
                book.blank()
                self.st.blank_line(COURIER_ITEM)
            party = None
            if specials.get(i) == "waybill_same_receiver_other_sender" and (made := self.other_sender(recent)) is not None:
                # the same receiver, another sender: a record of its own (its key includes the sender)
                record, party = made
                rendered = record
                self.st.register_base(record, extra_key="\x1f".join(spec_party(party)))
                self.st.injected["waybill_same_receiver_other_sender"] += 1
            elif recent and rng.random() < P_DUP[COURIER_ITEM]:
                record = self.st.pick(recent)
                rendered = self.persons.duplicate(record, cross_file=False)
            elif (probable := self.persons.probable_row(recent, same_party=True)) is not None:
                record = rendered = probable
            elif (relative := self.persons.relative(recent, with_id=False)) is not None:
                record = rendered = relative
                self.st.register_base(rendered)
                parties[record] = spec_party(self.sender(record))
            else:
                record = rendered = (self.st.name(), "", self.st.phones.next(), self.st.address(), "", "")
                self.st.register_base(rendered)
                parties[record] = spec_party(self.sender(record))
                self.st.remember(recent, rendered)
                if rng.random() < P_REUSE_CANDIDATE:
                    self.st.remember(self.st.reuse_candidates, rendered)
            # A probable duplicate is a waybill retyped: it repeats the sender of the person's first
            # waybill (seeded by that record, not by the typo'd values), as one row traded twice would.
            sender, sender_phone, sender_address = party or self.sender(self.persons.person_root.get(record, record))
            prefix = WAYBILL_PREFIXES[int(rng.random() * len(WAYBILL_PREFIXES))]
            book.append([
                f"{prefix}{rng.randrange(10**12):012d}", sender, sender_phone, sender_address,
                rendered[NAME], rendered[PHONE], rendered[ADDRESS],
                COURIER_GOODS[int(rng.random() * len(COURIER_GOODS))], self.st.timestamp(),
            ])
            self.st.good_row(COURIER_ITEM)
