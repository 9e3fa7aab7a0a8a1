"""Reference tables for normalize: GB/T 2260 administrative divisions and fixed-line area codes.

Sources (pinned in pyproject.toml, so the tables are part of the pinned code, DOMAIN.md section 2):

- Divisions: ``stdnum/cn/loc.dat`` of python-stdnum 2.2 (the table behind ``stdnum.cn.ric``),
  compiled by python-stdnum from the Wikipedia lists of GB/T 2260 codes
  (中华人民共和国行政区划代码, 1区 .. 8区) with the years each name was in force:
  ``0105 county="[1997-2025]江北区"`` means code xx0105 carried the name 江北区 from 1997 to 2025;
  no end year means the name is current in that table. Nothing is typed by hand here.
- Area codes: the ``zh`` geocoding data of phonenumbers 9.0.43 (libphonenumber), keys ``86`` +
  area code (``8610`` -> 北京市, ``86431`` -> 吉林省长春市).

Both are read once per process (``functools.lru_cache``) into plain Python tuples; Spark receives
them as small literal or broadcast tables, never as a per-row UDF.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

#: Where the division table comes from; written into docstrings and the bench result.
DIVISION_SOURCE = "python-stdnum 2.2 stdnum/cn/loc.dat (GB/T 2260 codes with years in force)"
AREA_CODE_SOURCE = "phonenumbers 9.0.43 geodata, language zh"

#: Province-level codes of the four municipalities: their city is the municipality itself.
MUNICIPALITIES: frozenset[str] = frozenset({"11", "12", "31", "50"})

#: Prefecture-level placeholder names ("districts of the city", "counties", "county-level units
#: directly under the province"): not a city name.
_PLACEHOLDER_PREFECTURES = (
    "市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖行政单位",
)  # fmt: skip

_LINE = re.compile(r'^(\s*)([0-9]+) (?:province|county)="([^"]*)"')
_NAME = re.compile(r"^(?:\[([0-9]*)-([0-9]*)\])?(.+)$")


@dataclass(frozen=True)
class NamePeriod:
    """One name a code carried, with the years it was in force (None = open)."""

    name: str
    valid_from: int | None
    valid_to: int | None


@dataclass(frozen=True)
class Division:
    """One named division a free-text address can mention.

    ``code`` is the 6-digit GB/T 2260 code; ``city`` is None for a county directly under a
    province; ``district`` is None for a prefecture-level (city) row. ``current`` is True when
    the name has no end year in the source table.
    """

    name: str
    code: str
    province: str
    city: str | None
    district: str | None
    current: bool
    valid_to: int | None

    @property
    def full_name(self) -> str:
        """Province + city (when it differs from the province) + district: ``吉林省长春市朝阳区``."""
        city = self.city if self.city and self.city != self.province else ""
        return f"{self.province}{city}{self.district or ''}"


def _periods(text: str) -> tuple[NamePeriod, ...]:
    out = []
    for part in text.split(","):
        m = _NAME.match(part.strip())
        if not m:
            continue
        start, end, name = m.groups()
        out.append(NamePeriod(name, int(start) if start else None, int(end) if end else None))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def region_codes() -> dict[str, tuple[NamePeriod, ...]]:
    """Every 6-digit code of the source table with its names and years (provinces as ``xx0000``)."""
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    codes: dict[str, tuple[NamePeriod, ...]] = {}
    province = ""
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        indent, digits, names = m.groups()
        if not indent:
            province = digits
            codes[f"{digits}0000"] = _periods(names)
        else:
            codes[province + digits] = _periods(names)
    return codes


def _latest(periods: tuple[NamePeriod, ...]) -> str:
    """The name in force last (an open period wins; else the latest end year)."""
    return max(periods, key=lambda p: (p.valid_to is None, p.valid_to or 0)).name


@functools.lru_cache(maxsize=1)
def region_code_statuses() -> tuple[frozenset[str], frozenset[str]]:
    """``(current, retired)`` 6-digit codes: current when some name has no end year."""
    current, retired = set(), set()
    for code, periods in region_codes().items():
        (current if any(p.valid_to is None for p in periods) else retired).add(code)
    return frozenset(current), frozenset(retired)


@functools.lru_cache(maxsize=1)
def divisions() -> tuple[Division, ...]:
    """Every (name, code) pair an address can mention: prefecture-level and county-level rows.

    One row per name a code carried (current and retired names: a dump from 2010 writes 崇文区),
    except the placeholders :data:`_PLACEHOLDER_PREFECTURES` and ``市辖区``.
    """
    codes = region_codes()
    rows: list[Division] = []
    for code, periods in sorted(codes.items()):
        prov_code, pref, county = code[:2], code[2:4], code[4:]
        if pref == "00":
            continue
        province = _latest(codes.get(f"{prov_code}0000", periods))
        if prov_code in MUNICIPALITIES:
            city = province
        else:
            pref_periods = codes.get(f"{prov_code}{pref}00")
            city = _latest(pref_periods) if pref_periods else None
            if city in _PLACEHOLDER_PREFECTURES:
                city = None
        for p in periods:
            if p.name in _PLACEHOLDER_PREFECTURES:
                continue
            if county == "00":
                if prov_code in MUNICIPALITIES:
                    continue
                rows.append(Division(p.name, code, province, p.name, None, p.valid_to is None, p.valid_to))
            else:
                rows.append(Division(p.name, code, province, city, p.name, p.valid_to is None, p.valid_to))
    return tuple(rows)


@functools.lru_cache(maxsize=1)
def province_names() -> tuple[str, ...]:
    """Province-level names as written in full (北京市, 吉林省, 广西壮族自治区), longest first."""
    names = {p.name for code, periods in region_codes().items() if code.endswith("0000") for p in periods}
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


@functools.lru_cache(maxsize=1)
def candidates_by_name() -> dict[str, tuple[Division, ...]]:
    """Divisions an address token can mean, one per place, keyed by the token.

    Rows naming the same place (same city and district, e.g. 510211 四川省重庆市江北区 before
    1997 and 500105 重庆市江北区) are one candidate: the current row wins, then the latest end
    year, then the smaller code (a fixed rule about which code to report for one place; the
    choice between different places is never made here). A retired row is also dropped when a
    current row of the same name lies in the same city, or, for a retired county directly under a
    province (``[1986-1989]`` 339007 义乌市), in the same province: it is that place's old code.
    """
    grouped: dict[str, dict[tuple, Division]] = {}
    for d in divisions():
        key = (d.city or d.province, d.district)
        best = grouped.setdefault(d.name, {}).get(key)
        rank = (d.current, d.valid_to or 0, [-ord(c) for c in d.code])
        if best is None or rank > (best.current, best.valid_to or 0, [-ord(c) for c in best.code]):
            grouped[d.name][key] = d
    out = {}
    for name, by_place in grouped.items():
        current = [d for d in by_place.values() if d.current]
        kept = [
            d
            for d in by_place.values()
            if d.current
            or not any((d.city and c.city == d.city) or (d.city is None and c.province == d.province) for c in current)
        ]
        out[name] = tuple(sorted(kept, key=lambda d: d.full_name))
    return out


@functools.lru_cache(maxsize=1)
def area_code_places() -> dict[str, str]:
    """Fixed-line area code (without trunk 0: ``10``, ``431``) -> place description (``吉林省长春市``)."""
    from phonenumbers.geodata import GEOCODE_DATA

    out = {}
    for key, names in GEOCODE_DATA.items():
        if not key.startswith("86") or len(key) not in (4, 5) or "zh" not in names:
            continue
        area = key[2:]
        if area.startswith("1") and area != "10":
            continue  # mobile prefixes
        out[area] = names["zh"]
    return out
