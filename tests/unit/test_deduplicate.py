"""Exact duplicates and legal categories on tiny in-line frames (values worked out by hand)."""

from __future__ import annotations

import pytest
from pyspark.testing import assertDataFrameEqual

from jobs.common.config import load_config
from jobs.common.fields import CONTENT_KEY_COLUMNS
from jobs.deduplicate.counts import category_counts
from jobs.deduplicate.transforms import assign_categories, exact_duplicates, with_content_key

pytestmark = pytest.mark.spark

COLS = ["record_id", "item_path", "sheet", "line_number", "item_sha256", *CONTENT_KEY_COLUMNS,
        "id_number_status", "bank_card_status", "phone_status", "document_number_status"]


def frame(spark, rows):
    return spark.createDataFrame(rows, ", ".join(f"{c} {'long' if c == 'line_number' else 'string'}" for c in COLS))


def row(rid, path, line, name=None, idn=None, phone=None, card=None):
    status = lambda v: "missing" if v is None else "valid"  # noqa: E731
    # the content-key columns after the six person fields (document number, sender, ...) are empty here
    rest = (None,) * (len(CONTENT_KEY_COLUMNS) - 6)
    return (rid, path, "", line, "0" * 64, name, idn, phone, None, card, None, *rest, status(idn), status(card), status(phone), "missing")


def test_survivor_is_the_earliest_locator_and_every_duplicate_points_to_it(spark):
    rules = load_config().legal.categories
    df = frame(spark, [
        row("r3", "b.txt", 2, "张三", "11010519491231002X", "+8613912345678"),
        row("r1", "a.csv", 9, "张三", "11010519491231002X", "+8613912345678"),
        row("r2", "a.csv", 3, "张三", "11010519491231002X", "+8613912345678"),
        row("r4", "a.csv", 4, "李四", None, "+8613812345678"),
    ])
    unique, links = exact_duplicates(assign_categories(with_content_key(df), rules), [r.key for r in rules])
    assertDataFrameEqual(unique.select("record_id", "cluster_size", "category"),
                         spark.createDataFrame([("r2", 3, "tier_500"), ("r4", 1, "tier_5000")], "record_id string, cluster_size long, category string"))
    assertDataFrameEqual(links.select("record_id", "survivor_record_id", "reason"),
                         # no unmapped columns and the same fields: identical rows (issue 12 level 1)
                         spark.createDataFrame([("r1", "r2", "identical_row"), ("r3", "r2", "identical_row")], "record_id string, survivor_record_id string, reason string"))


def test_missing_equals_only_missing(spark):
    rules = load_config().legal.categories
    # Same name; one has no phone, the other an empty string would have been normalized to NULL
    # upstream. A NULL never equals a value; two NULLs are equal.
    df = frame(spark, [
        row("a", "x", 1, "王五", None, None),
        row("b", "x", 2, "王五", None, "+8613612345678"),
        row("c", "x", 3, "王五", None, None),
    ])
    unique, links = exact_duplicates(assign_categories(with_content_key(df), rules), [r.key for r in rules])
    assert sorted(r.record_id for r in unique.collect()) == ["a", "b"]
    assert [(r.record_id, r.survivor_record_id) for r in links.collect()] == [("c", "a")]


def test_content_key_does_not_shift_values_between_fields(spark):
    # "ab"+"c" and "a"+"bc" must not collide: the separator is not part of any value.
    df = frame(spark, [row("a", "x", 1, "ab", "c"), row("b", "x", 2, "a", "bc")])
    keys = [r.content_key for r in with_content_key(df).collect()]
    assert keys[0] != keys[1]


def test_categories_most_sensitive_field_and_item_assignment(spark):
    rules = load_config().legal.categories
    df = frame(spark, [
        row("card", "bank.txt", 1, "张三", "11010519491231002X", "+8613912345678", "6222021234567890128"),
        row("id", "hotel.csv", 1, "张三", "11010519491231002X"),
        row("phone", "list.jsonl", 1, "张三", None, "+8613912345678"),
        row("phone_in_hotel", "hotel.csv", 2, "李四", None, "+8613812345678"),
    ])
    out = assign_categories(df, rules, {"hotel*": "tier_500"}, ["bank.txt", "hotel.csv", "list.jsonl"])
    got = {r.record_id: r.category for r in out.collect()}
    assert got == {"card": "tier_50", "id": "tier_500", "phone": "tier_5000", "phone_in_hotel": "tier_500"}
    assert category_counts(out, rules) == {"tier_50": 1, "tier_500": 2, "tier_5000": 1}
