"""The traded mix (``交换数据.jsonl``): phone lists plus copies of the other items under other keys.

Phone-list records (``name``/``mobile``/``tag``), some re-using the name and phone of another
item's record (the same person, another field set) or bare phones; copies of hotel, bank and
courier records under pinyin or English keys, some as probable duplicates; malformed lines (invalid
JSON, JSON that is not an object) and blank lines.
"""

from __future__ import annotations

import json

from jobs.synth.contract import ADDRESS, BANK_CARD, ID_NUMBER, NAME, PHONE
from jobs.synth.layout import (
    BANK_ITEM,
    EXCHANGE_ITEM,
    JUNK_LINES,
    P_BARE_PHONE,
    P_EXCHANGE_COPY,
    P_EXCHANGE_DUP,
    P_EXCHANGE_PROBABLE,
    P_REUSE_PERSON,
)
from jobs.synth.persons import Persons
from jobs.synth.state import SeizureState

#: ``tag`` of a phone-list record (what the list was sold for).
PHONE_LIST_TAGS = ("贷款", "购房", "车主", "保险", "股票", "装修", "母婴", "网购")
#: Exchange-item keys of copied records (field position -> key), in the order written: pinyin
#: initials or English. Phone-list records use ``name``/``mobile``/``tag``.
EXCHANGE_KEYS_PINYIN = {NAME: "xm", ID_NUMBER: "sfzh", PHONE: "sjh", BANK_CARD: "yhkh", ADDRESS: "dz"}
EXCHANGE_KEYS_ENGLISH = {NAME: "name", ID_NUMBER: "id_card", PHONE: "phone", BANK_CARD: "bank_card", ADDRESS: "address"}


class ExchangeItem:
    """Lines of the exchange JSONL (the driver writes the line endings)."""

    def __init__(self, st: SeizureState, persons: Persons) -> None:
        self.st = st
        self.persons = persons

    def _object(self, rendered: tuple[str, ...]) -> dict[str, str]:
        keys = EXCHANGE_KEYS_PINYIN if self.st.rng.random() < 0.5 else EXCHANGE_KEYS_ENGLISH
        return {key: rendered[f] for f, key in keys.items() if rendered[f]}

    def _phone_list_object(self, rendered: tuple[str, ...]) -> dict[str, str]:
        obj = {"name": rendered[NAME]} if rendered[NAME] else {}
        obj["mobile"] = rendered[PHONE]
        obj["tag"] = PHONE_LIST_TAGS[int(self.st.rng.random() * len(PHONE_LIST_TAGS))]
        return obj

    def _malformed(self, kind: str) -> str:
        rng = self.st.rng
        name, phone = self.st.name(), self.st.random_mobile()
        if kind == "malformed_invalid_json":
            obj = {"name": name, "mobile": phone, "tag": PHONE_LIST_TAGS[int(rng.random() * len(PHONE_LIST_TAGS))]}
            if rng.random() < 0.5:
                text = json.dumps(obj, ensure_ascii=False)
                line = text[: 1 + int(rng.random() * (len(text) - 2))]
            else:
                line = str(obj)  # Python repr: single quotes
        else:
            forms = (json.dumps([name, phone], ensure_ascii=False), json.dumps(JUNK_LINES[0], ensure_ascii=False),
                     phone, "null")
            line = forms[int(rng.random() * len(forms))]
        try:
            is_object = isinstance(json.loads(line), dict)
        except ValueError:
            is_object = False
        if is_object or not line.strip():
            raise AssertionError(f"{kind} line would not be quarantined")
        return line

    def chunk(self, lines: list[str], start: int, count: int) -> None:
        """Append good lines ``start``..``start + count - 1`` to ``lines``, with the lines the plan inserts."""
        rng = self.st.rng
        _, inserts = self.st.plans[EXCHANGE_ITEM]
        recent = self.st.recent[EXCHANGE_ITEM]
        # Not the courier's records: a waybill record carries its sender (issue 12, two-party rows), so
        # a phone-list copy of its receiver alone is a different record, not a duplicate.
        sources = (self.st.hotel_copyable, self.st.recent[BANK_ITEM])
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                if kind.startswith("blank"):
                    lines.append("" if kind == "blank_empty" else " ")
                    self.st.blank_line(EXCHANGE_ITEM)
                else:
                    lines.append(self._malformed(kind))
                    self.st.quarantined_row(EXCHANGE_ITEM, kind)
            u = rng.random()
            available = [s for s in sources if s]
            if u < P_EXCHANGE_COPY and available:
                source = self.st.pick(available[int(rng.random() * len(available))])
                made = self.persons.probable(source) if rng.random() < P_EXCHANGE_PROBABLE else None
                if made is not None:  # copied from another item with a typo or a field missing
                    rendered, kind = made
                    self.persons.register_probable(rendered, source, kind)
                else:
                    rendered = self.persons.duplicate(source, cross_file=True)
                obj = self._object(rendered)
            elif u < P_EXCHANGE_COPY + P_EXCHANGE_DUP and recent:
                obj = self._phone_list_object(self.persons.duplicate(self.st.pick(recent), cross_file=False))
            else:
                v = rng.random()
                reused = None
                if v < P_REUSE_PERSON and self.st.reuse_candidates:
                    # Same person as a record of another item, other field set: a distinct record.
                    buf = self.st.reuse_candidates
                    j = int(rng.random() * len(buf))
                    buf[j], buf[-1] = buf[-1], buf[j]
                    source = buf.pop()
                    reused = (source[NAME], "", source[PHONE], "", "", "")
                    if not self.persons.is_new_for_person(reused, source):
                        reused = None
                if reused is not None:
                    record = reused
                    self.st.injected["same_person_other_field_set"] += 1
                    self.persons.same_person(record, source, "same_person_other_field_set")
                elif v < P_REUSE_PERSON + P_BARE_PHONE:
                    record = ("", "", self.st.phones.next(), "", "", "")
                    self.st.injected["bare_phone_records"] += 1
                else:
                    record = (self.st.name(), "", self.st.phones.next(), "", "", "")
                self.st.register_base(record)
                self.st.remember(recent, record)
                obj = self._phone_list_object(record)
            lines.append(json.dumps(obj, ensure_ascii=False))
            self.st.good_row(EXCHANGE_ITEM)
