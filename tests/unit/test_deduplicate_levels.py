"""Issue 12, deduplication side: categories raised only by fields that passed their check (defect 1),
rows whose data is only in unmapped columns (defect 3) and the three levels of duplicate.

Every expected value below is worked out by hand from the rules of issue 12 and DOMAIN.md; every
resident ID number carries a correct GB 11643-1999 check character (worked by hand with the
weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2), every mobile number is in an allocated segment.
"""

from __future__ import annotations

import datetime
import json

import pytest
from pyspark.sql import functions as F

from jobs.common.config import load_config
from jobs.common.fields import CANONICAL_FIELDS
from jobs.deduplicate.counts import bound_counts
from jobs.deduplicate.transforms import assign_categories, classify_records, exact_duplicates, fold_header, with_content_key, with_row_key
from jobs.export.summary import count_statement
from jobs.normalize.transforms import normalize_records

pytestmark = pytest.mark.spark

SEIZED = datetime.date(2019, 4, 12)
RAW = ["name_raw", "id_number_raw", "phone_raw", "address_raw", "bank_card_raw", "email_raw"]


def _every_raw_column(df):
    """The raw columns of the registry's other fields (documents, sender, birthday, ...) as NULL."""
    from pyspark.sql import functions as F

    from jobs.common.fields import FIELDS

    return df.select("*", *[F.lit(None).cast("string").alias(f.raw_column) for f in FIELDS if f.raw_column not in df.columns])


def run(spark, rows):
    """rows: (record_id, line, name, id, phone, address, card, email, extra dict) → (unique, links, category keys)."""
    data = [(rid, "0" * 64, "seized.csv", "", line, None, *vals, json.dumps(extra, ensure_ascii=False, sort_keys=True))
            for rid, line, *vals, extra in rows]
    schema = ("record_id string, item_sha256 string, item_path string, sheet string, line_number long, byte_offset long, "
              + ", ".join(f"{c} string" for c in RAW) + ", extra string")
    records = normalize_records(_every_raw_column(spark.createDataFrame(data, schema)), reference_date=SEIZED)
    config = load_config()
    rules, counting = config.legal.categories, config.counting.to_dict()
    keys = [r.key for r in rules]
    # The exact levels of jobs.deduplicate.transforms.deduplicate without the probable-duplicate
    # model (no pair below is a probable duplicate; the model's cost is not needed here).
    keyed = assign_categories(with_content_key(with_row_key(records, counting["row_identifier_columns"])), rules)
    unique, links = exact_duplicates(keyed, keys)
    unique = classify_records(unique, counting, CANONICAL_FIELDS).withColumns(
        {"probable_survivor_record_id": F.lit(None).cast("string"), "lower_category": F.col("category")})
    return unique, links, keys


def test_a_card_that_failed_its_check_does_not_raise_the_category(spark):
    # 6222021234567890 fails Luhn (by hand: doubled digits 9+5+1+6+2+0+4+3 = 30, the others
    # 0+8+6+4+2+2+2+2 = 26, 56 mod 10 = 6): Luhn is a flag only, the card is valid → tier_50.
    # Sixteen zeros pass Luhn (sum 0) and are still a placeholder: the flag is not the check.
    unique, _, keys = run(spark, [
        ("p0", 1, "王芳", "510107199203080217", "13912345678", None, "0000000000000000", None, {}),  # placeholder
        ("p1", 2, "李娜", "440106198703150024", "13812345678", None, "6222021234", None, {}),        # 10 digits
        ("p2", 3, "张伟", None, "13712345678", None, "6222A21234567890", None, {}),                  # a letter
        ("p3", 4, "刘洋", None, "13612345678", None, "6222021234567890", None, {}),                  # valid, Luhn fails
    ])
    got = {r.record_id: (r.category, r.category_withheld, r.category_withheld_by, r.bank_card_luhn) for r in unique.collect()}
    assert got == {
        "p0": ("tier_500", "tier_50", "bank_card:placeholder", True),
        "p1": ("tier_500", "tier_50", "bank_card:bad_length", None),
        "p2": ("tier_5000", "tier_50", "bank_card:bad_format", None),
        "p3": ("tier_50", None, None, False),
    }
    counts = bound_counts(unique, keys)
    assert counts["upper"] == {"tier_50": 1, "tier_500": 2, "tier_5000": 1}
    assert counts["kept_out_of_category"] == {"tier_50": 3, "tier_500": 0, "tier_5000": 0}
    assert counts["kept_out_by_field"] == {"bank_card:bad_format": 1, "bank_card:bad_length": 1, "bank_card:placeholder": 1}


