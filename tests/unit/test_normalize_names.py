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


# --------------------------------------------------------------------------- issue 12 defect 6
# The protected characters and the expected keys are worked by hand from OpenCC's dictionaries
# (STCharacters: 于 → 于 於 …; 升 → 升 昇; TSCharacters: 陞 → 升 陞; 逕 → 迳 径, 徑 → 径) and the
# notes of 《通用规范汉字表》(2013) 附件1; see jobs.normalize.names.NAME_KEPT_CHARS.

KEPT_BY_HAND = {"於": "于", "乾": "干", "昇": "升", "陞": "升", "氾": "泛", "麴": "曲", "逕": "径"}


def test_kept_chars_are_the_hand_reviewed_list_and_the_config():
    from jobs.common.config import load_config
    from jobs.normalize.names import NAME_KEPT_CHARS
    from jobs.synth.contract import T2S_PROTECTED

    assert set(NAME_KEPT_CHARS) == set(KEPT_BY_HAND)
    assert set(load_config().normalize.name_protected_chars) == set(KEPT_BY_HAND)
    assert T2S_PROTECTED == frozenset(KEPT_BY_HAND)  # the generator avoids exactly these


@pytest.fixture(scope="module")
def collisions():
    from jobs.normalize.names import opencc_t2s_collisions

    return opencc_t2s_collisions()


@pytest.mark.parametrize(("char", "key"), sorted(KEPT_BY_HAND.items()))
def test_each_kept_char_is_a_t2s_collision_and_stays(collisions, char, key):
    # Unprotected, OpenCC writes it onto a key another character also takes ...
    assert t2s_protected(char, ()) == key
    assert char in collisions[key] and len(collisions[key]) >= 2
    # ... protected, the name keeps it, alone and inside a name.
    assert t2s_protected(char, tuple(KEPT_BY_HAND)) == char
    assert t2s_protected(f"{char}國華", tuple(KEPT_BY_HAND)) == f"{char}国华"


@pytest.mark.parametrize(("key", "members"), [
    ("于", {"於", "于"}), ("升", {"升", "昇", "陞"}), ("径", {"徑", "逕"}), ("后", {"後", "后"}),
    ("范", {"範", "范"}), ("钟", {"鍾", "鐘"}), ("干", {"乾", "幹", "干"}),
])
def test_collision_groups_worked_by_hand(collisions, key, members):
    assert members <= set(collisions[key])


@pytest.mark.parametrize("char", list("甦甯仝堃喆邨犇龢迺耑淼"))
def test_name_chars_opencc_already_keeps(char):
    # 附件1 keeps these for names too; OpenCC t2s leaves each one alone (no protection needed).
    assert t2s_protected(char, ()) == char


def test_collision_list_size_for_the_pinned_opencc(collisions):
    # opencc==1.4.2 (pyproject.toml): 306 keys, 644 characters. A new OpenCC changes the list: review
    # NAME_KEPT_CHARS against it before moving the pin.
    assert (len(collisions), sum(len(v) for v in collisions.values())) == (306, 644)
