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
    "NAME_KEPT_CHARS",
    "NAME_DOT",
    "NAME_DOT_VARIANTS",
    "NAME_PLACEHOLDERS",
    "NAME_TRANSLATION",
    "normalize_names",
    "opencc_t2s_collisions",
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


#: Characters the name key keeps as written (issue 12 defect 6). Each is in the OpenCC ``t2s``
#: collision list (:func:`opencc_t2s_collisions`: t2s writes it onto a key another character also
#: takes), and the Table of General Standard Chinese Characters (《通用规范汉字表》, State Council
#: 2013, 附件1 notes) keeps it as a standard character for names, so a mainland register writes it
#: too and it is a different name from the character t2s would give:
#:
#: ==== =========== ==========================================================================
#: char t2s gives   附件1 note (the collision)
#: ==== =========== ==========================================================================
#: 於   于          特殊姓名用“於” (於 and 于 are two surnames; STCharacters 于 → 於 于)
#: 乾   干          读 qián 时不简化作“干”，如“乾坤”“乾隆” (a surname; 干 → 乾 幹 干)
#: 昇   升          可用于姓氏人名，如“毕昇” (升 → 升 昇)
#: 陞   升          可用于姓氏人名、地名 (TSCharacters 陞 → 升 陞)
#: 氾   泛          可用于姓氏人名 (泛 → 泛 氾 汎)
#: 麴   曲          可用于姓氏人名 (曲 → 曲 麴)
#: 逕   径          可用于姓氏人名、地名 (逕 and 徑 both give 径)
#: ==== =========== ==========================================================================
#:
#: Not protected, on purpose: the other members of the list are merged by every mainland register
#: too (範/范, 後/后, 葉/叶, 鬱/郁, 餘/余 … : the simplified form is the only one a mainland ID card
#: carries), so keeping them apart would lose cross-script duplicates. 鍾 (surname, 附件1: 类推简化作
#: “锺”) and 鉅 (“钜”) have a simplified form of their own that t2s does not give; protecting them
#: would not make the key right, and mainland data mostly writes 钟/巨: left merged, a known limit.
#: Characters the standard keeps for names that t2s already leaves alone (甦 甯 仝 堃 喆 邨 犇 龢 迺
#: 耑 淼) need no protection; the tests check that they stay.
NAME_KEPT_CHARS: tuple[str, ...] = ("於", "乾", "昇", "陞", "氾", "麴", "逕")


def _opencc_dictionary(name: str) -> dict[str, list[str]]:
    """One of the installed OpenCC package's character dictionaries (``TSCharacters``,
    ``STCharacters``) as ``{character: [candidates]}``, dumped to text with the ``opencc_dict``
    tool the package ships (the ``.ocd2`` files are marisa tries)."""
    import os
    import subprocess
    import tempfile

    import opencc

    base = os.path.join(os.path.dirname(opencc.__file__), "clib")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, f"{name}.txt")
        subprocess.run([os.path.join(base, "bin", "opencc_dict"), "-i", os.path.join(base, "share", "opencc", f"{name}.ocd2"),
                        "-o", out, "-f", "ocd2", "-t", "text"], check=True, capture_output=True)
        with open(out, encoding="utf-8") as fh:
            rows = [line.rstrip("\n").split("\t") for line in fh if line.strip()]
    return {key: values.split(" ") for key, values in rows}


def opencc_t2s_collisions() -> dict[str, list[str]]:
    """The one-to-many mappings of OpenCC ``t2s`` that can turn one name into another, derived
    from the installed package's own dictionaries.

    Method: every character of traditional text OpenCC knows (the keys of ``TSCharacters`` and
    every traditional candidate in ``STCharacters``) is converted by ``t2s`` itself (the real
    conversion chain, phrases first); characters are grouped by the key they get; a group of two
    or more is a collision: ``t2s`` writes different characters onto one key (于 ← 於 于; 升 ← 升 昇
    陞; 径 ← 徑 逕). A one-character input gives its character reading (no phrase applies).

    Returns:
        ``{key: [characters, sorted]}`` for every key taken by two or more characters, sorted.
    """
    ts = _opencc_dictionary("TSCharacters")
    st = _opencc_dictionary("STCharacters")
    traditional = set(ts) | {c for values in st.values() for c in values}
    converter = _opencc_t2s()
    groups: dict[str, set[str]] = {}
    for char in traditional:
        if len(char) == 1:
            groups.setdefault(converter.convert(char), set()).add(char)
    return {key: sorted(chars) for key, chars in sorted(groups.items()) if len(chars) > 1}


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
    df: DataFrame, *, column: str = "name_raw", protected_chars: Sequence[str] = NAME_KEPT_CHARS
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
        (characters legitimate in names in both scripts: :data:`NAME_KEPT_CHARS`, derived from
        OpenCC's dictionaries by :func:`opencc_t2s_collisions`), for matching only
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
