"""Normalize the canonical personal-information fields of raw records.

Pure DataFrame -> DataFrame transforms: every function adds columns and drops nothing; the raw
``<field>_raw`` columns and every other column pass through untouched.

For each canonical field ``f`` (``jobs.engine.schemas.CANONICAL_FIELDS``) a normalizer adds

- ``f`` (string): the normalized value, or NULL when the field is missing (and for phone numbers
  without an area code, which cannot be made complete);
- ``f_status`` (string, never NULL): one of ``jobs.engine.schemas.FIELD_STATUSES``;
- ``f_reason`` (string): a snake_case reason code, NULL exactly when the status is ``valid``.

Reason codes shared by every field:

- ``absent`` (missing): the raw value is NULL.
- ``blank`` (missing): the raw value is empty or whitespace; for ID numbers, phones and bank
  cards also a value that is nothing but separators (``- -``).
- ``placeholder_token`` (missing): a "no value" token such as ``-``, ``NULL``, ``\\N``, ``无``,
  ``不详``, ``nan``, ``N/A``, ``none`` (case-insensitive; full-width forms too).
- ``asterisk_mask`` (masked): the value contains ``*`` (``138****1234``, ``张*``); the normalized
  value is the cleaned string, which is not a full identifier (DOMAIN.md section 5). Masks are
  detected right after missing values and before any other rule, so nothing "repairs" them.
- ``cleaned`` (repaired): the value needed more than trimming (full-width to ASCII, separators).

Field-specific codes are listed in each function's docstring. For ``invalid`` values the
normalized value is the cleaned string (not NULL), so that two copies of the same untrue value
still match each other downstream; the status keeps them out of any count of true records.

Implementation notes:

- Everything on the hot path is a Spark Column expression (regexp_replace, translate, substring,
  try_to_date, ...). Session ANSI mode is on, so only functions that cannot raise on bad input are
  used (``try_to_date``; digits are read with ``ascii(c) - 48`` instead of a cast).
- Character-level work uses ``translate`` (folding; deleting separators) and ``btrim`` (trimming)
  rather than regexes, which cost several times more per row; regexes are kept for shape tests.
- Intermediate values live in temporary ``__cf_*`` columns that are dropped before returning.
  Spark's optimizer does not inline a non-trivial projection that is referenced more than once,
  so each regex runs once per row instead of once per use.
- The only Python per value is OpenCC traditional -> simplified for ``name_key`` (see
  :func:`normalize_names`). The GB/T 2260 division table and the area-code table
  (:mod:`jobs.normalize.divisions`) are built once on the driver and reach the rows as a
  broadcast join, ``isin`` sets and a literal map.
- Dates: :mod:`jobs.normalize.dates`; other identifiers: :mod:`jobs.normalize.identifiers`.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable, Sequence

import pandas as pd  # resolved at run time by pandas_udf's type hints
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

__all__ = [
    "normalize_addresses",
    "normalize_bank_cards",
    "normalize_emails",
    "normalize_id_numbers",
    "normalize_names",
    "normalize_phones",
    "normalize_records",
    "resolve_address_divisions",
    "id_region_statuses",
    "id_review_flags",
]

# --------------------------------------------------------------------------------------------
# Shared vocabulary
# --------------------------------------------------------------------------------------------

VALID, REPAIRED, INVALID, MASKED, MISSING = "valid", "repaired", "invalid", "masked", "missing"

#: "No value" tokens (DOMAIN.md section 5), compared case-insensitively after full-width folding
#: and trimming. Stored lower-case; ``\\N`` is the MySQL/Hive NULL marker (backslash + N).
PLACEHOLDERS: tuple[str, ...] = ("-", "null", "\\n", "无", "不详", "nan", "n/a", "none")

#: Extra tokens that mean "no name" in a name column only (a test row left in a dump).
NAME_PLACEHOLDERS: tuple[str, ...] = (*PLACEHOLDERS, "test")

#: Full-width ASCII forms U+FF01..U+FF5E -> U+0021..U+007E, and the ideographic space U+3000 ->
#: U+0020 (Unicode "Halfwidth and Fullwidth Forms" block; what NFKC does for these characters).
FULLWIDTH_TO_ASCII: dict[str, str] = {
    **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
    "\u3000": " ",
}

#: The name dot (DOMAIN.md section 5): NFKC does not unify it, so every look-alike used between
#: the parts of a transcribed name (买买提·艾力) becomes U+00B7 MIDDLE DOT.
NAME_DOT = "\u00b7"
NAME_DOT_VARIANTS: tuple[str, ...] = (".", "\u2022", "\u2027", "\u30fb", "\uff0e", "\uff65")

#: Full-width folding plus the name dot. U+FF0E maps straight to U+00B7 for names (``translate``
#: maps each character once, so there is no ``．`` -> ``.`` -> ``·`` chain to rely on).
NAME_TRANSLATION: dict[str, str] = {
    **FULLWIDTH_TO_ASCII,
    **{variant: NAME_DOT for variant in NAME_DOT_VARIANTS},
}

#: Whitespace seen in seized data: ASCII whitespace, NEL, no-break spaces, the Unicode spaces
#: U+2000..U+200B (incl. the zero-width space), line/paragraph separators, the ideographic space
#: and the BOM. Used as a character list (``btrim``, ``translate``) and as a regex class (:data:`WS`).
WS_CHARS = (
    " \t\n\x0b\x0c\r\x85\u00a0\u1680"
    + "".join(chr(code) for code in range(0x2000, 0x200C))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
#: :data:`WS_CHARS` as a Java-regex character class.
WS = "[" + "".join(f"\\u{ord(c):04X}" for c in WS_CHARS) + "]"

#: GB 11643-1999 section 7: ISO 7064 MOD 11-2 weights for the 17 body digits, and the check
#: character for S = 0..10 at string position S + 1.
ID_CHECK_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

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

_TMP = "__cf_"


# --------------------------------------------------------------------------------------------
# Shared expression helpers
# --------------------------------------------------------------------------------------------


def _translate(col: Column, mapping: dict[str, str]) -> Column:
    """``translate`` with a Python dict (one source character -> one target character)."""
    return F.translate(col, "".join(mapping), "".join(mapping.values()))


def _trim(col: Column) -> Column:
    """Trim every character of :data:`WS_CHARS` from both ends (``trim`` only removes U+0020).

    ``btrim`` with a character list, not a regex: about 5x cheaper on the hot path.
    """
    return F.btrim(col, F.lit(WS_CHARS))


def _delete(col: Column, chars: str) -> Column:
    """Remove every occurrence of each character in ``chars`` (``translate`` with no targets)."""
    return F.translate(col, chars, "")


def _strip_apostrophes(col: Column) -> Column:
    """Drop leading apostrophes: Excel's mark for "store this number as text" (DOMAIN.md section 5)."""
    return F.ltrim(col, F.lit("'"))


