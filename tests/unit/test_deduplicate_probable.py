"""Probable duplicates and guard rails: the acceptance cases of issue 5 and hand-worked model values.

Every resident ID number below carries a correct GB 11643-1999 check character (worked by hand
with the weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2).
"""

from __future__ import annotations

import datetime

import pytest

from jobs.common.config import load_config
from jobs.common.linkage import Comparison, LinkageSettings
from jobs.deduplicate.counts import bound_counts
from jobs.deduplicate.linkage.em import fit_em
from jobs.deduplicate.transforms import deduplicate
from jobs.normalize.transforms import normalize_records

pytestmark = pytest.mark.spark

SEIZED = datetime.date(2019, 4, 12)
RAW = ["name_raw", "id_number_raw", "phone_raw", "address_raw", "bank_card_raw", "email_raw"]


def _every_raw_column(df):
    """The raw columns of the registry's other fields (documents, sender, birthday, ...) as NULL."""
    from pyspark.sql import functions as F

    from jobs.common.fields import FIELDS

    return df.select("*", *[F.lit(None).cast("string").alias(f.raw_column) for f in FIELDS if f.raw_column not in df.columns])


def linkage():
    config = load_config()
    return config.linkage, config.counting.to_dict()


def run(spark, rows):
    """rows: (record_id, line, name, id, phone, address, card, email) raw values → dedup outputs."""
    data = [(rid, "0" * 64, "seized.csv", "", line, None, *vals, "{}") for rid, line, *vals in rows]
    schema = ("record_id string, item_sha256 string, item_path string, sheet string, line_number long, byte_offset long, "
              + ", ".join(f"{c} string" for c in RAW) + ", extra string")
    records = normalize_records(_every_raw_column(spark.createDataFrame(data, schema)), reference_date=SEIZED)
    rules = load_config().legal.categories
    settings, counting = linkage()
    unique, links, result = deduplicate(records, rules, settings, counting)
    return unique, links, result, [r.key for r in rules]


def survivors(unique):
    """Record ids counted in the lower bound (kept after exact and probable duplicates)."""
    return sorted(r.record_id for r in unique.where("lower_category IS NOT NULL AND count_status = 'counted'").collect())


def test_siblings_with_different_valid_ids_are_not_merged(spark):
    # 陈思远 / 陈思达: same surname, names one character apart, same phone and address, two valid IDs.
    unique, links, result, _ = run(spark, [
        ("a", 1, "陈思远", "510107199203080217", "13912345678", "四川省成都市武侯区玉林北路1号", None, None),
        ("b", 2, "陈思达", "510107199203080233", "13912345678", "四川省成都市武侯区玉林北路1号", None, None),
    ])
    assert survivors(unique) == ["a", "b"]
    guards = [r.guard for r in result.scored.collect()]
    assert guards == ["different_identifiers"]


def test_two_zhang_wei_with_nothing_else_in_common_are_not_merged(spark):
    # Missing versus missing is no evidence: NULL / nan / \N / '' are missing, not equal values.
    unique, links, result, _ = run(spark, [
        ("a", 1, "张伟", None, "NULL", "北京市海淀区中关村大街27号", None, "nan"),
        ("b", 2, "张伟", "\\N", "", "广东省广州市天河区体育西路101号", None, None),
    ])
    assert survivors(unique) == ["a", "b"]
    assert links.where("reason = 'probable_duplicate'").count() == 0


def test_shared_landline_and_address_do_not_link_father_and_son(spark):
    unique, links, result, _ = run(spark, [
        ("a", 1, "王建国", "32010619650412031X", "025-86661234", "江苏省南京市鼓楼区中山路18号", None, None),
        ("b", 2, "王小明", "320106199208150331", "025-86661234", "江苏省南京市鼓楼区中山路18号", None, None),
    ])
    assert survivors(unique) == ["a", "b"]
    assert links.count() == 0


def test_one_person_in_old_and_new_writing_is_one_record(spark):
    # 15-digit ID upgraded to 110105198506150313, 趙建國 keyed as 赵建国, +86 phone to E.164.
    unique, links, result, _ = run(spark, [
        ("a", 1, "趙建國", "110105850615031", "+86 139 1234 5678", None, None, None),
        ("b", 2, "赵建国", "110105198506150313", "13912345678", None, None, None),
    ])
    assert survivors(unique) == ["a"]
    assert [(r.record_id, r.survivor_record_id) for r in links.collect()] == [("b", "a")]


