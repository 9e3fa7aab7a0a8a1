"""Personal names: the name as written (cleaned) and a matching key (OpenCC ``t2s``).

:func:`normalize_names`; the name vocabulary (name placeholders, the name dot and its
look-alikes); :func:`t2s_protected`, the one piece of per-value Python in normalize, run as a
vectorized ``pandas_udf`` on the distinct names only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import pandas as pd  # resolved at run time by pandas_udf's type hints
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from jobs.normalize import expressions as ex
from jobs.normalize.expressions import (
    FULLWIDTH_TO_ASCII,
    INVALID,
    MASKED,
    MISSING,
    PLACEHOLDERS,
    WS,
    WS_CHARS,
)

__all__ = [
    "NAME_DOT",
    "NAME_DOT_VARIANTS",
    "NAME_PLACEHOLDERS",
    "NAME_TRANSLATION",
    "normalize_names",
    "t2s_protected",
]

#: Extra tokens that mean "no name" in a name column only (a test row left in a dump).
NAME_PLACEHOLDERS: tuple[str, ...] = (*PLACEHOLDERS, "test")

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
    return ex.trim(ex.translate(raw, NAME_TRANSLATION))


def _name_spacing(trimmed: Column) -> Column:
    """Drop whitespace between Han characters and around the name dot; collapse other runs.

    The three regexes only run on names that contain whitespace at all (a cheap ``translate``
    test), which most names do not.
    """
    no_han_gaps = F.regexp_replace(trimmed, rf"(?<=\p{{IsHan}}){WS}+(?=\p{{IsHan}})", "")
    tight_dots = F.regexp_replace(no_han_gaps, rf"{WS}*{NAME_DOT}{WS}*", NAME_DOT)
    has_whitespace = F.length(ex.delete(trimmed, WS_CHARS)) != F.length(trimmed)
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
    ex.check_columns(df, column, outputs)
    raw = F.col(column)
    trimmed_col, clean_col = ex.tmp(field, "trimmed"), ex.tmp(field, "clean")

    df = df.withColumn(trimmed_col, _name_trimmed(raw))
    trimmed = F.col(trimmed_col)
    df = df.withColumn(clean_col, _name_spacing(trimmed))
    clean = F.col(clean_col)
    df = df.withColumn(ex.tmp(field, "missing"), ex.missing_reason(raw, trimmed, clean, NAME_PLACEHOLDERS))
    missing = F.col(ex.tmp(field, "missing"))
    verdict = (
        F.when(missing.isNotNull(), F.struct(F.lit(MISSING).alias("status"), missing.alias("reason")))
        .when(clean.contains("*"), ex.verdict(MASKED, "asterisk_mask"))
        .when(clean.rlike(r"[0-9@]") | ~clean.rlike(r"\p{L}"), ex.verdict(INVALID, "not_a_name"))
        .otherwise(ex.valid_or_cleaned(ex.trim(raw) == clean))
    )
    df = df.withColumn(ex.tmp(field, "verdict"), verdict)
    value = F.when(F.col(ex.tmp(field, "verdict"))["status"] != MISSING, clean)
    df = ex.finish(df, field, value)

    # name_key: OpenCC on the distinct raw names (each cleaned by the same expressions as above),
    # joined back on the raw column; see the docstring for why.
    key_in, key_out = ex.tmp(field, "key_in"), ex.tmp(field, "key_out")
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