def _fold(col: Column) -> Column:
    """Full-width ASCII forms to ASCII, then trim."""
    return _trim(_translate(col, FULLWIDTH_TO_ASCII))


def _missing_reason(raw: Column, trimmed: Column, cleaned: Column, placeholders: Iterable[str]) -> Column:
    """Reason code when a value is missing (``absent`` / ``placeholder_token`` / ``blank``), else NULL."""
    return (
        F.when(raw.isNull(), F.lit("absent"))
        .when(F.lower(trimmed).isin(*placeholders), F.lit("placeholder_token"))
        .when(cleaned == "", F.lit("blank"))
    )


def _verdict(status: str, reason: str | None) -> Column:
    return F.struct(F.lit(status).alias("status"), F.lit(reason).cast(T.StringType()).alias("reason"))


def _valid_or_cleaned(is_unchanged: Column) -> Column:
    """``valid`` when the value was already canonical, otherwise ``repaired`` / ``cleaned``."""
    return F.when(is_unchanged, _verdict(VALID, None)).otherwise(_verdict(REPAIRED, "cleaned"))


def _tmp(field: str, name: str) -> str:
    return f"{_TMP}{field}_{name}"


def _check_columns(df: DataFrame, column: str, outputs: Sequence[str]) -> None:
    if column not in df.columns:
        raise ValueError(f"input column {column!r} not found")
    if column in outputs:
        raise ValueError(f"input column {column!r} would be overwritten by an output column")


def _finish(df: DataFrame, field: str, value: Column, extra: dict[str, Column] | None = None) -> DataFrame:
    """Add ``field``, ``field_status``, ``field_reason`` (+ ``extra``) and drop the temporaries.

    Expects ``df`` to carry the struct column ``__cf_<field>_verdict`` (status, reason).
    """
    verdict = F.col(_tmp(field, "verdict"))
    out = df.withColumns(
        {
            field: value,
            f"{field}_status": verdict["status"],
            f"{field}_reason": verdict["reason"],
            **(extra or {}),
        }
    )
    return out.drop(*[c for c in out.columns if c.startswith(f"{_TMP}{field}_")])


# --------------------------------------------------------------------------------------------
# Resident ID numbers
# --------------------------------------------------------------------------------------------


def _digit(col: Column, position: int) -> Column:
    """Integer value of the ASCII digit at 1-based ``position`` (no cast, so ANSI-safe)."""
    return F.ascii(F.substring(col, position, 1)) - 48


def id_check_char(body17: Column) -> Column:
    """ISO 7064 MOD 11-2 check character of a 17-digit body (GB 11643-1999 section 7).

    ``S = sum(a_i * W_i) mod 11`` with the weights :data:`ID_CHECK_WEIGHTS`; the character is
    ``"10X98765432"[S]``. The sum is unrolled into one arithmetic expression (17 terms), which is
    cheaper than a higher-order ``aggregate`` over a sequence. Undefined for non-digit input.
    """
    total = sum((_digit(body17, i + 1) * w for i, w in enumerate(ID_CHECK_WEIGHTS)), F.lit(0))
    return F.substr(F.lit(ID_CHECK_CHARS), total % 11 + 1, F.lit(1))


