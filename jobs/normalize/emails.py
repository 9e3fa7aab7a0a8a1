"""E-mail addresses: full-width folding, the domain lower-cased (RFC 5321 section 2.4), shape check.

:func:`normalize_emails`.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.normalize import expressions as ex
from jobs.normalize.expressions import INVALID, MASKED, MISSING, PLACEHOLDERS

__all__ = ["normalize_emails"]


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
    ex.check_columns(df, column, (field, f"{field}_status", f"{field}_reason"))
    raw = F.col(column)
    trimmed_col, clean_col = ex.tmp(field, "trimmed"), ex.tmp(field, "clean")
    df = df.withColumn(trimmed_col, ex.fold(raw))
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
    df = df.withColumn(ex.tmp(field, "missing"), ex.missing_reason(raw, trimmed, clean, PLACEHOLDERS))
    missing = F.col(ex.tmp(field, "missing"))
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), ex.verdict(MASKED, "asterisk_mask"))
        .when(~clean.rlike(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), ex.verdict(INVALID, "bad_format"))
        .otherwise(ex.valid_or_cleaned(ex.trim(raw) == clean))
    )
    df = df.withColumn(ex.tmp(field, "verdict"), verdict)
    return ex.finish(df, field, F.when(missing.isNull(), clean))
