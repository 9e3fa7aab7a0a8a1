"""Blocking: the candidate pairs of the probable-duplicate model, and the hash-chosen pairs for ``u``.

A pair is a candidate when it agrees exactly on every expression of at least one blocking rule; a
block larger than ``max_block_size`` is skipped and counted (a shared landline of a company, a very
common name), so the candidate pairs are bounded by ``records × max_block_size`` per rule. The
``u`` sample takes every pair inside ``xxhash64`` buckets of the record id (reproducible, unlike
``rand(seed)`` over partitions).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.common.linkage import LinkageSettings


def _rule_key(rule: Sequence[str]) -> tuple[Column, Column]:
    exprs = [F.expr(e) for e in rule]
    present = reduce(lambda a, b: a & b, [e.isNotNull() & (e.cast("string") != F.lit("")) for e in exprs])
    return F.concat_ws("\u001f", *[e.cast("string") for e in exprs]), present


def candidate_pairs(df: DataFrame, settings: LinkageSettings) -> tuple[DataFrame, DataFrame]:
    """Pairs of records that agree exactly on every expression of at least one blocking rule.

    Args:
        df: records with ``settings.record_id`` (string, unique) and the columns the blocking
            rules name (Spark SQL expressions, e.g. ``name_key``, ``substr(surname, 1, 2)``).
        settings: ``blocking_rules`` and ``max_block_size``.

    Returns:
        ``(pairs, blocks)``. ``pairs``: ``record_id_l`` < ``record_id_r`` (string), ``blocking_rule``
        (int, the first rule that produced the pair), one row per pair. ``blocks``: per rule
        ``blocking_rule`` (int), ``blocks`` (long, blocks of 2+ records used), ``skipped_blocks``
        and ``skipped_records`` (long, blocks over ``max_block_size``), ``pairs`` (long, before
        removing pairs already produced by an earlier rule).
    """
    rid = settings.record_id
    out = []
    stats = []
    for i, rule in enumerate(settings.blocking_rules):
        key, present = _rule_key(rule)
        keyed = df.where(present).select(F.col(rid).alias("_rid"), key.alias("_bk"))
        sizes = keyed.groupBy("_bk").agg(F.count(F.lit(1)).alias("_n"))
        stats.append(sizes.where(F.col("_n") >= 2).agg(
            F.lit(i).alias("blocking_rule"),
            F.sum(F.when(F.col("_n") <= settings.max_block_size, 1).otherwise(0)).cast("long").alias("blocks"),
            F.sum(F.when(F.col("_n") > settings.max_block_size, 1).otherwise(0)).cast("long").alias("skipped_blocks"),
            F.sum(F.when(F.col("_n") > settings.max_block_size, F.col("_n")).otherwise(0)).cast("long").alias("skipped_records"),
            F.sum(F.when(F.col("_n") <= settings.max_block_size, F.col("_n") * (F.col("_n") - 1) / 2).otherwise(0)).cast("long").alias("pairs"),
        ))
        usable = keyed.join(sizes.where((F.col("_n") >= 2) & (F.col("_n") <= settings.max_block_size)).select("_bk"), "_bk")
        left, right = usable.alias("l"), usable.alias("r")
        out.append(left.join(right, (F.col("l._bk") == F.col("r._bk")) & (F.col("l._rid") < F.col("r._rid")))
                   .select(F.col("l._rid").alias("record_id_l"), F.col("r._rid").alias("record_id_r"), F.lit(i).alias("blocking_rule")))
    if not out:
        raise ValueError("no blocking rules")
    pairs = reduce(DataFrame.unionByName, out).groupBy("record_id_l", "record_id_r").agg(F.min("blocking_rule").alias("blocking_rule"))
    blocks = reduce(DataFrame.unionByName, stats)
    return pairs, blocks


def sample_pairs(df: DataFrame, settings: LinkageSettings, n_records: int) -> DataFrame:
    """About ``u_sample_pairs`` record pairs chosen by hash (reproducible), for estimating ``u``.

    Records fall into ``B = ceil(n² / (2 · u_sample_pairs))`` buckets by ``xxhash64`` of the
    record id; every pair inside a bucket is taken, ~``n²/(2B)`` pairs in all.
    Out: ``record_id_l`` < ``record_id_r`` (string).
    """
    rid = settings.record_id
    buckets = max(1, math.ceil(n_records * n_records / (2.0 * max(1, settings.u_sample_pairs))))
    b = df.select(F.col(rid).alias("_rid"), F.pmod(F.xxhash64(F.col(rid), F.lit("u-sample")), F.lit(buckets)).alias("_b"))
    left, right = b.alias("l"), b.alias("r")
    return left.join(right, (F.col("l._b") == F.col("r._b")) & (F.col("l._rid") < F.col("r._rid"))).select(
        F.col("l._rid").alias("record_id_l"), F.col("r._rid").alias("record_id_r"))


def blocking_columns(df: DataFrame, settings: LinkageSettings) -> list[str]:
    """Plain columns of ``df`` that the blocking expressions mention (so the records that
    :func:`~jobs.deduplicate.linkage.probable_duplicates` selects keep them)."""
    names = set()
    for rule in settings.blocking_rules:
        for expr in rule:
            for token in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr):
                if token in df.columns:
                    names.add(token)
    return sorted(names)
