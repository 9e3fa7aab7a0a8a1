"""Shared state of one generator run: the random source, values, plans, buffers and every count.

:class:`SeizureState` holds what all items share: ``random.Random(seed)`` (every random choice,
in write order), the Faker pools, the ID and mobile bijections, each item's injection plan, the
buffers of recent base records (for duplicates and exchange copies), and the bookkeeping of the
ground truth (per-item rows, injected kinds, categories, the key digests of the uniqueness check).
"""

from __future__ import annotations

import datetime as dt
import random

from jobs.synth.contract import CATEGORY_KEYS, PLACEHOLDERS, TAG_BARE_PHONE, bank_card_ok, category, count_tag, key8, row_digest
from jobs.synth.contract import canonical_key as canonical_key_of
from jobs.synth.identifiers import MOBILE_SEGMENTS, IdNumbers, MobileNumbers, luhn_check_digit
from jobs.synth.layout import (
    BUFFER,
    EXCHANGE_ITEM,
    INJECTED_KINDS,
    INSERT_PLAN,
    ITEM_SHARES,
    ITEMS,
    P_PLACEHOLDER,
    ROW_PLAN,
    ZIP_ITEM,
    ZIP_MEMBER,
)
from jobs.synth.pools import EMAIL_DOMAINS, faker_pools


