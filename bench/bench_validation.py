"""A/B benchmark of the GX gate (``jobs.engine.validation.validate``) on a committed dataset.

Usage::

    .venv/bin/python bench/bench_validation.py --data DIR/records --suite records --expected-rows 200000 \\
        --variant gx --label gx-r1 --out bench/results/x.jsonl

Variants:

- ``gx``: ``validate`` as the stages call it (GX 1.x, Spark execution engine). GX bundles the
  aggregate metrics of one domain (a column, its row condition, its NULL filter) into one
  ``df.agg`` and so runs one Spark job per domain and per round of its metric graph.
- ``batched``: the same ``validate``, with the Spark engine's ``resolve_metric_bundle`` replaced for
  the run by :func:`batched_resolve_metric_bundle`: the aggregates of every domain of one round in
  one Spark job (a ``UNION ALL`` of the one-row aggregations, each padded with typed NULLs to one
  schema). GX still builds the metric graph, computes every metric from its own expressions and
  evaluates every expectation; only the number of Spark jobs changes.

The timed part is one ``validate`` call (the stage's ``audit`` minus writing the file). The result
holds CPU seconds (the Python driver plus the Spark JVM process tree), wall seconds, the Spark jobs
of the timed part and the SHA-256 of the report's bytes (``ValidationReport.to_json_bytes``, what
the bundle stores), plus whether those bytes equal ``--reference`` (the stage's committed report).
Only counts and digests are printed, never a record value.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from functools import reduce
from pathlib import Path

from bench.bench_dedup_stage import _self_cpu, emit_result
from bench.bench_normalize import _cpu_seconds
from jobs.common.config import load_config
from jobs.engine.session import get_spark
from jobs.engine.validation import validate


def batched_resolve_metric_bundle(self, metric_fn_bundle):
    """``SparkDFExecutionEngine.resolve_metric_bundle`` with one Spark job for all domains.

    GX's own version groups the bundle by domain and collects ``domain_df.agg(*fns)`` per domain.
    Here each domain's one-row aggregation gets a domain index ``_d`` and every other domain's
    columns as typed NULLs, the rows are unioned and collected once; each value is then read from
    its own domain's row and column, with the same ``convert_to_json_serializable`` as GX, so the
    metric values (and the Spark types they come from) are those of the per-domain jobs.
    """
    from great_expectations.core.id_dict import IDDict
    from great_expectations.util import convert_to_json_serializable
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    groups: dict = {}
    for bundled in metric_fn_bundle:
        kwargs = bundled.compute_domain_kwargs or {}
        if not isinstance(kwargs, IDDict):
            kwargs = IDDict(kwargs)
        _, fns, ids = groups.setdefault(kwargs.to_id(), (kwargs, [], []))
        fns.append(bundled.metric_fn)
        ids.append(bundled.metric_configuration.id)
    if not groups:
        return {}
    frames = [self.get_domain_records(domain_kwargs=kwargs).agg(*[fn.alias(f"_m{d}_{i}") for i, fn in enumerate(fns)])
              for d, (kwargs, fns, _) in enumerate(groups.values())]
    fields = [(f.name, f.dataType) for frame in frames for f in frame.schema.fields]
    padded = [frame.select(F.lit(d).alias("_d"), *[F.col(n) if n in frame.columns else F.lit(None).cast(t).alias(n) for n, t in fields])
              for d, frame in enumerate(frames)]
    rows = {r["_d"]: r for r in reduce(DataFrame.unionByName, padded).collect()}
    resolved = {}
    for d, (_, _, ids) in enumerate(groups.values()):
        for i, metric_id in enumerate(ids):
            resolved[metric_id] = convert_to_json_serializable(data=rows[d][f"_m{d}_{i}"])
    return resolved


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="a committed Parquet dataset folder")
    p.add_argument("--suite", required=True, help="suite name in expectations/")
    p.add_argument("--expected-rows", type=int, help="adds expect_table_row_count_to_equal, as the stage's audit does")
    p.add_argument("--row-count-source", default="record ledger", help="meta.source of that expectation (as audit)")
    p.add_argument("--reference", help="the stage's committed report (validation/<suite>.json) to compare bytes with")
    p.add_argument("--variant", choices=("gx", "batched"), required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--out", help="append the result as one JSON line to this file")
    args = p.parse_args()
    if args.variant == "batched":
        from great_expectations.execution_engine.sparkdf_execution_engine import SparkDFExecutionEngine

        SparkDFExecutionEngine.resolve_metric_bundle = batched_resolve_metric_bundle
    config = load_config()
    spark = get_spark("casefile-bench-validation", conf=config.spark_conf)
    jvm_pid = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
    df = spark.read.parquet(args.data)
    extra = []
    if args.expected_rows is not None:
        extra.append({"type": "expect_table_row_count_to_equal", "kwargs": {"value": args.expected_rows},
                      **({"meta": {"source": args.row_count_source}} if args.row_count_source else {})})
    spark.sparkContext.setJobGroup("bench-validation", "timed part")
    load0, cpu0, self0, t0 = os.getloadavg(), _cpu_seconds(jvm_pid), _self_cpu(), time.monotonic()
    report = validate(df, args.suite, extra_expectations=extra)
    wall = time.monotonic() - t0
    cpu = _cpu_seconds(jvm_pid) - cpu0 + _self_cpu() - self0
    load1 = os.getloadavg()
    jobs = len(spark.sparkContext.statusTracker().getJobIdsForGroup("bench-validation"))
    body = report.to_json_bytes()
    out = {"label": args.label, "variant": args.variant, "suite": args.suite, "success": report.success,
           "evaluated": report.evaluated, "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "spark_jobs": jobs,
           "report_sha256": hashlib.sha256(body).hexdigest(),
           "equals_reference": (Path(args.reference).read_bytes() == body) if args.reference else None,
           "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1]}
    emit_result(out, spark, args.out)


if __name__ == "__main__":
    main()
