"""Bank card numbers: cleaning, shape rules and the Luhn flag (ISO/IEC 7812-1).

:func:`normalize_bank_cards` and :func:`luhn_ok`.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.normalize import expressions as ex
from jobs.normalize.expressions import INVALID, MASKED, MISSING, PLACEHOLDERS, WS_CHARS

__all__ = ["luhn_ok", "normalize_bank_cards"]


def luhn_ok(digits: Column) -> Column:
    """Luhn mod 10 check of a string of at most 19 ASCII digits (ISO/IEC 7812-1 Annex B).

    The number is left-padded with zeros to 19 digits (zeros add nothing and keep every digit's
    position counted from the right), so the sum is one fixed, unrolled expression: digits in
    even positions from the right are doubled, minus 9 when the double exceeds 9.
    """
    padded = F.lpad(digits, 19, "0")
    terms = []
    for position in range(1, 20):
        d = ex.digit(padded, position)
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
    ex.check_columns(df, column, (field, f"{field}_status", f"{field}_reason", "bank_card_luhn"))
    raw = F.col(column)
    trimmed_col, clean_col = ex.tmp(field, "trimmed"), ex.tmp(field, "clean")
    df = df.withColumn(trimmed_col, ex.fold(raw))
    df = df.withColumn(
        clean_col, ex.delete(ex.strip_apostrophes(F.col(trimmed_col)), WS_CHARS + "-")
    )
    clean = F.col(clean_col)
    df = df.withColumn(
        ex.tmp(field, "missing"), ex.missing_reason(raw, F.col(trimmed_col), clean, PLACEHOLDERS)
    )
    missing = F.col(ex.tmp(field, "missing"))
    well_formed = clean.rlike(r"^[0-9]{12,19}$")
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), ex.verdict(MASKED, "asterisk_mask"))
        .when(~clean.rlike(r"^[0-9]+$"), ex.verdict(INVALID, "bad_format"))
        .when(clean.rlike(r"^([0-9])\1*$"), ex.verdict(INVALID, "placeholder"))
        .when(~well_formed, ex.verdict(INVALID, "bad_length"))
        .otherwise(ex.valid_or_cleaned(ex.trim(raw) == clean))
    )
    df = df.withColumn(ex.tmp(field, "verdict"), verdict)
    return ex.finish(
        df,
        field,
        F.when(missing.isNull(), clean),
        {"bank_card_luhn": F.when(well_formed, luhn_ok(clean))},
    )
