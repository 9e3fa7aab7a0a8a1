"""Benchmark of probable-duplicate detection: FEBRL3 / FEBRL4 accuracy, candidate pairs and time.

    .venv/bin/python bench/bench_dedup.py            # writes bench/results/dedup_febrl.json (tuned)
    .venv/bin/python bench/bench_dedup.py --each     # bench/results/febrl_<dataset>_<settings>.json,
                                                     # production settings first, then tuned

``production`` = the deduplicate stage's own ``configs/linkage.yaml`` (P >= 0.99) on FEBRL's columns
joined into the production columns; ``tuned`` = ``configs/febrl.yaml`` (issue 12). Each file holds
the pairwise and B³ precision/recall/F1, the pair counts and the settings digest (SHA-256).
Numbers depend on the machine's load (2 shared cores here); accuracy and pair counts do not.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from jobs.engine.session import get_spark
from jobs.evaluation.febrl import run_febrl

RESULTS = Path(__file__).parent / "results"
OUT = RESULTS / "dedup_febrl.json"


def _line(r: dict) -> str:
    return (f"{r['dataset']} [{r['settings']}]: F1 {r['pairwise_f1']:.4f} (P {r['pairwise_precision']:.4f} "
            f"R {r['pairwise_recall']:.4f}), B3 F1 {r['b3_f1']:.4f}, {r['candidate_pairs']} candidate pairs, {r['seconds']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--each", action="store_true", help="one file per dataset and settings (febrl_<dataset>_<settings>.json)")
    parser.add_argument("--settings", default="production,tuned", help="with --each: comma-separated, in order")
    args = parser.parse_args()
    spark = get_spark("bench-dedup", master="local[2]", conf={"spark.sql.shuffle.partitions": "4"})
    if not args.each:
        results = [run_febrl(spark, name) for name in ("febrl3", "febrl4")]
        OUT.write_text(json.dumps({"machine": platform.platform(), "spark_master": "local[2]", "results": results}, indent=2) + "\n", encoding="utf-8")
        for r in results:
            print(_line(r))
        return
    for settings in args.settings.split(","):
        for name in ("febrl3", "febrl4"):
            r = run_febrl(spark, name, settings=settings)
            out = RESULTS / f"febrl_{name}_{settings}.json"
            out.write_text(json.dumps({"machine": platform.platform(), "spark_master": "local[2]", "result": r}, indent=2) + "\n", encoding="utf-8")
            print(_line(r), flush=True)


if __name__ == "__main__":
    main()
