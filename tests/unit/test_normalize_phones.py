"""normalize_phones: expected E.164 values written by hand from the MIIT segment table (2023-03)."""

from __future__ import annotations

import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.normalize.phones import normalize_phones

pytestmark = pytest.mark.spark

OUT_SCHEMA = "row int, phone_raw string, phone string, phone_status string, phone_reason string, phone_kind string"


def _check(spark, cases):
    """``cases``: (raw, phone, status, reason, kind) tuples."""
    df = spark.createDataFrame([(i, c[0]) for i, c in enumerate(cases)], "row int, phone_raw string")
    expected = spark.createDataFrame([(i, *c) for i, c in enumerate(cases)], OUT_SCHEMA)
    assertDataFrameEqual(normalize_phones(df), expected)


def test_mobile_prefixes_and_formatting(spark):
    m139, m138 = "+8613912345678", "+8613812345678"
    _check(
        spark,
        [
            ("13912345678", m139, "valid", None, "mobile"),
            (" +8613912345678 ", m139, "valid", None, "mobile"),
            ("8613912345678", m139, "repaired", "cleaned", "mobile"),
            ("008613912345678", m139, "repaired", "cleaned", "mobile"),
            ("+86 139-1234-5678", m139, "repaired", "cleaned", "mobile"),
            ("(+86)139 1234 5678", m139, "repaired", "cleaned", "mobile"),
            ("（+86）139.1234.5678", m139, "repaired", "cleaned", "mobile"),
            ("１３９１２３４５６７８", m139, "repaired", "cleaned", "mobile"),
            ("17951 13812345678", m138, "repaired", "cleaned", "mobile"),
            ("1259313812345678", m138, "repaired", "cleaned", "mobile"),
            ("013812345678", m138, "repaired", "cleaned", "mobile"),
            ("17401234567", "+8617401234567", "valid", None, "mobile"),  # satellite 1740
            ("16191234567", "+8616191234567", "valid", None, "mobile"),  # satellite 1619
            ("19912345678", "+8619912345678", "valid", None, "mobile"),
        ],
    )


def test_fixed_lines(spark):
    _check(
        spark,
        [
            ("025-8666 1234", "+862586661234", "repaired", "cleaned", "fixed"),
            ("(010)62345678", "+861062345678", "repaired", "cleaned", "fixed"),
            ("+86 10 6234 5678", "+861062345678", "repaired", "cleaned", "fixed"),
            ("+862586661234", "+862586661234", "valid", None, "fixed"),
            ("0755-1234567", "+867551234567", "repaired", "cleaned", "fixed"),
            ("0571 8888 6666", "+8657188886666", "repaired", "cleaned", "fixed"),
        ],
    )


def test_invalid_missing_and_masked(spark):
    _check(
        spark,
        [
            ("86661234", None, "invalid", "no_area_code", None),  # never glue +86 onto local digits
            ("8666123", None, "invalid", "no_area_code", None),
            ("13800138000", "13800138000", "invalid", "placeholder", None),
            ("11111111111", "11111111111", "invalid", "placeholder", None),
            ("12345678901", "12345678901", "invalid", "placeholder", None),
            ("+86 138 0013 8000", "+8613800138000", "invalid", "placeholder", None),
            ("14012345678", "14012345678", "invalid", "unallocated_segment", None),  # 140 is 13-digit IoT
            ("17412345678", "17412345678", "invalid", "unallocated_segment", None),
            ("10012345678", "10012345678", "invalid", "unallocated_segment", None),
            ("400-812-3123", "4008123123", "invalid", "business_number", None),
            ("800 810 8888", "8008108888", "invalid", "business_number", None),
            ("95555", "95555", "invalid", "business_number", None),
            ("1391234567", "1391234567", "invalid", "bad_format", None),
            ("139123456789", "139123456789", "invalid", "bad_format", None),
            ("tel:13912345678", "tel:13912345678", "invalid", "bad_format", None),
            ("138****1234", "138****1234", "masked", "asterisk_mask", None),
            ("+86 138 **** 1234", "+86138****1234", "masked", "asterisk_mask", None),
            (None, None, "missing", "absent", None),
            ("\\N", None, "missing", "placeholder_token", None),
            ("  ", None, "missing", "blank", None),
            ("无", None, "missing", "placeholder_token", None),
        ],
    )