def normalize_id_numbers(
    df: DataFrame, *, column: str = "id_number_raw", reference_date: datetime.date
) -> DataFrame:
    """Validate and normalize resident ID numbers (GB 11643-1999, GB 11643-1989).

    Columns in:
        ``column`` (string, nullable): the raw ID number as read.

    Columns out (added after the existing ones):
        ``id_number`` (string): 18-character number; for ``invalid`` and ``masked`` the cleaned
        input; NULL when missing. ``id_number_status`` (string), ``id_number_reason`` (string).
        ``id_birth_date`` (date), ``id_sex`` (``'M'``/``'F'``, odd 17th digit = male) and
        ``id_region_code`` (string, first 6 digits; not checked against GB/T 2260 in this
        version): set only for ``valid`` and ``repaired`` numbers, NULL otherwise.

    Cleaning: full-width to ASCII; remove all whitespace and ``-``; strip a leading apostrophe
    (Excel's force-text mark); upper-case ``x``.

    Rules, in order:
        1. NULL / blank / placeholder token -> ``missing``.
        2. Contains ``*`` -> ``masked`` (``asterisk_mask``).
        3. Excel scientific notation (``1.10105E+17``) or a float-looking value of 15-18 digits
           (``110105198506151000.0``, a cell read as a number) -> ``invalid``
           ``excel_precision_lost``: Excel keeps 15 significant digits, the number cannot be
           recovered (never guessed; DOMAIN.md section 5).
        4. One repeated digit (15 or 18 times) or ``123456789012345678`` -> ``invalid``
           ``placeholder`` (DOMAIN.md section 5).
        5. 15 digits (GB 11643-1989): insert ``19`` before YY and append the MOD 11-2 check
           character -> ``repaired`` ``upgraded_15_to_18``; the birth date must be real and not
           after ``reference_date``.
        6. ``[0-9]{17}[0-9X]``: birth date (characters 7-14, yyyyMMdd) must be a real date
           (``invalid_birth_date``) and not after ``reference_date`` (``birth_date_in_future``);
           the check character must match ISO 7064 MOD 11-2 (``bad_check_digit``; a wrong check
           character is never corrected). A wrong check character on a number ending in ``000``
           is ``excel_precision_lost`` instead: Excel stored the number with 15 significant
           digits and zeroed the last three (sequence digits 16-17 and the check character). A
           true number ending in ``000`` has check character ``0`` and passes the check, so
           only a mangled one is caught. ``valid`` when only trimming and ``x`` -> ``X`` were
           needed, else ``repaired`` ``cleaned``.
        7. Anything else -> ``invalid`` ``bad_format``.

    Args:
        df: input records.
        column: name of the raw ID number column.
        reference_date: the seizure date; a birth date after it cannot be true.

    Returns:
        ``df`` with the columns above added.

    Raises:
        ValueError: if ``column`` is absent or is one of the output column names.
    """
    field = "id_number"
    outputs = (field, f"{field}_status", f"{field}_reason", "id_birth_date", "id_sex", "id_region_code")
    _check_columns(df, column, outputs)
    raw = F.col(column)
    trimmed_col, clean_col = _tmp(field, "trimmed"), _tmp(field, "clean")

    df = df.withColumn(trimmed_col, _fold(raw))
    trimmed = F.col(trimmed_col)
    df = df.withColumn(
        clean_col, F.upper(_delete(_strip_apostrophes(trimmed), WS_CHARS + "-"))
    )
    clean = F.col(clean_col)
    shape_col = _tmp(field, "shape")
    df = df.withColumn(
        shape_col,
        F.when(clean.rlike(r"^[0-9]{15}$"), F.lit(15)).when(clean.rlike(r"^[0-9]{17}[0-9X]$"), F.lit(18)),
    )
    is15, is18 = F.col(shape_col) == 15, F.col(shape_col) == 18
    body = F.when(is15, F.concat(F.substring(clean, 1, 6), F.lit("19"), F.substring(clean, 7, 9))).when(
        is18, F.substring(clean, 1, 17)
    )
    birth_text = F.when(is15, F.concat(F.lit("19"), F.substring(clean, 7, 6))).when(
        is18, F.substring(clean, 7, 8)
    )
    df = df.withColumns(
        {
            _tmp(field, "body"): body,
            _tmp(field, "birth"): F.try_to_date(birth_text, "yyyyMMdd"),
            _tmp(field, "missing"): _missing_reason(raw, trimmed, clean, PLACEHOLDERS),
        }
    )
    body, birth = F.col(_tmp(field, "body")), F.col(_tmp(field, "birth"))
    missing = F.col(_tmp(field, "missing"))
    df = df.withColumn(_tmp(field, "check"), F.when(body.isNotNull(), id_check_char(body)))
    check = F.col(_tmp(field, "check"))
    ref = F.lit(reference_date)
    date_verdict = (
        F.when(birth.isNull(), _verdict(INVALID, "invalid_birth_date"))
        .when(birth > ref, _verdict(INVALID, "birth_date_in_future"))
    )
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), _verdict(MASKED, "asterisk_mask"))
        .when(
            clean.rlike(r"^[0-9](\.[0-9]+)?E\+?[0-9]+$|^[0-9]{15,18}\.0*$"),
            _verdict(INVALID, "excel_precision_lost"),
        )
        .when(
            clean.rlike(r"^([0-9])\1{14}(\1{3})?$") | (clean == "123456789012345678"),
            _verdict(INVALID, "placeholder"),
        )
        .when(is15, F.coalesce(date_verdict, _verdict(REPAIRED, "upgraded_15_to_18")))
        .when(
            is18,
            F.coalesce(
                date_verdict,
                F.when(
                    (check != F.substring(clean, 18, 1)) & clean.endswith("000"),
                    _verdict(INVALID, "excel_precision_lost"),
                ),
                F.when(check != F.substring(clean, 18, 1), _verdict(INVALID, "bad_check_digit")),
                _valid_or_cleaned(F.upper(_trim(raw)) == clean),
            ),
        )
        .otherwise(_verdict(INVALID, "bad_format"))
    )
    df = df.withColumn(_tmp(field, "verdict"), verdict)
    status = F.col(_tmp(field, "verdict"))["status"]
    ok = status.isin(VALID, REPAIRED)
    value = (
        F.when(status == MISSING, F.lit(None).cast(T.StringType()))
        .when(ok & is15, F.concat(body, check))
        .otherwise(clean)
    )
    df = df.withColumn(_tmp(field, "value"), value)
    value = F.col(_tmp(field, "value"))
    return _finish(
        df,
        field,
        value,
        {
            "id_birth_date": F.when(ok, birth),
            "id_sex": F.when(ok, F.when(_digit(value, 17) % 2 == 1, F.lit("M")).otherwise(F.lit("F"))),
            "id_region_code": F.when(ok, F.substring(value, 1, 6)),
        },
    )


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------


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
    _check_columns(df, column, outputs)
    raw = F.col(column)
    trimmed_col, clean_col = _tmp(field, "trimmed"), _tmp(field, "clean")

    df = df.withColumn(trimmed_col, _fold(raw))
    trimmed = F.col(trimmed_col)
    df = df.withColumn(
        clean_col, _delete(_strip_apostrophes(trimmed), WS_CHARS + "-.()")
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
            _tmp(field, "intl"): international,
            _tmp(field, "stripped"): stripped,
            _tmp(field, "missing"): _missing_reason(raw, trimmed, clean, PLACEHOLDERS),
        }
    )
    stripped = F.col(_tmp(field, "stripped"))
    needs_trunk = (
        F.col(_tmp(field, "intl"))
        & ~stripped.rlike(r"^0|^1[0-9]{10}$")
        & ~stripped.rlike(BUSINESS_PATTERN)
    )
    df = df.withColumn(
        _tmp(field, "national"), F.when(needs_trunk, F.concat(F.lit("0"), stripped)).otherwise(stripped)
    )
    national = F.col(_tmp(field, "national"))
    missing = F.col(_tmp(field, "missing"))
    is_mobile_shaped = national.rlike(r"^1[0-9]{10}$")
    is_mobile = is_mobile_shaped & national.rlike(MOBILE_PATTERN)
    is_fixed = national.rlike(FIXED_LINE_PATTERN)
    e164 = (
        F.when(is_mobile, F.concat(F.lit("+86"), national))
        .when(is_fixed, F.concat(F.lit("+86"), F.substring(national, 2, 100)))
    )
    df = df.withColumns(
        {
            _tmp(field, "kind"): F.when(is_mobile, F.lit("mobile")).when(is_fixed, F.lit("fixed")),
            _tmp(field, "e164"): e164,
        }
    )
    kind, e164 = F.col(_tmp(field, "kind")), F.col(_tmp(field, "e164"))
    raw_trimmed = _trim(raw)
    unchanged = ((kind == "mobile") & (raw_trimmed == national)) | (raw_trimmed == e164)
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), _verdict(MASKED, "asterisk_mask"))
        .when(is_mobile_shaped & national.rlike(PHONE_PLACEHOLDER_PATTERN), _verdict(INVALID, "placeholder"))
        .when(kind.isNotNull(), _valid_or_cleaned(unchanged))
        .when(is_mobile_shaped, _verdict(INVALID, "unallocated_segment"))
        .when(national.rlike(BUSINESS_PATTERN), _verdict(INVALID, "business_number"))
        .when(national.rlike(r"^[0-9]{7,8}$"), _verdict(INVALID, "no_area_code"))
        .otherwise(_verdict(INVALID, "bad_format"))
    )
    df = df.withColumn(_tmp(field, "verdict"), verdict)
    verdict = F.col(_tmp(field, "verdict"))
    ok = verdict["status"].isin(VALID, REPAIRED)
    value = (
        F.when(ok, e164)
        .when((verdict["status"] == MISSING) | (verdict["reason"] == "no_area_code"), F.lit(None).cast("string"))
        .otherwise(clean)
    )
    return _finish(df, field, value, {"phone_kind": F.when(ok, kind)})


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _opencc_t2s():
    import opencc  # the BYVoid binding, pinned in pyproject.toml; imported lazily on workers

    return opencc.OpenCC("t2s")


