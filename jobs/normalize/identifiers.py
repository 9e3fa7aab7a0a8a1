"""Format checks for other identifiers seen in dumps: Unified Social Credit Codes, licence plates,
QQ numbers, passports and Hong Kong / Macau / Taiwan travel permits.

Every function takes and returns Spark Columns (no Python per row). Input is expected to be
cleaned with :func:`clean_identifier` first (full-width folded, separators removed, upper-case).
These are format checks: a well-formed value may still not be issued, and nothing here says who
holds it. Not yet wired into ``normalize_records`` (the record schema has no such columns yet;
car-owner and company lists keep them in ``extra``).
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from jobs.normalize.expressions import FULLWIDTH_TO_ASCII, WS_CHARS

__all__ = [
    "USCC_CHARSET",
    "USCC_WEIGHTS",
    "clean_identifier",
    "is_hk_macau_travel_permit",
    "is_home_return_permit",
    "is_licence_plate",
    "is_passport",
    "is_qq_number",
    "is_taiwan_compatriot_permit",
    "is_uscc",
    "uscc_check_char",
]

#: GB 32100-2015 section 4.2 and Table 1: the 31 code characters (digits and upper-case letters
#: without I, O, S, V, Z) in the order of their values 0..30.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: GB 32100-2015 Appendix A: ISO 7064 MOD 31-3 weights W_i = 3^(i-1) mod 31 for positions 1..17.
USCC_WEIGHTS: tuple[int, ...] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: Province abbreviations on GA 36-2018 number plates.
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_ALNUM = "[A-HJ-NP-Z0-9]"  # letters I and O are not used (GA 36-2018)


def clean_identifier(col: Column) -> Column:
    """Full-width to ASCII, remove whitespace and ``-``, upper-case (same cleaning as ID numbers)."""
    folded = F.translate(col, "".join(FULLWIDTH_TO_ASCII), "".join(FULLWIDTH_TO_ASCII.values()))
    return F.upper(F.translate(folded, WS_CHARS + "-", ""))


def uscc_check_char(code: Column) -> Column:
    """GB 32100-2015 check character of the first 17 characters (ISO 7064 MOD 31-3).

    ``C18 = 31 - (sum(value(c_i) * W_i) mod 31)``, with 31 written as ``0``; ``value`` is the
    character's index in :data:`USCC_CHARSET`. Undefined (NULL or garbage) for characters outside
    the set; :func:`is_uscc` tests the shape first.
    """
    total = sum(
        ((F.instr(F.lit(USCC_CHARSET), F.substring(code, i + 1, 1)) - 1) * w for i, w in enumerate(USCC_WEIGHTS)),
        F.lit(0),
    )
    value = (F.lit(31) - total % 31) % 31
    return F.substring(F.lit(USCC_CHARSET), value + 1, 1)


def is_uscc(code: Column) -> Column:
    """Unified Social Credit Code well-formed with the right check character (GB 32100-2015).

    18 characters from :data:`USCC_CHARSET`; the first (registration authority) is 1-9, A, N or
    Y; characters 3-8 are the GB/T 2260 region code (digits); the 18th is the MOD 31-3 check
    character. Codes starting ``92`` are sole traders (a person), see DOMAIN.md section 3.
    """
    shape = code.rlike(r"^[1-9ANY][0-9A-HJ-NP-RTUW-Y][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$")
    return F.coalesce(shape & (uscc_check_char(code) == F.substring(code, 18, 1)), F.lit(False))


def is_licence_plate(plate: Column) -> Column:
    """Civil vehicle number plate (GA 36-2018).

    Province abbreviation + issuing-authority letter + 5 characters from ``A-Z 0-9`` without I/O
    (the last may also be 挂 trailer, 学 driving school, 警 police, 港/澳 cross-border); or a
    new-energy plate: province + letter + ``D``/``F`` + 1 letter-or-digit + 4 digits (small
    vehicles) or + 5 digits + ``D``/``F`` (large vehicles).
    """
    head = f"^[{PLATE_PROVINCES}][A-HJ-NP-Z]"
    ordinary = rf"{head}{_PLATE_ALNUM}{{4}}[A-HJ-NP-Z0-9挂学警港澳]$"
    new_energy = rf"{head}([DF]{_PLATE_ALNUM}[0-9]{{4}}|[0-9]{{5}}[DF])$"
    return F.coalesce(plate.rlike(ordinary) | plate.rlike(new_energy), F.lit(False))


def is_qq_number(number: Column) -> Column:
    """QQ number: 5 to 11 digits, no leading zero (Tencent allocates from 10000 upwards)."""
    return F.coalesce(number.rlike(r"^[1-9][0-9]{4,10}$"), F.lit(False))


def is_passport(number: Column) -> Column:
    """Ordinary PRC e-passport: ``E`` + 8 digits (issued until 2017-04) or ``E`` + letter (not
    I/O) + 7 digits (DOMAIN.md section 3)."""
    return F.coalesce(number.rlike(r"^E([0-9]{8}|[A-HJ-NP-Z][0-9]{7})$"), F.lit(False))


def is_hk_macau_travel_permit(number: Column) -> Column:
    """往来港澳通行证 (mainland residents to Hong Kong and Macau): ``C`` + 8 digits."""
    return F.coalesce(number.rlike(r"^C[0-9]{8}$"), F.lit(False))


def is_home_return_permit(number: Column) -> Column:
    """港澳居民来往内地通行证: ``H`` (Hong Kong) or ``M`` (Macau) + 8 digits."""
    return F.coalesce(number.rlike(r"^[HM][0-9]{8}$"), F.lit(False))


def is_taiwan_compatriot_permit(number: Column) -> Column:
    """台湾居民来往大陆通行证 (card since 2015): 8 digits."""
    return F.coalesce(number.rlike(r"^[0-9]{8}$"), F.lit(False))
