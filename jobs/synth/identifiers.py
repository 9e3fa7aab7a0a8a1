"""Identifiers of the synthetic base records: resident ID numbers, mobile numbers, check characters.

Every distinct record gets a fresh identifier from an affine bijection over the space of valid
numbers (:class:`IdNumbers`, :class:`MobileNumbers`), so no two base records share an ID number or
a mobile number. Rules: GB 11643-1999 (18-digit resident ID numbers over real GB/T 2260 county
codes, ISO 7064 MOD 11-2 check character), MIIT-allocated mobile segments, Luhn (ISO/IEC 7812-1)
for bank card numbers (DOMAIN.md §3).
"""

from __future__ import annotations

import datetime as dt
import math
import random

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


class IdNumbers:
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


class MobileNumbers:
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
