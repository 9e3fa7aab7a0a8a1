"""Mainland China phone numbers: mobile and landline, validated and written in E.164.

:func:`normalize_phones` and the number plans it checks against (MIIT mobile segments, landline
and business-number shapes, IP-dial prefixes, test numbers).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.normalize import expressions as ex
from jobs.normalize.expressions import INVALID, MASKED, MISSING, PLACEHOLDERS, REPAIRED, VALID, WS_CHARS

__all__ = [
    "BUSINESS_PATTERN",
    "FIXED_LINE_PATTERN",
    "IP_DIAL_PREFIXES",
    "MOBILE_PATTERN",
    "PHONE_PLACEHOLDER_PATTERN",
    "normalize_phones",
]

#: MIIT mobile network codes (allocation table as of 2023-03, DOMAIN.md section 3), including
#: satellite 1349 (inside 13x), 1740 and 1619.
MOBILE_PATTERN = (
    r"^1(3[0-9]|4[5-9]|5[0-35-9]|6[25-7]|7[0-35-8]|8[0-9]|9[0-35-9])[0-9]{8}$"
    r"|^1740[0-9]{7}$|^1619[0-9]{7}$"
)
#: Landline in national format: 010 / 02x + 8 digits, or 0 + 3-digit area code + 7-8 digits.
FIXED_LINE_PATTERN = r"^0(10|2[0-9])[0-9]{8}$|^0[3-9][0-9]{2}[0-9]{7,8}$"
#: 400 / 800 numbers and 95xxx service numbers: businesses, not persons.
BUSINESS_PATTERN = r"^([48]00[0-9]{7}|95[0-9]{3,6})$"
#: IP long-distance dial prefixes put in front of a mobile number.
IP_DIAL_PREFIXES: tuple[str, ...] = ("17951", "12593", "17911", "10193", "11808")
#: Test numbers that are allocated-looking but never a person's (DOMAIN.md section 5).
PHONE_PLACEHOLDER_PATTERN = r"^(13800138000|12345678901|([0-9])\2{10})$"


def normalize_phones(df: DataFrame, *, column: str = "phone_raw") -> DataFrame:
    """Validate mainland China phone numbers and write them in E.164 (``+86...``).

    Columns in:
        ``column`` (string, nullable): the raw phone number as read.

    Columns out:
        ``phone`` (string): E.164 for ``valid``/``repaired``; the cleaned input for ``masked``
        and most ``invalid`` values; NULL when missing and for ``no_area_code`` (local digits
        are never glued to ``+86``: the area is unknown). ``phone_status``, ``phone_reason``
        (string). ``phone_kind`` (string): ``'mobile'``/``'fixed'`` for valid/repaired, else NULL.

    Cleaning: full-width to ASCII; remove whitespace, ``-``, ``.``, ``(``, ``)`` (full-width
    brackets fold to these); strip a leading apostrophe. Then strip one prefix: ``+86`` or
    ``0086`` (country code), ``86`` when an 11-digit mobile follows, an IP-dial prefix
    (:data:`IP_DIAL_PREFIXES`) when an 11-digit mobile follows, or a ``0`` before an 11-digit
    mobile. After ``+86``/``0086`` a landline loses its trunk ``0``, so it is put back.

    Rules (source: MIIT segment table as of 2023-03, DOMAIN.md section 3):
        - 11 digits starting with ``1``: placeholder numbers (``13800138000``,
          ``12345678901``, one digit 11 times) -> ``invalid`` ``placeholder``; MIIT segments
          (:data:`MOBILE_PATTERN`) -> mobile; otherwise ``invalid`` ``unallocated_segment``.
        - 400/800 and 95xxx numbers -> ``invalid`` ``business_number``.
        - Landline with area code (:data:`FIXED_LINE_PATTERN`) -> ``+86`` + number without
          the trunk ``0``, kind fixed.
        - 7-8 digits with no area code -> ``invalid`` ``no_area_code``, value NULL.
        - Anything else -> ``invalid`` ``bad_format``.
        - ``valid`` when the trimmed raw value is already an 11-digit mobile or already the
          E.164 result; otherwise ``repaired`` ``cleaned``.

    Args:
        df: input records.
        column: name of the raw phone column.

    Returns:
        ``df`` with the columns above added.

    Raises:
        ValueError: if ``column`` is absent or is one of the output column names.
    """
    field = "phone"
    outputs = (field, f"{field}_status", f"{field}_reason", "phone_kind")
    ex.check_columns(df, column, outputs)
    raw = F.col(column)
    trimmed_col, clean_col = ex.tmp(field, "trimmed"), ex.tmp(field, "clean")

    df = df.withColumn(trimmed_col, ex.fold(raw))
    trimmed = F.col(trimmed_col)
    df = df.withColumn(
        clean_col, ex.delete(ex.strip_apostrophes(trimmed), WS_CHARS + "-.()")
    )
    clean = F.col(clean_col)
    ip_prefixes = "|".join(IP_DIAL_PREFIXES)
    international = clean.rlike(r"^(\+|00)86[0-9]+$")
    stripped = (
        F.when(clean.rlike(r"^\+86[0-9]+$"), F.substring(clean, 4, 100))
        .when(clean.rlike(r"^0086[0-9]+$"), F.substring(clean, 5, 100))
        .when(clean.rlike(r"^861[0-9]{10}$"), F.substring(clean, 3, 100))
        .when(clean.rlike(rf"^({ip_prefixes})1[0-9]{{10}}$"), F.substring(clean, 6, 100))
        .when(clean.rlike(r"^01[0-9]{10}$"), F.substring(clean, 2, 100))
        .otherwise(clean)
    )
    df = df.withColumns(
        {
            ex.tmp(field, "intl"): international,
            ex.tmp(field, "stripped"): stripped,
            ex.tmp(field, "missing"): ex.missing_reason(raw, trimmed, clean, PLACEHOLDERS),
        }
    )
    stripped = F.col(ex.tmp(field, "stripped"))
    needs_trunk = (
        F.col(ex.tmp(field, "intl"))
        & ~stripped.rlike(r"^0|^1[0-9]{10}$")
        & ~stripped.rlike(BUSINESS_PATTERN)
    )
    df = df.withColumn(
        ex.tmp(field, "national"), F.when(needs_trunk, F.concat(F.lit("0"), stripped)).otherwise(stripped)
    )
    national = F.col(ex.tmp(field, "national"))
    missing = F.col(ex.tmp(field, "missing"))
    is_mobile_shaped = national.rlike(r"^1[0-9]{10}$")
    is_mobile = is_mobile_shaped & national.rlike(MOBILE_PATTERN)
    is_fixed = national.rlike(FIXED_LINE_PATTERN)
    e164 = (
        F.when(is_mobile, F.concat(F.lit("+86"), national))
        .when(is_fixed, F.concat(F.lit("+86"), F.substring(national, 2, 100)))
    )
    df = df.withColumns(
        {
            ex.tmp(field, "kind"): F.when(is_mobile, F.lit("mobile")).when(is_fixed, F.lit("fixed")),
            ex.tmp(field, "e164"): e164,
        }
    )
    kind, e164 = F.col(ex.tmp(field, "kind")), F.col(ex.tmp(field, "e164"))
    raw_trimmed = ex.trim(raw)
    unchanged = ((kind == "mobile") & (raw_trimmed == national)) | (raw_trimmed == e164)
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), ex.verdict(MASKED, "asterisk_mask"))
        .when(is_mobile_shaped & national.rlike(PHONE_PLACEHOLDER_PATTERN), ex.verdict(INVALID, "placeholder"))
        .when(kind.isNotNull(), ex.valid_or_cleaned(unchanged))
        .when(is_mobile_shaped, ex.verdict(INVALID, "unallocated_segment"))
        .when(national.rlike(BUSINESS_PATTERN), ex.verdict(INVALID, "business_number"))
        .when(national.rlike(r"^[0-9]{7,8}$"), ex.verdict(INVALID, "no_area_code"))
        .otherwise(ex.verdict(INVALID, "bad_format"))
    )
    df = df.withColumn(ex.tmp(field, "verdict"), verdict)
    verdict = F.col(ex.tmp(field, "verdict"))
    ok = verdict["status"].isin(VALID, REPAIRED)
    value = (
        F.when(ok, e164)
        .when((verdict["status"] == MISSING) | (verdict["reason"] == "no_area_code"), F.lit(None).cast("string"))
        .otherwise(clean)
    )
    return ex.finish(df, field, value, {"phone_kind": F.when(ok, kind)})
