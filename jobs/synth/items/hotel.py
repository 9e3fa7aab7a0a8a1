"""The hotel check-in dump (``住宿登记_2019.csv``): UTF-8 with BOM, comma CSV, CRLF, 33 columns.

Rows carry invalid ID numbers (a wrong check character, an impossible date), records without an ID
number, placeholders for a missing mobile or e-mail, a quoted line break, and malformed lines (an
unquoted comma, a truncated line, junk lines) and blank lines from the item's plan.
"""

from __future__ import annotations

from jobs.synth.contract import ADDRESS, EMAIL, ID_NUMBER, NAME, PHONE
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


class HotelItem:
    """Rows of the hotel CSV (the driver writes the header and owns the file)."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons
        self.row_id = st.rng.randrange(1_000_000, 9_000_000)
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

    def _cells(self, rendered: tuple[str, ...], record: tuple[str, ...], *, good: bool = True) -> list[str]:
        rng = self.st.rng
        row = self.template.copy()
        idn = record[ID_NUMBER]
        row[0] = rendered[NAME]
        row[4] = rendered[ID_NUMBER]
        if idn:
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
