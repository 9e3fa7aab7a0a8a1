"""Synthetic seizure generator: eight evidence items of made-up personal information + ground truth.

``generate_seizure(out_dir, records=N, seed=S)`` writes::

    OUT/evidence/住宿登记_2019.csv   hotel check-in dump: UTF-8 with BOM, comma CSV, CRLF, 33 columns
    OUT/evidence/四要素_40万.txt     bank four-element list: GB18030, ``----`` separated, CRLF
    OUT/evidence/快递面单.xlsx       courier waybills: several sheets (<= 100,000 data rows each), text cells
    OUT/evidence/交换数据.jsonl      a traded mix: phone lists + copies of the other items under other keys
    OUT/evidence/会员数据.zip        a zip holding ``会员数据/注册用户.csv`` (member name stored as GBK bytes
                                     without the UTF-8 flag): GB18030 CSV, a title line above the header
    OUT/evidence/学生家长名单.xls    legacy Excel 97-2003 (xlwt), several sheets (<= 65,535 data rows each),
                                     mobile numbers as number cells (11 digits: exact in a double)
    OUT/evidence/商城会员.sql        MySQL dump: CREATE TABLE + multi-row INSERTs, backslash escapes, NULLs
    OUT/evidence/三要素.txt          no header: name, ID number, mobile, tab separated, mixed CRLF/LF
    OUT/ground_truth.json            every count the pipeline must reproduce, kept while writing
    OUT/linkage_truth.csv            which unique records are probable duplicates of which person

The zip member is an evidence item of its own for the pipeline; its ground-truth ``path`` is
``会员数据.zip/会员数据/注册用户.csv`` (intake's member path). Rows quarantined by design in the new
items: the zip CSV's title line (``malformed_junk_before_header``), SQL tuples with a value missing
(``malformed_sql_value_count``), TXT lines with a field missing (``malformed_missing_field``).

Every value is synthetic: names, addresses, post codes, companies and e-mail user names come from
small Faker ``zh_CN`` pools drawn once per seed; identifiers are built by our own rules (GB 11643-1999
resident ID numbers over real GB/T 2260 county codes, mobile numbers in MIIT-allocated segments,
UnionPay-like ``62`` card numbers with a Luhn digit) and combined with ``random.Random(seed)``.
E-mail domains are the reserved ``example.*`` names (RFC 2606), so no address can be a real mailbox.

What a record is and when two rows are the same record is the contract stated in the module brief and
restated in ``_spec_*`` below: six canonical fields (``jobs.engine.schemas.CANONICAL_FIELDS``), each
normalized; two rows are exact duplicates when all six normalized values are equal (missing equals
only missing). Every distinct record ("base record") gets a fresh identifier from a bijection (ID
number and/or mobile number), and the generator verifies at the end that no two base records share a
normalized key. Duplicates are rows re-emitting a base record, either exactly or in a format variant
that normalizes back to it (checked row by row with ``_spec_key``).

Rows are streamed in chunks, so memory does not grow with ``records`` except for 8 bytes per base
record (the key digests of the uniqueness check) and the small injection plans. The XLSX item is
written by ``_XlsxTextWriter``, a minimal SpreadsheetML writer, rather than by openpyxl's write-only
mode: on the project machine openpyxl wrote ~11,000 rows/s (~6,000 with a text number format on every
cell), would have used most of the time budget for 15 % of the rows, and stamps zip entries with
the wall clock (so two runs are not byte-identical). The tests read the XLSX back with openpyxl.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import json
import logging
import math
import os
import random
import re
import zipfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- layout

EVIDENCE_DIR = "evidence"
GROUND_TRUTH_FILE = "ground_truth.json"
#: Same-person truth of the probable duplicates, one line each (see ``generate_seizure``).
LINKAGE_TRUTH_FILE = "linkage_truth.csv"
LINKAGE_TRUTH_HEADER: tuple[str, ...] = ("record_key_sha256", "person_key_sha256", "source_key_sha256", "kind")
HOTEL_ITEM = "住宿登记_2019.csv"
BANK_ITEM = "四要素_40万.txt"
COURIER_ITEM = "快递面单.xlsx"
EXCHANGE_ITEM = "交换数据.jsonl"
ZIP_ITEM = "会员数据.zip"
ZIP_MEMBER = "会员数据/注册用户.csv"
XLS_ITEM = "学生家长名单.xls"
SQL_ITEM = "商城会员.sql"
HEADERLESS_ITEM = "三要素.txt"
ITEMS: tuple[str, ...] = (HOTEL_ITEM, BANK_ITEM, COURIER_ITEM, EXCHANGE_ITEM, ZIP_ITEM, XLS_ITEM, SQL_ITEM, HEADERLESS_ITEM)
ZIP_HEADER: tuple[str, ...] = ("姓名", "手机号", "邮箱", "地址")
ZIP_TITLE = "注册用户导出 2019-04-12"
XLS_HEADER: tuple[str, ...] = ("姓名", "身份证号", "手机号", "住址", "班级")
XLS_MAX_DATA_ROWS_PER_SHEET = 65_535
SQL_TABLE = "member"
SQL_COLUMNS: tuple[str, ...] = ("id", "username", "realname", "idcard", "mobile", "email", "addr", "remark")
SQL_TUPLES_PER_INSERT = 200

#: The 33 columns of the widely reported hotel check-in dump (DOMAIN.md §4).
HOTEL_HEADER: tuple[str, ...] = (
    "Name", "CardNo", "Descriot", "CtfTp", "CtfId", "Gender", "Birthday", "Address", "Zip", "Dirty",
    "District1", "District2", "District3", "District4", "District5", "District6",
    "FirstNm", "LastNm", "Duty", "Mobile", "Tel", "Fax", "EMail", "Nation", "Taste", "Education",
    "Company", "CTel", "CAddress", "CZip", "Family", "Version", "id",
)
BANK_SEPARATOR = "----"
BANK_HEADER: tuple[str, ...] = ("姓名", "身份证号", "手机号", "银行卡号")
COURIER_HEADER: tuple[str, ...] = ("运单号", "寄件人", "寄件人电话", "寄件地址", "收件人", "收件人电话", "收件地址", "物品", "时间")
XLSX_MAX_DATA_ROWS_PER_SHEET = 100_000

#: Share of the requested records per item (the exchange item takes the remainder).
ITEM_SHARES = {HOTEL_ITEM: 30, BANK_ITEM: 16, COURIER_ITEM: 12, ZIP_ITEM: 6, XLS_ITEM: 4, SQL_ITEM: 6, HEADERLESS_ITEM: 6}

MIN_RECORDS = 1_000
_CHUNK_RECORDS = 50_000  # good rows generated per round over the four items

# Positions of the canonical fields in a record tuple (jobs.engine.schemas.CANONICAL_FIELDS order).
NAME, ID_NUMBER, PHONE, ADDRESS, BANK_CARD, EMAIL = range(6)

# --------------------------------------------------------------------------- injection rates
# Row roles (share of an item's good rows). Kinds forced by a plan occur at least once per item.

_P_DUP = {HOTEL_ITEM: 0.08, BANK_ITEM: 0.06, COURIER_ITEM: 0.10,  # within-file duplicate rows
          ZIP_ITEM: 0.05, XLS_ITEM: 0.05, SQL_ITEM: 0.05, HEADERLESS_ITEM: 0.05}
_P_VARIANT = 0.35            # share of duplicate rows written in a format variant
_P_EXCHANGE_COPY = 0.35      # exchange rows that copy a hotel/bank/courier record
_P_EXCHANGE_DUP = 0.05       # exchange rows that repeat an earlier phone-list record
_P_REUSE_PERSON = 0.05       # new phone-list records taking name + phone of a record in another item
_P_BARE_PHONE = 0.02         # new phone-list records without a name
_P_HOTEL_NO_MOBILE = 0.12
_P_HOTEL_EMAIL = 0.20
_P_PLACEHOLDER = 0.15        # a missing hotel Mobile/EMail written as a placeholder instead of ""
_P_REUSE_CANDIDATE = 0.10    # base records offered for reuse by a phone list
_BUFFER = 4096               # recent records kept per item for duplicates and copies
#: Probable duplicates (issue 5): share of an item's good rows that re-write a recent record of the
#: same person with a typo or a field missing. A distinct normalized record (counted in the upper
#: bound), the same person (removed from the lower bound); listed in ``linkage_truth.csv``.
_P_PROBABLE = 0.03
_P_EXCHANGE_PROBABLE = 0.08  # exchange copies of another item's record written as a probable duplicate
#: Hard negatives: a relative (another person, a name at least two edits away) sharing the phone and
#: address of a recent hotel or courier record; in the hotel item with the relative's own valid ID.
_P_RELATIVE = 0.01

#: Plan of special base rows: kind -> share of the item's good rows.
_ROW_PLAN = {
    HOTEL_ITEM: {"invalid_id_check_digit": 0.004, "invalid_id_impossible_date": 0.003,
                 "id_missing_records": 0.01, "csv_quoted_line_break": 0.001},
    BANK_ITEM: {"invalid_id_check_digit": 0.004, "invalid_id_impossible_date": 0.002},
    COURIER_ITEM: {},
    EXCHANGE_ITEM: {},
    ZIP_ITEM: {}, XLS_ITEM: {}, SQL_ITEM: {}, HEADERLESS_ITEM: {},
}
#: Plan of extra lines inserted before a good row: kind -> lines per good row of the item.
_INSERT_PLAN = {
    HOTEL_ITEM: {"malformed_unquoted_comma": 0.002, "malformed_truncated_line": 0.0005,
                 "malformed_junk_line": 0.0002, "blank_empty": 0.0003, "blank_whitespace": 0.0002},
    BANK_ITEM: {"malformed_missing_field": 0.0005, "malformed_extra_field": 0.0005,
                "malformed_wrong_separator": 0.0003, "malformed_truncated_line": 0.0003,
                "malformed_junk_line": 0.0002, "blank_empty": 0.0003, "blank_whitespace": 0.0002},
    COURIER_ITEM: {"blank_empty": 0.0005},
    EXCHANGE_ITEM: {"malformed_invalid_json": 0.001, "malformed_json_not_object": 0.0004,
                    "blank_empty": 0.0003, "blank_whitespace": 0.0002},
    ZIP_ITEM: {"blank_empty": 0.0003},
    XLS_ITEM: {"blank_empty": 0.0005},
    SQL_ITEM: {"malformed_sql_value_count": 0.0005},
    HEADERLESS_ITEM: {"malformed_missing_field": 0.0005, "blank_empty": 0.0003},
}

#: How a probable duplicate differs from the record of the same person it re-writes.
PROBABLE_KINDS: tuple[str, ...] = (
    "probable_name_typo",          # one character of the name replaced (a typo or a homophone)
    "probable_field_missing",      # one field left empty (ID number, phone, address, bank card or e-mail)
    "probable_address_typo",       # one digit of the house or room number changed
    "probable_typo_and_missing",   # a name typo and a field left empty
)
VARIANT_KINDS: tuple[str, ...] = (
    "variant_id_15_digit", "variant_id_separators", "variant_fullwidth_digits",
    "variant_phone_prefix_spacing", "variant_name_traditional", "variant_name_inner_space",
    "variant_address_whitespace", "variant_bank_card_spacing", "variant_email_domain_case",
)
MALFORMED_KINDS: tuple[str, ...] = (
    "malformed_unquoted_comma", "malformed_truncated_line", "malformed_junk_line",
    "malformed_missing_field", "malformed_extra_field", "malformed_wrong_separator",
    "malformed_invalid_json", "malformed_json_not_object", "malformed_junk_before_header",
    "malformed_sql_value_count",
)
#: Every key of ``ground_truth["injected"]`` (always present, 0 when not injected).
INJECTED_KINDS: tuple[str, ...] = (
    ("duplicate_within_file", "duplicate_cross_file")
    + VARIANT_KINDS
    + ("invalid_id_check_digit", "invalid_id_impossible_date", "id_missing_records",
       "placeholder_for_missing", "csv_quoted_line_break", "same_person_other_field_set",
       "bare_phone_records", "relative_shared_phone_address")
    + PROBABLE_KINDS
    + MALFORMED_KINDS
    + ("blank_lines",)
)

# --------------------------------------------------------------------------- identifiers

#: Real GB/T 2260 county-level codes (a small sample). 440524 is retired: numbers issued under a
#: retired code stay valid for life (DOMAIN.md §3), and it is the code of the standard's own example.
REGION_CODES: tuple[str, ...] = (
    "110101",  # 北京市东城区
    "110105",  # 北京市朝阳区
    "110108",  # 北京市海淀区
    "120101",  # 天津市和平区
    "130102",  # 河北省石家庄市长安区
    "140105",  # 山西省太原市小店区
    "210102",  # 辽宁省沈阳市和平区
    "220102",  # 吉林省长春市南关区
    "230103",  # 黑龙江省哈尔滨市南岗区
    "310101",  # 上海市黄浦区
    "310115",  # 上海市浦东新区
    "320102",  # 江苏省南京市玄武区
    "330106",  # 浙江省杭州市西湖区
    "340104",  # 安徽省合肥市蜀山区
    "350102",  # 福建省福州市鼓楼区
    "360102",  # 江西省南昌市东湖区
    "370102",  # 山东省济南市历下区
    "410105",  # 河南省郑州市金水区
    "420106",  # 湖北省武汉市武昌区
    "430104",  # 湖南省长沙市岳麓区
    "440104",  # 广东省广州市越秀区
    "440305",  # 广东省深圳市南山区
    "440524",  # 广东省汕头市潮阳县 (retired)
    "450103",  # 广西壮族自治区南宁市青秀区
    "460105",  # 海南省海口市秀英区
    "500103",  # 重庆市渝中区
    "510104",  # 四川省成都市锦江区
    "520102",  # 贵州省贵阳市南明区
    "530102",  # 云南省昆明市五华区
    "610113",  # 陕西省西安市雁塔区
    "620102",  # 甘肃省兰州市城关区
    "640104",  # 宁夏回族自治区银川市兴庆区
    "650102",  # 新疆维吾尔自治区乌鲁木齐市天山区
)
BIRTH_FIRST = dt.date(1950, 1, 1)
BIRTH_LAST = dt.date(2005, 12, 31)
#: Month+day pairs that no calendar has (for "impossible date" ID numbers with a correct check char).
_IMPOSSIBLE_MMDD = ("0230", "0231", "0431", "0631", "0931", "1131", "1301", "1315", "0000", "0600")

#: ISO 7064 MOD 11-2 as specified by GB 11643-1999 (DOMAIN.md §3).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

#: MIIT-allocated mobile segments (table as of 2023-03, DOMAIN.md §3); 140-144 (13-digit IoT) excluded.
MOBILE_SEGMENTS: tuple[str, ...] = tuple(
    str(p) for p in (
        *range(130, 140), *range(145, 150), *range(150, 154), *range(155, 160), 162,
        *range(165, 168), *range(170, 174), *range(175, 179), *range(180, 190),
        *range(190, 194), *range(195, 200),
    )
)
#: Placeholder phone numbers (DOMAIN.md §5): never issued to a base record.
_PLACEHOLDER_PHONES = frozenset({"13800138000", "11111111111", "12345678901"})
#: Placeholders written for a missing hotel Mobile/EMail (DOMAIN.md §5 list, the pipeline reads them as missing).
PLACEHOLDERS: tuple[str, ...] = ("NULL", "\\N", "-", "无")
#: Name characters the pipeline protects from t2s (configs/pipeline.yaml normalize.name_protected_chars);
#: a name containing one after s2t could not be matched back, so such names are not varied or pooled.
_T2S_PROTECTED = frozenset("於")

EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
PHONE_LIST_TAGS = ("贷款", "购房", "车主", "保险", "股票", "装修", "母婴", "网购")
COURIER_GOODS = ("文件", "衣服", "鞋", "食品", "日用品", "电子产品", "书籍", "化妆品", "配件", "药品")
WAYBILL_PREFIXES = ("SF", "YT", "ZT", "JD", "")
#: Exchange-item keys of copied records (field position -> key), in the order written: pinyin
#: initials or English. Phone-list records use ``name``/``mobile``/``tag``.
EXCHANGE_KEYS_PINYIN = {NAME: "xm", ID_NUMBER: "sfzh", PHONE: "sjh", BANK_CARD: "yhkh", ADDRESS: "dz"}
EXCHANGE_KEYS_ENGLISH = {NAME: "name", ID_NUMBER: "id_card", PHONE: "phone", BANK_CARD: "bank_card", ADDRESS: "address"}
_JUNK_LINES = ("以下为第2批数据", "以下为第3批数据", "--------------------", "共计2000000条", "数据来源：内部导出")


def id_check_char(body17: str) -> str:
    """Check character of an 18-digit resident ID number (GB 11643-1999, ISO 7064 MOD 11-2).

    Args:
        body17: the first 17 digits.

    Returns:
        ``0``-``9`` or ``X``.
    """
    return _ID_CHECK[sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS)) % 11]


def luhn_check_digit(body: str) -> str:
    """Luhn mod 10 check digit to append to ``body`` (ISO/IEC 7812-1)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str(-total % 10)


