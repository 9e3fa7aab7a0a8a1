"""Document types and numbers (jobs/normalize/documents.py), the other identifiers
(jobs/normalize/identifiers.py normalizers), the birthday check and two-party rows.

Expected values are worked by hand (GB 11643-1999 MOD 11-2 sums written out below), taken from
DOMAIN.md section 3 formats, or computed by python-stdnum (an independent implementation of
GB 32100-2015)."""

from __future__ import annotations

import datetime

import pytest
from pyspark.testing import assertDataFrameEqual
from stdnum.cn import uscc as stdnum_uscc

from jobs.normalize.documents import fold_type_label, normalize_documents

pytestmark = pytest.mark.spark

CODES = {"ID": "resident_id", "护照": "passport", "414": "passport_cn", "港澳台居民居住证": "hmt_residence_permit",
         "军官证": "military_officer", "台胞证": "taiwan_compatriot_permit"}

# GB 11643-1999 check characters, worked by hand (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2;
# check for S mod 11 = 0..10 is 1 0 X 9 8 7 6 5 4 3 2):
# 81000019850615001: 56+9+0+0+0+0+2+9+48+15+0+54+10+25+0+0+2 = 230, 230 mod 11 = 10 -> "2"
HMT_PERMIT = "810000198506150012"
# 93184019850615001: 63+27+10+40+32+0+2+9+48+15+0+54+10+25+0+0+2 = 337, 337 mod 11 = 7 -> "5"
FOREIGN_PR = "931840198506150015"
# the standard's own example (GB 11643-1999)
RESIDENT = "11010519491231002X"

CASES = [
    # (row, type cell, passport column, ID column) -> type, status, reason, source, number, status, reason, source, routes
    (("a", "ID", None, RESIDENT),
     ("resident_id", "valid", None, "type_column", None, "missing", "resident_id", None, True)),
    (("b", "护照", None, "E12345678"),  # E + 8 digits: PRC ordinary passport
     ("passport_cn", "valid", None, "type_column", "E12345678", "valid", None, "id_number_column", False)),
    (("c", "护照", None, "X1234567"),  # not a PRC shape: a foreign passport (ICAO 9303, <= 9 characters)
     ("passport_foreign", "valid", None, "type_column", "X1234567", "valid", None, "id_number_column", False)),
    (("d", "ID", None, "EA1234567"),  # the hotel system's default type, a PRC e-passport number
     ("passport_cn", "repaired", "type_overridden_by_number", "number_shape", "EA1234567", "valid", None,
      "id_number_column", False)),
    (("e", None, None, "C12345678"),  # 往来港澳通行证 by shape
     ("hk_macau_travel_permit", "repaired", "inferred_from_number", "number_shape", "C12345678", "valid", None,
      "id_number_column", False)),
    (("f", None, None, "h 1234567890"),  # 港澳居民来往内地通行证, H + 10 digits, cleaned
     ("home_return_permit", "repaired", "inferred_from_number", "number_shape", "H1234567890", "repaired", "cleaned",
      "id_number_column", False)),
    (("g", None, None, HMT_PERMIT),
     ("hmt_residence_permit", "repaired", "inferred_from_number", "number_shape", HMT_PERMIT, "valid", None,
      "id_number_column", False)),
    (("h", "港澳台居民居住证", None, HMT_PERMIT[:17] + "3"),  # wrong check character
     ("hmt_residence_permit", "valid", None, "type_column", HMT_PERMIT[:17] + "3", "invalid", "bad_check_digit",
      "id_number_column", False)),
    (("i", None, None, FOREIGN_PR),
     ("foreign_permanent_residence", "repaired", "inferred_from_number", "number_shape", FOREIGN_PR, "valid", None,
      "id_number_column", False)),
    (("j", None, None, "USA110085061501"),  # the 2004 card: 3 letters + 12 digits
     ("foreign_permanent_residence", "repaired", "inferred_from_number", "number_shape", "USA110085061501", "valid",
      None, "id_number_column", False)),
    (("k", "军官证", None, "南字第123456号"),
     ("military_officer", "valid", None, "type_column", "南字第123456号", "valid", None, "id_number_column", False)),
    (("l", "414", None, "E1234567"),  # PRC passport with 7 digits: no shape to fall back on -> invalid number
     ("passport_cn", "valid", None, "type_column", "E1234567", "invalid", "bad_format", "id_number_column", False)),
    (("m", None, None, "12345"),  # unknown shape in the ID column: judged as a resident ID (GB 11643) as before
     ("resident_id", "repaired", "inferred_from_number", "id_column_default", None, "missing", "resident_id", None,
      True)),
    (("n", "ＩＤ", None, None),  # full-width type label, no number
     ("resident_id", "valid", None, "type_column", None, "missing", "absent", None, True)),
    (("o", None, None, None),
     (None, "missing", "absent", None, None, "missing", "absent", None, True)),
    (("p", "XYZ", None, "E12345678"),
     ("passport_cn", "repaired", "unknown_type_label", "number_shape", "E12345678", "valid", None, "id_number_column",
      False)),
    (("q", None, "E12345678", RESIDENT),  # a passport column beside a resident ID column
     ("passport_cn", "repaired", "inferred_from_number", "number_shape", "E12345678", "valid", None,
      "document_number_column", True)),
    (("r", "台胞证", None, "12345678"),
     ("taiwan_compatriot_permit", "valid", None, "type_column", "12345678", "valid", None, "id_number_column", False)),
    (("t", "ID", None, HMT_PERMIT),  # a residence permit under the system default 身份证 label
     ("hmt_residence_permit", "repaired", "type_overridden_by_number", "number_shape", HMT_PERMIT, "valid", None,
      "id_number_column", False)),
    (("s", "护照", None, "E1234****"),
     ("passport_foreign", "valid", None, "type_column", "E1234****", "masked", "asterisk_mask", "id_number_column",
      False)),
]


