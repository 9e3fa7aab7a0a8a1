"""Review decisions applied in the deduplicate stage (issue 17), deterministically.

After :func:`jobs.deduplicate.transforms.deduplicate`, on its outputs:

- a record judged ``untrue`` leaves the count: ``count_status`` ``untrue``, ``exclusion_reason``
  ``review:untrue`` and ``reviewed_by`` (the reviewer); its probable links go (法释〔2017〕10号 art. 11:
  records shown to be untrue do not count);
- a pair judged ``different`` is removed from the linked pairs, a pair judged ``same`` is kept (and
  added when it is a candidate pair the model did not link); ``unsure`` changes nothing;
- the probable clusters are rebuilt from the linked pairs that remain, with the same cannot-link
  clustering (:func:`jobs.deduplicate.linkage.clustering.constrained_clusters`), survivors and
  strongest links as :func:`jobs.deduplicate.linkage.probable_duplicates` chooses them;
- a decision whose pair is no longer a candidate pair, or whose record is no longer a unique
  record, is reported as ``stale`` (with its entry number), never dropped silently.

Only the linked pairs and the decided ids reach the driver, never a record value. With no
decision the stage's outputs are untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from jobs.review.decisions import Decision, latest_decisions

#: ``exclusion_reason`` of a record a reviewer judged untrue.
UNTRUE_REASON = "review:untrue"


@dataclass
class ReviewApplied:
    """What applying the decisions did: counts and the stale decisions (entry numbers, kinds, targets: ids only)."""

    decisions: int = 0
    pairs: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    links_removed: int = 0
    links_added: int = 0
    stale: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"decisions": self.decisions, "pairs": dict(sorted(self.pairs.items())), "records": dict(sorted(self.records.items())),
                "links_removed": self.links_removed, "links_added": self.links_added, "stale": self.stale}


def apply_review(unique: DataFrame, links: DataFrame, result, settings, category_keys: Sequence[str],
                 entries: Sequence[Decision]) -> tuple[DataFrame, DataFrame, ReviewApplied]:
    """Apply the latest decision per target to ``deduplicate``'s outputs.

    Args:
        unique, links: :func:`jobs.deduplicate.transforms.deduplicate` outputs (``links`` with
            :data:`jobs.deduplicate.transforms.LINK_COLUMNS` and ``level_<name>``).
        result: its :class:`jobs.deduplicate.linkage.ProbableResult` (``scored``: every candidate pair
            with ``record_id_l``, ``record_id_r``, ``match_weight``, ``match_probability``, ``linked``).
        settings: :class:`jobs.common.linkage.LinkageSettings`. category_keys: most sensitive first.
        entries: the checked decision log (:meth:`jobs.review.decisions.DecisionLog.entries`).

    Returns:
        ``(unique, links, applied)``: the same columns (``unique`` gains ``reviewed_by``, string,
        when there is a decision), and a :class:`ReviewApplied`.
    """
    from jobs.deduplicate.linkage.clustering import constrained_clusters
    from jobs.deduplicate.linkage.comparisons import level_labels
    from jobs.deduplicate.transforms import LINK_COLUMNS, apply_probable_clusters

    applied = ReviewApplied(decisions=len(entries))
    if not entries:
        return unique, links, applied
    latest = latest_decisions(list(entries))
    rid = settings.record_id
    spark = unique.sparkSession
    record_dec = {t: d for (k, t), d in latest.items() if k == "record"}
    pair_dec = {t: d for (k, t), d in latest.items() if k == "pair"}
    ids = sorted(set(record_dec) | {x for t in pair_dec for x in t.split("|")})
    present = {r[rid] for r in unique.where(F.col(rid).isin(ids)).select(rid).collect()} if ids else set()
    untrue: dict[str, str] = {}
    for t, d in sorted(record_dec.items()):
        if t not in present:
            applied.stale.append({"entry": d.seq, "kind": "record", "target": t, "decision": d.decision, "why": "record_not_found"})
            continue
        applied.records[d.decision] = applied.records.get(d.decision, 0) + 1
        if d.decision == "untrue":
            untrue[t] = d.reviewer
    labels = level_labels(settings)
    label_names = list(labels)
    cols = ["record_id_l", "record_id_r", "match_weight", "match_probability", *[e.alias(k) for k, e in labels.items()]]
    edges = {tuple(sorted((e["record_id_l"], e["record_id_r"]))): e for e in result.scored.where(F.col("linked")).select(*cols).collect()}
    linked_before = len(edges)
    decided = [tuple(t.split("|")) for t in pair_dec]
    cond = F.lit(False)
    for a, b in decided:
        cond = cond | ((F.col("record_id_l") == a) & (F.col("record_id_r") == b)) | ((F.col("record_id_l") == b) & (F.col("record_id_r") == a))
    candidates = {tuple(sorted((e["record_id_l"], e["record_id_r"]))): e for e in result.scored.where(cond).select(*cols).collect()} if decided else {}
    for t, d in sorted(pair_dec.items()):
        key = tuple(t.split("|"))
        if key not in candidates:
            applied.stale.append({"entry": d.seq, "kind": "pair", "target": t, "decision": d.decision, "why": "not_a_candidate_pair"})
            continue
        applied.pairs[d.decision] = applied.pairs.get(d.decision, 0) + 1
        if d.decision == "different" and key in edges:
            del edges[key]
        elif d.decision == "same" and key not in edges:
            edges[key] = candidates[key]
            applied.links_added += 1
    for key in [k for k in edges if k[0] in untrue or k[1] in untrue]:
        del edges[key]
    applied.links_removed = linked_before + applied.links_added - len(edges)  # rejected, and those of untrue records

    reviewer = F.lit(None).cast("string")
    status, reason = F.col("count_status"), F.col("exclusion_reason")
    if untrue:
        hit = F.col(rid).isin(sorted(untrue))
        for r, name in sorted(untrue.items()):
            reviewer = F.when(F.col(rid) == r, F.lit(name)).otherwise(reviewer)
        status = F.when(hit, F.lit("untrue")).otherwise(status)
        reason = F.when(hit, F.lit(UNTRUE_REASON)).otherwise(reason)
    base = unique.drop("probable_survivor_record_id", "lower_category").withColumn("count_status", status) \
                 .withColumn("exclusion_reason", reason).withColumn("reviewed_by", reviewer)
    clusters, probable = _rebuild(spark, base, list(edges.values()), settings, label_names, constrained_clusters)
    unique_out = apply_probable_clusters(base, clusters, category_keys)
    level_cols = [f"level_{c.name}" for c in settings.comparisons]
    probable = (probable.join(unique_out.select("record_id", "content_key", "item_sha256", "item_path", "sheet", "line_number"), "record_id")
                .withColumn("reason", F.lit("probable_duplicate")))
    exact = links.where(F.col("reason") != "probable_duplicate")
    links_out = exact.select(*LINK_COLUMNS, *level_cols).unionByName(probable.select(*LINK_COLUMNS, *level_cols))
    return unique_out, links_out, applied


def _rebuild(spark, base: DataFrame, edges: list, settings, label_names: list[str], constrained_clusters) -> tuple[DataFrame, DataFrame]:
    """Clusters and one link per probable duplicate from ``edges``, as :func:`jobs.deduplicate.linkage.probable_duplicates`
    builds them (same survivor order, same strongest-link choice, same cannot-link rule)."""
    from jobs.deduplicate.linkage.clustering import survivor_rows
    rid = settings.record_id
    order_cols = [c for c in settings.order_by if c != rid]
    members = sorted({e["record_id_l"] for e in edges} | {e["record_id_r"] for e in edges})
    info: dict[str, Any] = {}
    ident_cols = []
    if members:
        exprs = []
        for column, statuses in settings.distinct_identifiers.items():
            valid = F.col(column).isNotNull()
            if statuses:
                valid = valid & F.col(f"{column}_status").isin(*statuses)
            exprs.append(F.when(valid, F.col(column)).alias(f"_ident_{column}"))
            ident_cols.append(column)
        info = {r[rid]: r for r in base.where(F.col(rid).isin(members)).select(rid, *order_cols, *exprs).collect()}
    identifiers: Mapping[str, Mapping[str, Any]] = {v: {c: info[v][f"_ident_{c}"] for c in ident_cols} for v in members}
    cluster_of, _ = constrained_clusters([(float(e["match_weight"]), e["record_id_l"], e["record_id_r"]) for e in edges], identifiers)
    order_key = {v: (tuple(("" if info[v][c] is None else info[v][c]) for c in order_cols), v) for v in members}
    cluster_rows, link_rows = survivor_rows(edges, cluster_of, order_key, label_names)
    clusters = spark.createDataFrame(cluster_rows, "record_id string, cluster_id string, survivor_record_id string, cluster_size long")
    links = spark.createDataFrame(link_rows, "record_id string, survivor_record_id string, linked_record_id string, match_weight double, "
                                  "match_probability double, " + ", ".join(f"{k} string" for k in label_names) + ", cluster_id string, cluster_size long")
    return clusters, links
