"""The case report's DataFrame functions: the records of each seizure's bundle, art. 11 counts per
suspect, distinct records of the case and the cross-seizure overlap.

In: ``records.csv`` of each verified bundle (:func:`read_records`). Out: plain dicts of counts
(:func:`art11_counts`, :func:`case_distinct`, :func:`overlap_counts`) and the overlap rows
(:func:`overlap`, the rows of ``cross_seizure_overlap.csv``). The rules are those of
:mod:`jobs.case_report.job` (法释〔2017〕10号 art. 11). pyspark is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobs.case_report.roles import Role
from jobs.common.fields import CONTENT_KEY_COLUMNS, GOOD_STATUSES
from jobs.export.bundle import Bundle

#: Field statuses whose value identifies a person across seizures (the same pair as
#: ``jobs.deduplicate.transforms.GOOD_STATUSES``).

#: Columns of ``cross_seizure_overlap.csv``, in order.
OVERLAP_COLUMNS: tuple[str, ...] = (
    "seizure_id", "other_seizure_id", "match", "record_id", "count_status", "item_sha256", "item_path", "sheet", "line_number",
    "other_record_id", "other_count_status", "other_item_sha256", "other_item_path", "other_sheet", "other_line_number",
)
#: Match kinds, strongest first: same content key; same valid ID number; same name key + valid phone.
MATCH_KINDS: tuple[str, ...] = ("exact", "probable_id_number", "probable_name_phone")


def read_records(spark, bundle: Bundle, role: Role, category_keys: Sequence[str]):
    """``records.csv`` of a bundle as a DataFrame with the columns the case report needs.

    Out (one row per record of ``records.csv``): ``seizure_id``, ``suspect``, ``transaction``,
    ``buyer`` (string, NULL unless sold), ``record_id``, ``count_status`` (string; ``counted`` for a
    bundle written before count statuses existed), ``bucket`` (the category key for a ``counted``
    record, ``bare_phone``, or NULL when excluded), ``rank`` / ``lower_rank`` (int, position of the
    category in ``category_keys``; ``lower_rank`` NULL for a probable duplicate of its seizure),
    ``exact_key`` (string, content key), ``lower_key`` (string), ``id_valid`` (string, the valid ID
    number or NULL), ``name_phone`` (string key or NULL) and the locator ``item_sha256``,
    ``item_path``, ``sheet``, ``line_number`` (string as written, ``line_no`` long for ordering).
    """
    from pyspark.sql import functions as F

    from jobs.deduplicate.transforms import with_content_key

    df = (spark.read.option("header", True).option("multiLine", True).option("escape", '"').option("quote", '"')
          .option("encoding", "UTF-8").option("inferSchema", False).csv(str(bundle.folder / "records.csv")))
    df = df.toDF(*[c.lstrip("\ufeff") for c in df.columns])
    orig = set(df.columns)
    for c in ("count_status", "lower_category", "content_key", "id_number_status", "phone_status", *CONTENT_KEY_COLUMNS):
        if c not in df.columns:
            df = df.withColumn(c, F.lit(None).cast("string"))
    if "content_key" in orig:
        keyed = df
    else:
        keyed = with_content_key(df.drop("content_key"), CONTENT_KEY_COLUMNS)
    ranks = F.create_map(*[x for i, k in enumerate(category_keys) for x in (F.lit(k), F.lit(i))])
    status = F.coalesce(F.col("count_status"), F.lit("counted"))
    lower_cat = F.col("lower_category") if "lower_category" in orig else F.col("category")
    id_valid = F.when(F.col("id_number_status").isin(*GOOD_STATUSES), F.col("id_number"))
    name_phone = F.when(F.col("name_key").isNotNull() & F.col("phone_status").isin(*GOOD_STATUSES),
                        F.concat_ws("\u001f", F.col("name_key"), F.col("phone")))
    return keyed.select(
        F.lit(bundle.seizure_id).alias("seizure_id"), F.lit(role.suspect).alias("suspect"), F.lit(role.transaction).alias("transaction"),
        F.lit(role.buyer or None).cast("string").alias("buyer"), "record_id", status.alias("count_status"),
        F.when(status == "counted", F.col("category")).when(status == "bare_phone", F.lit("bare_phone")).alias("bucket"),
        ranks[F.col("category")].cast("int").alias("rank"),
        ranks[lower_cat].cast("int").alias("lower_rank"),
        F.col("content_key").alias("exact_key"),
        F.coalesce(F.concat(F.lit("id:"), id_valid), F.concat(F.lit("np:"), name_phone), F.concat(F.lit("ck:"), F.col("content_key"))).alias("lower_key"),
        id_valid.alias("id_valid"), name_phone.alias("name_phone"),
        "item_sha256", "item_path", F.coalesce(F.col("sheet"), F.lit("")).alias("sheet"), "line_number",
        F.col("line_number").cast("long").alias("line_no"),
    )


def art11_counts(records, category_keys: Sequence[str], key: str, rank: str) -> dict[str, dict[str, Any]]:
    """Per suspect, per bucket: distinct records, records obtained and also sold, extra buyer sales, art. 11 count.

    In: :func:`read_records` rows (``suspect``, ``transaction``, ``buyer``, ``bucket``, ``key``, ``rank``).
    A record (one ``key``) takes the most sensitive category among the suspect's copies of it
    (lowest ``rank``); a record that is ``bare_phone`` in every copy is in ``bare_phone``.

    Out: ``{suspect: {bucket: {"distinct_records", "obtained_and_sold", "extra_buyer_sales", "art11_count"}}}``
    (ints) with ``art11_count = distinct_records + extra_buyer_sales`` (art. 11 items 1–3).
    """
    from pyspark.sql import functions as F

    keys = F.array(*[F.lit(k) for k in category_keys])
    counted = records.where(F.col("bucket").isNotNull() & F.col(key).isNotNull() & F.col(rank).isNotNull())
    # element_at with a NULL index returned an element in Spark here: choose bare_phone with an explicit when.
    per = (counted.groupBy("suspect", key)
           .agg(F.min(F.when(F.col("bucket") != "bare_phone", F.col(rank))).alias("r"),
                F.countDistinct("buyer").alias("nb"),
                F.max((F.col("transaction") == "obtained").cast("int")).alias("obtained"))
           .withColumn("bucket", F.when(F.col("r").isNotNull(), F.element_at(keys, F.col("r") + 1)).otherwise(F.lit("bare_phone"))))
    rows = (per.groupBy("suspect", "bucket")
            .agg(F.count(F.lit(1)).alias("distinct_records"),
                 F.sum(((F.col("obtained") == 1) & (F.col("nb") > 0)).cast("long")).alias("obtained_and_sold"),
                 F.sum(F.greatest(F.col("nb") - 1, F.lit(0))).alias("extra_buyer_sales"))
            .collect())
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        d, extra = int(r["distinct_records"]), int(r["extra_buyer_sales"])
        out.setdefault(r["suspect"], {})[r["bucket"]] = {"distinct_records": d, "obtained_and_sold": int(r["obtained_and_sold"]),
                                                         "extra_buyer_sales": extra, "art11_count": d + extra}
    return out


def case_distinct(records, category_keys: Sequence[str], key: str, rank: str) -> dict[str, int]:
    """Distinct records over every seizure of the case, per bucket (a record once however many seizures hold it)."""
    from pyspark.sql import functions as F

    keys = F.array(*[F.lit(k) for k in category_keys])
    counted = records.where(F.col("bucket").isNotNull() & F.col(key).isNotNull() & F.col(rank).isNotNull())
    per = counted.groupBy(key).agg(F.min(F.when(F.col("bucket") != "bare_phone", F.col(rank))).alias("r")) \
        .withColumn("bucket", F.when(F.col("r").isNotNull(), F.element_at(keys, F.col("r") + 1)).otherwise(F.lit("bare_phone")))
    return {r["bucket"]: int(r["count"]) for r in per.groupBy("bucket").count().collect()}


def overlap(records):
    """Rows of ``cross_seizure_overlap.csv``: for each ordered pair of seizures, the records of the first
    that also occur in the second.

    In: :func:`read_records` rows of every seizure. A pair of records matches ``exact`` (same content
    key), else ``probable_id_number`` (same valid ID number), else ``probable_name_phone`` (same name
    key and valid phone, and not two different valid ID numbers: issue 5 guard rail). Each pair of
    records appears once, with its strongest match. Out: :data:`OVERLAP_COLUMNS` (strings) plus
    ``line_no`` / ``other_line_no`` (long, for ordering).
    """
    from pyspark.sql import functions as F

    cols = ["seizure_id", "record_id", "count_status", "item_sha256", "item_path", "sheet", "line_number", "line_no"]
    a = records.select(*cols, "exact_key", "id_valid", "name_phone")
    b = a.select(*[F.col(c).alias(f"other_{c}") for c in a.columns])
    other = lambda c: F.col(f"other_{c}")  # noqa: E731
    diff = F.col("seizure_id") != other("seizure_id")
    parts = [
        a.join(b, (F.col("exact_key") == other("exact_key")) & diff).withColumn("m", F.lit(0)),
        a.join(b, (F.col("id_valid") == other("id_valid")) & diff).withColumn("m", F.lit(1)),
        a.join(b, (F.col("name_phone") == other("name_phone")) & diff
               & ~(F.col("id_valid").isNotNull() & other("id_valid").isNotNull() & (F.col("id_valid") != other("id_valid")))).withColumn("m", F.lit(2)),
    ]
    allm = parts[0].unionByName(parts[1]).unionByName(parts[2])
    best = allm.groupBy(*cols, *[f"other_{c}" for c in cols]).agg(F.min("m").alias("m"))
    kinds = F.array(*[F.lit(k) for k in MATCH_KINDS])
    return best.withColumn("match", F.element_at(kinds, F.col("m") + 1)).drop("m")


def overlap_counts(pairs, seizures: Sequence[str]) -> list[dict[str, Any]]:
    """Per ordered pair of seizures: records of the first with an exact match in the second, with only a
    probable match, and overlap rows. Every ordered pair is listed (zeros when none)."""
    from pyspark.sql import functions as F

    per = pairs.groupBy("seizure_id", "other_seizure_id", "record_id").agg(F.min(F.when(F.col("match") == "exact", 0).otherwise(1)).alias("p"), F.count(F.lit(1)).alias("rows"))
    got = {(r["seizure_id"], r["other_seizure_id"]): r for r in
           per.groupBy("seizure_id", "other_seizure_id")
           .agg(F.sum((F.col("p") == 0).cast("long")).alias("exact"), F.sum((F.col("p") == 1).cast("long")).alias("probable"), F.sum("rows").alias("rows"))
           .collect()}
    out = []
    for s in seizures:
        for o in seizures:
            if s != o:
                r = got.get((s, o))
                out.append({"seizure_id": s, "other_seizure_id": o,
                            "exact_records": int(r["exact"]) if r else 0, "probable_only_records": int(r["probable"]) if r else 0,
                            "overlap_rows": int(r["rows"]) if r else 0})
    return out