def t2s_protected(text: str | None, protected_chars: Sequence[str]) -> str | None:
    """OpenCC ``t2s`` of ``text``, leaving every character of ``protected_chars`` as it is.

    The text is split at protected characters and each piece converted on its own, so a
    protected character is never rewritten (於 stays 於: a surname in both scripts).
    """
    if text is None:
        return None
    converter = _opencc_t2s()
    pattern = _protected_pattern(tuple(protected_chars))
    if pattern is None or not pattern.search(text):
        return converter.convert(text)
    return "".join(
        piece if i % 2 else converter.convert(piece) for i, piece in enumerate(pattern.split(text))
    )


@functools.lru_cache(maxsize=8)
def _protected_pattern(protected_chars: tuple[str, ...]) -> re.Pattern[str] | None:
    if not protected_chars:
        return None
    return re.compile("(" + "|".join(re.escape(c) for c in protected_chars) + ")")


def _name_trimmed(raw: Column) -> Column:
    """Full-width folding and name dots (:data:`NAME_TRANSLATION`), then trim."""
    return _trim(_translate(raw, NAME_TRANSLATION))


def _name_spacing(trimmed: Column) -> Column:
    """Drop whitespace between Han characters and around the name dot; collapse other runs.

    The three regexes only run on names that contain whitespace at all (a cheap ``translate``
    test), which most names do not.
    """
    no_han_gaps = F.regexp_replace(trimmed, rf"(?<=\p{{IsHan}}){WS}+(?=\p{{IsHan}})", "")
    tight_dots = F.regexp_replace(no_han_gaps, rf"{WS}*{NAME_DOT}{WS}*", NAME_DOT)
    has_whitespace = F.length(_delete(trimmed, WS_CHARS)) != F.length(trimmed)
    return F.when(has_whitespace, F.regexp_replace(tight_dots, rf"{WS}+", " ")).otherwise(trimmed)


def _name_key_udf(protected_chars: tuple[str, ...]):
    @F.pandas_udf(T.StringType())
    def name_key(names: pd.Series) -> pd.Series:
        return names.map(lambda s: t2s_protected(s, protected_chars))

    return name_key


