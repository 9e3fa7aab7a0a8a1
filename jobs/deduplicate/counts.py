"""Counts of the deduplicate stage, brought to the driver as plain dicts for ``counts.json``.

:func:`category_counts` (unique records per legal category), :func:`status_counts` (per field,
records per status and per reason code) and :func:`bound_counts` (the upper and lower bound of
法释〔2017〕10号 art. 11 and the excluded records). Each runs one aggregation in Spark and collects
a few rows; the record values never reach the driver.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.config import CategoryRule


def category_counts(unique: DataFrame, rules: Sequence[CategoryRule]) -> dict[str, int]:
    """Unique records per category, every category present (0 when none)."""
    rows = unique.groupBy("category").count().collect()
    found = {r["category"]: int(r["count"]) for r in rows}
    return {r.key: found.get(r.key, 0) for r in rules}


def status_counts(df: DataFrame, fields: Sequence[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Per field: count of each status and of each reason code (``{"status": {...}, "reason": {...}}``)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    exprs = []
    for f in fields:
        exprs.append(F.struct(F.lit(f).alias("field"), F.col(f"{f}_status").alias("status"), F.coalesce(F.col(f"{f}_reason"), F.lit("")).alias("reason")))
    exploded = df.select(F.explode(F.array(*exprs)).alias("s")).select("s.*")
    for r in exploded.groupBy("field", "status", "reason").count().collect():
        entry = out.setdefault(r["field"], {"status": {}, "reason": {}})
        entry["status"][r["status"]] = entry["status"].get(r["status"], 0) + int(r["count"])
        if r["reason"]:
            entry["reason"][r["reason"]] = entry["reason"].get(r["reason"], 0) + int(r["count"])
    return {f: {k: dict(sorted(v.items())) for k, v in out.get(f, {"status": {}, "reason": {}}).items()} for f in fields}


def bound_counts(unique: DataFrame, category_keys: Sequence[str]) -> dict:
    """Counts of both bounds, of the three duplicate levels and of the excluded records, from classified survivors.

    In: exact survivors with ``cluster_size`` (long), ``distinct_rows`` (long, optional: 1 when
    absent), ``category``, ``lower_category``, ``count_status``, ``exclusion_reason``,
    ``probable_survivor_record_id`` and, optionally, ``category_withheld`` / ``category_withheld_by``.
    Out (plain ints):

    - ``upper`` / ``lower``: records per category (``counted`` only). The upper bound removes
      identical rows only (each of a cluster's ``distinct_rows`` counts, in the cluster's
      category); the lower bound keeps one record per same-person cluster and removes probable
      duplicates as well (issue 12, "What exact duplicates mean"; 法释〔2017〕10号 art. 11).
    - ``identical_rows`` / ``same_person_duplicates`` / ``probable_duplicates``: rows of
      ``counted`` records removed at each level (identical rows and same-person duplicates of
      bare phone records are in ``bare_phone_identical_rows`` / ``bare_phone_same_person_duplicates``);
      ``exact_duplicates_of_counted`` = identical + same person (rows, counted and bare phone).
    - ``bare_phone_records`` (clusters), ``bare_phone_rows``, ``bare_phone_distinct_rows``;
      ``untrue_records`` / ``untrue_rows`` and by reason; ``masked_unidentifiable_records`` / ``_rows``.
    - ``kept_out_of_category``: per category, ``counted`` records of the upper bound that a field
      failing its check would have put there (``category_withheld``), and ``kept_out_by_field``
      (``<field>:<reason>`` → records): issue 12 defect 1.

    Every row of the input is in exactly one line: records − untrue rows − masked rows − identical
    rows (counted and bare) = Σ upper + bare_phone_distinct_rows, and Σ upper − same-person
    duplicates − probable duplicates = Σ lower.
    """
    cols = set(unique.columns)
    distinct = F.col("distinct_rows") if "distinct_rows" in cols else F.lit(1).cast("long")
    withheld = F.col("category_withheld") if "category_withheld" in cols else F.lit(None).cast("string")
    withheld_by = F.col("category_withheld_by") if "category_withheld_by" in cols else F.lit(None).cast("string")
    rows = unique.groupBy("count_status", "exclusion_reason", "category", "lower_category",
                          (F.col("probable_survivor_record_id").isNotNull() & (F.col("probable_survivor_record_id") != F.col("record_id"))).alias("probable_dup"),
                          withheld.alias("withheld"), withheld_by.alias("withheld_by")) \
        .agg(F.count(F.lit(1)).alias("n"), F.sum("cluster_size").alias("rows"), F.sum(distinct).alias("distinct")).collect()
    out: dict = {"upper": {k: 0 for k in category_keys}, "lower": {k: 0 for k in category_keys},
                 "bare_phone_records": 0, "bare_phone_rows": 0, "bare_phone_distinct_rows": 0,
                 "bare_phone_identical_rows": 0, "bare_phone_same_person_duplicates": 0,
                 "untrue_records": 0, "untrue_rows": 0, "untrue_by_reason": {},
                 "masked_unidentifiable_records": 0, "masked_unidentifiable_rows": 0,
                 "identical_rows": 0, "same_person_duplicates": 0,
                 "exact_duplicates_of_counted": 0, "probable_duplicates": 0,
                 "kept_out_of_category": {k: 0 for k in category_keys}, "kept_out_by_field": {}}
    for r in rows:
        n, nrows, nd, st = int(r["n"]), int(r["rows"]), int(r["distinct"]), r["count_status"]
        if st == "untrue":
            out["untrue_records"] += n
            out["untrue_rows"] += nrows
            out["untrue_by_reason"][r["exclusion_reason"]] = out["untrue_by_reason"].get(r["exclusion_reason"], 0) + nrows
        elif st == "masked_unidentifiable":
            out["masked_unidentifiable_records"] += n
            out["masked_unidentifiable_rows"] += nrows
        elif st == "bare_phone":
            out["bare_phone_records"] += n
            out["bare_phone_rows"] += nrows
            out["bare_phone_distinct_rows"] += nd
            out["bare_phone_identical_rows"] += nrows - nd
            out["bare_phone_same_person_duplicates"] += nd - n
            out["exact_duplicates_of_counted"] += nrows - n
        else:
            out["upper"][r["category"]] += nd
            out["identical_rows"] += nrows - nd
            out["same_person_duplicates"] += nd - n
            out["exact_duplicates_of_counted"] += nrows - n
            if r["withheld"] is not None:
                out["kept_out_of_category"][r["withheld"]] += nd
                out["kept_out_by_field"][r["withheld_by"]] = out["kept_out_by_field"].get(r["withheld_by"], 0) + nd
            if r["probable_dup"]:
                out["probable_duplicates"] += n
            else:
                out["lower"][r["lower_category"]] += n
    out["untrue_by_reason"] = dict(sorted(out["untrue_by_reason"].items()))
    out["kept_out_by_field"] = dict(sorted(out["kept_out_by_field"].items()))
    return out
