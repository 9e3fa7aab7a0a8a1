"""normalize_id_numbers: expected values come from GB 11643-1999 (ISO 7064 MOD 11-2), worked by hand.

Check characters used below (S = sum(a_i * W_i) mod 11, W = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2):
- 11010519850615105 -> S = 2 -> X
- 11010519850615031 (15-digit 110105850615031 upgraded) -> S = 9 -> 3
- 11010519491231002 -> X and 44052418800101001 -> 4: the standard's own examples.
"""

from __future__ import annotations

import datetime

import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.normalize.id_numbers import normalize_id_numbers

pytestmark = pytest.mark.spark

SEIZED = datetime.date(2019, 4, 12)
OUT_SCHEMA = (
    "row int, id_number_raw string, id_number string, id_number_status string, "
    "id_number_reason string, id_birth_date date, id_sex string, id_region_code string"
)
D = datetime.date


def _run(spark, raws, reference_date=SEIZED):
    df = spark.createDataFrame(list(enumerate(raws)), "row int, id_number_raw string")
    return normalize_id_numbers(df, reference_date=reference_date)


def test_valid_and_repaired(spark):
    raws = [
        "11010519850615105x",
        " 11010519491231002X ",
        "440524188001010014",
        "110105850615031",
        "１１０１０５１９８５０６１５１０５Ｘ",
        "110105 19850615 105X",
        "110105-19850615-105X",
        "110105\u300019850615105X",
        "'11010519850615105X",
    ]
    male_1985 = ("11010519850615105X", D(1985, 6, 15), "M", "110105")
    expected = [
        (0, raws[0], male_1985[0], "valid", None, *male_1985[1:]),
        (1, raws[1], "11010519491231002X", "valid", None, D(1949, 12, 31), "F", "110105"),
        (2, raws[2], "440524188001010014", "valid", None, D(1880, 1, 1), "M", "440524"),
        (3, raws[3], "110105198506150313", "repaired", "upgraded_15_to_18", D(1985, 6, 15), "M", "110105"),
        (4, raws[4], male_1985[0], "repaired", "cleaned", *male_1985[1:]),
        (5, raws[5], male_1985[0], "repaired", "cleaned", *male_1985[1:]),
        (6, raws[6], male_1985[0], "repaired", "cleaned", *male_1985[1:]),
        (7, raws[7], male_1985[0], "repaired", "cleaned", *male_1985[1:]),
        (8, raws[8], male_1985[0], "repaired", "cleaned", *male_1985[1:]),
    ]
    assertDataFrameEqual(_run(spark, raws), spark.createDataFrame(expected, OUT_SCHEMA))


def test_invalid_values_keep_the_cleaned_input(spark):
    raws = [
        "110105198506150314",  # check character should be 3: never corrected
        "110105194902290125",  # 1949 is not a leap year
        "110105198513150311",  # month 13
        "1101051985A6150313",
        "11010519850615105",  # 17 characters
        "1101051985061510533",  # 19 characters
        "1.10105E+17",  # Excel scientific notation: 15 significant digits, unrecoverable
        "111111111111111111",
        "123456789012345678",
        "110105 19850615 0314",  # cleaned, but still a bad check character
    ]
    expected = [
        (0, raws[0], "110105198506150314", "invalid", "bad_check_digit"),
        (1, raws[1], "110105194902290125", "invalid", "invalid_birth_date"),
        (2, raws[2], "110105198513150311", "invalid", "invalid_birth_date"),
        (3, raws[3], "1101051985A6150313", "invalid", "bad_format"),
        (4, raws[4], "11010519850615105", "invalid", "bad_format"),
        (5, raws[5], "1101051985061510533", "invalid", "bad_format"),
        (6, raws[6], "1.10105E+17", "invalid", "excel_precision_lost"),
        (7, raws[7], "111111111111111111", "invalid", "placeholder"),
        (8, raws[8], "123456789012345678", "invalid", "placeholder"),
        (9, raws[9], "110105198506150314", "invalid", "bad_check_digit"),
    ]
    expected = [(*r, None, None, None) for r in expected]
    assertDataFrameEqual(_run(spark, raws), spark.createDataFrame(expected, OUT_SCHEMA))


def test_birth_date_after_the_reference_date_is_invalid(spark):
    # 11010519850615105X is valid, but not for a seizure made before the holder was born.
    raws = ["11010519850615105X", "110105850615031"]
    expected = [
        (0, raws[0], "11010519850615105X", "invalid", "birth_date_in_future", None, None, None),
        (1, raws[1], "110105850615031", "invalid", "birth_date_in_future", None, None, None),
    ]
    actual = _run(spark, raws, reference_date=D(1985, 6, 14))
    assertDataFrameEqual(actual, spark.createDataFrame(expected, OUT_SCHEMA))


def test_missing_and_masked(spark):
    raws = [None, "", "   ", "-", "NULL", "null", "\\N", "无", "不详", "nan", "NaN", "N/A", "none", "None",
            "ＮＵＬＬ", "110105********002X", "110105 1985**** 105x"]
    reasons = ["absent", "blank", "blank"] + ["placeholder_token"] * 12
    expected = [(i, raws[i], None, "missing", reason, None, None, None) for i, reason in enumerate(reasons)]
    expected += [
        (15, raws[15], "110105********002X", "masked", "asterisk_mask", None, None, None),
        (16, raws[16], "1101051985****105X", "masked", "asterisk_mask", None, None, None),
    ]
    assertDataFrameEqual(_run(spark, raws), spark.createDataFrame(expected, OUT_SCHEMA))


def test_other_columns_pass_through_and_bad_column_names_raise(spark):
    df = spark.createDataFrame([("keep me", "11010519491231002X")], "extra string, id_number_raw string")
    out = normalize_id_numbers(df, reference_date=SEIZED)
    assert out.columns[:2] == ["extra", "id_number_raw"]
    assert out.select("extra", "id_number_raw").collect() == [("keep me", "11010519491231002X")]
    with pytest.raises(ValueError):
        normalize_id_numbers(df, column="nope", reference_date=SEIZED)
    with pytest.raises(ValueError):
        normalize_id_numbers(df.withColumnRenamed("id_number_raw", "id_number"), column="id_number",
                             reference_date=SEIZED)