def normalize_names(
    df: DataFrame, *, column: str = "name_raw", protected_chars: Sequence[str] = ("於",)
) -> DataFrame:
    """Normalize personal names, keeping the source script, and add a matching key.

    Columns in:
        ``column`` (string, nullable): the raw name as read.

    Columns out:
        ``name`` (string): full-width ASCII folded to ASCII (U+3000 to space), trimmed,
        whitespace between two Han characters removed (``张 三`` -> ``张三``), whitespace around
        the name dot removed, other whitespace runs collapsed to one space; the dot variants
        :data:`NAME_DOT_VARIANTS` (U+2022, U+2027, U+30FB, U+FF0E, U+FF65, ``.``) become U+00B7
        (DOMAIN.md section 5). Traditional characters are kept: this is the name as written.
        NULL when missing.
        ``name_key`` (string): OpenCC ``t2s`` of ``name`` with ``protected_chars`` unchanged
        (characters legitimate in names in both scripts, e.g. the surname 於), for matching only
        and never a legal name (DOMAIN.md section 5). NULL when ``name`` is NULL.
        ``name_status``, ``name_reason`` (string).

    Rules:
        - NULL / blank / placeholder (:data:`NAME_PLACEHOLDERS`) -> ``missing``.
        - Contains ``*`` -> ``masked`` (``张*``).
        - Contains a digit or ``@``, or no letter at all (``--``, ``()``) -> ``invalid``
          ``not_a_name``.
        - ``valid`` when only trimming was needed; otherwise ``repaired`` ``cleaned``.
          A traditional character is not a repair.

    OpenCC is the one piece of Python in normalize. It runs as a vectorized ``pandas_udf`` on the
    DISTINCT raw names only (each cleaned by the same Column expressions as ``name``), and the
    keys are joined back on the raw column. Names repeat a lot (a few hundred thousand distinct
    values per million rows), so the UDF sees a fraction of the rows. Joining on the raw value
    rather than on ``name`` means the cleaning regexes run once per row plus once per distinct
    value, instead of twice per row (the key branch would otherwise recompute ``name`` for every
    row before its DISTINCT). A broadcast map collected to the driver was rejected: a seizure can
    hold millions of distinct names; the join lets Spark pick a broadcast (AQE, small name sets)
    or a shuffle join (large ones). A character-level ``translate`` table was rejected too:
    OpenCC ``t2s`` converts phrases, so a per-character table would give different keys.

    Args:
        df: input records.
        column: name of the raw name column.
        protected_chars: characters ``name_key`` must not convert.

    Returns:
        ``df`` with the columns above added (row order is not preserved: a join is involved).

    Raises:
        ValueError: if ``column`` is absent or is one of the output column names.
    """
    field = "name"
    outputs = (field, "name_key", f"{field}_status", f"{field}_reason")
    _check_columns(df, column, outputs)
    raw = F.col(column)
    trimmed_col, clean_col = _tmp(field, "trimmed"), _tmp(field, "clean")

    df = df.withColumn(trimmed_col, _name_trimmed(raw))
    trimmed = F.col(trimmed_col)
    df = df.withColumn(clean_col, _name_spacing(trimmed))
    clean = F.col(clean_col)
    df = df.withColumn(_tmp(field, "missing"), _missing_reason(raw, trimmed, clean, NAME_PLACEHOLDERS))
    missing = F.col(_tmp(field, "missing"))
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), _verdict(MASKED, "asterisk_mask"))
        .when(clean.rlike(r"[0-9@]") | ~clean.rlike(r"\p{L}"), _verdict(INVALID, "not_a_name"))
        .otherwise(_valid_or_cleaned(_trim(raw) == clean))
    )
    df = df.withColumn(_tmp(field, "verdict"), verdict)
    value = F.when(F.col(_tmp(field, "verdict"))["status"] != MISSING, clean)
    df = _finish(df, field, value)

    # name_key: OpenCC on the distinct raw names (each cleaned by the same expressions as above),
    # joined back on the raw column; see the docstring for why.
    key_in, key_out = _tmp(field, "key_in"), _tmp(field, "key_out")
    key_udf = _name_key_udf(tuple(protected_chars))
    keys = (
        df.select(F.col(column).alias(key_in))
        .distinct()
        .select(key_in, key_udf(_name_spacing(_name_trimmed(F.col(key_in)))).alias(key_out))
    )
    joined = df.join(keys, F.col(column) == F.col(key_in), "left")
    columns = [F.col(c) for c in df.columns if c not in outputs]
    return joined.select(
        *columns,
        F.col(field),
        F.when(F.col(field).isNotNull(), F.col(key_out)).alias("name_key"),
        F.col(f"{field}_status"),
        F.col(f"{field}_reason"),
    )


# --------------------------------------------------------------------------------------------
# Addresses, bank cards, e-mail addresses
# --------------------------------------------------------------------------------------------


def normalize_addresses(df: DataFrame, *, column: str = "address_raw") -> DataFrame:
    """Clean free-text addresses (divisions: :func:`resolve_address_divisions`).

    Columns in:
        ``column`` (string, nullable): the raw address as read.

    Columns out:
        ``address`` (string): full-width ASCII folded to ASCII, ALL whitespace removed (Chinese
        addresses carry no meaningful spaces); NULL when missing. ``address_status``,
        ``address_reason`` (string).

    Rules: NULL / blank / placeholder -> ``missing``; contains ``*`` -> ``masked`` (courier
    waybills mask addresses); ``valid`` when only trimming was needed, else ``repaired``
    ``cleaned``. No address is ``invalid`` in this version.

    Args:
        df: input records.
        column: name of the raw address column.

    Returns:
        ``df`` with the columns above added.

    Raises:
        ValueError: if ``column`` is absent or is one of the output column names.
    """
    field = "address"
    _check_columns(df, column, (field, f"{field}_status", f"{field}_reason"))
    raw = F.col(column)
    trimmed_col, clean_col = _tmp(field, "trimmed"), _tmp(field, "clean")
    df = df.withColumn(trimmed_col, _fold(raw))
    df = df.withColumn(clean_col, _delete(F.col(trimmed_col), WS_CHARS))
    clean = F.col(clean_col)
    df = df.withColumn(
        _tmp(field, "missing"), _missing_reason(raw, F.col(trimmed_col), clean, PLACEHOLDERS)
    )
    missing = F.col(_tmp(field, "missing"))
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), _verdict(MASKED, "asterisk_mask"))
        .otherwise(_valid_or_cleaned(_trim(raw) == clean))
    )
    df = df.withColumn(_tmp(field, "verdict"), verdict)
    return _finish(df, field, F.when(missing.isNull(), clean))


def luhn_ok(digits: Column) -> Column:
    """Luhn mod 10 check of a string of at most 19 ASCII digits (ISO/IEC 7812-1 Annex B).

    The number is left-padded with zeros to 19 digits (zeros add nothing and keep every digit's
    position counted from the right), so the sum is one fixed, unrolled expression: digits in
    even positions from the right are doubled, minus 9 when the double exceeds 9.
    """
    padded = F.lpad(digits, 19, "0")
    terms = []
    for position in range(1, 20):
        d = _digit(padded, position)
        if (20 - position) % 2 == 0:  # even position counted from the right
            d = d * 2 - F.when(d > 4, F.lit(9)).otherwise(F.lit(0))
        terms.append(d)
    return sum(terms, F.lit(0)) % 10 == 0


