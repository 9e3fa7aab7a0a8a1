"""The bank four-element list (``四要素_40万.txt``): GB18030, ``----`` separated, CRLF.

Name, ID number, mobile and bank card per line; invalid ID numbers and cards that fail their shape
check (a placeholder ``0000000000000000``, 6–10 digits, a letter for a digit: issue 12 defect 1,
the record stays ``tier_500``) from the item's plan; malformed
lines (a field missing or extra, a wrong separator, a truncated line, junk lines) and blank lines.
"""

from __future__ import annotations

from jobs.synth.contract import BANK_CARD, ID_NUMBER, NAME, PHONE, spec_key
from jobs.synth.layout import BANK_HEADER, BANK_ITEM, BANK_SEPARATOR, JUNK_LINES, P_DUP, P_REUSE_CANDIDATE
from jobs.synth.persons import Persons
from jobs.synth.state import SeizureState


class BankItem:
    """Lines of the bank TXT (the driver writes the header and the line endings)."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons

    def chunk(self, lines: list[str], start: int, count: int) -> None:
        """Append good rows ``start``..``start + count - 1`` to ``lines``, with the lines the plan inserts."""
        rng = self.st.rng
        specials, inserts = self.st.plans[BANK_ITEM]
        recent = self.st.recent[BANK_ITEM]
        sep = BANK_SEPARATOR
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                if kind.startswith("blank"):
                    lines.append("" if kind == "blank_empty" else "  ")
                    self.st.blank_line(BANK_ITEM)
                    continue
                fields = [self.st.name(), self.st.ids.valid(), self.st.random_mobile(), self.st.bank_card()]
                if kind == "malformed_missing_field":
                    del fields[2 + int(rng.random() * 2)]
                    line = sep.join(fields)
                elif kind == "malformed_extra_field":
                    line = sep.join(fields + [("借记卡", "信用卡", "储蓄卡")[int(rng.random() * 3)]])
                elif kind == "malformed_wrong_separator":
                    line = "|".join(fields)
                elif kind == "malformed_truncated_line":
                    full = sep.join(fields)
                    line = full[: 1 + int(rng.random() * (full.rindex(sep) - 1))]
                else:
                    line = JUNK_LINES[int(rng.random() * len(JUNK_LINES))]
                if len(line.split(sep)) == len(BANK_HEADER) or not line.strip():
                    raise AssertionError(f"{kind} line would not be quarantined")
                lines.append(line)
                self.st.quarantined_row(BANK_ITEM, kind)
            special = specials.get(i)
            if special is None and recent and rng.random() < P_DUP[BANK_ITEM]:
                rendered = self.persons.duplicate(self.st.pick(recent), cross_file=False)
            elif special is None and (probable := self.persons.probable_row(recent)) is not None:
                rendered = probable
            else:
                if special == "invalid_id_check_digit":
                    idn = self.st.ids.bad_check_digit()
                elif special == "invalid_id_impossible_date":
                    idn = self.st.ids.impossible_date()
                else:
                    idn = self.st.ids.valid()
                card = self.st.bank_card()
                if special == "bank_card_placeholder":
                    card = "0" * 16
                elif special == "bank_card_bad_length":
                    card = card[:6 + int(rng.random() * 5)]  # 6-10 digits: fewer than 12
                elif special == "bank_card_bad_format":
                    at = 2 + int(rng.random() * (len(card) - 2))
                    card = card[:at] + "ABCDEFGHJK"[int(rng.random() * 10)] + card[at + 1:]  # a letter for a digit
                rendered = (self.st.name(), idn, self.st.phones.next(), "", card, "")
                self.st.register_base(rendered)
                if special is None:
                    self.st.remember(recent, rendered)
                    if rng.random() < P_REUSE_CANDIDATE:
                        self.st.remember(self.st.reuse_candidates, rendered)
                else:
                    self.st.injected[special] += 1
            line = f"{rendered[NAME]}{sep}{rendered[ID_NUMBER]}{sep}{rendered[PHONE]}{sep}{rendered[BANK_CARD]}"
            if len(line.split(sep)) != len(BANK_HEADER):
                raise AssertionError("a bank row would not split into four fields")
            lines.append(line)
            self.st.row_written(spec_key(rendered), {})
            self.st.good_row(BANK_ITEM)
