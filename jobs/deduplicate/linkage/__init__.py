"""Probable duplicates: blocking, Fellegi–Sunter scoring fitted by EM, guard rails, clustering.

Model: Fellegi, I. P. & Sunter, A. B. (1969), "A Theory for Record Linkage", JASA 64(328). Each
candidate pair gets a comparison vector γ (one level per compared field: exact, fuzzy levels,
``else``, or ``null`` when either side is missing). With ``m_f,l = P(γ_f = l | same person)`` and
``u_f,l = P(γ_f = l | different persons)`` the match weight is
``log2(λ/(1-λ)) + Σ_f log2(m_f,l / u_f,l)`` (a ``null`` level adds 0: missing versus missing is no
evidence) and the match probability ``2^w / (1 + 2^w)``.

Estimation (deterministic, no random sampling):

- ``u`` from a hash-chosen set of record pairs (almost all pairs of two records are different
  persons), with add-one smoothing, as Splink's ``estimate_u_using_random_sampling`` does but with
  a reproducible choice of pairs (``xxhash64`` buckets of the record id);
- ``m`` and ``λ`` by EM on the candidate pairs with ``u`` held fixed (Winkler 1988; fastLink,
  Enamorado et al. 2019, runs EM on the counts of distinct comparison vectors, as here). The pairs
  are aggregated in Spark into the distinct vectors and their counts (at most Π levels rows), so
  EM runs on the driver over a few hundred numbers, never over rows.

Guard rails applied after scoring, whatever the model says (issue 5):

- ``distinct_identifiers``: two records whose identifier is valid on both sides and differs are a
  cannot-link pair (two different valid resident ID numbers are two persons: GB 11643-1999 gives
  one number per person for life, and a one-digit typo breaks the MOD 11-2 check, so it is never
  a valid number);
- missing versus missing is a ``null`` level, weight 0;
- a pair links only with an exact agreement on a field that is ``sufficient_alone`` (the ID
  number), or with agreement on at least one ``identity_fields`` field and on at least
  ``min_agreeing_fields`` fields: a shared phone or address alone links relatives, not one person;
- clusters (connected components of the linked pairs) are checked for cannot-link pairs; a
  cluster that holds one is rebuilt by adding its links strongest first and refusing any link
  that would join two records of a cannot-link pair, so no weak bridge chains two persons.

Blocking (near-linear candidate pairs): a pair is a candidate when it agrees exactly on every
expression of at least one blocking rule; a block larger than ``max_block_size`` is skipped and
counted (a shared landline of a company, a very common name), so the candidate pairs are bounded
by ``records × max_block_size`` per rule.

Modules (this package's surface is :func:`probable_duplicates` and :class:`ProbableResult`):

- :mod:`jobs.common.linkage`: ``LinkageSettings``, ``Comparison`` (a section of the configuration);
- :mod:`~jobs.deduplicate.linkage.settings`: ``NULL_LEVEL``,
  default ``m`` / ``u``;
- :mod:`~jobs.deduplicate.linkage.blocking`: candidate pairs, the hash-chosen ``u`` sample;
- :mod:`~jobs.deduplicate.linkage.comparisons`: agreement levels, comparison vectors γ, cannot-link;
- :mod:`~jobs.deduplicate.linkage.em`: ``u`` estimation, EM for ``m`` and ``λ``, ``FittedModel``;
- :mod:`~jobs.deduplicate.linkage.scoring`: match weight, probability, guard rails;
- :mod:`~jobs.deduplicate.linkage.clustering`: constrained clusters on the driver.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.common.linkage import LinkageSettings
from jobs.deduplicate.linkage.blocking import blocking_columns, candidate_pairs, sample_pairs
from jobs.deduplicate.linkage.clustering import constrained_clusters, survivor_rows
from jobs.deduplicate.linkage.comparisons import compare_pairs, level_labels, side_columns
from jobs.deduplicate.linkage.em import FittedModel, comparison_patterns, estimate_u, fit_em
from jobs.deduplicate.linkage.scoring import score_pairs
from jobs.deduplicate.linkage.settings import defaults

__all__ = ["ProbableResult", "probable_duplicates"]


@dataclass
class ProbableResult:
    """Everything :func:`probable_duplicates` produces."""

    scored: DataFrame          # every candidate pair with gammas, weight, probability, guard, linked (lazy)
    clusters: DataFrame        # record_id, cluster_id, survivor_record_id, cluster_size (records in clusters of 2+)
    links: DataFrame           # one row per probable duplicate (see probable_duplicates)
    model: FittedModel
    stats: dict[str, Any]      # counts for the bench and the report (plain Python values)


def probable_duplicates(df: DataFrame, settings: LinkageSettings) -> ProbableResult:
    """Find probable duplicates among ``df`` (records already free of exact duplicates).

    Blocking, comparison, estimation and scoring run in Spark; only the linked pairs (about one
    per probable duplicate) reach the driver, where :func:`constrained_clusters` groups them.

    Args:
        df: records with ``settings.record_id`` (string, unique), the compared columns (string,
            NULL when missing), the ``<column>_status`` of each ``distinct_identifiers`` column
            and the ``settings.order_by`` columns.
        settings: the model settings (``configs/linkage.yaml``).

    Returns:
        A :class:`ProbableResult`. ``links``: ``record_id`` (the probable duplicate),
        ``survivor_record_id`` (the first record of its cluster by ``order_by``),
        ``linked_record_id`` (the other end of its strongest link inside the cluster),
        ``match_weight`` (double), ``match_probability`` (double) and ``level_<name>`` (string)
        of that link, ``cluster_id`` (string) and ``cluster_size`` (long).
    """
    rid = settings.record_id
    spark = df.sparkSession
    order_cols = [c for c in settings.order_by if c != rid]
    ident_exprs = []
    for column, statuses in settings.distinct_identifiers.items():
        valid = F.col(column).isNotNull()
        if statuses:
            valid = valid & F.col(f"{column}_status").isin(*statuses)
        ident_exprs.append(F.when(valid, F.col(column)).alias(f"_ident_{column}"))
    side = sorted({*side_columns(settings), *order_cols, *blocking_columns(df, settings)} - {rid})
    base = df.select(F.col(rid), *[F.col(c) for c in side], *ident_exprs).cache()
    n = base.count()
    blocking = candidate_pairs(base, settings)
    compared = compare_pairs(blocking.pairs, base, settings).cache()
    patterns = comparison_patterns(compared, settings)
    if n >= 2 and sum(c for _, c in patterns) >= settings.em_min_pairs:
        u, u_pairs = estimate_u(compare_pairs(sample_pairs(base, settings, n), base, settings), settings)
    else:
        u, u_pairs = defaults(settings, "u"), 0
    model = fit_em(patterns, u, settings, u_pairs=u_pairs)
    scored = score_pairs(compared, model, settings)
    labels = level_labels(settings)
    label_names = list(labels)
    linked = scored.where(F.col("linked"))
    edges = linked.select("record_id_l", "record_id_r", "match_weight", "match_probability",
                          *[e.alias(k) for k, e in labels.items()]).collect()
    members = sorted({e["record_id_l"] for e in edges} | {e["record_id_r"] for e in edges})
    info: dict[str, Any] = {}
    if members:
        # The members as a broadcast semi-join computed in Spark, not an isin() of every id as a
        # literal: ~261k literals cost tens of CPU-seconds of driver planning (issue 14).
        ends = linked.select(F.col("record_id_l").alias(rid)).union(linked.select(F.col("record_id_r").alias(rid))).distinct()
        rows = (base.join(F.broadcast(ends), rid, "left_semi")
                .select(rid, *order_cols, *[f"_ident_{c}" for c in settings.distinct_identifiers]).collect())
        info = {r[rid]: r for r in rows}
    identifiers = {v: {c: info[v][f"_ident_{c}"] for c in settings.distinct_identifiers} for v in members}
    cluster_of, refused = constrained_clusters([(float(e["match_weight"]), e["record_id_l"], e["record_id_r"]) for e in edges], identifiers)
    order_key = {v: (tuple(("" if info[v][c] is None else info[v][c]) for c in order_cols), v) for v in members}
    cluster_rows, link_rows = survivor_rows(edges, cluster_of, order_key, label_names)
    clusters = spark.createDataFrame(cluster_rows, "record_id string, cluster_id string, survivor_record_id string, cluster_size long")
    links = spark.createDataFrame(link_rows, "record_id string, survivor_record_id string, linked_record_id string, match_weight double, "
                                  "match_probability double, " + ", ".join(f"{k} string" for k in label_names)
                                  + ", cluster_id string, cluster_size long")
    threshold_w = round(settings.threshold_match_weight, 6)
    near = F.abs(F.col("match_weight") - F.lit(threshold_w)) <= F.lit(settings.near_threshold_weight)
    agg = scored.agg(
        F.count(F.lit(1)).alias("candidate_pairs"),
        F.sum(F.col("linked").cast("int")).alias("linked_pairs"),
        F.sum((F.col("guard") == "different_identifiers").cast("int")).alias("refused_different_identifiers"),
        F.sum(((F.col("guard") == "insufficient_evidence") & (F.col("match_weight") >= threshold_w)).cast("int")).alias("refused_insufficient_evidence"),
        F.sum(near.cast("int")).alias("near_threshold_pairs"),
        F.sum((near & F.col("linked")).cast("int")).alias("near_threshold_linked"),
    ).collect()[0]
    stats = {
        "records": n,
        "candidate_pairs": int(agg["candidate_pairs"] or 0),
        "linked_pairs": int(agg["linked_pairs"] or 0),
        "refused_different_identifiers": int(agg["refused_different_identifiers"] or 0),
        "refused_insufficient_evidence": int(agg["refused_insufficient_evidence"] or 0),
        "near_threshold_pairs": int(agg["near_threshold_pairs"] or 0),
        "near_threshold_linked": int(agg["near_threshold_linked"] or 0),
        "links_refused_in_clustering": refused,
        "probable_clusters": len({row[1] for row in cluster_rows}),
        "probable_duplicates": len(link_rows),
        "blocking": [{**asdict(r), "rule": list(settings.blocking_rules[r.blocking_rule])} for r in blocking.rules],
        "threshold_match_probability": settings.threshold_match_probability,
        "threshold_match_weight": threshold_w,
        "near_threshold_band_weight": settings.near_threshold_weight,
    }
    return ProbableResult(scored, clusters, links, model, stats)
