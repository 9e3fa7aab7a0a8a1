"""normalize_dates, extra_date_columns and the identifier format checks.

Expected values are worked by hand from the rules:
- Excel 1900 date system: serial n >= 61 is 1899-12-30 + n days; 1985-06-15 - 1899-12-30 =
  31213 days, and .5 of a day is 12:00:00.
- GB 32100-2015 MOD 31-3 (weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28, values from
  ``0-9 A-H J-N P Q R T U W X Y``): 91350100M000100Y4 -> 9+3+27+135+0+26+0+0+420+0+0+0+8+0+0+900
  +112 = 1640, 1640 mod 31 = 28, 31 - 28 = 3 -> ``3``; 9144030071526726X -> 1782 mod 31 = 15 ->
  16 = ``G``; 91110108551385082 -> 999 mod 31 = 7 -> 24 = ``Q``.
- GA 36-2018 plates, Tencent QQ numbers, and the passport/permit layouts of DOMAIN.md section 3.
"""

from __future__ import annotations

import datetime

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.normalize import identifiers as ids
from jobs.normalize.dates import extra_date_columns, normalize_dates

pytestmark = pytest.mark.spark


def test_normalize_dates(spark):
    rep = ("repaired", "reformatted")
    cases = [
        ("19850615", "1985-06-15", *rep, "99999999"),
        ("1985-6-15", "1985-06-15", *rep, "9999-9-99"),
        ("1985-06-15", "1985-06-15", "valid", None, "9999-99-99"),
        ("1985/06/15 14:03", "1985-06-15T14:03:00", *rep, "9999/99/99 99:99"),
        ("1985.6.15", "1985-06-15", *rep, "9999.9.99"),
        ("1985年6月15日", "1985-06-15", *rep, "9999年9月99日"),
        ("１９８５－０６－１５", "1985-06-15", *rep, "9999-99-99"),
        ("31213", "1985-06-15", *rep, "excel_serial"),
        ("31213.5", "1985-06-15T12:00:00", *rep, "excel_serial"),
        ("20190412140302", "2019-04-12T14:03:02", *rep, "99999999999999"),
        ("2019-04-12T14:03:02", "2019-04-12T14:03:02", "valid", None, "9999-99-99T99:99:99"),
        ("19850230", None, "invalid", "invalid_date", "99999999"),
        ("1985-13-01", None, "invalid", "invalid_date", "9999-99-99"),
        ("1985/06/15 25:00", None, "invalid", "invalid_date", "9999/99/99 99:99"),
        ("19000101", None, "invalid", "placeholder", "99999999"),
        ("1970-01-01", None, "invalid", "placeholder", "9999-99-99"),
        ("2099-01-01", None, "invalid", "date_in_future", "9999-99-99"),
        ("1985", None, "invalid", "bad_format", "9999"),
        ("June 1985", None, "invalid", "bad_format", "aaaa 9999"),
        ("不详", None, "missing", "placeholder_token", None),
        (None, None, "missing", "absent", None),
    ]
    df = spark.createDataFrame([(i, c[0]) for i, c in enumerate(cases)], "row int, birthday_raw string")
    out = normalize_dates(df, column="birthday_raw", out="birthday", reference_date=datetime.date(2019, 4, 12))
    expected = spark.createDataFrame(
        [(i, *c) for i, c in enumerate(cases)],
        "row int, birthday_raw string, birthday string, birthday_status string, birthday_reason string, "
        "birthday_source_format string",
    )
    assertDataFrameEqual(out, expected)


def test_extra_date_columns(spark):
    rows = [
        (0, '{"Birthday": "19850615", "Taste": "x"}'),
        (1, '{"时间": "2019/04/01 08:00"}'),
        (2, '{"出生日期": "1985-6-15", "入住时间": "43556"}'),
        (3, "{}"),
        (4, "not json"),
    ]
    df = spark.createDataFrame(rows, "row int, extra string")
    expected = spark.createDataFrame(
        [
            (*rows[0], "19850615", None),
            (*rows[1], None, "2019/04/01 08:00"),
            (*rows[2], "1985-6-15", "43556"),
            (*rows[3], None, None),
            (*rows[4], None, None),
        ],
        "row int, extra string, birth_date_raw string, event_time_raw string",
    )
    assertDataFrameEqual(extra_date_columns(df), expected)


CHECKS = {
    "uscc": ids.is_uscc,
    "plate": ids.is_licence_plate,
    "qq": ids.is_qq_number,
    "passport": ids.is_passport,
    "hkmo_travel": ids.is_hk_macau_travel_permit,
    "home_return": ids.is_home_return_permit,
    "taiwan": ids.is_taiwan_compatriot_permit,
}
CASES = [
    ("uscc", "91350100M000100Y43", True),
    ("uscc", "9144030071526726XG", True),
    ("uscc", "91110108551385082Q", True),
    ("uscc", "9111 0108-5513 8508 2q", True),  # cleaned: spaces, dash, lower case
    ("uscc", "91350100M000100Y44", False),  # wrong check character
    ("uscc", "91350100M000100I43", False),  # I is not a code character
    ("uscc", "Z1350100M000100Y43", False),  # Z is not a registration authority
    ("uscc", "91350100M000100Y4", False),
    ("plate", "京A12345", True),
    ("plate", "沪A1234挂", True),
    ("plate", "粤B D12345", True),  # new energy, small vehicle
    ("plate", "粤B12345D", True),  # new energy, large vehicle
    ("plate", "京AI2345", False),  # I unused
    ("plate", "京A1234", False),
    ("plate", "XA12345", False),
    ("qq", "10000", True),
    ("qq", "12345678901", True),
    ("qq", "9999", False),
    ("qq", "012345", False),
    ("qq", "123456789012", False),
    ("passport", "E12345678", True),
    ("passport", "EA1234567", True),
    ("passport", "EI1234567", False),
    ("passport", "G1234567", False),
    ("hkmo_travel", "C12345678", True),
    ("hkmo_travel", "C1234567", False),
    ("home_return", "H12345678", True),
    ("home_return", "M12345678", True),
    ("home_return", "K12345678", False),
    ("taiwan", "12345678", True),
    ("taiwan", "1234567", False),
]


def test_identifier_format_checks(spark):
    df = spark.createDataFrame([(i, k, v) for i, (k, v, _) in enumerate(CASES)], "row int, kind string, value string")
    clean = ids.clean_identifier(F.col("value"))
    result = F.coalesce(*[F.when(F.col("kind") == k, fn(clean)) for k, fn in CHECKS.items()])
    expected = spark.createDataFrame([(i, k, v, ok) for i, (k, v, ok) in enumerate(CASES)],
                                     "row int, kind string, value string, ok boolean")
    assertDataFrameEqual(df.withColumn("ok", result), expected)


def test_null_is_never_well_formed(spark):
    df = spark.createDataFrame([(None,)], "value string")
    out = df.select(*[fn(F.col("value")).alias(k) for k, fn in CHECKS.items()])
    assertDataFrameEqual(out, spark.createDataFrame([tuple([False] * len(CHECKS))], out.schema))
