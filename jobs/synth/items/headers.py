"""The header-shape items of issue 12 defect 5: headers written as real seizures write them.

- ``會員資料.csv``: a Taiwan/Hong Kong member list in strict Big5 (no byte outside Big5), headers
  ``姓名,證件號碼,聯絡電話,電子信箱`` (traditional spellings; 聯絡電話 and 電子信箱 are Taiwan terms
  that OpenCC t2s turns into 联络电话 / 电子信箱, not into a mainland synonym). Names are written in
  their traditional form when t2s folds it back to the pooled (simplified) name, else as pooled;
  only names whose written form encodes in Big5 are used. Duplicates are exact repeats only: a
  format variant might not encode in Big5 (a simplified character, a full-width form).
- ``客户登记表.csv``: UTF-8 with BOM, headers ``姓名,身份证号2,手机号码（主）,紧急联系人电话,ＥＭＡＩＬ,住　址``
  (a trailing number, a role in full-width brackets, another person's column, full-width letters,
  an ideographic space). 紧急联系人电话 holds another person's mobile (seeded by the record's
  values, so a duplicate row repeats it): it must stay unmapped (``extra``) and is never the
  subject's phone.
- ``会员接口.jsonl``: an API export with nested objects
  ``{"member": {"xm", "zjhm"}, "contact": {"sjh", "dz"}, "ts"}`` (empty fields left out; ``ts`` a
  kept-aside timestamp).

Each row is booked like the other items' rows (``SeizureState.row_written``, ``good_row``), so
the ground truth is the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random

from jobs.synth.contract import ADDRESS, EMAIL, ID_NUMBER, NAME, PHONE, spec_key, spec_name
from jobs.synth.identifiers import MOBILE_SEGMENTS
from jobs.synth.items.others import simple_row
from jobs.synth.layout import BIG5_ITEM, FULLWIDTH_HEADER, FULLWIDTH_ITEM, NESTED_ITEM, P_DUP
from jobs.synth.persons import Persons
from jobs.synth.state import SeizureState


class Big5Item:
    """Rows of ``會員資料.csv`` (strict Big5): name, ID number, phone, e-mail."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons
        self.names = []  # pooled names whose written form is Big5 and folds back by t2s
        for name in st.names:
            written = persons.traditional.get(name, name)
            try:
                written.encode("big5")
            except UnicodeEncodeError:
                continue
            if spec_name(written) == name:
                self.names.append(name)
        if not self.names:
            raise AssertionError("no pooled name can be written in Big5")

    def chunk(self, writer, start: int, count: int) -> None:
        """Write good rows ``start``..``start + count - 1`` through ``writer`` (a csv writer)."""
        st = self.st
        rng = st.rng
        recent = st.recent[BIG5_ITEM]
        for _ in range(start, start + count):
            if recent and rng.random() < P_DUP[BIG5_ITEM]:
                record = st.pick(recent)  # an exact repeat (no variant: it might not encode in Big5)
                st.injected["duplicate_within_file"] += 1
            else:
                record = (self.names[int(rng.random() * len(self.names))], st.ids.valid(), st.phones.next(), "", "",
                          st.email() if rng.random() < 0.5 else "")
                st.register_base(record)
                st.remember(recent, record)
            cells = [self.persons.traditional.get(record[NAME], record[NAME]), record[ID_NUMBER], record[PHONE], record[EMAIL]]
            writer.writerow(cells)
            st.row_written(spec_key(record), {})
            st.good_row(BIG5_ITEM)


class FullwidthItem:
    """Rows of ``客户登记表.csv``: bracket, role, number and full-width headers."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons

    def emergency_phone(self, record: tuple[str, ...]) -> str:
        """Another person's mobile (the emergency contact), a function of the record's values (as
        :meth:`CourierItem.sender`), so a duplicate row repeats it."""
        seed = hashlib.blake2b("\x1f".join(record).encode("utf-8"), digest_size=16, person=b"emergency").digest()
        r = random.Random(seed)
        return f"{MOBILE_SEGMENTS[int(r.random() * len(MOBILE_SEGMENTS))]}{r.randrange(10**8):08d}"

    def chunk(self, writer, start: int, count: int) -> None:
        """Write good rows ``start``..``start + count - 1`` through ``writer`` (a csv writer)."""
        st = self.st
        rng = st.rng
        for _ in range(start, start + count):
            rendered = simple_row(st, self.persons, FULLWIDTH_ITEM, lambda: (
                st.name(), st.ids.valid(), st.phones.next(), st.address(), "", st.email() if rng.random() < 0.4 else ""))
            contact = self.emergency_phone(spec_key(rendered))
            writer.writerow([rendered[NAME], rendered[ID_NUMBER], rendered[PHONE], contact, rendered[EMAIL], rendered[ADDRESS]])
            st.row_written(spec_key(rendered), {FULLWIDTH_HEADER[3]: contact})
            st.good_row(FULLWIDTH_ITEM)


class NestedItem:
    """Lines of ``会员接口.jsonl``: nested member and contact objects (the driver writes the line ends)."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons

    def chunk(self, lines: list[str], start: int, count: int) -> None:
        """Append good lines ``start``..``start + count - 1`` to ``lines``."""
        st = self.st
        for _ in range(start, start + count):
            rendered = simple_row(st, self.persons, NESTED_ITEM, lambda: (
                st.name(), st.ids.valid(), st.phones.next(), st.address(), "", ""))
            member = {k: v for k, v in (("xm", rendered[NAME]), ("zjhm", rendered[ID_NUMBER])) if v}
            contact = {k: v for k, v in (("sjh", rendered[PHONE]), ("dz", rendered[ADDRESS])) if v}
            ts = st.timestamp()
            lines.append(json.dumps({"member": member, "contact": contact, "ts": ts}, ensure_ascii=False))
            st.row_written(spec_key(rendered), {"ts": ts})
            st.good_row(NESTED_ITEM)


def open_csv(path, header: tuple[str, ...], encoding: str):
    """(file, csv writer) of a header-shape CSV item, the header written, CRLF line ends."""
    fh = open(path, "w", encoding=encoding, newline="", buffering=1 << 20)
    writer = csv.writer(fh, lineterminator="\r\n")
    writer.writerow(header)
    return fh, writer

