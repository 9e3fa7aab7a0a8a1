"""Deduplicate transforms: legal categories, exact duplicates, counting rules (pure DataFrame functions).

Three levels of duplicate (issue 12, "What exact duplicates mean"):

1. *identical rows* (:func:`with_row_key`): every information column of the row equal after
   normalization, mapped or not, except the configured row identifiers. Only these are removed
   for the **upper bound**.
2. *same person information* (:func:`with_content_key`): the six canonical fields equal after
   normalization (names compared by their match key), a missing field equal only to a missing
   field; a row whose data is only in unmapped columns is keyed by its row key, so it never
   collapses with a row holding other information.
3. *probable duplicates* (:mod:`jobs.deduplicate.linkage`). Levels 2 and 3 are removed for the
   **lower bound** (the headline).

``unique_records`` holds one survivor per content key (level 2) with ``distinct_rows``, the number
of rows of its cluster left at level 1. The survivor of a cluster is the record with the earliest
locator (item path, sheet, line); every other record links to it.
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


#: Full-width ASCII forms (U+FF01–U+FF5E) and the ideographic space: folded to ASCII in the row key,
#: as normalize folds them in every field (DOMAIN.md §5: NFKC folds them).
_FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_ASCII = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)) + " "
#: Characters trimmed from both ends of an unmapped value and of a header in the row key.
_TRIM = " \t\r\n\u00a0\u3000\ufeff"


def _fold(col):
    return F.btrim(F.translate(col, _FULLWIDTH, _ASCII), F.lit(_TRIM))


def fold_header(name: str) -> str:
    """A header as :func:`with_row_key` compares it with ``row_identifier_columns``: NFKC, case-folded, trimmed."""
    import unicodedata

    return unicodedata.normalize("NFKC", name).strip(_TRIM).casefold()


def with_row_key(df: DataFrame, row_identifier_columns: Sequence[str] = (),
                 columns: Sequence[str] = CONTENT_KEY_COLUMNS) -> DataFrame:
    """Add ``row_key`` (string, SHA-256 hex) of every information column of the row after normalization.

    The first level of "exact duplicate" (issue 12, "What exact duplicates mean"): two rows are
    *identical rows* when their normalized canonical fields (``columns``) are equal and their
    unmapped columns (``extra``, a JSON object header → text) hold the same values under the same
    headers, except the columns the configuration names as row identifiers (an auto-increment
    ``id``, a row number: ``counting.row_identifier_columns``), which differ on every row and carry
    no information about the person.

    In: ``columns`` (string, nullable) and, when present, ``extra`` (string, JSON object).
    Out: ``row_key``. Unmapped values are compared with full-width forms folded and surrounding
    white space trimmed; an empty or NULL unmapped value equals an absent column; headers are
    compared as written, except that a header is a row identifier when, full-width-folded,
    trimmed and lower-cased, it is one of ``row_identifier_columns`` (folded by :func:`fold_header`:
    NFKC, case-folded, trimmed), so ``ID``/``Ｉｄ``/`` id `` are all the identifier ``id``.
    """
    ids = sorted({fold_header(c) for c in row_identifier_columns})
    parts = [F.coalesce(F.col(c), F.lit(_MISSING)) for c in columns]
    if "extra" in df.columns:
        # Keys are not rewritten (two headers that fold alike would be a duplicate map key, an
        # error in Spark): only the identifier test folds them.
        m = F.transform_values(F.from_json(F.col("extra"), "map<string,string>"), lambda k, v: _fold(v))
        keep = lambda k, v: v.isNotNull() & (v != F.lit("")) & ~F.lower(_fold(k)).isin(*ids) if ids else v.isNotNull() & (v != F.lit(""))  # noqa: E731
        m = F.map_filter(m, keep)
        parts.append(F.coalesce(F.to_json(F.array_sort(F.map_entries(m))), F.lit(_MISSING)))
    return df.withColumn("row_key", F.sha2(F.concat_ws("\u001f", *parts), 256))


def with_content_key(df: DataFrame, columns: Sequence[str] = CONTENT_KEY_COLUMNS) -> DataFrame:
    """Add ``content_key`` (string, SHA-256 hex) of the normalized person information of each record.

    The second level of "exact duplicate": *same person information* (equal normalized canonical
    fields). In: the ``columns`` (string, nullable; a field whose status is ``missing`` is NULL)
    and, when present, ``row_key`` (:func:`with_row_key`).
    Out: ``content_key``: equal exactly when every column is equal, NULL only equal to NULL. A row
    none of whose ``columns`` holds a value (its data is only in unmapped columns) still has
    content: its ``content_key`` is its ``row_key``, so two such rows are the same record only
    when they are identical rows (issue 12 defect 3: they collapsed into one record before).
    """
    parts = [F.coalesce(F.col(c), F.lit(_MISSING)) for c in columns]
    key = F.sha2(F.concat_ws("\u001f", *parts), 256)
    if "row_key" in df.columns:
        empty = reduce(lambda a, b: a & b, [F.col(c).isNull() for c in columns])
        key = F.when(empty, F.col("row_key")).otherwise(key)
    return df.withColumn("content_key", key)


def assign_categories(df: DataFrame, rules: Sequence[CategoryRule], item_categories: Mapping[str, str] | None = None,
                      paths: Sequence[str] = ()) -> DataFrame:
    """Add ``category`` (string): the most sensitive category whose fields the record carries as evidence.

    ``rules`` are ordered most sensitive first (``tier_50``, ``tier_500``, ``tier_5000``); the last
    rule is the default. A field raises a record's category only when its ``<field>_status`` is
    one of :data:`jobs.common.fields.GOOD_STATUSES` (``valid`` or ``repaired``): a placeholder card
    ``0000000000000000``, a card of the wrong length or with letters, an invalid or masked ID
    number is not evidence of 财产信息 / 身份信息 (issue 12 defect 1). The Luhn result is a flag,
    not a status, so a card failing Luhn still raises (DOMAIN.md §3). An item assigned a category
    by the case team (``item_categories``: glob → category, matched against the ``paths``
    present) raises its records to at least that category. Source: DOMAIN.md §1, configs.

    Also adds ``category_withheld`` (string, NULL unless withheld): the more sensitive category the
    record would have had if a field that failed its check could raise it, and
    ``category_withheld_by`` (string): ``<field>:<reason code>`` (or ``<field>:<status>`` without
    a reason) of the first such field of that category; ``category_rank`` / ``_withheld_rank``
    (int) are the categories' positions in ``rules``.
    """
    rank_of = {r.key: i for i, r in enumerate(rules)}
    rank = F.lit(len(rules) - 1)
    withheld = F.lit(None).cast("int")
    withheld_by = F.lit(None).cast("string")
    for i in reversed(range(len(rules))):
        fields = rules[i].fields
        if fields:
            good = F.lit(False)
            bad_by = F.lit(None).cast("string")
            for f in reversed(fields):
                status = F.col(f"{f}_status")
                why = F.col(f"{f}_reason") if f"{f}_reason" in df.columns else F.lit(None).cast("string")
                good = good | status.isin(*GOOD_STATUSES)
                bad_by = F.when((status != F.lit("missing")) & ~status.isin(*GOOD_STATUSES),
                                F.concat(F.lit(f"{f}:"), F.coalesce(why, status))).otherwise(bad_by)
            rank = F.when(good, F.lit(i)).otherwise(rank)
            withheld = F.when(bad_by.isNotNull() & ~good, F.lit(i)).otherwise(withheld)
            withheld_by = F.when(bad_by.isNotNull() & ~good, bad_by).otherwise(withheld_by)
    for pattern, key in (item_categories or {}).items():
        matched = [p for p in paths if fnmatch.fnmatch(p, pattern)]
        if matched:
            rank = F.least(rank, F.when(F.col("item_path").isin(matched), F.lit(rank_of[key])).otherwise(F.lit(len(rules) - 1)))
    keys = F.array(*[F.lit(r.key) for r in rules])
    out = df.withColumn("category_rank", rank).withColumn("category", F.element_at(keys, F.col("category_rank") + 1))
    raised = F.col("_withheld_rank") < F.col("category_rank")
    return (out.withColumn("_withheld_rank", withheld)
            .withColumn("category_withheld", F.when(raised, F.element_at(keys, F.col("_withheld_rank") + 1)))
            .withColumn("category_withheld_by", F.when(raised, withheld_by))
            .withColumn("_withheld_rank", F.when(raised, F.col("_withheld_rank"))))


def exact_duplicates(df: DataFrame, category_keys: Sequence[str]) -> tuple[DataFrame, DataFrame]:
    """Split records into survivors and duplicate links, at the two exact levels.

    In: records with ``record_id``, ``content_key``, ``row_key`` (optional: the content key
    stands in when absent), ``category_rank``, ``category`` (optionally ``category_withheld``,
    ``category_withheld_by``, ``_withheld_rank``) and the locator columns; ``category_keys``: the
    categories in rank order (most sensitive first).
    Out: ``(unique_records, duplicate_links)``. ``unique_records`` keeps one row per content key
    (the earliest locator), with ``cluster_size`` (long: rows of the cluster), ``distinct_rows``
    (long: rows of the cluster that are not identical rows of an earlier one, >= 1) and the
    cluster's most sensitive ``category`` (``category_withheld`` kept only while still more
    sensitive than it). ``duplicate_links``: ``record_id``, ``survivor_record_id`` (the cluster's
    survivor), ``reason`` — ``identical_row`` (every information column equal to an earlier row
    of the cluster except row identifiers: removed from the upper bound) or ``exact_duplicate``
    (same person information, other columns differ: removed from the lower bound only) —,
    ``row_survivor_record_id`` (the earliest identical row for ``identical_row``, else the
    survivor), ``content_key`` and the duplicate's locator.
    """
    if "row_key" not in df.columns:
        df = df.withColumn("row_key", F.col("content_key"))
    order = [F.col(c) for c in LOCATOR_ORDER] + [F.col("record_id")]
    w = Window.partitionBy("content_key").orderBy(*order)
    w_all = Window.partitionBy("content_key")
    w_row = Window.partitionBy("content_key", "row_key").orderBy(*order)
    ranked = (
        df.withColumn("_rn", F.row_number().over(w))
        .withColumn("survivor_record_id", F.first("record_id").over(w))
        .withColumn("_row_rn", F.row_number().over(w_row))
        .withColumn("row_survivor_record_id", F.first("record_id").over(w_row))
        .withColumn("cluster_size", F.count(F.lit(1)).over(w_all))
        .withColumn("distinct_rows", F.size(F.collect_set("row_key").over(w_all)).cast("long"))
        .withColumn("_min_rank", F.min("category_rank").over(w_all))
    )
    categories = F.array(*[F.lit(k) for k in category_keys])
    unique = (
        ranked.where(F.col("_rn") == 1)
        .withColumn("category_rank", F.col("_min_rank"))
        .withColumn("category", F.element_at(categories, F.col("_min_rank") + 1))
    )
    if "_withheld_rank" in df.columns:
        still = F.col("_withheld_rank") < F.col("category_rank")
        unique = unique.withColumn("category_withheld", F.when(still, F.col("category_withheld"))) \
                       .withColumn("category_withheld_by", F.when(still, F.col("category_withheld_by"))).drop("_withheld_rank")
    unique = unique.drop("_rn", "_row_rn", "_min_rank", "survivor_record_id", "row_survivor_record_id")
    links = ranked.where(F.col("_rn") > 1).select(
        "record_id", "survivor_record_id",
        F.when(F.col("_row_rn") > 1, F.lit("identical_row")).otherwise(F.lit("exact_duplicate")).alias("reason"),
        F.when(F.col("_row_rn") > 1, F.col("row_survivor_record_id")).otherwise(F.col("survivor_record_id")).alias("row_survivor_record_id"),
        "content_key", "item_sha256", "item_path", "sheet", "line_number",
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
    # The cluster's rank from its members only, then one broadcast join: a window over
    # ``cluster_id`` would put every record outside a cluster (NULL, ~94 % of rows) in one task.
    ranks = (c.join(unique.select("record_id", "category_rank"), "record_id")
             .groupBy("cluster_id").agg(F.min("category_rank").alias("_cluster_rank")))
    members = c.join(ranks, "cluster_id").select("record_id", "probable_survivor_record_id", "_cluster_rank", "cluster_id")
    joined = unique.join(F.broadcast(members), "record_id", "left")
    keys = F.array(*[F.lit(k) for k in category_keys])
    rank = F.when(F.col("cluster_id").isNull(), F.col("category_rank")).otherwise(F.col("_cluster_rank"))
    lower = F.when(F.col("probable_survivor_record_id").isNull() | (F.col("probable_survivor_record_id") == F.col("record_id")),
                   F.element_at(keys, rank + 1))
    return joined.withColumn("lower_category", lower).drop("cluster_id", "_cluster_rank")


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
        ``cluster_size``, ``distinct_rows``, ``category_withheld``, ``category_withheld_by``, ``category``, ``count_status``, ``exclusion_reason``,
        ``probable_survivor_record_id``, ``lower_category``. ``links``: :data:`LINK_COLUMNS` +
        ``level_<comparison>`` (string): ``identical_row`` and ``exact_duplicate`` links (not in
        ``unique``; ``linked_record_id`` is the survivor) and
        ``probable_duplicate`` links (both ends in ``unique``, only among ``counted`` records).
        ``result``: the :class:`jobs.deduplicate.linkage.ProbableResult`.
    """
    from jobs.deduplicate.linkage import probable_duplicates

    keys = [r.key for r in rules]
    keyed = with_content_key(with_row_key(records, counting.get("row_identifier_columns") or ()))
    keyed = assign_categories(keyed, rules, item_categories, paths)
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
