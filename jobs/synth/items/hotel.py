"""The hotel check-in dump (``住宿登记_2019.csv``): UTF-8 with BOM, comma CSV, CRLF, 33 columns.

Rows carry invalid ID numbers (a wrong check character, an impossible date), records without an ID
number, placeholders for a missing mobile or e-mail, a quoted line break, and malformed lines (an
unquoted comma, a truncated line, junk lines) and blank lines from the item's plan.

About 4 % of the new records (:data:`P_OTHER_DOCUMENT`) are guests registered with another document
(issue 12): a PRC passport (``E`` + 8 digits, ``E`` + letter + 7 digits), a foreign passport, a
往来港澳通行证 (``C`` + 8), a 港澳居民来往内地通行证 (``H``/``M`` + 8), a 台湾居民来往大陆通行证 (8
digits), a Hong Kong residence permit (``810000`` + birth date + sequence + GB 11643 check) or a
foreigner's permanent residence card (18 digits from ``9``), each with its ``CtfTp`` label or code
(:data:`DOCUMENT_CTFTP`; some keep the system default ``ID``, which the pipeline overrides by the
number's shape). In the ground truth they are records like the others (the number in the ID slot:
tier_500, one base record each); they are never duplicated or copied, so the six-field record
naming of ``linkage_truth.csv`` never meets them.
"""

from __future__ import annotations

import random

from jobs.synth.contract import ADDRESS, EMAIL, ID_NUMBER, NAME, PHONE
from jobs.synth.identifiers import id_check_char
from jobs.synth.layout import (
    HOTEL_HEADER,
    HOTEL_ITEM,
    JUNK_LINES,
    P_DUP,
    P_HOTEL_EMAIL,
    P_HOTEL_NO_MOBILE,
    P_REUSE_CANDIDATE,
)
from jobs.synth.persons import Persons
from jobs.synth.state import SeizureState

#: Share of new (non-special) hotel records registered with a document other than a resident ID card.
P_OTHER_DOCUMENT = 0.04
#: Document kind -> CtfTp values written for it (configs/pipeline.yaml normalize.document_type_codes);
#: "ID" is the hotel system's default left on a non-ID document (the pipeline decides by the shape).
DOCUMENT_CTFTP = {
    "passport_cn": ("护照", "414", "93", "ID"),
    "passport_foreign": ("护照", "外国护照", "94"),
    "hk_macau_travel_permit": ("港澳通行证", "513"),
    "home_return_permit": ("回乡证", "516", "ID"),
    "taiwan_compatriot_permit": ("台胞证", "511"),
    "hmt_residence_permit": ("港澳台居民居住证", "ID"),
    "foreign_permanent_residence": ("外国人永久居留证", "553"),
}
FOREIGN_NATIONS = ("USA", "GBR", "DEU", "FRA", "JPN", "KOR", "RUS", "CAN", "AUS", "SGP")


