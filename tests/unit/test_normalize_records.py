"""normalize_records: every field at once, column contract, and no exception on garbage (ANSI on)."""

from __future__ import annotations

import datetime

import pytest
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from jobs.common import fields
from jobs.normalize.transforms import normalize_records

pytestmark = pytest.mark.spark

SEIZED = datetime.date(2019, 4, 12)
RAW_COLUMNS = [f"{f}_raw" for f in fields.CANONICAL_FIELDS]
ADDED_COLUMNS = [
    "name", "name_status", "name_reason", "name_key",
    "id_number", "id_number_status", "id_number_reason", "id_birth_date", "id_sex", "id_region_code",
    "id_region_status", "id_review",
    "phone", "phone_status", "phone_reason", "phone_kind",
    "address", "address_status", "address_reason",
    "address_province", "address_city", "address_district", "address_division_code", "address_remainder",
    "address_candidates", "address_division_source",
    "bank_card", "bank_card_status", "bank_card_reason", "bank_card_luhn",
    "email", "email_status", "email_reason",
    "document_type", "document_type_status", "document_type_reason", "document_type_source",
    "document_number", "document_number_status", "document_number_reason", "document_number_source",
    "birth_date", "birth_date_status", "birth_date_reason", "birth_date_source_format", "birth_date_review",
    "birth_date_key",
    "sender_name", "sender_name_status", "sender_name_reason", "sender_name_key",
    "sender_phone", "sender_phone_status", "sender_phone_reason", "sender_phone_kind",
    "sender_address", "sender_address_status", "sender_address_reason",
    "uscc", "uscc_status", "uscc_reason", "uscc_personal",
    "licence_plate", "licence_plate_status", "licence_plate_reason",
    "qq", "qq_status", "qq_reason",
]  # fmt: skip
N_NEW_RAW = len(RAW_COLUMNS) - 6  # raw fields after the first six (NULL in the pass-through test)

GARBAGE = [
    None, "", " ", "\t", "\\N", "*", "**********", "9" * 40, "-" * 30, "+86", "0086", "86", "@", "@@.",
    "１", "Ｘ", "x", "1e400", "1.10105E+17", "NaN", "-1", "0", "00000000", "29990101", "😀", "𠀀",
    "110105 2099 0101 0011", "11010519850615105Ｘ\u200b", "a\nb", "'", "'13912345678", "(", ")(",
    "1101051985061510", "99999999999999999999999999", "\u00a0\u3000", "zhang@", "@qq.com",
]


def test_columns_and_pass_through(spark):
    row = ("r1", "余華", "110105850615031", "+86 139-1234-5678", "北京市 朝阳区", "4111111111111111",
           "ZhangSan@QQ.COM", *[None] * N_NEW_RAW, '{"Taste": "x"}')
    df = spark.createDataFrame([row], "record_id string, " + ", ".join(f"{c} string" for c in RAW_COLUMNS)
                               + ", extra string")
    out = normalize_records(df, reference_date=SEIZED)
    assert out.columns == df.columns + ADDED_COLUMNS
    expected = spark.createDataFrame(
        [(*row, "余華", "valid", None, "余华",
          "110105198506150313", "repaired", "upgraded_15_to_18", datetime.date(1985, 6, 15), "M", "110105",
          "known", None,
          "+8613912345678", "repaired", "cleaned", "mobile",
          "北京市朝阳区", "repaired", "cleaned",
          "北京市", "北京市", "朝阳区", "110105", "", None, "address",
          "4111111111111111", "valid", None, True,
          "ZhangSan@qq.com", "repaired", "cleaned",
          # no type column, a 15-digit number in the ID column: a resident ID by its shape
          "resident_id", "repaired", "inferred_from_number", "number_shape",
          None, "missing", "resident_id", None,
          None, "missing", "absent", None, None, None,
          None, "missing", "absent", None,
          None, "missing", "absent", None,
          None, "missing", "absent",
          None, "missing", "absent", None,
          None, "missing", "absent",
          None, "missing", "absent")],
        out.schema,
    )
    assertDataFrameEqual(out, expected)


def test_garbage_never_raises_and_status_is_always_set(spark):
    rows = [tuple([i] + [value] * len(RAW_COLUMNS)) for i, value in enumerate(GARBAGE)]
    df = spark.createDataFrame(rows, "row int, " + ", ".join(f"{c} string" for c in RAW_COLUMNS))
    out = normalize_records(df, reference_date=SEIZED)
    checks = []
    for field in fields.CANONICAL_FIELDS:
        status, reason = F.col(f"{field}_status"), F.col(f"{field}_reason")
        checks.append(F.sum((~status.isin(*fields.FIELD_STATUSES) | status.isNull()).cast("int")))
        checks.append(F.sum(((status == "valid") != reason.isNull()).cast("int")))
        # NULL value exactly when missing, except a phone without area code (never glued to +86)
        null_allowed = (status == "missing") | (F.coalesce(reason, F.lit("")) == "no_area_code")
        if field == "birth_date":  # an unparsed date has no ISO form (jobs.normalize.dates)
            null_allowed = null_allowed | (status == "invalid")
        checks.append(F.sum(((status == "missing") & F.col(field).isNotNull()).cast("int")))
        checks.append(F.sum((F.col(field).isNull() & ~null_allowed).cast("int")))
    result = out.agg(F.count(F.lit(1)).alias("n"), *[c.alias(f"c{i}") for i, c in enumerate(checks)]).first()
    assert result["n"] == len(GARBAGE)
    assert list(result)[1:] == [0] * len(checks)
