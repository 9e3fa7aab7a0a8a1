"""Deduplicate transforms: legal categories, exact duplicates, counts (pure DataFrame functions).

Exact duplicates (first version): records whose normalized information is the same are one record.
"The same" means the six canonical fields are equal after normalization (names compared by their
match key), a missing field being equal only to a missing field. The survivor of a cluster is the
record with the earliest locator (item path, sheet, line); every other record links to it.
Source of the counting rule: 法释〔2017〕10号 art. 11 (bulk data counted as seized, minus records
shown to be duplicated) and the SPC commentary (one row traded as one unit counts once).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from jobs.common.config import CategoryRule
from jobs.common.schemas import LOCATOR_ORDER

#: Normalized columns that make up a record's information, in key order.
CONTENT_COLUMNS: tuple[str, ...] = ("name_key", "id_number", "phone", "address", "bank_card", "email")
_MISSING = "\u0000"  # stands for a missing value inside the content key; never part of a real value


def with_content_key(df: DataFrame, columns: Sequence[str] = CONTENT_COLUMNS) -> DataFrame:
    """Add ``content_key`` (string, SHA-256 hex) of the normalized information of each record.

    In: the ``columns`` (string, nullable; a field whose status is ``missing`` is NULL).
    Out: ``content_key``: equal exactly when every column is equal, NULL only equal to NULL.
    """
    parts = [F.coalesce(F.col(c), F.lit(_MISSING)) for c in columns]
    return df.withColumn("content_key", F.sha2(F.concat_ws("\u001f", *parts), 256))


def assign_categories(df: DataFrame, rules: Sequence[CategoryRule], item_categories: Mapping[str, str] | None = None,
                      paths: Sequence[str] = ()) -> DataFrame:
    """Add ``category`` (string): the most sensitive category whose fields the record carries.

    ``rules`` are ordered most sensitive first (``tier_50``, ``tier_500``, ``tier_5000``); a field is
    carried when its ``<field>_status`` is not ``missing``; the last rule is the default. An item
    assigned a category by the case team (``item_categories``: glob → category, matched against the
    ``paths`` present) raises its records to at least that category. Source: DOMAIN.md §1, configs.
    """
    rank_of = {r.key: i for i, r in enumerate(rules)}
    rank = F.lit(len(rules) - 1)
    for i in reversed(range(len(rules))):
        fields = rules[i].fields
        if fields:
            carried = F.lit(False)
            for f in fields:
                carried = carried | (F.col(f"{f}_status") != F.lit("missing"))
            rank = F.when(carried, F.lit(i)).otherwise(rank)
    for pattern, key in (item_categories or {}).items():
        matched = [p for p in paths if fnmatch.fnmatch(p, pattern)]
        if matched:
            rank = F.least(rank, F.when(F.col("item_path").isin(matched), F.lit(rank_of[key])).otherwise(F.lit(len(rules) - 1)))
    keys = F.array(*[F.lit(r.key) for r in rules])
    return df.withColumn("category_rank", rank).withColumn("category", F.element_at(keys, F.col("category_rank") + 1))


def exact_duplicates(df: DataFrame, category_keys: Sequence[str]) -> tuple[DataFrame, DataFrame]:
    """Split records into survivors and duplicate links.

    In: records with ``record_id``, ``content_key``, ``category_rank``, ``category`` and the
    locator columns; ``category_keys``: the categories in rank order (most sensitive first).
    Out: ``(unique_records, duplicate_links)``. ``unique_records`` keeps one row per content key
    (the earliest locator), with ``cluster_size`` (long) and the cluster's most sensitive
    ``category``. ``duplicate_links``: ``record_id``, ``survivor_record_id``, ``reason``
    (``exact_duplicate``), ``content_key`` and the duplicate's locator.
    """
    order = [F.col(c) for c in LOCATOR_ORDER] + [F.col("record_id")]
    w = Window.partitionBy("content_key").orderBy(*order)
    w_all = Window.partitionBy("content_key")
    ranked = (
        df.withColumn("_rn", F.row_number().over(w))
        .withColumn("survivor_record_id", F.first("record_id").over(w))
        .withColumn("cluster_size", F.count(F.lit(1)).over(w_all))
        .withColumn("_min_rank", F.min("category_rank").over(w_all))
    )
    categories = F.array(*[F.lit(k) for k in category_keys])
    unique = (
        ranked.where(F.col("_rn") == 1)
        .withColumn("category_rank", F.col("_min_rank"))
        .withColumn("category", F.element_at(categories, F.col("_min_rank") + 1))
        .drop("_rn", "_min_rank", "survivor_record_id")
    )
    links = ranked.where(F.col("_rn") > 1).select(
        "record_id", "survivor_record_id", F.lit("exact_duplicate").alias("reason"), "content_key",
        "item_sha256", "item_path", "sheet", "line_number",
    )
    return unique, links


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
