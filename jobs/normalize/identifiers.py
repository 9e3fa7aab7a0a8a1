"""Format checks for other identifiers seen in dumps: Unified Social Credit Codes, licence plates,
QQ numbers, passports and Hong Kong / Macau / Taiwan travel permits.

Every function takes and returns Spark Columns (no Python per row). Input is expected to be
cleaned with :func:`clean_identifier` first (full-width folded, separators removed, upper-case).
These are format checks: a well-formed value may still not be issued, and nothing here says who
holds it. :func:`normalize_usccs`, :func:`normalize_licence_plates` and :func:`normalize_qq_numbers`
are the field normalizers of ``uscc``, ``licence_plate`` and ``qq`` (``jobs.common.fields``); the
passport and permit checks are applied per document type by :mod:`jobs.normalize.documents`.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.normalize import expressions as ex
from jobs.normalize.expressions import FULLWIDTH_TO_ASCII, INVALID, MASKED, MISSING, PLACEHOLDERS, WS_CHARS

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
    "normalize_licence_plates",
    "normalize_qq_numbers",
    "normalize_usccs",
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


# --------------------------------------------------------------------------------------------
# Field normalizers (statuses and reasons as in jobs.normalize.transforms)
# --------------------------------------------------------------------------------------------


def _normalize_identifier(df: DataFrame, *, field: str, column: str, clean: Callable[[Column], Column],
                          well_formed: Callable[[Column], Column], bad_reason: Callable[[Column], Column],
                          extra: Callable[[Column, Column], dict[str, Column]] | None = None,
                          extra_names: tuple[str, ...] = ()) -> DataFrame:
    """Shared shape of the identifier normalizers: missing -> masked -> one repeated character
    (``placeholder``) -> the format check (``bad_reason``) -> valid / repaired ``cleaned``."""
    ex.check_columns(df, column, (field, f"{field}_status", f"{field}_reason", *extra_names))
    raw = F.col(column)
    trimmed_col, clean_col = ex.tmp(field, "trimmed"), ex.tmp(field, "clean")
    df = df.withColumn(trimmed_col, ex.fold(raw)).withColumn(clean_col, clean(raw))
    c = F.col(clean_col)
    df = df.withColumn(ex.tmp(field, "missing"), ex.missing_reason(raw, F.col(trimmed_col), c, PLACEHOLDERS))
    missing = F.col(ex.tmp(field, "missing"))
    df = df.withColumn(ex.tmp(field, "ok"), well_formed(c))
    ok = F.col(ex.tmp(field, "ok"))
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(c.contains("*"), ex.verdict(MASKED, "asterisk_mask"))
        .when(c.rlike(r"^(.)\1*$"), ex.verdict(INVALID, "placeholder"))
        .when(~ok, F.struct(F.lit(INVALID).alias("status"), bad_reason(c).alias("reason")))
        .otherwise(ex.valid_or_cleaned(ex.trim(raw) == c))
    )
    df = df.withColumn(ex.tmp(field, "verdict"), verdict)
    good = F.col(ex.tmp(field, "verdict"))["status"].isin(ex.VALID, ex.REPAIRED)
    return ex.finish(df, field, F.when(missing.isNull(), c), extra(c, good) if extra else None)


def normalize_usccs(df: DataFrame, *, column: str = "uscc_raw") -> DataFrame:
    """Unified Social Credit Codes (GB 32100-2015).

    Columns in: ``column`` (string, nullable). Columns out: ``uscc`` (string, cleaned by
    :func:`clean_identifier`; NULL when missing), ``uscc_status``, ``uscc_reason`` (string) and
    ``uscc_personal`` (boolean): the code of a sole trader (个体工商户, registration authority 9 =
    工商, type 2; DOMAIN.md section 3), whose code is personal information; NULL unless valid or
    repaired. Rules: missing -> masked -> one repeated character ``placeholder`` -> 18 characters
    of the code set in the GB 32100 layout but a wrong MOD 31-3 check character
    ``bad_check_char`` -> any other shape ``bad_format`` -> valid / repaired ``cleaned``.

    Raises:
        ValueError: ``column`` is absent or would be overwritten.
    """
    shape = r"^[1-9ANY][0-9A-HJ-NP-RTUW-Y][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$"
    return _normalize_identifier(
        df, field="uscc", column=column, clean=clean_identifier, well_formed=is_uscc,
        bad_reason=lambda c: F.when(c.rlike(shape), F.lit("bad_check_char")).otherwise(F.lit("bad_format")),
        extra=lambda c, good: {"uscc_personal": F.when(good, c.startswith("92"))}, extra_names=("uscc_personal",),
    )


def normalize_licence_plates(df: DataFrame, *, column: str = "licence_plate_raw") -> DataFrame:
    """Vehicle number plates (GA 36-2018, :func:`is_licence_plate`).

    Columns in: ``column`` (string, nullable). Columns out: ``licence_plate`` (string: full-width
    folded, whitespace, ``-`` and the separator dots ``·`` ``•`` ``.`` removed, upper case; NULL
    when missing), ``licence_plate_status``, ``licence_plate_reason``. Rules: missing -> masked
    (``京A***34``) -> ``bad_format`` -> valid / repaired ``cleaned``.

    Raises:
        ValueError: ``column`` is absent or would be overwritten.
    """
    return _normalize_identifier(
        df, field="licence_plate", column=column, clean=lambda raw: ex.delete(clean_identifier(raw), "\u00b7\u2022."),
        well_formed=is_licence_plate, bad_reason=lambda c: F.lit("bad_format"),
    )


def normalize_qq_numbers(df: DataFrame, *, column: str = "qq_raw") -> DataFrame:
    """QQ numbers (:func:`is_qq_number`: 5-11 digits, no leading zero).

    Columns in: ``column`` (string, nullable). Columns out: ``qq`` (string, cleaned digits; NULL
    when missing), ``qq_status``, ``qq_reason``. Rules: missing -> masked -> one repeated digit
    ``placeholder`` -> ``bad_format`` -> valid / repaired ``cleaned``.

    Raises:
        ValueError: ``column`` is absent or would be overwritten.
    """
    return _normalize_identifier(
        df, field="qq", column=column, clean=lambda raw: ex.strip_apostrophes(clean_identifier(raw)),
        well_formed=is_qq_number, bad_reason=lambda c: F.lit("bad_format"),
    )
