"""Benchmark the intake stage on a generated seizure: rows/s as JSON.

Usage::

    .venv/bin/python bench/bench_intake.py --records 1000000 --seed 1 --out bench/results/intake_1m.json

The seizure is made by ``jobs.synth.generate_seizure`` (not timed; its time is recorded
apart). The timed part is ``IntakeStage.execute`` (jobs.intake.job) as the intake Spark application runs it (local
Spark, local-folder store under a temporary ``CASEFILE_HOME``): register and hash every item, verify
hashes, expand the zip, parse every item in its own Spark task (largest first), validate with the
GX suites and the ledgers, commit. The record ledger is checked against the ground truth. Only counts
are printed, never record values.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="bench/results/intake_1m.json")
    ap.add_argument("--seizure", default="", help="reuse a generated seizure folder (evidence/ + ground_truth.json)")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="cf_bench_intake_"))
    os.environ["CASEFILE_HOME"] = str(home)
    from jobs.common import paths
    from jobs.common.config import load_config
    from jobs.common.storage import get_storage
    from jobs.engine.stage import StageRun
    from jobs.intake.job import IntakeStage
    from jobs.synth import generate_seizure

    seizure = Path(args.seizure) if args.seizure else home / "seizure"
    t0 = time.perf_counter()
    if not args.seizure:
        generate_seizure(seizure, records=args.records, seed=args.seed)
    gen_seconds = time.perf_counter() - t0
    truth = json.loads((seizure / "ground_truth.json").read_text(encoding="utf-8"))
    evidence = seizure / "evidence"
    total_bytes = sum(p.stat().st_size for p in evidence.iterdir())

    config = load_config()
    ctx = paths.RunContext("BENCH-0001", "S01", "bench__2026-01-01T00:00:00+00:00")
    sr = StageRun("intake", ctx, config, get_storage(config))
    spark = sr.spark  # started before the clock: a Spark application's start-up is not intake work
    spark.range(1).count()
    t1 = time.perf_counter()
    IntakeStage().execute(sr, evidence=str(evidence))
    seconds = time.perf_counter() - t1
    manifest = json.loads(sr.storage.read_bytes("work", paths.stage_marker(ctx, "intake")))
    items = json.loads(sr.storage.read_bytes("work", paths.stage_data(ctx, "intake", "evidence_items.json")))
    spark.stop()
    ledger = manifest["ledger"]
    assert ledger["records_in"] == truth["raw_rows"], (ledger, truth["raw_rows"])
    assert ledger["quarantined"] == truth["quarantined_rows"]
    result = {
        "benchmark": "intake stage (jobs.intake.job.IntakeStage) on a generated seizure",
        "records_requested": args.records,
        "seed": args.seed,
        "items": len([i for i in items if "rows_read" in i and i.get("line_ledger")]),
        "evidence_bytes": total_bytes,
        "rows_read": ledger["records_in"],
        "raw_records": ledger["records_out"],
        "quarantined": ledger["quarantined"],
        "ledger_matches_ground_truth": True,
        "line_ledgers_balanced": all(i["line_ledger"]["balanced"] for i in items if i.get("line_ledger")),
        "seconds": round(seconds, 2),
        "rows_per_second": round(ledger["records_in"] / seconds),
        "megabytes_per_second": round(total_bytes / seconds / 1e6, 2),
        "per_item": [{"path": i["path"], "format": i.get("format"), "rows_read": i.get("rows_read")} for i in items],
        "generator_seconds": round(gen_seconds, 2) if not args.seizure else None,
        "spark_master": config.spark_master,
        "cpus": os.cpu_count(),
        "load_average_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "machine": platform.machine(),
        "note": "timed: register + hash + verify + expand archives + parse (one Spark task per item) + validate + commit; "
                "Spark start-up excluded; machine shared with other work, so wall-clock times vary",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("rows_read", "seconds", "rows_per_second", "megabytes_per_second")}))
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
