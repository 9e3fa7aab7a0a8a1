"""Address divisions, ID region soft check and review flag, Excel-mangled IDs.

Expected places come from GB/T 2260 as published (110105 北京市朝阳区, 220104 吉林省长春市朝阳区,
330205 浙江省宁波市江北区, 500105 重庆市江北区, 110103 崇文区 abolished 2010) and from the
national area codes (010 Beijing, 0431 Changchun); not from the code under test.
"""

from __future__ import annotations

import datetime

import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.normalize.addresses import resolve_address_divisions
from jobs.normalize.id_numbers import id_region_statuses, id_review_flags, normalize_id_numbers

pytestmark = pytest.mark.spark

IN_SCHEMA = (
    "row int, address string, address_status string, address_reason string, "
    "id_region_code string, phone string, phone_kind string"
)
OUT_SCHEMA = (
    "row int, address string, address_status string, address_reason string, "
    "id_region_code string, phone string, phone_kind string, "
    "address_province string, address_city string, address_district string, address_division_code string, "
    "address_remainder string, address_candidates array<string>, address_division_source string"
)
CHAOYANG = ["北京市朝阳区", "吉林省长春市朝阳区"]
BJ = ("北京市", "北京市", "朝阳区", "110105")
JL = ("吉林省", "长春市", "朝阳区", "220104")


def test_address_divisions_and_ambiguity(spark):
    rows = [
        # (address, status, reason, id_region_code, phone, phone_kind)
        ("朝阳区建国路88号", "valid", None, None, None, None),
        ("北京市朝阳区建国路88号", "valid", None, None, None, None),
        ("吉林省长春市朝阳区人民大街1号", "repaired", "cleaned", None, None, None),
        ("长春市朝阳区人民大街1号", "valid", None, None, None, None),
        ("朝阳区建国路88号", "valid", None, "220104", None, None),
        ("朝阳区建国路88号", "valid", None, None, "+8643112345678", "fixed"),
        ("朝阳区建国路88号", "valid", None, None, "+861012345678", "fixed"),
        ("朝阳区建国路88号", "valid", None, "330205", "+8613912345678", "mobile"),
        ("江北区建新北路1号", "valid", None, None, None, None),
        ("建国路88号", "valid", None, None, None, None),
        ("朝阳区****", "masked", "asterisk_mask", None, None, None),
        (None, "missing", "absent", None, None, None),
    ]
    df = spark.createDataFrame([(i, *r) for i, r in enumerate(rows)], IN_SCHEMA)
    amb = ("ambiguous", "shared_district_name")
    expected = [
        (0, "朝阳区建国路88号", *amb, None, None, None, None, None, None, None, "建国路88号", CHAOYANG, None),
        (1, "北京市朝阳区建国路88号", "valid", None, None, None, None, *BJ, "建国路88号", None, "address"),
        (2, "吉林省长春市朝阳区人民大街1号", "repaired", "cleaned", None, None, None, *JL, "人民大街1号", None,
         "address"),
        (3, "长春市朝阳区人民大街1号", "valid", None, None, None, None, *JL, "人民大街1号", None, "address"),
        (4, "朝阳区建国路88号", "valid", None, "220104", None, None, *JL, "建国路88号", None, "id_region_code"),
        (5, "朝阳区建国路88号", "valid", None, None, "+8643112345678", "fixed", *JL, "建国路88号", None,
         "phone_area_code"),
        (6, "朝阳区建国路88号", "valid", None, None, "+861012345678", "fixed", *BJ, "建国路88号", None,
         "phone_area_code"),
        # ID from Ningbo and a mobile (no area code): no evidence for either 朝阳区 -> still ambiguous
        (7, "朝阳区建国路88号", *amb, "330205", "+8613912345678", "mobile", None, None, None, None, "建国路88号",
         CHAOYANG, None),
        (8, "江北区建新北路1号", *amb, None, None, None, None, None, None, None, "建新北路1号",
         ["浙江省宁波市江北区", "重庆市江北区"], None),
        (9, "建国路88号", "valid", None, None, None, None, None, None, None, None, "建国路88号", None, None),
        (10, "朝阳区****", "masked", "asterisk_mask", None, None, None, None, None, None, None, "****", CHAOYANG,
         None),
        (11, None, "missing", "absent", None, None, None, None, None, None, None, None, None, None),
    ]  # fmt: skip
    assertDataFrameEqual(resolve_address_divisions(df), spark.createDataFrame(expected, OUT_SCHEMA))