def normalize_bank_cards(df: DataFrame, *, column: str = "bank_card_raw") -> DataFrame:
    """Clean bank card numbers (kept as strings: 19 digits overflow int64).

    Columns in:
        ``column`` (string, nullable): the raw card number as read.

    Columns out:
        ``bank_card`` (string): the cleaned digits (also for ``invalid``/``masked``); NULL when
        missing. ``bank_card_status``, ``bank_card_reason`` (string).
        ``bank_card_luhn`` (boolean): Luhn mod 10 passes; NULL unless the cleaned value is 12-19
        digits. A flag only: not every issued UnionPay card passes it (DOMAIN.md section 3).

    Cleaning: full-width to ASCII, remove whitespace and ``-``, strip a leading apostrophe.

    Rules: NULL / blank / placeholder -> ``missing``; contains ``*`` -> ``masked``;
    non-digits -> ``invalid`` ``bad_format``; one repeated digit (``0``,
    ``0000000000000000``) -> ``invalid`` ``placeholder``; fewer than 12 or more than 19
    digits -> ``invalid`` ``bad_length``; else ``valid`` when only trimming was needed,
    otherwise ``repaired`` ``cleaned``.

    Args:
        df: input records.
        column: name of the raw bank card column.

    Returns:
        ``df`` with the columns above added.

    Raises:
        ValueError: if ``column`` is absent or is one of the output column names.
    """
    field = "bank_card"
    _check_columns(df, column, (field, f"{field}_status", f"{field}_reason", "bank_card_luhn"))
    raw = F.col(column)
    trimmed_col, clean_col = _tmp(field, "trimmed"), _tmp(field, "clean")
    df = df.withColumn(trimmed_col, _fold(raw))
    df = df.withColumn(
        clean_col, _delete(_strip_apostrophes(F.col(trimmed_col)), WS_CHARS + "-")
    )
    clean = F.col(clean_col)
    df = df.withColumn(
        _tmp(field, "missing"), _missing_reason(raw, F.col(trimmed_col), clean, PLACEHOLDERS)
    )
    missing = F.col(_tmp(field, "missing"))
    well_formed = clean.rlike(r"^[0-9]{12,19}$")
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), _verdict(MASKED, "asterisk_mask"))
        .when(~clean.rlike(r"^[0-9]+$"), _verdict(INVALID, "bad_format"))
        .when(clean.rlike(r"^([0-9])\1*$"), _verdict(INVALID, "placeholder"))
        .when(~well_formed, _verdict(INVALID, "bad_length"))
        .otherwise(_valid_or_cleaned(_trim(raw) == clean))
    )
    df = df.withColumn(_tmp(field, "verdict"), verdict)
    return _finish(
        df,
        field,
        F.when(missing.isNull(), clean),
        {"bank_card_luhn": F.when(well_formed, luhn_ok(clean))},
    )


def normalize_emails(df: DataFrame, *, column: str = "email_raw") -> DataFrame:
    """Clean e-mail addresses.

    Columns in:
        ``column`` (string, nullable): the raw e-mail address as read.

    Columns out:
        ``email`` (string): full-width folded to ASCII (``＠`` -> ``@``, ``．`` -> ``.``),
        trimmed, the domain (after the last ``@``) lower-cased; the local part is kept as is
        (RFC 5321 section 2.4: only the domain is case-insensitive; ``zhang.san`` and
        ``zhangsan`` stay distinct). NULL when missing. ``email_status``, ``email_reason``.

    Rules: NULL / blank / placeholder -> ``missing``; contains ``*`` -> ``masked``; must match
    ``^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$`` else ``invalid`` ``bad_format``; ``valid`` when only
    trimming was needed, otherwise ``repaired`` ``cleaned``.

    Args:
        df: input records.
        column: name of the raw e-mail column.

    Returns:
        ``df`` with the columns above added.

    Raises:
        ValueError: if ``column`` is absent or is one of the output column names.
    """
    field = "email"
    _check_columns(df, column, (field, f"{field}_status", f"{field}_reason"))
    raw = F.col(column)
    trimmed_col, clean_col = _tmp(field, "trimmed"), _tmp(field, "clean")
    df = df.withColumn(trimmed_col, _fold(raw))
    trimmed = F.col(trimmed_col)
    split = r"(?s)^(.*)@([^@]*)$"
    df = df.withColumn(
        clean_col,
        F.when(
            trimmed.contains("@"),
            F.concat(
                F.regexp_extract(trimmed, split, 1), F.lit("@"), F.lower(F.regexp_extract(trimmed, split, 2))
            ),
        ).otherwise(trimmed),
    )
    clean = F.col(clean_col)
    df = df.withColumn(_tmp(field, "missing"), _missing_reason(raw, trimmed, clean, PLACEHOLDERS))
    missing = F.col(_tmp(field, "missing"))
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), _verdict(MASKED, "asterisk_mask"))
        .when(~clean.rlike(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), _verdict(INVALID, "bad_format"))
        .otherwise(_valid_or_cleaned(_trim(raw) == clean))
    )
    df = df.withColumn(_tmp(field, "verdict"), verdict)
    return _finish(df, field, F.when(missing.isNull(), clean))


# --------------------------------------------------------------------------------------------
# All fields
# --------------------------------------------------------------------------------------------


def normalize_records(
    df: DataFrame, *, reference_date: datetime.date, protected_chars: Sequence[str] = ("於",)
) -> DataFrame:
    """Apply every field normalizer to raw records (``jobs.engine.schemas.RAW_RECORD``).

    Columns in: ``name_raw``, ``id_number_raw``, ``phone_raw``, ``address_raw``,
    ``bank_card_raw``, ``email_raw`` (string, nullable); every other column passes through.

    Columns out, after the input columns, in canonical field order:
        ``name, name_key, name_status, name_reason``;
        ``id_number, id_number_status, id_number_reason, id_birth_date, id_sex, id_region_code``;
        ``phone, phone_status, phone_reason, phone_kind``;
        ``address, address_status, address_reason``;
        ``bank_card, bank_card_status, bank_card_reason, bank_card_luhn``;
        ``email, email_status, email_reason``;
        then ``id_region_status`` (:func:`id_region_statuses`), ``id_review``
        (:func:`id_review_flags`), and ``address_province, address_city, address_district,
        address_division_code, address_remainder, address_candidates, address_division_source``
        (:func:`resolve_address_divisions`, which may set ``address_status`` to ``ambiguous``).

    Args:
        df: raw records.
        reference_date: the seizure date (see :func:`normalize_id_numbers`).
        protected_chars: see :func:`normalize_names`.

    Returns:
        The normalized records (row order not preserved).

    Raises:
        ValueError: if a raw column is absent.
    """
    out = normalize_names(df, protected_chars=protected_chars)
    out = normalize_id_numbers(out, reference_date=reference_date)
    out = normalize_phones(out)
    out = normalize_addresses(out)
    out = normalize_bank_cards(out)
    out = normalize_emails(out)
    out = id_region_statuses(out)
    out = id_review_flags(out, reference_date=reference_date)
    return resolve_address_divisions(out)


