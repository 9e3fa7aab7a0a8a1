"""normalize_names: the name keeps its script; name_key is OpenCC t2s with protected characters."""

from __future__ import annotations

import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.normalize.names import normalize_names, t2s_protected

DOT = "\u00b7"
OUT_SCHEMA = "row int, name_raw string, name string, name_key string, name_status string, name_reason string"


def _check(spark, cases, **kwargs):
    """``cases``: (raw, name, name_key, status, reason) tuples."""
    df = spark.createDataFrame([(i, c[0]) for i, c in enumerate(cases)], "row int, name_raw string")
    expected = spark.createDataFrame([(i, *c) for i, c in enumerate(cases)], OUT_SCHEMA)
    assertDataFrameEqual(normalize_names(df, **kwargs), expected)


@pytest.mark.spark
def test_traditional_names_share_the_simplified_key(spark):
    _check(
        spark,
        [
            ("余华", "余华", "余华", "valid", None),
            ("余華", "余華", "余华", "valid", None),  # traditional is not a repair
            ("党志強", "党志強", "党志强", "valid", None),
            (" 张三 ", "张三", "张三", "valid", None),
            ("張 三", "張三", "张三", "repaired", "cleaned"),
            ("ＺＨＡＮＧ　Ｗｅｉ", "ZHANG Wei", "ZHANG Wei", "repaired", "cleaned"),
            ("Zhang   Wei", "Zhang Wei", "Zhang Wei", "repaired", "cleaned"),
            ("於小明", "於小明", "於小明", "valid", None),  # 於 is a surname: protected
        ],
    )


@pytest.mark.spark
def test_name_dot_variants_give_one_key(spark):
    variants = ["\u00b7", "\u2022", "\u2027", "\u30fb", "\uff0e", ".", "\uff65"]
    cases = [(f"买买提{v}艾力", f"买买提{DOT}艾力", f"买买提{DOT}艾力", "repaired", "cleaned") for v in variants]
    cases[0] = (cases[0][0], *cases[0][1:3], "valid", None)
    cases += [
        (f"买买提 {DOT} 艾力", f"买买提{DOT}艾力", f"买买提{DOT}艾力", "repaired", "cleaned"),
        ("买买提艾力", "买买提艾力", "买买提艾力", "valid", None),  # no dot: a different key
    ]
    _check(spark, cases)


@pytest.mark.spark
def test_missing_masked_and_not_a_name(spark):
    _check(
        spark,
        [
            (None, None, None, "missing", "absent"),
            ("", None, None, "missing", "blank"),
            ("无", None, None, "missing", "placeholder_token"),
            ("test", None, None, "missing", "placeholder_token"),
            ("NULL", None, None, "missing", "placeholder_token"),
            ("\\N", None, None, "missing", "placeholder_token"),
            ("nan", None, None, "missing", "placeholder_token"),
            ("N/A", None, None, "missing", "placeholder_token"),
            ("-", None, None, "missing", "placeholder_token"),
            ("不详", None, None, "missing", "placeholder_token"),
            ("张*", "张*", "张*", "masked", "asterisk_mask"),
            ("張三1", "張三1", "张三1", "invalid", "not_a_name"),
            ("--", "--", "--", "invalid", "not_a_name"),
            ("（）", "()", "()", "invalid", "not_a_name"),
            ("zhangsan@qq.com", "zhangsan@qq" + DOT + "com", "zhangsan@qq" + DOT + "com", "invalid", "not_a_name"),
        ],
    )


@pytest.mark.spark
def test_protected_chars_are_configurable(spark):
    _check(spark, [("於華", "於華", "于华", "valid", None)], protected_chars=())


def test_t2s_protected_without_spark():
    assert t2s_protected("於華於", ("於",)) == "於华於"
    assert t2s_protected("於華", ()) == "于华"
    assert t2s_protected(None, ("於",)) is None