def test_fold_type_label():
    assert fold_type_label(" ＩＤ ") == "id" and fold_type_label("护 照") == "护照"


def test_document_types_and_numbers(spark):
    df = spark.createDataFrame([c[0] for c in CASES],
                               "row string, document_type_raw string, document_number_raw string, id_number_raw string")
    out = normalize_documents(df, type_codes=CODES).select(
        *df.columns, "document_type", "document_type_status", "document_type_reason", "document_type_source",
        "document_number", "document_number_status", "document_number_reason", "document_number_source",
        "document_routes_id")
    expected = spark.createDataFrame([(*c[0], *c[1]) for c in CASES], out.schema)
    assertDataFrameEqual(out, expected)


def test_unknown_document_type_in_the_table_is_an_error(spark):
    df = spark.createDataFrame([("a", None, None, None)],
                               "row string, document_type_raw string, document_number_raw string, id_number_raw string")
    with pytest.raises(ValueError, match="unknown document types"):
        normalize_documents(df, type_codes={"x": "driving_licence"})


def test_records_documents_parties_birthdays_and_identifiers(spark):
    """One normalize_records pass over three rows (one Spark job: cheap)."""
    from jobs.common import fields
    from jobs.normalize.transforms import normalize_records

    uscc_personal = "92110105MA0000001" + stdnum_uscc.calc_check_digit("92110105MA0000001")
    raw = {
        # hotel row: a passport in CtfId; a birthday that disagrees with nothing (no ID number)
        "h": {"name_raw": "JOHN SMITH", "document_type_raw": "护照", "id_number_raw": "E12345678", "birth_date_raw": "19850615"},
        # hotel row: resident ID and a birthday that disagrees with its birth date (1949-12-31)
        "r": {"name_raw": "张三", "document_type_raw": "ID", "id_number_raw": RESIDENT, "birth_date_raw": "1950-01-01",
              "uscc_raw": uscc_personal, "licence_plate_raw": "京A·12345", "qq_raw": "10001"},
        # waybill: receiver in name/phone/address, the sender in sender_*
        "w": {"name_raw": "李四", "phone_raw": "13912345678", "address_raw": "北京市朝阳区建国路1号",
              "sender_name_raw": "王*", "sender_phone_raw": "139****5678", "sender_address_raw": "上海市 黄浦区 南京东路2号",
              "uscc_raw": uscc_personal[:17] + ("0" if uscc_personal[17] != "0" else "1"), "licence_plate_raw": "京A1234",
              "qq_raw": "01234"},
    }
    raw_cols = [f"{f}_raw" for f in fields.CANONICAL_FIELDS]
    rows = [(k, *[v.get(c) for c in raw_cols]) for k, v in raw.items()]
    df = spark.createDataFrame(rows, "record_id string, " + ", ".join(f"{c} string" for c in raw_cols))
    cols = ["record_id", "id_number", "id_number_status", "id_number_reason", "document_type", "document_number",
            "document_number_status", "birth_date", "birth_date_review", "birth_date_key",
            "sender_name", "sender_name_status", "sender_phone_status", "sender_address", "sender_address_status",
            "uscc_status", "uscc_reason", "uscc_personal", "licence_plate", "licence_plate_status",
            "qq", "qq_status", "qq_reason"]
    out = normalize_records(df, reference_date=datetime.date(2019, 4, 12),
                            document_type_codes={"护照": "passport", "ID": "resident_id"}).select(*cols)
    expected = spark.createDataFrame([
        ("h", None, "missing", "other_document", "passport_cn", "E12345678", "valid", "1985-06-15", None, "1985-06-15",
         None, "missing", "missing", None, "missing", "missing", "absent", None, None, "missing", None, "missing", "absent"),
        ("r", RESIDENT, "valid", None, "resident_id", None, "missing", "1950-01-01", "disagrees_with_id_number",
         "1950-01-01", None, "missing", "missing", None, "missing", "valid", None, True, "京A12345", "repaired", "10001",
         "valid", None),
        ("w", None, "missing", "absent", None, None, "missing", None, None, None,
         "王*", "masked", "masked", "上海市黄浦区南京东路2号", "repaired", "invalid", "bad_check_char", None, "京A1234",
         "invalid", "01234", "invalid", "bad_format"),
    ], out.schema)
    assertDataFrameEqual(out, expected)


def test_birthday_agreeing_with_the_id_number_adds_nothing_to_the_key(spark):
    from jobs.normalize.transforms import birth_date_checks

    df = spark.createDataFrame([("a", "1949-12-31", datetime.date(1949, 12, 31)), ("b", "1949-12-31", None),
                                ("c", None, datetime.date(1949, 12, 31))],
                               "row string, birth_date string, id_birth_date date")
    expected = spark.createDataFrame([("a", "1949-12-31", datetime.date(1949, 12, 31), "agrees_with_id_number", None),
                                      ("b", "1949-12-31", None, None, "1949-12-31"),
                                      ("c", None, datetime.date(1949, 12, 31), None, None)],
                                     "row string, birth_date string, id_birth_date date, birth_date_review string, "
                                     "birth_date_key string")
    assertDataFrameEqual(birth_date_checks(df), expected)