# --------------------------------------------------------------------------------------------
# Address divisions (province / city / district), ID region soft check
# --------------------------------------------------------------------------------------------

AMBIGUOUS = "ambiguous"

#: Han characters that end a division name; the stem before them excludes them, so a lazy match
#: stops at the first one (``长春市朝阳区`` -> ``长春市`` + ``朝阳区``). The first character of a
#: district may be one of them (济南市 ``市中区``).
_HAN = r"\p{IsHan}"
_STEM = r"[\p{IsHan}&&[^省市区县]]"
CITY_PATTERN = rf"{_STEM}{{1,9}}?(?:市|自治州|地区|盟)"
DISTRICT_PATTERN = rf"{_HAN}{_STEM}{{0,9}}?(?:区|县|市|旗)"


def _address_pattern() -> str:
    from jobs.normalize.divisions import province_names

    provinces = "|".join(re.escape(n) for n in province_names())
    return rf"^({provinces})?({CITY_PATTERN})?({DISTRICT_PATTERN})?"


def _division_lookup(spark) -> DataFrame:
    """Broadcastable table ``name`` -> ``candidates`` array<struct<code, province, city, district, full_name>>."""
    from jobs.normalize.divisions import candidates_by_name

    rows = [
        (name, [(d.code, d.province, d.city, d.district, d.full_name) for d in cands])
        for name, cands in sorted(candidates_by_name().items())
    ]
    schema = (
        "name string, candidates array<struct<code: string, province: string, city: string, "
        "district: string, full_name: string>>"
    )
    return spark.createDataFrame(rows, schema)


def _area_code_map() -> Column:
    from jobs.normalize.divisions import area_code_places

    places = area_code_places()
    return F.create_map(*[F.lit(x) for k in sorted(places) for x in (k, places[k])])


def resolve_address_divisions(
    df: DataFrame,
    *,
    address_column: str = "address",
    id_region_column: str | None = "id_region_code",
    phone_column: str | None = "phone",
    phone_kind_column: str | None = "phone_kind",
) -> DataFrame:
    """Split cleaned addresses into province / city / district; flag shared district names.

    Runs after :func:`normalize_addresses` (and, for evidence, after :func:`normalize_id_numbers`
    and :func:`normalize_phones`).

    Columns in:
        ``address_column`` (string): the cleaned address; ``address_status`` /
        ``address_reason`` (string); optional evidence ``id_region_column`` (string, 6 digits,
        NULL unless the ID number is valid/repaired), ``phone_column`` (string, E.164) with
        ``phone_kind_column`` (``'fixed'`` for a landline).

    Columns out (added after the existing ones; ``address_status``/``address_reason`` are
    replaced in place for ambiguous addresses):
        ``address_province``, ``address_city``, ``address_district`` (string): names as in the
        division table (city = the municipality for 北京/天津/上海/重庆; NULL for a county
        directly under a province); ``address_division_code`` (string, GB/T 2260 6-digit code of
        the resolved district or city); ``address_remainder`` (string): the address after the
        division prefix (the whole address when no division was recognised);
        ``address_candidates`` (array<string>): full names of every place the division token can
        mean after the address's own province/city are applied, sorted, set only when there is
        more than one; ``address_division_source`` (string): ``'address'`` (the address alone
        names one place), ``'id_region_code'`` or ``'phone_area_code'`` (several places; evidence
        in the same record picked one), NULL otherwise.

    Parsing (Column expressions; the division table is a broadcast join, no per-row Python):
        ``^(province)?(city)?(district)?`` where province is one of the table's province names
        written in full, city is ``CITY_PATTERN`` (a stem + 市/自治州/地区/盟) and district
        ``DISTRICT_PATTERN`` (a stem + 区/县/市/旗). The district token (else the city token) is
        looked up by name in :func:`jobs.normalize.divisions.candidates_by_name` (python-stdnum
        2.2 GB/T 2260 table, current and retired names); candidates must agree with the province
        and, when a district was found, the city written in the address.

    Ambiguity (issue 4): when several places remain (``朝阳区`` alone: 北京市朝阳区 and
    吉林省长春市朝阳区), evidence in the same record is tried, first the ID number's region code
    (candidates whose code shares its first 4 digits, the prefecture), then a landline's area
    code (candidates whose province and city appear in the libphonenumber description of the
    area code). Evidence resolves only if it leaves exactly one candidate. Otherwise a
    ``valid``/``repaired`` address becomes ``ambiguous``, reason ``shared_district_name``, with
    the candidates listed; no place is picked, never by table order. ``masked``/``missing``
    statuses are not changed.

    Args:
        df: records with normalized addresses.
        address_column: the cleaned address column.
        id_region_column: ID region code column, or None to use no ID evidence.
        phone_column: E.164 phone column, or None to use no phone evidence.
        phone_kind_column: phone kind column (only ``'fixed'`` numbers carry an area code).

    Returns:
        ``df`` with the columns above (row order not preserved: a join is involved).

    Raises:
        ValueError: if ``address_column`` or an output column conflicts.
    """
    field = "address_div"
    outputs = (
        "address_province", "address_city", "address_district", "address_division_code",
        "address_remainder", "address_candidates", "address_division_source",
    )  # fmt: skip
    _check_columns(df, address_column, outputs)
    addr = F.col(address_column)
    pattern = _address_pattern()
    prov_c, city_c, dist_c, key_c = (_tmp(field, n) for n in ("prov", "city", "dist", "key"))
    df = df.withColumn(_tmp(field, "m"), F.regexp_extract(addr, pattern, 0))
    df = df.withColumns(
        {
            prov_c: F.nullif(F.regexp_extract(addr, pattern, 1), F.lit("")),
            city_c: F.nullif(F.regexp_extract(addr, pattern, 2), F.lit("")),
            dist_c: F.nullif(F.regexp_extract(addr, pattern, 3), F.lit("")),
        }
    )
    prov, city, dist = F.col(prov_c), F.col(city_c), F.col(dist_c)
    df = df.withColumn(key_c, F.coalesce(dist, city))
    lookup = _division_lookup(df.sparkSession).withColumnRenamed("candidates", _tmp(field, "all"))
    df = df.join(F.broadcast(lookup), F.col(key_c) == lookup["name"], "left").drop(lookup["name"])

    def agrees(c: Column) -> Column:
        ok = prov.isNull() | (c["province"] == prov)
        return ok & (dist.isNull() | city.isNull() | (c["city"] == city))

    df = df.withColumn(_tmp(field, "cands"), F.filter(F.col(_tmp(field, "all")), agrees))
    cands = F.col(_tmp(field, "cands"))
    evidence: list[tuple[str, Column]] = []
    if id_region_column and id_region_column in df.columns:
        region4 = F.substring(F.col(id_region_column), 1, 4)
        evidence.append(("id_region_code", F.filter(cands, lambda c: F.substring(c["code"], 1, 4) == region4)))
    if phone_column and phone_kind_column and {phone_column, phone_kind_column} <= set(df.columns):
        phone = F.col(phone_column)
        area = F.when(
            F.col(phone_kind_column) == "fixed",
            F.when(phone.rlike(r"^\+86(10|2[0-9])"), F.substring(phone, 4, 2)).otherwise(F.substring(phone, 4, 3)),
        )
        place = F.element_at(_area_code_map(), area)
        evidence.append(
            (
                "phone_area_code",
                F.filter(
                    cands,
                    lambda c: (F.instr(place, c["province"]) > 0)
                    & (c["city"].isNull() | (F.instr(place, F.coalesce(c["city"], F.lit(""))) > 0)),
                ),
            )
        )
    chosen = F.when(F.size(cands) == 1, F.struct(cands[0].alias("c"), F.lit("address").alias("source")))
    for source, narrowed in evidence:
        chosen = chosen.when(
            (F.size(cands) > 1) & (F.size(narrowed) == 1),
            F.struct(narrowed[0].alias("c"), F.lit(source).alias("source")),
        )
    df = df.withColumn(_tmp(field, "chosen"), chosen)
    chosen = F.col(_tmp(field, "chosen"))
    ambiguous = chosen.isNull() & (F.size(cands) > 1)
    status, reason = F.col("address_status"), F.col("address_reason")
    flag = ambiguous & status.isin(VALID, REPAIRED)
    matched_len = F.length(F.col(_tmp(field, "m")))
    c = chosen["c"]
    out = df.withColumns(
        {
            "address_status": F.when(flag, F.lit(AMBIGUOUS)).otherwise(status),
            "address_reason": F.when(flag, F.lit("shared_district_name")).otherwise(reason),
            "address_province": F.coalesce(c["province"], prov),
            "address_city": F.when(chosen.isNotNull(), c["city"]).otherwise(F.when(dist.isNotNull(), city)),
            "address_district": c["district"],
            "address_division_code": c["code"],
            "address_remainder": F.when(
                addr.isNotNull(),
                F.when(chosen.isNotNull() | ambiguous, F.substring(addr, matched_len + 1, 1 << 20)).otherwise(addr),
            ),
            "address_candidates": F.when(
                ambiguous, F.array_sort(F.transform(cands, lambda x: x["full_name"]))
            ),
            "address_division_source": chosen["source"],
        }
    )
    return out.drop(*[col for col in out.columns if col.startswith(f"{_TMP}{field}_")])