def test_id_region_status_and_review(spark):
    ref = datetime.date(2019, 4, 12)
    rows = [
        ("110105", datetime.date(1985, 6, 15)),
        ("110103", datetime.date(1880, 1, 1)),  # 崇文区, merged into 东城区 in 2010
        ("999999", datetime.date(1909, 4, 12)),  # exactly 110 years: not over
        ("110105", datetime.date(1909, 4, 11)),
        (None, None),
    ]
    df = spark.createDataFrame([(i, *r) for i, r in enumerate(rows)], "row int, id_region_code string, id_birth_date date")
    out = id_review_flags(id_region_statuses(df), reference_date=ref)
    expected = spark.createDataFrame(
        [
            (0, "110105", datetime.date(1985, 6, 15), "known", None),
            (1, "110103", datetime.date(1880, 1, 1), "retired", "age_over_110"),
            (2, "999999", datetime.date(1909, 4, 12), "unknown", None),
            (3, "110105", datetime.date(1909, 4, 11), "known", "age_over_110"),
            (4, None, None, None, None),
        ],
        "row int, id_region_code string, id_birth_date date, id_region_status string, id_review string",
    )
    assertDataFrameEqual(out, expected)


def test_excel_mangled_id_numbers(spark):
    # 11010519850615100: S = 7+9+0+5+0+20+2+9+48+15+0+54+10+25+8+0+0 = 212, 212 mod 11 = 3 -> '9'.
    # So ...151009 is a true number, ...151000 (Excel zeroed the last digits) is not, and
    # ...151008 is an ordinary wrong check digit.
    raws = ["110105198506151000", "110105198506151000.0", "1.10105198506151E+17", "110105198506151008",
            "110105198506151009"]  # fmt: skip
    df = spark.createDataFrame(list(enumerate(raws)), "row int, id_number_raw string")
    out = normalize_id_numbers(df, reference_date=datetime.date(2019, 4, 12)).select(
        "row", "id_number_status", "id_number_reason"
    )
    expected = spark.createDataFrame(
        [
            (0, "invalid", "excel_precision_lost"),
            (1, "invalid", "excel_precision_lost"),
            (2, "invalid", "excel_precision_lost"),
            (3, "invalid", "bad_check_digit"),
            (4, "valid", None),
        ],
        "row int, id_number_status string, id_number_reason string",
    )
    assertDataFrameEqual(out, expected)


def test_normalize_records_resolves_with_evidence_from_the_same_record(spark):
    """End to end: the ID number and the landline of the same record pick the 朝阳区.

    22010419850615105: S = 14+18+0+5+0+16+2+9+48+15+0+54+10+25+8+0+10 = 234, 234 mod 11 = 3 -> ``9``,
    so 220104198506151059 is a valid number issued in 长春市朝阳区 (220104). 010 is Beijing.
    """
    from jobs.common import fields
    from jobs.normalize.transforms import normalize_records

    raw_cols = [f"{f}_raw" for f in fields.CANONICAL_FIELDS]
    rows = [
        ("r1", None, "220104198506151059", None, "朝阳区建国路88号", None, None),
        ("r2", None, None, "010-12345678", "朝阳区建国路88号", None, None),
        ("r3", None, None, None, "朝阳区建国路88号", None, None),
    ]
    rows = [(*r, *[None] * (len(raw_cols) + 1 - len(r))) for r in rows]  # fields added after the first six: NULL
    df = spark.createDataFrame(rows, "record_id string, " + ", ".join(f"{c} string" for c in raw_cols))
    out = normalize_records(df, reference_date=datetime.date(2019, 4, 12)).select(
        "record_id", "id_region_status", "address_status", "address_division_code", "address_candidates",
        "address_division_source",
    )  # fmt: skip
    expected = spark.createDataFrame(
        [
            ("r1", "known", "valid", "220104", None, "id_region_code"),
            ("r2", None, "valid", "110105", None, "phone_area_code"),
            ("r3", None, "ambiguous", None, CHAOYANG, None),
        ],
        out.schema,
    )
    assertDataFrameEqual(out, expected)
