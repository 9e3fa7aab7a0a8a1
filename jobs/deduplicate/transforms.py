"""Deduplicate transforms: legal categories, exact duplicates, counting rules (pure DataFrame functions).

Exact duplicates (first version): records whose normalized information is the same are one record.
"The same" means the six canonical fields are equal after normalization (names compared by their
match key), a missing field being equal only to a missing field. The survivor of a cluster is the
record with the earliest locator (item path, sheet, line); every other record links to it.
Source of the counting rule: 法释〔2017〕10号 art. 11 (bulk data counted as seized, minus records
shown to be duplicated) and the SPC commentary (one row traded as one unit counts once).
The counts brought to the driver for ``counts.json`` are in :mod:`jobs.deduplicate.counts`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from functools import reduce

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from jobs.common.config import CategoryRule
from jobs.common.fields import CANONICAL_FIELDS, CONTENT_KEY_COLUMNS, GOOD_STATUSES, LOCATOR_ORDER

_MISSING = "\u0000"  # stands for a missing value inside the content key; never part of a real value


def with_content_key(df: DataFrame, columns: Sequence[str] = CONTENT_KEY_COLUMNS) -> DataFrame:
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


# ----------------------------------------------------------------------------------- counting rules

#: Statuses of a field that carries a true, complete value.
COUNT_STATUSES: tuple[str, ...] = ("counted", "bare_phone", "untrue", "masked_unidentifiable")


def classify_records(df: DataFrame, counting: Mapping, fields: Sequence[str]) -> DataFrame:
    """Add ``count_status`` and ``exclusion_reason`` (string) to records.

    In: ``<field>_status`` and ``<field>_reason`` (string) for every field of ``fields``.
    Out, first rule that applies:

    - ``untrue``: a field's reason code is listed under ``counting["untrue"][field]`` (an invalid
      ID number, an impossible birth date, a placeholder); ``exclusion_reason`` is
      ``<field>:<reason>``. Art. 11 法释〔2017〕10号: records shown to be untrue do not count.
    - ``masked_unidentifiable``: a field is ``masked`` and no ``identifying_fields`` field (nor
      every field of one of ``identifying_field_pairs``) is valid or repaired: nothing identifies
      the person (DOMAIN.md §5: a masked record still counts when the rest identifies the person).
    - ``bare_phone``: the only present fields are ``bare_phone_fields`` (a phone and nothing else):
      contested (DOMAIN.md §1), counted on its own line, not in ``tier_5000``.
    - ``counted`` otherwise (``exclusion_reason`` NULL).
    """
    reason = F.lit(None).cast("string")
    for f in reversed(fields):
        codes = list((counting.get("untrue") or {}).get(f, []))
        if codes:
            reason = F.when(F.col(f"{f}_reason").isin(*codes), F.concat(F.lit(f"{f}:"), F.col(f"{f}_reason"))).otherwise(reason)
    good = lambda f: F.col(f"{f}_status").isin(*GOOD_STATUSES)  # noqa: E731
    identifies = F.lit(False)
    for f in counting.get("identifying_fields") or []:
        identifies = identifies | good(f)
    for pair in counting.get("identifying_field_pairs") or []:
        identifies = identifies | reduce(lambda a, b: a & b, [good(f) for f in pair])
    any_masked = reduce(lambda a, b: a | b, [F.col(f"{f}_status") == "masked" for f in fields])
    bare_fields = set(counting.get("bare_phone_fields") or [])
    present = lambda f: F.col(f"{f}_status") != "missing"  # noqa: E731
    bare = reduce(lambda a, b: a & b, [present(f) if f in bare_fields else ~present(f) for f in fields]) if bare_fields else F.lit(False)
    status = (F.when(reason.isNotNull(), F.lit("untrue"))
              .when(any_masked & ~identifies, F.lit("masked_unidentifiable"))
              .when(bare, F.lit("bare_phone"))
              .otherwise(F.lit("counted")))
    return df.withColumn("exclusion_reason", F.when(status == "masked_unidentifiable", F.lit("masked:no_identifying_field")).otherwise(reason)) \
             .withColumn("count_status", status)


def apply_probable_clusters(unique: DataFrame, clusters: DataFrame, category_keys: Sequence[str]) -> DataFrame:
    """Add the lower-bound view to exact survivors.

    In: ``unique`` with ``record_id``, ``category_rank``; ``clusters`` with ``record_id``,
    ``cluster_id``, ``survivor_record_id`` (records in probable clusters of 2+ only).
    Out: ``probable_survivor_record_id`` (string, NULL outside a probable cluster; equal to
    ``record_id`` for the record that is kept) and ``lower_category`` (string): the most
    sensitive category of the probable cluster for its survivor, NULL for a probable duplicate;
    the record's own category outside any cluster.
    """
    c = clusters.select("record_id", "cluster_id", F.col("survivor_record_id").alias("probable_survivor_record_id"))
    joined = unique.join(c, "record_id", "left")
    w = Window.partitionBy("cluster_id")
    keys = F.array(*[F.lit(k) for k in category_keys])
    rank = F.when(F.col("cluster_id").isNull(), F.col("category_rank")).otherwise(F.min("category_rank").over(w))
    lower = F.when(F.col("probable_survivor_record_id").isNull() | (F.col("probable_survivor_record_id") == F.col("record_id")),
                   F.element_at(keys, rank + 1))
    return joined.withColumn("lower_category", lower).drop("cluster_id")


# ----------------------------------------------------------------------------------- the whole stage

#: Columns of ``duplicate_links`` in order (exact and probable links in one dataset).
LINK_COLUMNS: tuple[str, ...] = ("record_id", "survivor_record_id", "reason", "content_key", "item_sha256", "item_path", "sheet",
                                 "line_number", "linked_record_id", "match_weight", "match_probability")


def deduplicate(records: DataFrame, rules: Sequence[CategoryRule], settings, counting: Mapping, *,
                item_categories: Mapping[str, str] | None = None, paths: Sequence[str] = ()):
    """Exact duplicates, counting status, probable duplicates and both bounds, on normalized records.

    Args:
        records: normalized records (``jobs.normalize.transforms.normalize_records`` output with
            ``record_id`` and the locator columns).
        rules: legal categories, most sensitive first.
        settings: :class:`jobs.common.linkage.LinkageSettings`.
        counting: the ``counting`` section of ``configs/linkage.yaml`` (see :func:`classify_records`).
        item_categories / paths: see :func:`assign_categories`.

    Returns:
        ``(unique, links, result)``. ``unique``: the exact survivors (one per content key) with
        ``cluster_size``, ``category``, ``count_status``, ``exclusion_reason``,
        ``probable_survivor_record_id``, ``lower_category``. ``links``: :data:`LINK_COLUMNS` +
        ``level_<comparison>`` (string): ``exact_duplicate`` links (not in ``unique``) and
        ``probable_duplicate`` links (both ends in ``unique``, only among ``counted`` records).
        ``result``: the :class:`jobs.deduplicate.linkage.ProbableResult`.
    """
    from jobs.deduplicate.linkage import probable_duplicates

    keys = [r.key for r in rules]
    keyed = assign_categories(with_content_key(records), rules, item_categories, paths)
    unique, exact = exact_duplicates(keyed, keys)
    unique = classify_records(unique, counting, CANONICAL_FIELDS).localCheckpoint()
    result = probable_duplicates(unique.where(F.col("count_status") == "counted"), settings)
    unique = apply_probable_clusters(unique, result.clusters, keys)
    level_cols = [f"level_{c.name}" for c in settings.comparisons]
    probable = (result.links.join(unique.select("record_id", "content_key", "item_sha256", "item_path", "sheet", "line_number"), "record_id")
                .withColumn("reason", F.lit("probable_duplicate")))
    exact = exact.withColumns({"linked_record_id": F.col("survivor_record_id"), "match_weight": F.lit(None).cast("double"),
                               "match_probability": F.lit(None).cast("double"), **{c: F.lit(None).cast("string") for c in level_cols}})
    links = exact.select(*LINK_COLUMNS, *level_cols).unionByName(probable.select(*LINK_COLUMNS, *level_cols))
    return unique, links, result