def id_region_statuses(df: DataFrame, *, code_column: str = "id_region_code") -> DataFrame:
    """Soft check of the ID number's region code against GB/T 2260, current and retired codes.

    Columns in: ``code_column`` (string, 6 digits or NULL).

    Columns out: ``id_region_status`` (string): ``'known'`` (in force in the table),
    ``'retired'`` (in the table, every name has an end year, e.g. 110103 崇文区 [-2010]),
    ``'unknown'`` (not in the table: police issued codes that no published table lists), NULL
    when the code is NULL. Never a reason for ``invalid``: the number is for life and the code is
    the one in force when it was issued (GB 11643-1999; DOMAIN.md section 3). Source: python-stdnum
    2.2 ``stdnum/cn/loc.dat``. Two ``isin`` sets (Spark ``InSet``: a hash lookup per row).

    Raises:
        ValueError: if ``code_column`` is absent or is ``id_region_status``.
    """
    from jobs.normalize.divisions import region_code_statuses

    _check_columns(df, code_column, ("id_region_status",))
    current, retired = region_code_statuses()
    code = F.col(code_column)
    return df.withColumn(
        "id_region_status",
        F.when(code.isNull(), F.lit(None).cast("string"))
        .when(code.isin(*sorted(current)), F.lit("known"))
        .when(code.isin(*sorted(retired)), F.lit("retired"))
        .otherwise(F.lit("unknown")),
    )


#: Age at the reference date above which a birth date is flagged for review (DOMAIN.md section 3:
#: "very old ages are flagged for review"; 110 is this project's reading, not a legal rule).
REVIEW_AGE_YEARS = 110


def id_review_flags(
    df: DataFrame, *, reference_date: datetime.date, birth_column: str = "id_birth_date"
) -> DataFrame:
    """Flag ID numbers whose holder would be older than :data:`REVIEW_AGE_YEARS`.

    Columns in: ``birth_column`` (date, NULL unless the ID number is valid/repaired).

    Columns out: ``id_review`` (string): ``'age_over_110'`` when the birth date is more than 110
    years before ``reference_date`` (``add_months(reference_date, -1320)``), else NULL. The ID
    status stays ``valid``/``repaired``: an old birth date is possible (GB 11643-1999's own
    example is born 1880), so it is a case for a person to look at, not an untrue value.

    Raises:
        ValueError: if ``birth_column`` is absent or is ``id_review``.
    """
    _check_columns(df, birth_column, ("id_review",))
    limit = F.add_months(F.lit(reference_date), -12 * REVIEW_AGE_YEARS)
    return df.withColumn(
        "id_review", F.when(F.col(birth_column) < limit, F.lit(f"age_over_{REVIEW_AGE_YEARS}"))
    )