def test_rows_with_only_unmapped_columns_never_collapse_unless_identical(spark):
    # No canonical field: the content is the unmapped columns. u3 differs from u1 only in the row
    # identifier id; u4 only in id (header "ID"), white space and an empty column; u5 only in id
    # and full-width letters: all three are identical rows of u1. u2 has another username.
    unique, links, keys = run(spark, [
        ("u1", 1, None, None, None, None, None, None, {"id": "1", "username": "alice", "remark": "老客户"}),
        ("u2", 2, None, None, None, None, None, None, {"id": "2", "username": "bob", "remark": "老客户"}),
        ("u3", 3, None, None, None, None, None, None, {"id": "3", "username": "alice", "remark": "老客户"}),
        ("u4", 4, None, None, None, None, None, None, {"ID": "4", "username": " alice ", "remark": "老客户", "note": ""}),
        ("u5", 5, None, None, None, None, None, None, {"id": "5", "username": "ａｌｉｃｅ", "remark": "老客户"}),
    ])
    assert sorted(r.record_id for r in unique.collect()) == ["u1", "u2"]
    assert sorted((r.record_id, r.survivor_record_id, r.reason) for r in links.collect()) == [
        ("u3", "u1", "identical_row"), ("u4", "u1", "identical_row"), ("u5", "u1", "identical_row")]
    counts = bound_counts(unique, keys)
    assert counts["upper"] == {"tier_50": 0, "tier_500": 0, "tier_5000": 2}
    assert counts["identical_rows"] == 3 and counts["same_person_duplicates"] == 0


def test_three_levels_identical_rows_same_person_and_both_bounds(spark):
    # a, b, c: the same person information (c's phone written +86 with spaces). b differs from a
    # only in the row identifier: an identical row (removed for the upper bound). c has another
    # check-in time: same person information, not an identical row (removed for the lower bound).
    unique, links, keys = run(spark, [
        ("a", 1, "王芳", "510107199203080217", "13912345678", None, None, None, {"id": "1", "时间": "2019-01-01"}),
        ("b", 2, "王芳", "510107199203080217", "13912345678", None, None, None, {"id": "2", "时间": "2019-01-01"}),
        ("c", 3, "王芳", "510107199203080217", "+86 139 1234 5678", None, None, None, {"id": "3", "时间": "2019-02-02"}),
        ("d", 4, "周杰", None, "13712345678", None, None, None, {"时间": "2019-03-03"}),
    ])
    got = {r.record_id: (r.cluster_size, r.distinct_rows, r.category) for r in unique.collect()}
    assert got == {"a": (3, 2, "tier_500"), "d": (1, 1, "tier_5000")}
    assert sorted((r.record_id, r.survivor_record_id, r.reason) for r in links.collect()) == [
        ("b", "a", "identical_row"), ("c", "a", "exact_duplicate")]
    counts = bound_counts(unique, keys)
    # upper: a and c (two different rows, tier_500) + d; lower: one record per person.
    assert counts["upper"] == {"tier_50": 0, "tier_500": 2, "tier_5000": 1}
    assert counts["lower"] == {"tier_50": 0, "tier_500": 1, "tier_5000": 1}
    assert (counts["identical_rows"], counts["same_person_duplicates"], counts["exact_duplicates_of_counted"]) == (1, 1, 2)
    st = {s["step"].split(" (")[0]: s["rows"] for s in count_statement(4, 0, 4, {"bounds": counts}, load_config().legal.categories)}
    # 4 records − 0 untrue − 0 masked − 1 identical row = 3 = upper 3 + 0 bare; 3 − 1 − 0 = 2 = lower
    assert st["identical rows"] == 1 and st["unique records, upper bound"] == 3
    assert st["same person information"] == 1 and st["unique records, lower bound"] == 2


def test_row_identifier_columns_are_configured_and_folded():
    ids = load_config().counting.row_identifier_columns
    assert "id" in ids and "序号" in ids
    assert fold_header(" Ｉｄ ") == fold_header("ID") == "id"
