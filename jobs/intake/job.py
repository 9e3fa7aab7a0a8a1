"""Intake stage: register and hash the evidence items, parse them in parallel, map columns,
quarantine malformed rows, validate, commit.

Outputs (``work/<case>/<seizure>/<run>/intake/data/``): ``raw_records`` and ``quarantine``
(Parquet), ``evidence_items.json`` (one entry per item: hashes, format, encoding, counts,
column mapping), ``validation/``. Ledger: rows read = raw records + quarantined rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from jobs.common import paths
from jobs.common.custody import Ledger, begin_stage, commit_stage, is_committed
from jobs.common.datasets import write_json, write_validated
from jobs.common.schemas import QUARANTINE, RAW_RECORD
from jobs.common.stage import StageRun, stage_main
from jobs.intake.evidence import register_evidence, verify_item
from jobs.intake.transforms import parse_item_to_parquet

log = logging.getLogger("casefile")
STAGE = "intake"


def run(sr: StageRun) -> None:
    if is_committed(sr.storage, sr.ctx, STAGE):
        log.info("intake already committed for run %s: nothing to do", sr.ctx.run_id)
        return
    register = register_evidence(sr.storage, sr.ctx.case_id, sr.ctx.seizure_id, sr.args.evidence or None)
    attempt = begin_stage(sr.storage, sr.ctx, STAGE)
    attempt_path = sr.storage.spark_path("work", attempt)
    items = []
    for index, entry in enumerate(register):
        local = verify_item(sr.storage, sr.ctx.case_id, sr.ctx.seizure_id, entry)
        items.append({"index": index, "path": entry["path"], "local_path": str(local), "sha256": entry["sha256"]})

    spark = sr.get_spark()
    synonyms = {k: list(v) for k, v in sr.config.synonyms.items()}
    stats = (
        spark.sparkContext.parallelize(items, max(1, len(items)))
        .map(lambda item: parse_item_to_parquet(item, attempt_path, synonyms))
        .collect()
    )
    stats.sort(key=lambda s: s["index"])
    evidence_items = []
    for entry, st in zip(register, stats):
        if st["rows_read"] != st["records"] + st["rows_quarantined"]:
            raise AssertionError(f"item {entry['path']!r}: rows read {st['rows_read']} != records + quarantined")
        evidence_items.append({**entry, **{k: v for k, v in st.items() if k not in ("index", "path")}})
        log.info("item %s: format=%s encoding=%s rows=%d quarantined=%d", entry["path"], st["format"], st["encoding"], st["rows_read"], st["rows_quarantined"])

    rows_read = sum(s["rows_read"] for s in stats)
    n_records = sum(s["records"] for s in stats)
    n_quarantined = sum(s["rows_quarantined"] for s in stats)
    ledger = Ledger(STAGE, records_in=rows_read, records_out=n_records, quarantined=n_quarantined).check()

    raw_path = sr.storage.spark_path("work", f"{attempt}/raw_records")
    q_path = sr.storage.spark_path("work", f"{attempt}/quarantine")
    raw = spark.read.schema(RAW_RECORD).parquet(raw_path)
    quarantine = spark.read.schema(QUARANTINE).parquet(q_path)
    # Validate in place (the parsers already wrote the attempt files).
    from jobs.common.validation import validate

    for df, suite, expected in ((raw, "raw_records", n_records), (quarantine, "quarantine", n_quarantined)):
        report = validate(df, suite, extra_expectations=[{"type": "expect_table_row_count_to_equal", "kwargs": {"value": expected}, "meta": {"source": "record ledger"}}])
        sr.storage.write_bytes("work", f"{attempt}/validation/{suite}.json", report.to_json_bytes())
        report.raise_for_failure()
    write_json(sr, "evidence_items.json", evidence_items)
    commit_stage(sr.storage, sr.ctx, STAGE, {
        "stage": STAGE, "run_id": sr.ctx.run_id, "ledger": ledger.to_dict(),
        "datasets": {"raw_records": n_records, "quarantine": n_quarantined},
        "items": [{"path": e["path"], "sha256": e["sha256"]} for e in evidence_items],
        "config_digest": sr.config.digest(),
    })
    log.info("intake committed: %d rows read, %d raw records, %d quarantined", rows_read, n_records, n_quarantined)


def main(argv: Sequence[str] | None = None) -> int:
    return stage_main(STAGE, run, argv, extra_args=lambda p: p.add_argument("--evidence", default="", help="folder of seized files to register (empty: the seizure already in the evidence store)"))


if __name__ == "__main__":
    raise SystemExit(main())
