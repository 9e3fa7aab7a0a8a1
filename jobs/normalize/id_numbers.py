"""Resident ID numbers: validation, the 15 -> 18 upgrade, region soft check, review flag.

:func:`normalize_id_numbers` (GB 11643-1999, GB 11643-1989; check character ISO 7064 MOD 11-2 by
:func:`id_check_char`), then, on its output, :func:`id_region_statuses` (region code against
GB/T 2260, :mod:`jobs.normalize.divisions`) and :func:`id_review_flags` (holders older than
:data:`REVIEW_AGE_YEARS`).
"""

from __future__ import annotations

import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.normalize import expressions as ex
from jobs.normalize.expressions import INVALID, MASKED, MISSING, PLACEHOLDERS, REPAIRED, VALID, WS_CHARS

__all__ = [
    "ID_CHECK_CHARS",
    "ID_CHECK_WEIGHTS",
    "REVIEW_AGE_YEARS",
    "id_check_char",
    "id_region_statuses",
    "id_review_flags",
    "normalize_id_numbers",
]

#: GB 11643-1999 section 7: ISO 7064 MOD 11-2 weights for the 17 body digits, and the check
#: character for S = 0..10 at string position S + 1.
ID_CHECK_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def id_check_char(body17: Column) -> Column:
    """ISO 7064 MOD 11-2 check character of a 17-digit body (GB 11643-1999 section 7).

    ``S = sum(a_i * W_i) mod 11`` with the weights :data:`ID_CHECK_WEIGHTS`; the character is
    ``"10X98765432"[S]``. The sum is unrolled into one arithmetic expression (17 terms), which is
    cheaper than a higher-order ``aggregate`` over a sequence. Undefined for non-digit input.
    """
    total = sum((ex.digit(body17, i + 1) * w for i, w in enumerate(ID_CHECK_WEIGHTS)), F.lit(0))
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
        ``id_region_code`` (string, first 6 digits; not checked against GB/T 2260 here, see
        :func:`id_region_statuses`): set only for ``valid`` and ``repaired`` numbers, NULL otherwise.

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
    ex.check_columns(df, column, outputs)
    raw = F.col(column)
    trimmed_col, clean_col = ex.tmp(field, "trimmed"), ex.tmp(field, "clean")

    df = df.withColumn(trimmed_col, ex.fold(raw))
    trimmed = F.col(trimmed_col)
    df = df.withColumn(
        clean_col, F.upper(ex.delete(ex.strip_apostrophes(trimmed), WS_CHARS + "-"))
    )
    clean = F.col(clean_col)
    shape_col = ex.tmp(field, "shape")
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
            ex.tmp(field, "body"): body,
            ex.tmp(field, "birth"): F.try_to_date(birth_text, "yyyyMMdd"),
            ex.tmp(field, "missing"): ex.missing_reason(raw, trimmed, clean, PLACEHOLDERS),
        }
    )
    body, birth = F.col(ex.tmp(field, "body")), F.col(ex.tmp(field, "birth"))
    missing = F.col(ex.tmp(field, "missing"))
    df = df.withColumn(ex.tmp(field, "check"), F.when(body.isNotNull(), id_check_char(body)))
    check = F.col(ex.tmp(field, "check"))
    ref = F.lit(reference_date)
    date_verdict = (
        F.when(birth.isNull(), ex.verdict(INVALID, "invalid_birth_date"))
        .when(birth > ref, ex.verdict(INVALID, "birth_date_in_future"))
    )
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), ex.verdict(MASKED, "asterisk_mask"))
        .when(
            clean.rlike(r"^[0-9](\.[0-9]+)?E\+?[0-9]+$|^[0-9]{15,18}\.0*$"),
            ex.verdict(INVALID, "excel_precision_lost"),
        )
        .when(
            clean.rlike(r"^([0-9])\1{14}(\1{3})?$") | (clean == "123456789012345678"),
            ex.verdict(INVALID, "placeholder"),
        )
        .when(is15, F.coalesce(date_verdict, ex.verdict(REPAIRED, "upgraded_15_to_18")))
        .when(
            is18,
            F.coalesce(
                date_verdict,
                F.when(
                    (check != F.substring(clean, 18, 1)) & clean.endswith("000"),
                    ex.verdict(INVALID, "excel_precision_lost"),
                ),
                F.when(check != F.substring(clean, 18, 1), ex.verdict(INVALID, "bad_check_digit")),
                ex.valid_or_cleaned(F.upper(ex.trim(raw)) == clean),
            ),
        )
        .otherwise(ex.verdict(INVALID, "bad_format"))
    )
    df = df.withColumn(ex.tmp(field, "verdict"), verdict)
    status = F.col(ex.tmp(field, "verdict"))["status"]
    ok = status.isin(VALID, REPAIRED)
    value = (
        F.when(status == MISSING, F.lit(None).cast(T.StringType()))
        .when(ok & is15, F.concat(body, check))
        .otherwise(clean)
    )
    df = df.withColumn(ex.tmp(field, "value"), value)
    value = F.col(ex.tmp(field, "value"))
    return ex.finish(
        df,
        field,
        value,
        {
            "id_birth_date": F.when(ok, birth),
            "id_sex": F.when(ok, F.when(ex.digit(value, 17) % 2 == 1, F.lit("M")).otherwise(F.lit("F"))),
            "id_region_code": F.when(ok, F.substring(value, 1, 6)),
        },
    )


# --------------------------------------------------------------------------------------------
# Region code soft check and review flag (run on normalize_id_numbers' output)
# --------------------------------------------------------------------------------------------


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

    ex.check_columns(df, code_column, ("id_region_status",))
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
    ex.check_columns(df, birth_column, ("id_review",))
    limit = F.add_months(F.lit(reference_date), -12 * REVIEW_AGE_YEARS)
    return df.withColumn(
        "id_review", F.when(F.col(birth_column) < limit, F.lit(f"age_over_{REVIEW_AGE_YEARS}"))
    )
