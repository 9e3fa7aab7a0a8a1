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
from dataclasses import dataclass
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.window import Window

from jobs.common.linkage import LinkageSettings


def _rule_key(rule: Sequence[str]) -> tuple[Column, Column]:
    exprs = [F.expr(e) for e in rule]
    present = reduce(lambda a, b: a & b, [e.isNotNull() & (e.cast("string") != F.lit("")) for e in exprs])
    return F.concat_ws("\u001f", *[e.cast("string") for e in exprs]), present


@dataclass(frozen=True)
class RuleBlocks:
    """Block statistics of one blocking rule (plain ints, collected to the driver).

    ``blocks``: blocks of 2 to ``max_block_size`` records (used); ``skipped_blocks`` and
    ``skipped_records``: blocks over ``max_block_size`` and the records in them (not used);
    ``pairs``: the pairs of the used blocks, Σ n(n-1)/2, before removing pairs that an earlier
    rule already produced. A key held by one record is no block.
    """

    blocking_rule: int
    blocks: int
    skipped_blocks: int
    skipped_records: int
    pairs: int


@dataclass(frozen=True)
class Blocking:
    """What :func:`candidate_pairs` returns: the pairs (lazy) and each rule's block statistics."""

    pairs: DataFrame
    rules: tuple[RuleBlocks, ...]


def candidate_pairs(df: DataFrame, settings: LinkageSettings) -> Blocking:
    """Pairs of records that agree exactly on every expression of at least one blocking rule.

    One pass for every rule (issue 14): the (rule, key) of each record is exploded once, one
    window over (rule, key) gives each block's size, and that partitioning (cached, the records of
    blocks of 2+ only) serves both the statistics, collected here, and the self-join of the pairs,
    which needs no further shuffle. Before, every rule aggregated its block sizes twice (statistics
    and pairs) and joined them back: four shuffles a rule.

    Args:
        df: records with ``settings.record_id`` (string, unique) and the columns the blocking
            rules name (Spark SQL expressions, e.g. ``name_key``, ``substr(surname, 1, 2)``).
            A record takes part in a rule only when every expression is non-NULL and non-empty.
        settings: ``blocking_rules`` and ``max_block_size``.

    Returns:
        A :class:`Blocking`. ``pairs``: ``record_id_l`` < ``record_id_r`` (string),
        ``blocking_rule`` (int, the first rule that produced the pair), one row per pair.
        ``rules``: one :class:`RuleBlocks` per rule, in rule order (zeros for a rule with no block).

    Raises:
        ValueError: no blocking rules.
    """
    if not settings.blocking_rules:
        raise ValueError("no blocking rules")
    rid, limit = settings.record_id, settings.max_block_size
    keys = []
    for i, rule in enumerate(settings.blocking_rules):
        key, present = _rule_key(rule)
        keys.append(F.struct(F.lit(i).alias("_rule"), F.when(present, key).alias("_bk")))
    keyed = (df.select(F.col(rid).alias("_rid"), F.explode(F.array(*keys)).alias("_k"))
             .select("_rid", "_k._rule", "_k._bk").where(F.col("_bk").isNotNull()))
    block = Window.partitionBy("_rule", "_bk")
    # _first marks one record per block (its smallest id), so the block counts need no second aggregation.
    sized = (keyed.select("_rule", "_bk", "_rid", F.count(F.lit(1)).over(block).alias("_n"),
                          (F.col("_rid") == F.min("_rid").over(block)).alias("_first"))
             .where(F.col("_n") >= 2).cache())
    first, used = F.col("_first"), F.col("_n") <= limit
    rows = sized.where(first).groupBy("_rule").agg(
        F.sum(used.cast("long")).alias("blocks"),
        F.sum((~used).cast("long")).alias("skipped_blocks"),
        F.sum(F.when(~used, F.col("_n")).otherwise(0)).cast("long").alias("skipped_records"),
        F.sum(F.when(used, F.expr("_n * (_n - 1) div 2")).otherwise(0)).cast("long").alias("pairs"),
    ).collect()
    got = {int(r["_rule"]): r for r in rows}
    stats = tuple(RuleBlocks(i, *(int(got[i][c]) if i in got else 0 for c in ("blocks", "skipped_blocks", "skipped_records", "pairs")))
                  for i in range(len(settings.blocking_rules)))
    usable = sized.where(used).select("_rule", "_bk", "_rid")
    left, right = usable.alias("l"), usable.alias("r")
    pairs = (left.join(right, (F.col("l._rule") == F.col("r._rule")) & (F.col("l._bk") == F.col("r._bk")) & (F.col("l._rid") < F.col("r._rid")))
             .select(F.col("l._rid").alias("record_id_l"), F.col("r._rid").alias("record_id_r"), F.col("l._rule").alias("blocking_rule"))
             .groupBy("record_id_l", "record_id_r").agg(F.min("blocking_rule").alias("blocking_rule")))
    return Blocking(pairs, stats)


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
