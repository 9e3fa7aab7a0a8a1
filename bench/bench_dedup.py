"""Benchmark of probable-duplicate detection: FEBRL3 / FEBRL4 accuracy, candidate pairs and time.

    .venv/bin/python bench/bench_dedup.py            # writes bench/results/dedup_febrl.json

Numbers depend on the machine's load (2 shared cores here); accuracy and pair counts do not.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

from jobs.engine.session import get_spark
from jobs.evaluation.febrl import run_febrl

OUT = Path(__file__).parent / "results" / "dedup_febrl.json"


def main() -> None:
    spark = get_spark("bench-dedup", master="local[2]", conf={"spark.sql.shuffle.partitions": "4"})
    results = [run_febrl(spark, name) for name in ("febrl3", "febrl4")]
    OUT.write_text(json.dumps({"machine": platform.platform(), "spark_master": "local[2]", "results": results}, indent=2) + "\n", encoding="utf-8")
    for r in results:
        print(f"{r['dataset']}: F1 {r['pairwise_f1']:.4f} (P {r['pairwise_precision']:.4f} R {r['pairwise_recall']:.4f}), "
              f"B3 F1 {r['b3_f1']:.4f}, {r['candidate_pairs']} candidate pairs, {r['seconds']} s")


if __name__ == "__main__":
    main()