class SeizureState:
    """The random source, value pools, plans, recent-record buffers and counts of one run.

    Args:
        records: good rows requested over all items.
        seed: seed of the Faker pools and of ``rng``.
    """

    def __init__(self, *, records: int, seed: int) -> None:
        self.records = records
        self.seed = seed
        self.rng = random.Random(seed)
        pools = faker_pools(seed)
        self.names = pools["names"]
        self.addresses = pools["addresses"]
        self.postcodes = pools["postcodes"]
        self.companies = pools["companies"]
        self.user_names = pools["user_names"]
        self.ids = IdNumbers(self.rng)
        self.phones = MobileNumbers(self.rng)
        self.days_2019 = [(dt.date(2019, 1, 1) + dt.timedelta(d)).isoformat() for d in range(365)]

        self.good_rows = {item: records * share // 100 for item, share in ITEM_SHARES.items()}
        self.good_rows[EXCHANGE_ITEM] = records - sum(self.good_rows.values())
        self.plans = {item: self._plan(n, ROW_PLAN[item], INSERT_PLAN[item]) for item, n in self.good_rows.items()}

        self.injected = dict.fromkeys(INJECTED_KINDS, 0)
        self.items = {item: {"path": item, "raw_rows": 0, "quarantined_rows": 0, "header_rows": 0, "blank_lines": 0}
                      for item in ITEMS}
        self.items[ZIP_ITEM]["path"] = f"{ZIP_ITEM}/{ZIP_MEMBER}"
        self.categories = {"tier_50": 0, "tier_500": 0, "tier_5000": 0}
        self.unique = 0
        self.key_digests = bytearray()
        # Every good row written: the digest of its information (identical rows, issue 12) and its
        # count tag (contract.count_tag); 9 bytes a row.
        self.row_digests = bytearray()
        self.row_tags = bytearray()
        self.base_tags = [0] * (TAG_BARE_PHONE + 2)  # base records per count tag
        self.probable_tags = [0] * (TAG_BARE_PHONE + 2)  # probable duplicates per count tag
        self.kept_out = dict.fromkeys(CATEGORY_KEYS, 0)
        # Recent base records, for duplicates (same item) and copies (exchange item).
        self.recent: dict[str, list[tuple[str, ...]]] = {item: [] for item in ITEMS}
        self.hotel_copyable: list[tuple[str, ...]] = []  # hotel records without e-mail (JSONL has no e-mail key)
        self.reuse_candidates: list[tuple[str, ...]] = []

    # ------------------------------------------------------------------ planning and bookkeeping

    def _plan(self, n: int, row_kinds: dict[str, float], insert_kinds: dict[str, float]):
        """(special rows: row index -> kind, inserted lines: row index -> kinds) of an item of ``n`` good rows."""
        rng = self.rng
        counts = {k: max(1, round(rate * n)) for k, rate in row_kinds.items()}
        if sum(counts.values()) > n // 4:
            raise ValueError("too few records for the injection plan")
        positions = iter(rng.sample(range(n), sum(counts.values())))
        specials = {next(positions): kind for kind, c in counts.items() for _ in range(c)}
        inserts: dict[int, list[str]] = {}
        for kind, rate in insert_kinds.items():
            for _ in range(max(1, round(rate * n))):
                inserts.setdefault(rng.randrange(n), []).append(kind)
        return specials, inserts

    def remember(self, buf: list, record: tuple[str, ...]) -> None:
        """Keep ``record`` in a buffer of at most ``BUFFER`` recent records (a random one replaced when full)."""
        if len(buf) < BUFFER:
            buf.append(record)
        else:
            buf[int(self.rng.random() * BUFFER)] = record

    def pick(self, buf: list):
        """A random element of ``buf``."""
        return buf[int(self.rng.random() * len(buf))]

    def register_base(self, record: tuple[str, ...], *, extra_key: str = "") -> None:
        """Count a new distinct record: its key digest, the unique count, its category and count tag.

        ``extra_key``: the unmapped content of a record with no canonical field (see ``contract.key8``).
        A counted record whose card fails its shape check is counted as kept out of ``tier_50``
        (issue 12 defect 1; the generator injects such cards only in records with a valid ID number).
        """
        self.key_digests += key8(record, extra_key)
        self.unique += 1
        self.categories[category(record)] += 1
        tag = count_tag(canonical_key_of(record))
        self.base_tags[tag] += 1
        if record[4] and not bank_card_ok(record[4]) and tag < TAG_BARE_PHONE and category(record) != "tier_50":
            self.kept_out["tier_50"] += 1

    def row_written(self, key: tuple[str, ...], extras: dict[str, str]) -> None:
        """Record a good row's information: ``key`` its normalized six-field key (``contract.spec_key``),
        ``extras`` its other columns (header → value as written), row identifier columns left out."""
        self.row_digests += row_digest(key, extras)
        self.row_tags.append(count_tag(key))

    def probable_registered(self, record: tuple[str, ...]) -> None:
        """Count a probable duplicate by count tag (it leaves the lower bound when counted)."""
        self.probable_tags[count_tag(canonical_key_of(record))] += 1

    def levels(self) -> dict:
        """The duplicate levels and both bounds per category, from the rows and records written.

        Returns ``{"duplicate_levels": {...}, "bounds": {"upper": {...}, "lower": {...}}}``: identical
        rows = rows − distinct rows (by row digest), same-person exact = distinct rows − base
        records, probable = probable duplicates, each among counted records (and among bare phone
        numbers apart); upper bound per category = distinct rows of counted records, lower bound =
        counted base records that are not probable duplicates (a probable duplicate never carries
        a more sensitive field than the record it re-states: a typo, a field left out, a subset).
        """
        import numpy as np

        digests = np.frombuffer(self.row_digests, dtype="<u8")
        tags = np.frombuffer(bytes(self.row_tags), dtype=np.uint8)
        _, first = np.unique(digests, return_index=True)
        rows_by_tag = np.bincount(tags, minlength=TAG_BARE_PHONE + 2)
        distinct_by_tag = np.bincount(tags[first], minlength=TAG_BARE_PHONE + 2)
        counted = range(len(CATEGORY_KEYS))
        return {
            "duplicate_levels": {
                "identical_rows": int(sum(rows_by_tag[t] - distinct_by_tag[t] for t in counted)),
                "same_person_exact": int(sum(distinct_by_tag[t] - self.base_tags[t] for t in counted)),
                "probable": int(sum(self.probable_tags[t] for t in counted)),
                "bare_phone_identical_rows": int(rows_by_tag[TAG_BARE_PHONE] - distinct_by_tag[TAG_BARE_PHONE]),
                "bare_phone_same_person_exact": int(distinct_by_tag[TAG_BARE_PHONE] - self.base_tags[TAG_BARE_PHONE]),
                "kept_out_of_category": dict(self.kept_out),
            },
            "bounds": {"upper": {k: int(distinct_by_tag[i]) for i, k in enumerate(CATEGORY_KEYS)},
                       "lower": {k: self.base_tags[i] - self.probable_tags[i] for i, k in enumerate(CATEGORY_KEYS)}},
        }

    def good_row(self, item: str) -> None:
        """Count a good (non-quarantined) row of ``item``."""
        self.items[item]["raw_rows"] += 1

    def quarantined_row(self, item: str, kind: str) -> None:
        """Count a malformed row of ``item``, injected as ``kind``."""
        self.items[item]["raw_rows"] += 1
        self.items[item]["quarantined_rows"] += 1
        self.injected[kind] += 1

    def blank_line(self, item: str) -> None:
        """Count a blank line (or fully empty sheet row) of ``item``."""
        self.items[item]["blank_lines"] += 1
        self.injected["blank_lines"] += 1

    def check_unique_keys(self) -> None:
        """Raise ``AssertionError`` if two base records share a normalized key (8-byte digests, sorted)."""
        import numpy as np

        digests = np.sort(np.frombuffer(self.key_digests, dtype="<u8"))
        if len(digests) != self.unique or bool((digests[1:] == digests[:-1]).any()):
            raise AssertionError("two different base records normalize to the same key")

    # ------------------------------------------------------------------ values

    def name(self) -> str:
        """A name from the pool."""
        return self.names[int(self.rng.random() * len(self.names))]

    def address(self) -> str:
        """An address from the pool with a house and a room number (``…12号1203室``)."""
        rng = self.rng
        return f"{self.addresses[int(rng.random() * len(self.addresses))]}{rng.randrange(1, 33)}号{rng.randrange(101, 3300)}室"

    def email(self) -> str:
        """An e-mail address: a pooled user name, a number, a reserved example domain."""
        rng = self.rng
        user = self.user_names[int(rng.random() * len(self.user_names))]
        return f"{user}{rng.randrange(10, 10000)}@{EMAIL_DOMAINS[int(rng.random() * 3)]}"

    def bank_card(self) -> str:
        """A UnionPay-like ``62`` card number of 16 or 19 digits with a Luhn check digit."""
        rng = self.rng
        length = 16 if rng.random() < 0.6 else 19
        body = f"62{rng.randrange(10 ** (length - 3)):0{length - 3}d}"
        return body + luhn_check_digit(body)

    def random_mobile(self) -> str:
        """A mobile number for kept-aside columns and quarantined lines (not unique, not a record)."""
        rng = self.rng
        return f"{MOBILE_SEGMENTS[int(rng.random() * len(MOBILE_SEGMENTS))]}{rng.randrange(10**8):08d}"

    def timestamp(self) -> str:
        """A time in 2019, ``YYYY-MM-DD hh:mm:ss``."""
        rng = self.rng
        s = rng.randrange(86400)
        return f"{self.days_2019[int(rng.random() * 365)]} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"

    def missing(self, *, count: bool = True) -> str:
        """A missing value: ``""`` or, with ``P_PLACEHOLDER``, a placeholder (counted when ``count``)."""
        if self.rng.random() < P_PLACEHOLDER:
            self.injected["placeholder_for_missing"] += count
            return PLACEHOLDERS[int(self.rng.random() * len(PLACEHOLDERS))]
        return ""
