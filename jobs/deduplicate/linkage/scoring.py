"""Scoring candidate pairs: Fellegi–Sunter match weight and probability, and the guard rails.

``match_weight = log2(λ/(1-λ)) + Σ_f log2(m_f,l / u_f,l)`` (a ``null`` level adds 0) and
``match_probability = 2^w / (1 + 2^w)`` (Fellegi & Sunter 1969). Guard rails applied whatever the
model says (issue 5): a cannot-link pair (two different valid identifiers) never links; a pair
links only with an exact agreement on a ``sufficient_alone`` field, or with agreement on at least
one ``identity_fields`` field and on at least ``min_agreeing_fields`` fields (a shared phone or
address alone links relatives, not one person).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.common.linkage import LinkageSettings
from jobs.deduplicate.linkage.em import FittedModel
from jobs.deduplicate.linkage.settings import NULL_LEVEL


def score_pairs(compared: DataFrame, model: FittedModel, settings: LinkageSettings) -> DataFrame:
    """Add ``match_weight`` (double, bits), ``match_probability`` (double), ``agreeing_fields``
    (int), ``guard`` (string: ``different_identifiers`` / ``insufficient_evidence`` / NULL) and
    ``linked`` (boolean: probability ≥ threshold and no guard) to compared pairs. Literal weights
    only, so the values are the same on every run and every partitioning."""
    weights = model.weights()
    total: Column = F.lit(model.prior_weight)
    agree_count: Column = F.lit(0)
    identity: Column = F.lit(False)
    sufficient: Column = F.lit(False)
    for c in settings.comparisons:
        g = F.col(f"gamma_{c.name}")
        w = F.when(g == NULL_LEVEL, F.lit(0.0))
        for level, value in enumerate(weights[c.name]):
            w = w.when(g == level, F.lit(value))
        total = total + w
        agrees = (g >= 0) & (g < len(c.levels))
        agree_count = agree_count + agrees.cast("int")
        if c.name in settings.identity_fields:
            identity = identity | agrees
        if c.name in settings.sufficient_alone:
            sufficient = sufficient | (g == 0)
    weight = F.round(total, 6)
    probability = F.round(F.lit(1.0) / (F.lit(1.0) + F.pow(F.lit(2.0), -weight)), 9)
    guard = (F.when(F.col("cannot_link"), F.lit("different_identifiers"))
             .when(~(sufficient | (identity & (agree_count >= settings.min_agreeing_fields))), F.lit("insufficient_evidence")))
    return (compared.withColumn("match_weight", weight)
            .withColumn("match_probability", probability)
            .withColumn("agreeing_fields", agree_count)
            .withColumn("guard", guard)
            .withColumn("linked", (F.col("match_weight") >= F.lit(round(settings.threshold_match_weight, 6))) & F.col("guard").isNull()))


#: Width of the match-weight histogram's bins, in bits (bin ``k`` holds ``k ≤ match_weight < k + 1``).
WEIGHT_BIN_BITS = 1


def weight_bins(scored: DataFrame) -> list[tuple[int, int]]:
    """The histogram of every scored candidate pair's ``match_weight`` (linked or not, guard or not):
    ``[(k, pairs)]`` ascending, bin ``k`` covering ``[k, k + 1)`` bits, empty bins left out.

    An aggregation in Spark (``floor(match_weight)``, count): only the bin counts, one row per bin
    (a few dozen), reach the driver, never a pair. Pairs whose weight is NULL are not counted (a
    scored pair always has one). The report draws it with the threshold marked (issue 15), so a
    reader sees how far the linked pairs lie from the rest.

    Args:
        scored: :func:`score_pairs` output (``match_weight``: double, bits).

    Returns:
        ``(bin index, number of candidate pairs)`` pairs (Python ints).
    """
    rows = (scored.where(F.col("match_weight").isNotNull())
            .groupBy(F.floor(F.col("match_weight") / F.lit(WEIGHT_BIN_BITS)).alias("k"))
            .agg(F.count(F.lit(1)).alias("n")).collect())
    return sorted((int(r["k"]), int(r["n"])) for r in rows)
