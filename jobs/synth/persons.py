"""Who a row is: format variants of a record, probable duplicates of a person, relatives.

:class:`Persons` re-writes base records: exact duplicates (optionally in a format variant that
normalizes back to the record), probable duplicates (the same person with a typo or a field
missing: a new distinct record), and relatives (another person sharing a phone and an address: hard
negatives). It keeps each person's first record and writes ``linkage_truth.csv`` as it goes.
"""

from __future__ import annotations

import re

from jobs.synth.contract import (
    ADDRESS,
    BANK_CARD,
    EMAIL,
    ID_NUMBER,
    NAME,
    NO_PARTY,
    PHONE,
    T2S_PROTECTED,
    TO_FULLWIDTH,
    canonical_key,
    converter,
    key8,
    record_key_sha256,
    spec_key,
    spec_name,
)
from jobs.synth.layout import P_PROBABLE, P_RELATIVE, P_VARIANT, PROBABLE_KINDS
from jobs.synth.state import SeizureState


def _levenshtein(a: str, b: str) -> int:
    """Edit distance (Levenshtein 1966), for short strings."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


class Persons:
    """Variants, probable duplicates and relatives of the records of ``st``, with their linkage truth.

    Args:
        st: the run's shared state (random source, buffers, counts).
    """

    def __init__(self, st: SeizureState) -> None:
        self.st = st
        s2t = converter("s2t")
        self.traditional: dict[str, str] = {}
        for name in self.st.names:
            trad = s2t.convert(name)
            if trad != name and spec_name(trad) == name and not set(trad) & T2S_PROTECTED:
                self.traditional[name] = trad
        # Probable duplicates: the first record of each person, for records that re-state one.
        self.person_root: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.probable_records = 0
        # Keys (8-byte digests) of each person's records that re-state a person, and of those
        # persons' first records: two re-writes of one person may otherwise come out equal.
        self.person_keys: set[bytes] = set()
        self.linkage_out = None  # text file of linkage_truth.csv while writing
        # The normalized second party (contract.spec_party) of each waybill record (issue 12): part
        # of the record's name in linkage_truth.csv; records of the other items have none.
        self.second_party: dict[tuple[str, ...], tuple[str, str, str]] = {}
        self.name_chars = sorted({c for n in self.st.names for c in n})

    # ------------------------------------------------------------------ variants

    def variant(self, record: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        """Re-write one field of ``record`` in a format that normalizes back to it."""
        rng = self.st.rng
        name, idn, phone, address, card, email = record
        kinds = []
        if idn:
            kinds.append("variant_id_separators")
            if idn[6:8] == "19":
                kinds.append("variant_id_15_digit")
        if idn or phone:
            kinds.append("variant_fullwidth_digits")
        if phone:
            kinds.append("variant_phone_prefix_spacing")
        if name in self.traditional:
            kinds.append("variant_name_traditional")
        if len(name) >= 2:
            kinds.append("variant_name_inner_space")
        if address:
            kinds.append("variant_address_whitespace")
        if card:
            kinds.append("variant_bank_card_spacing")
        if email:
            kinds.append("variant_email_domain_case")
        unused = [k for k in kinds if not self.st.injected[k]]  # small seizures still show every kind
        kind = unused[0] if unused else kinds[int(rng.random() * len(kinds))]
        out = list(record)
        if kind == "variant_id_15_digit":
            out[ID_NUMBER] = idn[:6] + idn[8:17]
        elif kind == "variant_id_separators":
            sep = " " if rng.random() < 0.5 else "-"
            out[ID_NUMBER] = sep.join((idn[:6], idn[6:14], idn[14:].replace("X", "x")))
        elif kind == "variant_fullwidth_digits":
            field = ID_NUMBER if idn and (not phone or rng.random() < 0.5) else PHONE
            out[field] = record[field].translate(TO_FULLWIDTH)
        elif kind == "variant_phone_prefix_spacing":
            p = phone
            forms = (f"+86 {p[:3]} {p[3:7]} {p[7:]}", f"+86{p}", f"0086 {p}", f"0086-{p[:3]}-{p[3:7]}-{p[7:]}",
                     f"86{p}", f"{p[:3]} {p[3:7]} {p[7:]}", f"{p[:3]}-{p[3:7]}-{p[7:]}")
            out[PHONE] = forms[int(rng.random() * len(forms))]
        elif kind == "variant_name_traditional":
            out[NAME] = self.traditional[name]
        elif kind == "variant_name_inner_space":
            at = 1 + int(rng.random() * (len(name) - 1))
            out[NAME] = name[:at] + (" ", "\u3000", "  ")[int(rng.random() * 3)] + name[at:]
        elif kind == "variant_address_whitespace":
            at = 2 + int(rng.random() * (len(address) - 3))
            out[ADDRESS] = address[:at] + " " + address[at:]
        elif kind == "variant_bank_card_spacing":
            out[BANK_CARD] = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
        else:
            local, _, domain = email.partition("@")
            out[EMAIL] = f"{local}@{domain.upper() if rng.random() < 0.5 else domain.capitalize()}"
            if rng.random() < 0.5:
                out[EMAIL] = f" {out[EMAIL]} "
        rendered = tuple(out)
        if spec_key(rendered) != canonical_key(record):
            raise AssertionError(f"{kind} does not normalize back to its base record")
        self.st.injected[kind] += 1
        return rendered, kind

    # ------------------------------------------------------------------ probable duplicates

    def is_new_for_person(self, record: tuple[str, ...], source: tuple[str, ...]) -> bool:
        """Whether ``record`` (re-stating the person of ``source``) differs from every record of
        that person so far. Other persons' records keep their own ID numbers and phones, so
        they cannot be equal; the end check (:meth:`SeizureState.check_unique_keys`) covers the rest."""
        root = self.person_root.get(source, source)
        self.person_keys.add(key8(root))
        return key8(record) not in self.person_keys

    def truth_name(self, record: tuple[str, ...]) -> str:
        """How linkage_truth.csv names ``record``: ``contract.record_key_sha256`` of its six fields
        and its second party (:attr:`second_party`, ``NO_PARTY`` when it has none)."""
        return record_key_sha256(canonical_key(record) + self.second_party.get(record, NO_PARTY))

    def same_person(self, record: tuple[str, ...], source: tuple[str, ...], kind: str, *, same_party: bool = False) -> None:
        """Record that the new base ``record`` is the person of ``source`` (linkage_truth.csv).

        ``same_party``: ``record`` is a waybill retyped from its person's first waybill, so it
        carries that waybill's sender (courier item); otherwise it has no second party."""
        root = self.person_root.get(source, source)
        self.person_root[record] = root
        if same_party:
            self.second_party[record] = self.second_party.get(root, NO_PARTY)
        self.person_keys.add(key8(record))
        self.probable_records += 1
        self.st.probable_registered(record)
        self.linkage_out.write(f"{self.truth_name(record)},{self.truth_name(root)},{self.truth_name(source)},{kind}\n")

    def register_probable(self, record: tuple[str, ...], source: tuple[str, ...], kind: str, *, same_party: bool = False) -> None:
        """A probable duplicate made by :meth:`probable`: a new base record, counted under its
        kind, the person of ``source`` (``same_party``: see :meth:`same_person`)."""
        self.st.register_base(record)
        self.st.injected[kind] += 1
        self.same_person(record, source, kind, same_party=same_party)

    def _name_typo(self, name: str) -> str | None:
        """``name`` with one character replaced by another pooled name character (``None`` after 20 tries)."""
        rng = self.st.rng
        for _ in range(20):
            at = int(rng.random() * len(name))
            new = name[:at] + self.name_chars[int(rng.random() * len(self.name_chars))] + name[at + 1:]
            if new != name and spec_name(new) == new and not set(new) & T2S_PROTECTED:
                return new
        return None

    def relative(self, recent: list, *, with_id: bool) -> tuple[str, ...] | None:
        """Another person sharing the phone and address of a recent record (a family member): a
        fresh name at least two edits away (preferably the same surname), and in the hotel item a
        fresh valid ID number. Not the same person: never in linkage_truth.csv."""
        if not recent or self.st.rng.random() >= P_RELATIVE:
            return None
        source = self.st.pick(recent)
        if not (source[PHONE] and source[ADDRESS]):
            return None
        for attempt in range(40):
            name = self.st.name()
            if _levenshtein(name, source[NAME]) >= 2 and (attempt >= 20 or name[0] == source[NAME][0]):
                break
        else:
            return None
        self.st.injected["relative_shared_phone_address"] += 1
        return (name, self.st.ids.valid() if with_id else "", source[PHONE], source[ADDRESS], "", "")

    def probable(self, record: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
        """Re-write ``record`` as the same person with a typo or a field missing (a new distinct record).

        What stays always lets the pair be found and linked: the name (exact or one character
        off) and either an identifier (ID number, phone, bank card, e-mail) unchanged or, with an
        exact name, the address unchanged. Returns ``None`` when no kind applies (a bare phone).
        """
        rng = self.st.rng
        name = record[NAME]
        if len(name) < 2:
            return None
        strong = [f for f in (ID_NUMBER, PHONE, BANK_CARD, EMAIL) if record[f]]
        present = [f for f in (ID_NUMBER, PHONE, ADDRESS, BANK_CARD, EMAIL) if record[f]]

        def droppable(name_exact: bool) -> list[int]:
            return [f for f in present
                    if any(g != f for g in strong) or (name_exact and record[ADDRESS] and f != ADDRESS)]

        # A name typo needs an identifier that stays: [name_key, address] blocks on the exact name.
        kinds = {"probable_name_typo": bool(strong),
                 "probable_field_missing": bool(droppable(True)),
                 "probable_address_typo": bool(strong) and re.search(r"\d室$", record[ADDRESS]) is not None,
                 "probable_typo_and_missing": bool(droppable(False))}
        usable = [k for k in PROBABLE_KINDS if kinds[k]]
        if not usable:  # name + address only: nothing can change and stay findable
            return None
        unused = [k for k in usable if not self.st.injected[k]]  # small seizures still show every kind
        kind = unused[0] if unused else usable[int(rng.random() * len(usable))]
        out = list(record)
        if kind in ("probable_name_typo", "probable_typo_and_missing"):
            typo = self._name_typo(name)
            if typo is None:
                return None
            out[NAME] = typo
        if kind in ("probable_field_missing", "probable_typo_and_missing"):
            fields = droppable(kind == "probable_field_missing")
            out[fields[int(rng.random() * len(fields))]] = ""
        if kind == "probable_address_typo":
            address = record[ADDRESS]
            digit = address[-2]
            out[ADDRESS] = address[:-2] + "0123456789".replace(digit, "")[int(rng.random() * 9)] + "室"
        new = tuple(out)
        if canonical_key(new) == canonical_key(record):
            raise AssertionError(f"{kind} did not change the record")
        if not self.is_new_for_person(new, record):
            return None  # this person already has that record
        return new, kind

    def probable_row(self, recent: list, *, same_party: bool = False) -> tuple[str, ...] | None:
        """With probability ``P_PROBABLE``, a probable duplicate of a recent record of the same
        item, registered as a base record (and remembered, so it can be duplicated exactly).
        ``same_party``: the item's rows carry a second party, repeated by the retyped row."""
        if not recent or self.st.rng.random() >= P_PROBABLE:
            return None
        source = self.st.pick(recent)
        made = self.probable(source)
        if made is None:
            return None
        record, kind = made
        self.register_probable(record, source, kind, same_party=same_party)
        self.st.remember(recent, record)
        return record

    def duplicate(self, record: tuple[str, ...], *, cross_file: bool) -> tuple[str, ...]:
        """Re-emit ``record`` as a duplicate row (counted), in a format variant with ``P_VARIANT``."""
        self.st.injected["duplicate_cross_file" if cross_file else "duplicate_within_file"] += 1
        if self.st.rng.random() < P_VARIANT:
            return self.variant(record)[0]
        return record
