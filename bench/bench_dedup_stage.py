"""A/B benchmark of the deduplicate transform alone, on a committed ``records`` Parquet of normalize.

Usage::

    .venv/bin/python bench/bench_dedup_stage.py --records DIR/records --label after --out bench/results/x.json

The timed part is what the deduplicate stage computes before it publishes: ``deduplicate`` on the
records, the two datasets it publishes (``unique_records``, ``duplicate_links``) written as
Parquet, and the probable model's statistics. The result holds wall seconds, CPU seconds (this
Python driver plus the Spark JVM and its Python workers: the machine is shared, CPU time moves
less with other people's load than wall time), the Spark jobs of the timed part and an order-free digest of each output (SHA-256
over the sorted SHA-256 of each row's JSON), so two variants can be checked for identical output
without printing a value. Only counts and digests are printed, never a record value.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from pyspark.sql import functions as F

from bench.bench_normalize import _cpu_seconds
from jobs.common.config import load_config
from jobs.deduplicate.transforms import deduplicate
from jobs.engine.session import get_spark


def _digest(df) -> tuple[int, str]:
    """(rows, SHA-256 of the sorted per-row SHA-256 of ``to_json(struct(*))``): independent of row order."""
    rows = sorted(r[0] for r in df.select(F.sha2(F.to_json(F.struct(*[F.col(c) for c in sorted(df.columns)])), 256)).collect())
    return len(rows), hashlib.sha256("\n".join(rows).encode("ascii")).hexdigest()


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime



def emit_result(out: dict, spark, path: str | None) -> None:
    """Add the machine, core count and Spark master to one result, print it as one sorted JSON line,
    append it to ``path`` when given, and stop ``spark``."""
    out = {**out, "machine": platform.platform(), "cores": os.cpu_count(), "spark_master": spark.sparkContext.master}
    line = json.dumps(out, sort_keys=True)
    print(line)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    spark.stop()

def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", required=True, help="the records Parquet folder of a committed normalize stage")
    p.add_argument("--label", required=True)
    p.add_argument("--out", help="append the result as one JSON line to this file")
    args = p.parse_args()
    config = load_config()
    spark = get_spark("casefile-bench-dedup-stage", conf=config.spark_conf)
    jvm_pid = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
    records = spark.read.parquet(args.records)
    n_in = records.count()
    work = Path(tempfile.mkdtemp(prefix="bench-dedup-"))
    # The timed part's Spark jobs are counted through a job group (the status tracker works with the UI off).
    spark.sparkContext.setJobGroup("bench-dedup-stage", "timed part")
    load0, cpu0, self0, t0 = os.getloadavg(), _cpu_seconds(jvm_pid), _self_cpu(), time.monotonic()
    settings = config.linkage
    unique, links, result = deduplicate(records, config.legal.categories, settings, config.counting.to_dict(),
                                        item_categories=config.legal.item_categories)
    links.write.parquet(str(work / "duplicate_links"))
    unique.write.parquet(str(work / "unique_records"))
    stats = result.stats
    wall = time.monotonic() - t0
    cpu = _cpu_seconds(jvm_pid) - cpu0 + _self_cpu() - self0
    load1 = os.getloadavg()
    spark_jobs = len(spark.sparkContext.statusTracker().getJobIdsForGroup("bench-dedup-stage"))
    spark.sparkContext.setJobGroup("bench-dedup-digests", "not timed")
    digests = {name: _digest(spark.read.parquet(str(work / name))) for name in ("unique_records", "duplicate_links")}
    stats_sha = hashlib.sha256(json.dumps({"stats": stats, "model": result.model.to_dict()}, sort_keys=True, default=str).encode()).hexdigest()
    shutil.rmtree(work, ignore_errors=True)
    out = {"label": args.label, "records": n_in, "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "spark_jobs": spark_jobs,
           "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1],
           "outputs": {k: {"rows": v[0], "sha256": v[1]} for k, v in digests.items()}, "stats_model_sha256": stats_sha,
           "candidate_pairs": stats["candidate_pairs"], "probable_duplicates": stats["probable_duplicates"]}
    emit_result(out, spark, args.out)


if __name__ == "__main__":
    main()