def test_same_person_with_a_typo_and_a_missing_id_is_a_probable_duplicate(spark):
    # Name typo (one character), ID missing on one side, same phone in two formats: the pair
    # agrees on name (edit distance 1) and phone: two fields, one an identity field.
    unique, links, result, keys = run(spark, [
        ("a", 1, "李秀英", "440106198703150024", "13812345678", "广东省广州市天河区体育东路5号", None, None),
        ("b", 2, "李秀瑛", None, "+86 138 1234 5678", None, None, None),
        ("c", 3, "周杰", None, "13712345678", None, None, None),
    ])
    assert survivors(unique) == ["a", "c"]
    probable = [r.asDict() for r in links.where("reason = 'probable_duplicate'").collect()]
    assert [(p["record_id"], p["survivor_record_id"], p["level_name"], p["level_phone"], p["level_id_number"]) for p in probable] == [
        ("b", "a", "levenshtein:1", "exact", "null")]
    counts = bound_counts(unique, keys)
    # upper: a (tier_500, ID) + b + c (tier_5000); lower: a absorbs b.
    assert counts["upper"] == {"tier_50": 0, "tier_500": 1, "tier_5000": 2}
    assert counts["lower"] == {"tier_50": 0, "tier_500": 1, "tier_5000": 1}
    assert counts["probable_duplicates"] == 1


def test_untrue_masked_and_bare_phone_records_are_set_apart(spark):
    unique, links, result, keys = run(spark, [
        ("bad", 1, "刘洋", "510107199203080218", "13912345670", None, None, None),     # wrong check character
        ("date", 2, "刘洋", "510107199202300214", "13912345671", None, None, None),    # 30 Feb
        ("ph", 3, "孙丽", None, "13800138000", None, None, None),                      # placeholder phone
        ("mask", 4, "张*", None, "138****1234", None, None, None),                     # nothing identifies
        ("mask_ok", 5, "张*", "510107199203080217", "138****1234", None, None, None),  # the ID identifies
        ("bare", 6, None, None, "13612345678", None, None, None),
        ("bare2", 7, None, None, "136 1234 5678", None, None, None),                   # exact duplicate of bare
    ])
    got = {r.record_id: (r.count_status, r.exclusion_reason) for r in unique.collect()}
    assert got == {
        "bad": ("untrue", "id_number:bad_check_digit"),
        "date": ("untrue", "id_number:invalid_birth_date"),
        "ph": ("untrue", "phone:placeholder"),
        "mask": ("masked_unidentifiable", "masked:no_identifying_field"),
        "mask_ok": ("counted", None),
        "bare": ("bare_phone", None),
    }
    counts = bound_counts(unique, keys)
    assert counts["untrue_rows"] == 3 and counts["masked_unidentifiable_rows"] == 1
    assert counts["bare_phone_records"] == 1 and counts["bare_phone_rows"] == 2
    assert counts["upper"] == {"tier_50": 0, "tier_500": 1, "tier_5000": 0}
    assert counts["exact_duplicates_of_counted"] == 1


def test_weak_bridge_does_not_chain_two_persons(spark):
    # x and z are two persons (two valid IDs). The bridge y (no ID) agrees with each on name and
    # phone, so both links pass the threshold; the cluster {x, y, z} holds a cannot-link pair and
    # is split: y stays with the stronger link, x and z are never one record.
    unique, links, result, _ = run(spark, [
        ("x", 1, "林峰", "510107199203080217", "13912345678", "成都市武侯区玉林北路1号", None, None),
        ("y", 2, "林峰", None, "13912345678", "成都市武侯区玉林北路1号", None, None),
        ("z", 3, "林峰", "510107199203080233", "13912345678", None, None, None),
    ])
    kept = survivors(unique)
    assert "x" in kept and "z" in kept and "y" not in kept
    assert result.stats["links_refused_in_clustering"] == 1
    y = [r for r in links.collect() if r.record_id == "y"][0]
    assert y.survivor_record_id == "x"  # y agrees with x on name, phone and address: the stronger link


def test_one_em_step_on_a_worked_example():
    # One field, levels exact / else, u = (0.1, 0.9); start m = (0.9, 0.02)/0.92, λ = 0.3.
    # Candidate pairs: 190 exact, 810 else. E-step by hand (Winkler 1988):
    #   P(M | exact) = 0.3·0.978261 / (0.3·0.978261 + 0.7·0.1) = 0.807416
    #   P(M | else)  = 0.3·0.021739 / (0.3·0.021739 + 0.7·0.9) = 0.010246
    # M-step: λ = (190·0.807416 + 810·0.010246)/1000 = 0.161708;
    #         m_exact = 153.409 / 161.708 = 0.948677.
    s = LinkageSettings(comparisons=(Comparison("f", "f", ("exact",)),), blocking_rules=(("f",),), prior=0.3,
                        em_min_pairs=1, em_max_iterations=1, default_m={"exact": 0.9, "else": 0.02})
    model = fit_em([((0,), 190), ((1,), 810)], {"f": [0.1, 0.9]}, s)
    assert model.prior == pytest.approx(0.161708, abs=1e-5)
    assert model.m["f"][0] == pytest.approx(0.948677, abs=1e-5)
    # weight of exact agreement in bits: log2(0.948677 / 0.1) = 3.245913
    assert model.weights()["f"][0] == pytest.approx(3.245913, abs=1e-4)