class HotelItem:
    """Rows of the hotel CSV (the driver writes the header and owns the file)."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons
        self.row_id = st.rng.randrange(1_000_000, 9_000_000)
        # The other-document draws have their own stream (seeded from the run's seed), so the main
        # stream's choices for the other rows stay as they were as far as possible.
        self.doc_rng = random.Random(f"{st.seed}:hotel-documents")
        self.template = [""] * len(HOTEL_HEADER)
        self.template[3] = "ID"
        self.template[9] = "F"
        self.template[23] = "CHN"
        self.template[30] = "0"

    def _record(self, special: str | None) -> tuple[str, ...]:
        rng = self.st.rng
        if special == "invalid_id_check_digit":
            idn = self.st.ids.bad_check_digit()
        elif special == "invalid_id_impossible_date":
            idn = self.st.ids.impossible_date()
        elif special == "id_missing_records":
            idn = ""
        else:
            idn = self.st.ids.valid()
        has_phone = special == "id_missing_records" or rng.random() >= P_HOTEL_NO_MOBILE
        phone = self.st.phones.next() if has_phone else ""
        email = self.st.email() if rng.random() < P_HOTEL_EMAIL else ""
        return (self.st.name(), idn, phone, self.st.address(), "", email)

    def _document(self) -> tuple[tuple[str, ...], str, str]:
        """A new record registered with another document: (record, CtfTp value, Nation)."""
        rng = self.doc_rng
        kinds = tuple(DOCUMENT_CTFTP)
        kind = kinds[int(rng.random() * len(kinds))]
        nation = "CHN"
        if kind == "passport_cn":
            number = (f"E{rng.randrange(10**8):08d}" if rng.random() < 0.5
                      else f"E{'ABCDEFGHJKLMNPQRSTUVWXYZ'[int(rng.random() * 24)]}{rng.randrange(10**7):07d}")
        elif kind == "passport_foreign":
            nation = FOREIGN_NATIONS[int(rng.random() * len(FOREIGN_NATIONS))]
            number = f"{'ABDKPRSX'[int(rng.random() * 8)]}{rng.randrange(10**7, 10**8):08d}"
        elif kind == "hk_macau_travel_permit":
            number = f"C{rng.randrange(10**8):08d}"
        elif kind == "home_return_permit":
            number = f"{'HM'[int(rng.random() * 2)]}{rng.randrange(10**8):08d}"
        elif kind == "taiwan_compatriot_permit":
            number = f"{rng.randrange(10**7, 10**8):08d}"
        else:
            born = self.st.days_2019[int(rng.random() * 365)].replace("2019", str(rng.randrange(1950, 2000)))
            if born.endswith("02-29"):
                born = born[:-2] + "28"
            if kind == "hmt_residence_permit":
                body = f"810000{born.replace('-', '')}{rng.randrange(1000):03d}"
            else:
                nation = FOREIGN_NATIONS[int(rng.random() * len(FOREIGN_NATIONS))]
                body = f"9{rng.randrange(11, 66)}{rng.randrange(100, 900)}{born.replace('-', '')}{rng.randrange(1000):03d}"
            number = body + id_check_char(body)
        ctftp = DOCUMENT_CTFTP[kind][int(rng.random() * len(DOCUMENT_CTFTP[kind]))]
        phone = self.st.phones.next() if rng.random() >= P_HOTEL_NO_MOBILE else ""  # phones: the run's bijection
        return (self.st.name(), number, phone, self.st.address(), "", ""), ctftp, nation

    def _cells(self, rendered: tuple[str, ...], record: tuple[str, ...], *, good: bool = True) -> list[str]:
        rng = self.st.rng
        row = self.template.copy()
        idn = record[ID_NUMBER]
        row[0] = rendered[NAME]
        row[4] = rendered[ID_NUMBER]
        if len(idn) == 18 and idn[:17].isdigit():
            row[5] = "M" if int(idn[16]) % 2 else "F"
            row[6] = idn[6:14]
        row[7] = rendered[ADDRESS]
        row[8] = self.st.postcodes[int(rng.random() * len(self.st.postcodes))]
        row[19] = rendered[PHONE] or self.st.missing(count=good)
        if rng.random() < 0.1:
            row[20] = f"0{(10, 21, 20, 571, 27, 755)[int(rng.random() * 6)]}-{rng.randrange(2000000, 89999999)}"
        row[22] = rendered[EMAIL] or self.st.missing(count=good)
        if rng.random() < 0.15:
            row[26] = self.st.companies[int(rng.random() * len(self.st.companies))]
        row[31] = self.st.timestamp()
        row[32] = str(self.row_id)
        self.row_id += 1
        return row

    def _malformed(self, kind: str) -> str:
        rng = self.st.rng
        record = (self.st.name(), self.st.ids.valid(), self.st.random_mobile(), self.st.address(), "", "")
        cells = self._cells(record, record, good=False)
        if kind == "malformed_unquoted_comma":
            address = cells[7]
            at = 2 + int(rng.random() * (len(address) - 3))
            cells[7] = address[:at] + "," + address[at:]
            line = ",".join(cells)
        elif kind == "malformed_truncated_line":
            keep = 2 + int(rng.random() * 28)
            line = ",".join(cells[:keep]) + "," + cells[keep][: len(cells[keep]) // 2]
        else:
            line = JUNK_LINES[int(rng.random() * len(JUNK_LINES))]
        if '"' in line or "\n" in line or "\r" in line or len(line.split(",")) == len(HOTEL_HEADER):
            raise AssertionError(f"{kind} line would not be quarantined")
        return line

    def chunk(self, fh, writer, start: int, count: int) -> None:
        """Write good rows ``start``..``start + count - 1`` (and the lines the plan inserts before them).

        Args:
            fh: the item's text file (inserted blank and malformed lines are written to it directly).
            writer: a ``csv.writer`` on ``fh`` (CRLF line terminator) for the good rows.
            start: index of the first good row of the chunk.
            count: good rows in the chunk.
        """
        rng = self.st.rng
        specials, inserts = self.st.plans[HOTEL_ITEM]
        recent = self.st.recent[HOTEL_ITEM]
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                if kind.startswith("blank"):
                    fh.write("\r\n" if kind == "blank_empty" else "   \r\n")
                    self.st.blank_line(HOTEL_ITEM)
                else:
                    fh.write(self._malformed(kind) + "\r\n")
                    self.st.quarantined_row(HOTEL_ITEM, kind)
            special = specials.get(i)
            if special is None and self.doc_rng.random() < P_OTHER_DOCUMENT:
                # another document: a base record of its own, never duplicated, copied or reused
                record, ctftp, nation = self._document()
                self.st.register_base(record)
                cells = self._cells(record, record)
                cells[3], cells[23] = ctftp, nation
                writer.writerow(cells)
                self.st.good_row(HOTEL_ITEM)
                continue
            if special is None and recent and rng.random() < P_DUP[HOTEL_ITEM]:
                record = self.st.pick(recent)
                rendered = self.persons.duplicate(record, cross_file=False)
            elif special is None and (probable := self.persons.probable_row(recent)) is not None:
                record = rendered = probable
            elif special is None and (relative := self.persons.relative(recent, with_id=True)) is not None:
                record = rendered = relative
                self.st.register_base(record)
            else:
                record = rendered = self._record(special)
                self.st.register_base(record)
                if special is not None:
                    self.st.injected[special] += 1
                if special == "csv_quoted_line_break":
                    address = record[ADDRESS]
                    at = 2 + int(rng.random() * (len(address) - 3))
                    rendered = record[:ADDRESS] + (address[:at] + "\n" + address[at:],) + record[ADDRESS + 1:]
                elif special is None or special == "id_missing_records":
                    # Invalid IDs and line breaks occur once: never duplicated or copied.
                    self.st.remember(recent, record)
                    if not record[EMAIL]:
                        self.st.remember(self.st.hotel_copyable, record)
                    if record[PHONE] and rng.random() < P_REUSE_CANDIDATE:
                        self.st.remember(self.st.reuse_candidates, record)
            writer.writerow(self._cells(rendered, record))
            self.st.good_row(HOTEL_ITEM)