def _coprime_multiplier(rng: random.Random, size: int) -> int:
    while True:
        m = rng.randrange(size // 3, size)
        if math.gcd(m, size) == 1:
            return m


class _IdNumbers:
    """Unique 18-digit resident ID numbers: an affine bijection k -> (region, birth date, sequence).

    Valid numbers have a real birth date in [BIRTH_FIRST, BIRTH_LAST], a sequence 001-999 and the MOD
    11-2 check character; numbers with a wrong check character reuse a fresh valid body, and numbers
    with an impossible date come from a disjoint space, so no two issued numbers are equal.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        days = (BIRTH_LAST - BIRTH_FIRST).days + 1
        self._dates = [(BIRTH_FIRST + dt.timedelta(d)).strftime("%Y%m%d") for d in range(days)]
        self._date_sums = [sum(int(c) * w for c, w in zip(d, _ID_WEIGHTS[6:14])) for d in self._dates]
        self._region_sums = [sum(int(c) * w for c, w in zip(r, _ID_WEIGHTS[:6])) for r in REGION_CODES]
        self._seqs = [f"{s:03d}" for s in range(1, 1000)]
        self._seq_sums = [sum(int(c) * w for c, w in zip(s, _ID_WEIGHTS[14:17])) for s in self._seqs]
        self._size = len(REGION_CODES) * days * len(self._seqs)
        self._mul = _coprime_multiplier(rng, self._size)
        self._add = rng.randrange(self._size)
        self._k = 0
        self._bad_years = BIRTH_LAST.year - BIRTH_FIRST.year + 1
        self._bad_size = len(REGION_CODES) * self._bad_years * len(_IMPOSSIBLE_MMDD) * len(self._seqs)
        self._bad_mul = _coprime_multiplier(rng, self._bad_size)
        self._bad_add = rng.randrange(self._bad_size)
        self._bad_k = 0

    def valid(self) -> str:
        y = (self._mul * self._k + self._add) % self._size
        self._k += 1
        y, s = divmod(y, len(self._seqs))
        r, d = divmod(y, len(self._dates))
        total = self._region_sums[r] + self._date_sums[d] + self._seq_sums[s]
        return REGION_CODES[r] + self._dates[d] + self._seqs[s] + _ID_CHECK[total % 11]

    def bad_check_digit(self) -> str:
        number = self.valid()
        wrong = [c for c in _ID_CHECK if c != number[-1]]
        return number[:-1] + wrong[self._rng.randrange(len(wrong))]

    def impossible_date(self) -> str:
        y = (self._bad_mul * self._bad_k + self._bad_add) % self._bad_size
        self._bad_k += 1
        y, s = divmod(y, len(self._seqs))
        y, m = divmod(y, len(_IMPOSSIBLE_MMDD))
        r, year = divmod(y, self._bad_years)
        body = REGION_CODES[r] + str(BIRTH_FIRST.year + year) + _IMPOSSIBLE_MMDD[m] + self._seqs[s]
        return body + id_check_char(body)


class _MobileNumbers:
    """Unique 11-digit mobile numbers: an affine bijection k -> (segment, 8 subscriber digits)."""

    def __init__(self, rng: random.Random) -> None:
        self._size = len(MOBILE_SEGMENTS) * 10**8
        self._mul = _coprime_multiplier(rng, self._size)
        self._add = rng.randrange(self._size)
        self._k = 0

    def next(self) -> str:
        while True:
            y = (self._mul * self._k + self._add) % self._size
            self._k += 1
            seg, rest = divmod(y, 10**8)
            number = f"{MOBILE_SEGMENTS[seg]}{rest:08d}"
            if number not in _PLACEHOLDER_PHONES:
                return number


# --------------------------------------------------------------------------- the normalization contract

_FULLWIDTH_TO_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_TO_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES_DASHES = re.compile(r"[\s\-]+")
_WHITESPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=None)
def _opencc(config: str):
    import opencc  # the BYVoid binding (pyproject pins opencc, not opencc-python-reimplemented)

    return opencc.OpenCC(config)


def _spec_missing(value: str) -> bool:
    return value.strip() in ("",) + PLACEHOLDERS


def _spec_name(value: str) -> str:
    v = _CJK_GAP.sub("", value.translate(_FULLWIDTH_TO_ASCII)).strip()
    return _opencc("t2s").convert(v)


def _spec_id_number(value: str) -> str:
    v = _SPACES_DASHES.sub("", value.translate(_FULLWIDTH_TO_ASCII)).upper()
    if len(v) == 15 and v.isdigit():
        body = v[:6] + "19" + v[6:]
        v = body + id_check_char(body)
    return v


def _spec_phone(value: str) -> str:
    v = _SPACES_DASHES.sub("", value.translate(_FULLWIDTH_TO_ASCII))
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    elif v.startswith("86") and len(v) == 13:
        v = v[2:]
    return "+86" + v


def _spec_address(value: str) -> str:
    return _WHITESPACE.sub("", value.translate(_FULLWIDTH_TO_ASCII))


def _spec_bank_card(value: str) -> str:
    return _WHITESPACE.sub("", value)


def _spec_email(value: str) -> str:
    local, at, domain = value.strip().rpartition("@")
    return f"{local}{at}{domain.lower()}"


_SPEC = (_spec_name, _spec_id_number, _spec_phone, _spec_address, _spec_bank_card, _spec_email)


def _spec_key(rendered: tuple[str, ...]) -> tuple[str, ...]:
    """Normalized six-field key of a row as written (the contract the pipeline implements)."""
    return tuple("" if _spec_missing(v) else f(v) for f, v in zip(_SPEC, rendered))


def _canonical_key(record: tuple[str, ...]) -> tuple[str, ...]:
    """Normalized key of a base record (already canonical except the ``+86`` of the phone)."""
    return record[:PHONE] + (("+86" + record[PHONE]) if record[PHONE] else "",) + record[PHONE + 1:]


def key_sha256(key: tuple[str, ...]) -> str:
    """SHA-256 (hex) of a normalized six-field key joined by U+001F: how ``linkage_truth.csv`` names
    a record without writing its values. ``key`` is in ``CANONICAL_FIELDS`` order, phone as ``+86…``,
    missing fields as ``""`` (what :func:`_canonical_key` returns and what the pipeline's normalized
    ``name``, ``id_number``, ``phone``, ``address``, ``bank_card`` and ``email`` columns hold)."""
    return hashlib.sha256("\x1f".join(key).encode("utf-8")).hexdigest()


def _levenshtein(a: str, b: str) -> int:
    """Edit distance (Levenshtein 1966), for short strings."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _category(record: tuple[str, ...]) -> str:
    """Legal category of a record (DOMAIN.md §1, configs/categories.yaml): card > ID number > other."""
    if record[BANK_CARD]:
        return "tier_50"
    if record[ID_NUMBER]:
        return "tier_500"
    return "tier_5000"


# --------------------------------------------------------------------------- Faker pools


def _faker_pools(seed: int) -> dict[str, tuple[str, ...]]:
    """Draw the small value pools once per seed (Faker ``zh_CN``; first-seen order, no set order)."""
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    t2s = _opencc("t2s")

    def draw(fn, n: int, ok) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for _ in range(n * 20):
            v = fn()
            if ok(v):
                seen.setdefault(v, None)
                if len(seen) == n:
                    break
        return tuple(seen)

    def plain(v: str) -> bool:
        return bool(v) and v.translate(_FULLWIDTH_TO_ASCII) == v and not _WHITESPACE.search(v) and not set(v) & set(',"&<>')

    names = draw(fake.name, 3000, lambda v: plain(v) and t2s.convert(v) == v and not set(v) & _T2S_PROTECTED)
    addresses = draw(lambda: fake.address().rsplit(" ", 1)[0], 2000, plain)
    return {
        "names": names,
        "addresses": addresses,
        "postcodes": draw(fake.postcode, 300, str.isdigit),
        "companies": draw(fake.company, 300, plain),
        "user_names": draw(fake.user_name, 1000, lambda v: re.fullmatch(r"[a-z][a-z0-9._]*", v) is not None),
    }


# --------------------------------------------------------------------------- XLSX writer

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_TIMESTAMP = "2019-12-31T00:00:00Z"  # fixed document properties: no wall clock in evidence
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _zipinfo(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class _GbkZipInfo(zipfile.ZipInfo):
    """A zip entry whose name is stored as GBK bytes without the UTF-8 flag (bit 11), as Chinese
    Windows zip tools write it (APPNOTE 4.4.4: without the flag a reader assumes CP437)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - overrides zipfile's private hook
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


class _XlsxTextWriter:
    """Stream rows of strings into an XLSX workbook, every cell an inline string with the Text format.

    Sheets are named ``Sheet1``..``SheetN``; each starts with ``header`` and holds at most
    ``rows_per_sheet`` data rows. ``blank()`` writes an empty row element (a fully empty sheet row).
    Output is deterministic: fixed zip timestamps, fixed document properties, fixed entry order.
    """

    _COLS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def __init__(self, path: Path, header: tuple[str, ...], *, data_rows: int, rows_per_sheet: int) -> None:
        if len(header) > len(self._COLS):
            raise ValueError("at most 26 columns")
        self._header = header
        self._rows_per_sheet = rows_per_sheet
        self.sheets = max(1, math.ceil(data_rows / rows_per_sheet))
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self._write_package_parts()
        self._fh = None
        self._sheet = 0
        self._row = 0
        self._data_in_sheet = 0
        self._buf: list[str] = []

    def _write_package_parts(self) -> None:
        n = self.sheets
        sheet_ct = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        parts = {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                '<Override PartName="/docProps/core.xml" '
                'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                '<Override PartName="/docProps/app.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
                f"{sheet_ct}</Types>"
            ),
            "_rels/.rels": (
                f'<Relationships xmlns="{_NS_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
                'metadata/core-properties" Target="docProps/core.xml"/>'
                f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties" Target="docProps/app.xml"/>'
                "</Relationships>"
            ),
            "docProps/core.xml": (
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
                "<dc:creator>casefile synth</dc:creator>"
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{_XLSX_TIMESTAMP}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_XLSX_TIMESTAMP}</dcterms:modified>'
                "</cp:coreProperties>"
            ),
            "docProps/app.xml": (
                '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                "<Application>casefile synth</Application></Properties>"
            ),
            "xl/workbook.xml": (
                f'<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><sheets>'
                + "".join(f'<sheet name="Sheet{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, n + 1))
                + "</sheets></workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{_NS_PKG_REL}">'
                + "".join(
                    f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, n + 1)
                )
                + f'<Relationship Id="rId{n + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/></Relationships>'
            ),
            # cellXfs 1 = number format 49 ("@", Text): Excel keeps edited IDs/phones as text.
            "xl/styles.xml": (
                f'<styleSheet xmlns="{_NS_MAIN}">'
                '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
                '<fills count="2"><fill><patternFill patternType="none"/></fill>'
                '<fill><patternFill patternType="gray125"/></fill></fills>'
                '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
                '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                "</styleSheet>"
            ),
        }
        for name, body in parts.items():
            self._zip.writestr(_zipinfo(name), _XML_HEAD + body)

    def _start_sheet(self) -> None:
        self._end_sheet()
        self._sheet += 1
        if self._sheet > self.sheets:
            raise RuntimeError("more rows than planned for the workbook")
        self._fh = self._zip.open(_zipinfo(f"xl/worksheets/sheet{self._sheet}.xml"), "w")
        self._buf.append(f'{_XML_HEAD}<worksheet xmlns="{_NS_MAIN}"><sheetData>')
        self._row = 0
        self._data_in_sheet = 0
        self._cells(self._header)

    def _end_sheet(self) -> None:
        if self._fh is not None:
            self._buf.append("</sheetData></worksheet>")
            self._flush()
            self._fh.close()
            self._fh = None

    def _flush(self) -> None:
        self._fh.write("".join(self._buf).encode("utf-8"))
        self._buf.clear()

    def _ensure_room(self) -> None:
        if self._fh is None or self._data_in_sheet >= self._rows_per_sheet:
            self._start_sheet()

    def _cells(self, values) -> None:
        self._row += 1
        r = self._row
        out = [f'<row r="{r}">']
        for col, v in zip(self._COLS, values):
            v = v.translate(_XML_ESCAPES)
            space = ' xml:space="preserve"' if v[:1].isspace() or v[-1:].isspace() else ""
            out.append(f'<c r="{col}{r}" s="1" t="inlineStr"><is><t{space}>{v}</t></is></c>')
        out.append("</row>")
        self._buf.append("".join(out))

    def append(self, values: list[str]) -> None:
        self._ensure_room()
        self._cells(values)
        self._data_in_sheet += 1
        if len(self._buf) >= 2000:
            self._flush()

    def blank(self) -> None:
        self._ensure_room()
        self._row += 1
        self._buf.append(f'<row r="{self._row}"/>')

    def close(self) -> None:
        if self._fh is None:
            self._start_sheet()
        self._end_sheet()
        while self._sheet < self.sheets:  # only when fewer rows came than planned
            self._start_sheet()
            self._end_sheet()
        self._zip.close()


# --------------------------------------------------------------------------- the generator


class _SeizureGenerator:
    """Writes the four items in interleaved chunks and keeps every count while writing."""

    def __init__(self, *, records: int, seed: int) -> None:
        self.records = records
        self.seed = seed
        self.rng = random.Random(seed)
        pools = _faker_pools(seed)
        self.names = pools["names"]
        self.addresses = pools["addresses"]
        self.postcodes = pools["postcodes"]
        self.companies = pools["companies"]
        self.user_names = pools["user_names"]
        s2t = _opencc("s2t")
        self.traditional: dict[str, str] = {}
        for name in self.names:
            trad = s2t.convert(name)
            if trad != name and _spec_name(trad) == name and not set(trad) & _T2S_PROTECTED:
                self.traditional[name] = trad
        self.ids = _IdNumbers(self.rng)
        self.phones = _MobileNumbers(self.rng)
        self.days_2019 = [(dt.date(2019, 1, 1) + dt.timedelta(d)).isoformat() for d in range(365)]

        self.good_rows = {item: records * share // 100 for item, share in ITEM_SHARES.items()}
        self.good_rows[EXCHANGE_ITEM] = records - sum(self.good_rows.values())
        n_courier = self.good_rows[COURIER_ITEM]
        self.plans = {item: self._plan(n, _ROW_PLAN[item], _INSERT_PLAN[item]) for item, n in self.good_rows.items()}
        self.rows_per_sheet = min(XLSX_MAX_DATA_ROWS_PER_SHEET, max(1, math.ceil(n_courier / 3)))

        self.injected = dict.fromkeys(INJECTED_KINDS, 0)
        self.items = {item: {"path": item, "raw_rows": 0, "quarantined_rows": 0, "header_rows": 0, "blank_lines": 0}
                      for item in ITEMS}
        self.items[ZIP_ITEM]["path"] = f"{ZIP_ITEM}/{ZIP_MEMBER}"
        self.xls_rows_per_sheet = min(XLS_MAX_DATA_ROWS_PER_SHEET, max(1, math.ceil(self.good_rows[XLS_ITEM] / 2)))
        self.sql_id = 0
        self.categories = {"tier_50": 0, "tier_500": 0, "tier_5000": 0}
        self.unique = 0
        self.key_digests = bytearray()
        # Recent base records, for duplicates (same item) and copies (exchange item).
        self.recent: dict[str, list[tuple[str, ...]]] = {item: [] for item in ITEMS}
        self.hotel_copyable: list[tuple[str, ...]] = []  # hotel records without e-mail (JSONL has no e-mail key)
        self.reuse_candidates: list[tuple[str, ...]] = []
        # Probable duplicates: the first record of each person, for records that re-state one.
        self.person_root: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.probable_records = 0
        # Keys (8-byte digests) of each person's records that re-state a person, and of those
        # persons' first records: two re-writes of one person may otherwise come out equal.
        self.person_keys: set[bytes] = set()
        self.linkage_out = None  # text file of linkage_truth.csv while writing
        self.name_chars = sorted({c for n in self.names for c in n})
        self.hotel_row_id = self.rng.randrange(1_000_000, 9_000_000)
        self.hotel_template = [""] * len(HOTEL_HEADER)
        self.hotel_template[3] = "ID"
        self.hotel_template[9] = "F"
        self.hotel_template[23] = "CHN"
        self.hotel_template[30] = "0"

    # ------------------------------------------------------------------ planning and bookkeeping

    def _plan(self, n: int, row_kinds: dict[str, float], insert_kinds: dict[str, float]):
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

    def _remember(self, buf: list, record: tuple[str, ...]) -> None:
        if len(buf) < _BUFFER:
            buf.append(record)
        else:
            buf[int(self.rng.random() * _BUFFER)] = record

    def _pick(self, buf: list):
        return buf[int(self.rng.random() * len(buf))]

    def _register_base(self, record: tuple[str, ...]) -> None:
        self.key_digests += self._key8(record)
        self.unique += 1
        self.categories[_category(record)] += 1

    def _good_row(self, item: str) -> None:
        self.items[item]["raw_rows"] += 1

    def _quarantined_row(self, item: str, kind: str) -> None:
        self.items[item]["raw_rows"] += 1
        self.items[item]["quarantined_rows"] += 1
        self.injected[kind] += 1

    def _blank_line(self, item: str) -> None:
        self.items[item]["blank_lines"] += 1
        self.injected["blank_lines"] += 1

    # ------------------------------------------------------------------ values

    def _name(self) -> str:
        return self.names[int(self.rng.random() * len(self.names))]

    def _address(self) -> str:
        rng = self.rng
        return f"{self.addresses[int(rng.random() * len(self.addresses))]}{rng.randrange(1, 33)}号{rng.randrange(101, 3300)}室"

    def _email(self) -> str:
        rng = self.rng
        user = self.user_names[int(rng.random() * len(self.user_names))]
        return f"{user}{rng.randrange(10, 10000)}@{EMAIL_DOMAINS[int(rng.random() * 3)]}"

    def _bank_card(self) -> str:
        rng = self.rng
        length = 16 if rng.random() < 0.6 else 19
        body = f"62{rng.randrange(10 ** (length - 3)):0{length - 3}d}"
        return body + luhn_check_digit(body)

    def _random_mobile(self) -> str:
        """A mobile number for kept-aside columns and quarantined lines (not unique, not a record)."""
        rng = self.rng
        return f"{MOBILE_SEGMENTS[int(rng.random() * len(MOBILE_SEGMENTS))]}{rng.randrange(10**8):08d}"

    def _timestamp(self) -> str:
        rng = self.rng
        s = rng.randrange(86400)
        return f"{self.days_2019[int(rng.random() * 365)]} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"

    def _missing(self, *, count: bool = True) -> str:
        if self.rng.random() < _P_PLACEHOLDER:
            self.injected["placeholder_for_missing"] += count
            return PLACEHOLDERS[int(self.rng.random() * len(PLACEHOLDERS))]
        return ""

    # ------------------------------------------------------------------ variants

    def _variant(self, record: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        """Re-write one field of ``record`` in a format that normalizes back to it."""
        rng = self.rng
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
        unused = [k for k in kinds if not self.injected[k]]  # small seizures still show every kind
        kind = unused[0] if unused else kinds[int(rng.random() * len(kinds))]
        out = list(record)
        if kind == "variant_id_15_digit":
            out[ID_NUMBER] = idn[:6] + idn[8:17]
        elif kind == "variant_id_separators":
            sep = " " if rng.random() < 0.5 else "-"
            out[ID_NUMBER] = sep.join((idn[:6], idn[6:14], idn[14:].replace("X", "x")))
        elif kind == "variant_fullwidth_digits":
            field = ID_NUMBER if idn and (not phone or rng.random() < 0.5) else PHONE
            out[field] = record[field].translate(_TO_FULLWIDTH)
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
        if _spec_key(rendered) != _canonical_key(record):
            raise AssertionError(f"{kind} does not normalize back to its base record")
        self.injected[kind] += 1
        return rendered, kind

    # ------------------------------------------------------------------ probable duplicates

    @staticmethod
    def _key8(record: tuple[str, ...]) -> bytes:
        return hashlib.blake2b("\x1f".join(_canonical_key(record)).encode("utf-8"), digest_size=8).digest()

    def _is_new_for_person(self, record: tuple[str, ...], source: tuple[str, ...]) -> bool:
        """Whether ``record`` (re-stating the person of ``source``) differs from every record of
        that person so far. Other persons' records keep their own ID numbers and phones, so
        they cannot be equal; the end check (``_check_unique_keys``) covers the rest."""
        root = self.person_root.get(source, source)
        self.person_keys.add(self._key8(root))
        return self._key8(record) not in self.person_keys

    def _same_person(self, record: tuple[str, ...], source: tuple[str, ...], kind: str) -> None:
        """Record that the new base ``record`` is the person of ``source`` (linkage_truth.csv)."""
        root = self.person_root.get(source, source)
        self.person_root[record] = root
        self.person_keys.add(self._key8(record))
        self.probable_records += 1
        self.linkage_out.write(f"{key_sha256(_canonical_key(record))},{key_sha256(_canonical_key(root))},"
                               f"{key_sha256(_canonical_key(source))},{kind}\n")

    def _register_probable(self, record: tuple[str, ...], source: tuple[str, ...], kind: str) -> None:
        """A probable duplicate made by :meth:`_probable`: a new base record, counted under its
        kind, the person of ``source``."""
        self._register_base(record)
        self.injected[kind] += 1
        self._same_person(record, source, kind)

    def _name_typo(self, name: str) -> str | None:
        rng = self.rng
        for _ in range(20):
            at = int(rng.random() * len(name))
            new = name[:at] + self.name_chars[int(rng.random() * len(self.name_chars))] + name[at + 1:]
            if new != name and _spec_name(new) == new and not set(new) & _T2S_PROTECTED:
                return new
        return None

    def _relative(self, recent: list, *, with_id: bool) -> tuple[str, ...] | None:
        """Another person sharing the phone and address of a recent record (a family member): a
        fresh name at least two edits away (preferably the same surname), and in the hotel item a
        fresh valid ID number. Not the same person: never in linkage_truth.csv."""
        if not recent or self.rng.random() >= _P_RELATIVE:
            return None
        source = self._pick(recent)
        if not (source[PHONE] and source[ADDRESS]):
            return None
        for attempt in range(40):
            name = self._name()
            if _levenshtein(name, source[NAME]) >= 2 and (attempt >= 20 or name[0] == source[NAME][0]):
                break
        else:
            return None
        self.injected["relative_shared_phone_address"] += 1
        return (name, self.ids.valid() if with_id else "", source[PHONE], source[ADDRESS], "", "")

    def _probable(self, record: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
        """Re-write ``record`` as the same person with a typo or a field missing (a new distinct record).

        What stays always lets the pair be found and linked: the name (exact or one character
        off) and either an identifier (ID number, phone, bank card, e-mail) unchanged or, with an
        exact name, the address unchanged. Returns ``None`` when no kind applies (a bare phone).
        """
        rng = self.rng
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
        unused = [k for k in usable if not self.injected[k]]  # small seizures still show every kind
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
        if _canonical_key(new) == _canonical_key(record):
            raise AssertionError(f"{kind} did not change the record")
        if not self._is_new_for_person(new, record):
            return None  # this person already has that record
        return new, kind

    def _probable_row(self, recent: list) -> tuple[str, ...] | None:
        """With probability ``_P_PROBABLE``, a probable duplicate of a recent record of the same
        item, registered as a base record (and remembered, so it can be duplicated exactly)."""
        if not recent or self.rng.random() >= _P_PROBABLE:
            return None
        source = self._pick(recent)
        made = self._probable(source)
        if made is None:
            return None
        record, kind = made
        self._register_probable(record, source, kind)
        self._remember(recent, record)
        return record

    def _duplicate(self, record: tuple[str, ...], *, cross_file: bool) -> tuple[str, ...]:
        self.injected["duplicate_cross_file" if cross_file else "duplicate_within_file"] += 1
        if self.rng.random() < _P_VARIANT:
            return self._variant(record)[0]
        return record

    # ------------------------------------------------------------------ hotel (CSV)

    def _hotel_record(self, special: str | None) -> tuple[str, ...]:
        rng = self.rng
        if special == "invalid_id_check_digit":
            idn = self.ids.bad_check_digit()
        elif special == "invalid_id_impossible_date":
            idn = self.ids.impossible_date()
        elif special == "id_missing_records":
            idn = ""
        else:
            idn = self.ids.valid()
        has_phone = special == "id_missing_records" or rng.random() >= _P_HOTEL_NO_MOBILE
        phone = self.phones.next() if has_phone else ""
        email = self._email() if rng.random() < _P_HOTEL_EMAIL else ""
        return (self._name(), idn, phone, self._address(), "", email)

    def _hotel_cells(self, rendered: tuple[str, ...], record: tuple[str, ...], *, good: bool = True) -> list[str]:
        rng = self.rng
        row = self.hotel_template.copy()
        idn = record[ID_NUMBER]
        row[0] = rendered[NAME]
        row[4] = rendered[ID_NUMBER]
        if idn:
            row[5] = "M" if int(idn[16]) % 2 else "F"
            row[6] = idn[6:14]
        row[7] = rendered[ADDRESS]
        row[8] = self.postcodes[int(rng.random() * len(self.postcodes))]
        row[19] = rendered[PHONE] or self._missing(count=good)
        if rng.random() < 0.1:
            row[20] = f"0{(10, 21, 20, 571, 27, 755)[int(rng.random() * 6)]}-{rng.randrange(2000000, 89999999)}"
        row[22] = rendered[EMAIL] or self._missing(count=good)
        if rng.random() < 0.15:
            row[26] = self.companies[int(rng.random() * len(self.companies))]
        row[31] = self._timestamp()
        row[32] = str(self.hotel_row_id)
        self.hotel_row_id += 1
        return row

    def _hotel_malformed(self, kind: str) -> str:
        rng = self.rng
        record = (self._name(), self.ids.valid(), self._random_mobile(), self._address(), "", "")
        cells = self._hotel_cells(record, record, good=False)
        if kind == "malformed_unquoted_comma":
            address = cells[7]
            at = 2 + int(rng.random() * (len(address) - 3))
            cells[7] = address[:at] + "," + address[at:]
            line = ",".join(cells)
        elif kind == "malformed_truncated_line":
            keep = 2 + int(rng.random() * 28)
            line = ",".join(cells[:keep]) + "," + cells[keep][: len(cells[keep]) // 2]
        else:
            line = _JUNK_LINES[int(rng.random() * len(_JUNK_LINES))]
        if '"' in line or "\n" in line or "\r" in line or len(line.split(",")) == len(HOTEL_HEADER):
            raise AssertionError(f"{kind} line would not be quarantined")
        return line

    def _hotel_chunk(self, fh, writer, start: int, count: int) -> None:
        rng = self.rng
        specials, inserts = self.plans[HOTEL_ITEM]
        recent = self.recent[HOTEL_ITEM]
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                if kind.startswith("blank"):
                    fh.write("\r\n" if kind == "blank_empty" else "   \r\n")
                    self._blank_line(HOTEL_ITEM)
                else:
                    fh.write(self._hotel_malformed(kind) + "\r\n")
                    self._quarantined_row(HOTEL_ITEM, kind)
            special = specials.get(i)
            if special is None and recent and rng.random() < _P_DUP[HOTEL_ITEM]:
                record = self._pick(recent)
                rendered = self._duplicate(record, cross_file=False)
            elif special is None and (probable := self._probable_row(recent)) is not None:
                record = rendered = probable
            elif special is None and (relative := self._relative(recent, with_id=True)) is not None:
                record = rendered = relative
                self._register_base(record)
            else:
                record = rendered = self._hotel_record(special)
                self._register_base(record)
                if special is not None:
                    self.injected[special] += 1
                if special == "csv_quoted_line_break":
                    address = record[ADDRESS]
                    at = 2 + int(rng.random() * (len(address) - 3))
                    rendered = record[:ADDRESS] + (address[:at] + "\n" + address[at:],) + record[ADDRESS + 1:]
                elif special is None or special == "id_missing_records":
                    # Invalid IDs and line breaks occur once: never duplicated or copied.
                    self._remember(recent, record)
                    if not record[EMAIL]:
                        self._remember(self.hotel_copyable, record)
                    if record[PHONE] and rng.random() < _P_REUSE_CANDIDATE:
                        self._remember(self.reuse_candidates, record)
            writer.writerow(self._hotel_cells(rendered, record))
            self._good_row(HOTEL_ITEM)

    # ------------------------------------------------------------------ bank (TXT)

    def _bank_chunk(self, lines: list[str], start: int, count: int) -> None:
        rng = self.rng
        specials, inserts = self.plans[BANK_ITEM]
        recent = self.recent[BANK_ITEM]
        sep = BANK_SEPARATOR
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                if kind.startswith("blank"):
                    lines.append("" if kind == "blank_empty" else "  ")
                    self._blank_line(BANK_ITEM)
                    continue
                fields = [self._name(), self.ids.valid(), self._random_mobile(), self._bank_card()]
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
                    line = _JUNK_LINES[int(rng.random() * len(_JUNK_LINES))]
                if len(line.split(sep)) == len(BANK_HEADER) or not line.strip():
                    raise AssertionError(f"{kind} line would not be quarantined")
                lines.append(line)
                self._quarantined_row(BANK_ITEM, kind)
            special = specials.get(i)
            if special is None and recent and rng.random() < _P_DUP[BANK_ITEM]:
                rendered = self._duplicate(self._pick(recent), cross_file=False)
            elif special is None and (probable := self._probable_row(recent)) is not None:
                rendered = probable
            else:
                if special == "invalid_id_check_digit":
                    idn = self.ids.bad_check_digit()
                elif special == "invalid_id_impossible_date":
                    idn = self.ids.impossible_date()
                else:
                    idn = self.ids.valid()
                rendered = (self._name(), idn, self.phones.next(), "", self._bank_card(), "")
                self._register_base(rendered)
                if special is None:
                    self._remember(recent, rendered)
                    if rng.random() < _P_REUSE_CANDIDATE:
                        self._remember(self.reuse_candidates, rendered)
                else:
                    self.injected[special] += 1
            line = f"{rendered[NAME]}{sep}{rendered[ID_NUMBER]}{sep}{rendered[PHONE]}{sep}{rendered[BANK_CARD]}"
            if len(line.split(sep)) != len(BANK_HEADER):
                raise AssertionError("a bank row would not split into four fields")
            lines.append(line)
            self._good_row(BANK_ITEM)

    # ------------------------------------------------------------------ courier (XLSX)

    def _courier_chunk(self, book: _XlsxTextWriter, start: int, count: int) -> None:
        rng = self.rng
        _, inserts = self.plans[COURIER_ITEM]
        recent = self.recent[COURIER_ITEM]
        for i in range(start, start + count):
            for _kind in inserts.get(i, ()):
                book.blank()
                self._blank_line(COURIER_ITEM)
            if recent and rng.random() < _P_DUP[COURIER_ITEM]:
                rendered = self._duplicate(self._pick(recent), cross_file=False)
            elif (probable := self._probable_row(recent)) is not None:
                rendered = probable
            elif (relative := self._relative(recent, with_id=False)) is not None:
                rendered = relative
                self._register_base(rendered)
            else:
                rendered = (self._name(), "", self.phones.next(), self._address(), "", "")
                self._register_base(rendered)
                self._remember(recent, rendered)
                if rng.random() < _P_REUSE_CANDIDATE:
                    self._remember(self.reuse_candidates, rendered)
            sender = self._name()
            if rng.random() < 0.3:  # privacy waybills mask the sender (kept-aside columns)
                sender = sender[0] + "*" * (len(sender) - 1)
            sender_phone = self._random_mobile()
            if rng.random() < 0.4:
                sender_phone = sender_phone[:3] + "****" + sender_phone[7:]
            prefix = WAYBILL_PREFIXES[int(rng.random() * len(WAYBILL_PREFIXES))]
            book.append([
                f"{prefix}{rng.randrange(10**12):012d}", sender, sender_phone, self._address(),
                rendered[NAME], rendered[PHONE], rendered[ADDRESS],
                COURIER_GOODS[int(rng.random() * len(COURIER_GOODS))], self._timestamp(),
            ])
            self._good_row(COURIER_ITEM)

    # ------------------------------------------------------------------ exchange (JSONL)

    def _exchange_object(self, rendered: tuple[str, ...]) -> dict[str, str]:
        keys = EXCHANGE_KEYS_PINYIN if self.rng.random() < 0.5 else EXCHANGE_KEYS_ENGLISH
        return {key: rendered[f] for f, key in keys.items() if rendered[f]}

    def _phone_list_object(self, rendered: tuple[str, ...]) -> dict[str, str]:
        obj = {"name": rendered[NAME]} if rendered[NAME] else {}
        obj["mobile"] = rendered[PHONE]
        obj["tag"] = PHONE_LIST_TAGS[int(self.rng.random() * len(PHONE_LIST_TAGS))]
        return obj

    def _exchange_malformed(self, kind: str) -> str:
        rng = self.rng
        name, phone = self._name(), self._random_mobile()
        if kind == "malformed_invalid_json":
            obj = {"name": name, "mobile": phone, "tag": PHONE_LIST_TAGS[int(rng.random() * len(PHONE_LIST_TAGS))]}
            if rng.random() < 0.5:
                text = json.dumps(obj, ensure_ascii=False)
                line = text[: 1 + int(rng.random() * (len(text) - 2))]
            else:
                line = str(obj)  # Python repr: single quotes
        else:
            forms = (json.dumps([name, phone], ensure_ascii=False), json.dumps(_JUNK_LINES[0], ensure_ascii=False),
                     phone, "null")
            line = forms[int(rng.random() * len(forms))]
        try:
            is_object = isinstance(json.loads(line), dict)
        except ValueError:
            is_object = False
        if is_object or not line.strip():
            raise AssertionError(f"{kind} line would not be quarantined")
        return line

    def _exchange_chunk(self, lines: list[str], start: int, count: int) -> None:
        rng = self.rng
        _, inserts = self.plans[EXCHANGE_ITEM]
        recent = self.recent[EXCHANGE_ITEM]
        sources = (self.hotel_copyable, self.recent[BANK_ITEM], self.recent[COURIER_ITEM])
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                if kind.startswith("blank"):
                    lines.append("" if kind == "blank_empty" else " ")
                    self._blank_line(EXCHANGE_ITEM)
                else:
                    lines.append(self._exchange_malformed(kind))
                    self._quarantined_row(EXCHANGE_ITEM, kind)
            u = rng.random()
            available = [s for s in sources if s]
            if u < _P_EXCHANGE_COPY and available:
                source = self._pick(available[int(rng.random() * len(available))])
                made = self._probable(source) if rng.random() < _P_EXCHANGE_PROBABLE else None
                if made is not None:  # copied from another item with a typo or a field missing
                    rendered, kind = made
                    self._register_probable(rendered, source, kind)
                else:
                    rendered = self._duplicate(source, cross_file=True)
                obj = self._exchange_object(rendered)
            elif u < _P_EXCHANGE_COPY + _P_EXCHANGE_DUP and recent:
                obj = self._phone_list_object(self._duplicate(self._pick(recent), cross_file=False))
            else:
                v = rng.random()
                reused = None
                if v < _P_REUSE_PERSON and self.reuse_candidates:
                    # Same person as a record of another item, other field set: a distinct record.
                    buf = self.reuse_candidates
                    j = int(rng.random() * len(buf))
                    buf[j], buf[-1] = buf[-1], buf[j]
                    source = buf.pop()
                    reused = (source[NAME], "", source[PHONE], "", "", "")
                    if not self._is_new_for_person(reused, source):
                        reused = None
                if reused is not None:
                    record = reused
                    self.injected["same_person_other_field_set"] += 1
                    self._same_person(record, source, "same_person_other_field_set")
                elif v < _P_REUSE_PERSON + _P_BARE_PHONE:
                    record = ("", "", self.phones.next(), "", "", "")
                    self.injected["bare_phone_records"] += 1
                else:
                    record = (self._name(), "", self.phones.next(), "", "", "")
                self._register_base(record)
                self._remember(recent, record)
                obj = self._phone_list_object(record)
            lines.append(json.dumps(obj, ensure_ascii=False))
            self._good_row(EXCHANGE_ITEM)

    # ------------------------------------------------------------------ the four newer items

    def _simple_row(self, item: str, fresh) -> tuple[str, ...]:
        """A within-file duplicate (format variants included) or a fresh base record from ``fresh()``."""
        recent = self.recent[item]
        if recent and self.rng.random() < _P_DUP[item]:
            return self._duplicate(self._pick(recent), cross_file=False)
        probable = self._probable_row(recent)
        if probable is not None:
            return probable
        record = fresh()
        self._register_base(record)
        self._remember(recent, record)
        return record

    def _zip_csv_chunk(self, lines: list[str], start: int, count: int) -> None:
        """Rows of the zip's CSV member: name, mobile, e-mail, address (plain cells, no quotes needed)."""
        _, inserts = self.plans[ZIP_ITEM]
        for i in range(start, start + count):
            for _kind in inserts.get(i, ()):
                lines.append("")
                self._blank_line(ZIP_ITEM)
            rendered = self._simple_row(ZIP_ITEM, lambda: (
                self._name(), "", self.phones.next(), self._address(), "",
                self._email() if self.rng.random() < 0.5 else ""))
            cells = (rendered[NAME], rendered[PHONE], rendered[EMAIL], rendered[ADDRESS])
            if any("," in c or '"' in c or "\n" in c for c in cells):
                raise AssertionError("a zip CSV cell would need quoting")
            lines.append(",".join(cells))
            self._good_row(ZIP_ITEM)

    def _xls_chunk(self, rows: list, start: int, count: int) -> None:
        """Rows of the XLS item: (values or None for an empty row). Plain mobile numbers become number cells."""
        rng = self.rng
        _, inserts = self.plans[XLS_ITEM]
        for i in range(start, start + count):
            for _kind in inserts.get(i, ()):
                rows.append(None)
                self._blank_line(XLS_ITEM)
            rendered = self._simple_row(XLS_ITEM, lambda: (
                self._name(), self.ids.valid(), self.phones.next(), self._address(), "", ""))
            phone: Any = rendered[PHONE]
            if phone.isascii() and phone.isdigit() and len(phone) == 11 and rng.random() < 0.5:
                phone = float(phone)  # typed as a number in Excel: 11 digits are exact in a double
            rows.append((rendered[NAME], rendered[ID_NUMBER], phone, rendered[ADDRESS],
                         f"{rng.randrange(1, 7)}年级{rng.randrange(1, 9)}班"))
            self._good_row(XLS_ITEM)

    @staticmethod
    def _sql_literal(value: str) -> str:
        if value == "":
            return "NULL"
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"

    def _sql_chunk(self, tuples: list[str], start: int, count: int) -> None:
        """Tuples of the SQL dump (the caller groups them into INSERT statements)."""
        rng = self.rng
        _, inserts = self.plans[SQL_ITEM]
        lit = self._sql_literal
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                self.sql_id += 1
                values = [str(self.sql_id), lit("u" + str(rng.randrange(10**6))), lit(self._name()), lit(self.ids.valid()),
                          lit(self._random_mobile()), "NULL", lit(self._address())]  # remark missing
                tuples.append("(" + ",".join(values) + ")")
                self._quarantined_row(SQL_ITEM, kind)
            rendered = self._simple_row(SQL_ITEM, lambda: (
                self._name(), self.ids.valid() if rng.random() < 0.7 else "", self.phones.next(),
                self._address() if rng.random() < 0.6 else "", "", self._email() if rng.random() < 0.4 else ""))
            self.sql_id += 1
            user = self.user_names[int(rng.random() * len(self.user_names))]
            remark = ("老客户", "it's VIP", "备注\\无", "")[int(rng.random() * 4)]
            values = [str(self.sql_id), lit(user), lit(rendered[NAME]), lit(rendered[ID_NUMBER]), lit(rendered[PHONE]),
                      lit(rendered[EMAIL]), lit(rendered[ADDRESS]), lit(remark) if remark else "''"]
            tuples.append("(" + ",".join(values) + ")")
            self._good_row(SQL_ITEM)

    def _headerless_chunk(self, lines: list[str], start: int, count: int) -> None:
        """Lines of the headerless TXT: name, ID number, mobile, tab separated; CRLF or LF endings."""
        rng = self.rng
        _, inserts = self.plans[HEADERLESS_ITEM]
        for i in range(start, start + count):
            for kind in inserts.get(i, ()):
                if kind == "blank_empty":
                    lines.append("\r\n" if rng.random() < 0.5 else "\n")
                    self._blank_line(HEADERLESS_ITEM)
                else:
                    lines.append(f"{self._name()}\t{self._random_mobile()}\n")
                    self._quarantined_row(HEADERLESS_ITEM, kind)
            rendered = self._simple_row(HEADERLESS_ITEM, lambda: (
                self._name(), self.ids.valid(), self.phones.next(), "", "", ""))
            end = "\r\n" if rng.random() < 0.5 else "\n"
            lines.append(f"{rendered[NAME]}\t{rendered[ID_NUMBER]}\t{rendered[PHONE]}{end}")
            self._good_row(HEADERLESS_ITEM)

    def _write_zip(self, part: Path, csv_bytes: bytes) -> None:
        info = _GbkZipInfo(ZIP_MEMBER, date_time=_ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with zipfile.ZipFile(part, "w") as zf:
            zf.writestr(info, csv_bytes)

    def _write_xls(self, part: Path, rows: list) -> int:
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        text = xlwt.easyxf(num_format_str="@")
        sheets = 0
        sheet = None
        r = data_in_sheet = 0
        for row in rows:
            # a sheet holds at most 65,536 rows (BIFF8): the header, data rows and blank rows
            if sheet is None or r >= XLS_MAX_DATA_ROWS_PER_SHEET + 1 or (row is not None and data_in_sheet >= self.xls_rows_per_sheet):
                sheets += 1
                sheet = book.add_sheet(f"第{sheets}页")
                for c, v in enumerate(XLS_HEADER):
                    sheet.write(0, c, v, text)
                r, data_in_sheet = 1, 0
            if row is not None:
                for c, v in enumerate(row):
                    if isinstance(v, float):
                        sheet.write(r, c, v)
                    elif v != "":
                        sheet.write(r, c, v, text)
                data_in_sheet += 1
            r += 1
        with open(part, "wb") as fh:
            book.save(fh)
        return sheets

    # ------------------------------------------------------------------ driver

    def write(self, evidence: Path) -> dict[str, Any]:
        parts = {item: evidence / (item + ".part") for item in ITEMS}
        n_chunks = max(1, math.ceil(self.records / _CHUNK_RECORDS))

        def share(item: str, c: int) -> tuple[int, int]:
            n = self.good_rows[item]
            lo, hi = n * c // n_chunks, n * (c + 1) // n_chunks
            return lo, hi - lo

        book = _XlsxTextWriter(parts[COURIER_ITEM], COURIER_HEADER, data_rows=self.good_rows[COURIER_ITEM],
                               rows_per_sheet=self.rows_per_sheet)
        zip_lines: list[str] = [ZIP_TITLE, ",".join(ZIP_HEADER)]
        self._quarantined_row(ZIP_ITEM, "malformed_junk_before_header")
        xls_rows: list = []
        sql_out = open(parts[SQL_ITEM], "w", encoding="utf-8", newline="", buffering=1 << 20)
        sql_out.write(
            "-- MySQL dump 10.13  Distrib 5.7.26, for Linux (x86_64)\n--\n-- Host: localhost    Database: shop\n"
            "/*!40101 SET NAMES utf8mb4 */;\n\n"
            f"DROP TABLE IF EXISTS `{SQL_TABLE}`;\n"
            f"CREATE TABLE `{SQL_TABLE}` (\n"
            "  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `username` varchar(64) DEFAULT NULL,\n"
            "  `realname` varchar(32) DEFAULT NULL,\n  `idcard` varchar(18) DEFAULT NULL,\n"
            "  `mobile` varchar(20) DEFAULT NULL,\n  `email` varchar(128) DEFAULT NULL,\n"
            "  `addr` varchar(255) DEFAULT NULL,\n  `remark` text,\n  PRIMARY KEY (`id`),\n"
            "  KEY `idx_mobile` (`mobile`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n\n"
            f"LOCK TABLES `{SQL_TABLE}` WRITE;\n")
        headerless = open(parts[HEADERLESS_ITEM], "w", encoding="utf-8", newline="", buffering=1 << 20)
        linkage_part = evidence.parent / (LINKAGE_TRUTH_FILE + ".part")
        self.linkage_out = open(linkage_part, "w", encoding="utf-8", newline="", buffering=1 << 20)
        self.linkage_out.write(",".join(LINKAGE_TRUTH_HEADER) + "\n")
        try:
            with open(parts[HOTEL_ITEM], "w", encoding="utf-8-sig", newline="", buffering=1 << 20) as hotel, \
                 open(parts[BANK_ITEM], "w", encoding="gb18030", newline="", buffering=1 << 20) as bank, \
                 open(parts[EXCHANGE_ITEM], "w", encoding="utf-8", newline="", buffering=1 << 20) as exchange:
                writer = csv.writer(hotel, lineterminator="\r\n")
                writer.writerow(HOTEL_HEADER)
                bank.write(BANK_SEPARATOR.join(BANK_HEADER) + "\r\n")
                for c in range(n_chunks):
                    self._hotel_chunk(hotel, writer, *share(HOTEL_ITEM, c))
                    lines: list[str] = []
                    self._bank_chunk(lines, *share(BANK_ITEM, c))
                    bank.write("".join(line + "\r\n" for line in lines))
                    self._courier_chunk(book, *share(COURIER_ITEM, c))
                    lines = []
                    self._exchange_chunk(lines, *share(EXCHANGE_ITEM, c))
                    exchange.write("".join(line + "\n" for line in lines))
                    self._zip_csv_chunk(zip_lines, *share(ZIP_ITEM, c))
                    self._xls_chunk(xls_rows, *share(XLS_ITEM, c))
                    tuples: list[str] = []
                    self._sql_chunk(tuples, *share(SQL_ITEM, c))
                    for k in range(0, len(tuples), SQL_TUPLES_PER_INSERT):
                        sql_out.write(f"INSERT INTO `{SQL_TABLE}` VALUES " + ",".join(tuples[k:k + SQL_TUPLES_PER_INSERT]) + ";\n")
                    lines = []
                    self._headerless_chunk(lines, *share(HEADERLESS_ITEM, c))
                    headerless.write("".join(lines))
            sql_out.write("UNLOCK TABLES;\n")
        finally:
            book.close()
            sql_out.close()
            headerless.close()
            self.linkage_out.close()
        self._write_zip(parts[ZIP_ITEM], "".join(line + "\r\n" for line in zip_lines).encode("gb18030"))
        self.xls_sheets = self._write_xls(parts[XLS_ITEM], xls_rows)
        self._check_unique_keys()
        for item in ITEMS:
            os.replace(parts[item], evidence / item)
        os.replace(linkage_part, evidence.parent / LINKAGE_TRUTH_FILE)
        return self._ground_truth(book.sheets)

    def _check_unique_keys(self) -> None:
        import numpy as np

        digests = np.sort(np.frombuffer(self.key_digests, dtype="<u8"))
        if len(digests) != self.unique or bool((digests[1:] == digests[:-1]).any()):
            raise AssertionError("two different base records normalize to the same key")

    def _ground_truth(self, sheets: int) -> dict[str, Any]:
        self.items[HOTEL_ITEM]["header_rows"] = 1
        self.items[BANK_ITEM]["header_rows"] = 1
        self.items[COURIER_ITEM]["header_rows"] = sheets
        self.items[ZIP_ITEM]["header_rows"] = 1
        self.items[XLS_ITEM]["header_rows"] = self.xls_sheets
        raw = sum(i["raw_rows"] for i in self.items.values())
        quarantined = sum(i["quarantined_rows"] for i in self.items.values())
        records = raw - quarantined
        if records != self.records or sum(self.categories.values()) != self.unique:
            raise AssertionError("bookkeeping does not add up")
        duplicates = records - self.unique
        if duplicates != self.injected["duplicate_within_file"] + self.injected["duplicate_cross_file"]:
            raise AssertionError("duplicate bookkeeping does not add up")
        if self.probable_records != sum(self.injected[k] for k in PROBABLE_KINDS) + self.injected["same_person_other_field_set"]:
            raise AssertionError("probable duplicate bookkeeping does not add up")
        return {
            "seed": self.seed,
            "records_requested": self.records,
            "raw_rows": raw,
            "quarantined_rows": quarantined,
            "records": records,
            "duplicate_records": duplicates,
            "unique_records": self.unique,
            "probable_duplicate_records": self.probable_records,
            "persons": self.unique - self.probable_records,
            "categories": {k: {"unique_records": v} for k, v in self.categories.items()},
            "items": [self.items[item] for item in ITEMS],
            "injected": dict(self.injected),
        }


def generate_seizure(out_dir: Path, *, records: int, seed: int) -> dict:
    """Write a synthetic seizure under ``out_dir`` and return its ground truth.

    Writes ``out_dir/evidence/`` (the eight items named in ``ITEMS``), ``out_dir/ground_truth.json``
    (sorted keys, indent 2, UTF-8) and ``out_dir/linkage_truth.csv``: one line per probable duplicate,
    ``record_key_sha256,person_key_sha256,source_key_sha256,kind`` (:func:`key_sha256` of the
    record's normalized key, of the first record of the same person and of the record it was
    re-written from; ``kind`` one of ``PROBABLE_KINDS`` or ``same_person_other_field_set``). A
    unique record not listed is its own person. Each item is written as ``<name>.part`` and renamed when complete.
    The same ``records`` and ``seed`` give byte-identical files (no wall clock, no hash order).

    Ground truth (counts kept while writing, never re-read with pipeline code):
        ``raw_rows`` data rows incl. malformed ones (not headers, not blank lines/rows);
        ``quarantined_rows`` malformed rows; ``records`` = raw_rows - quarantined_rows (= ``records``
        requested); ``unique_records`` distinct normalized six-field keys; ``duplicate_records`` =
        records - unique_records; ``categories`` unique records per legal category (bank card ->
        tier_50, else ID number -> tier_500, else tier_5000; 法释〔2017〕10号 art. 5);
        ``probable_duplicate_records`` unique records that re-state the person of an earlier record
        (a typo, a field missing, or another field set: the SPC commentary's example of a duplicate,
        DOMAIN.md §1) and ``persons`` = unique_records - probable_duplicate_records; ``items`` per item
        raw/quarantined/header rows and blank lines; ``injected`` counts per injection kind
        (``INJECTED_KINDS``).

    Args:
        out_dir: folder to write into (created if absent; existing files of the same names are replaced).
        records: good (non-quarantined) rows to write over the four items, >= 1,000.
        seed: seed of the Faker pools and of every random choice.

    Returns:
        The ground truth, equal to the parsed ``ground_truth.json``.

    Raises:
        ValueError: ``records`` is not an int >= 1,000.
        AssertionError: an internal consistency check failed (two base records normalize alike, a
            variant does not normalize back, a malformed line would parse, counts do not add up).
    """
    if isinstance(records, bool) or not isinstance(records, int) or records < MIN_RECORDS:
        raise ValueError(f"records must be an int >= {MIN_RECORDS} (got {records!r})")
    out_dir = Path(out_dir)
    evidence = out_dir / EVIDENCE_DIR
    evidence.mkdir(parents=True, exist_ok=True)
    truth = _SeizureGenerator(records=records, seed=seed).write(evidence)
    text = json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    part = out_dir / (GROUND_TRUTH_FILE + ".part")
    part.write_text(text, encoding="utf-8", newline="")
    os.replace(part, out_dir / GROUND_TRUTH_FILE)
    log.info("synthetic seizure written: %d raw rows, %d quarantined, %d unique records",
             truth["raw_rows"], truth["quarantined_rows"], truth["unique_records"])
    return json.loads(text)
