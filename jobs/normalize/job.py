"""Normalize stage: raw records → records with normalized values, statuses and reasons.

Reads the committed ``raw_records`` of intake; writes ``records`` (Parquet). Ledger: every raw
record becomes exactly one record (nothing is dropped here: an untrue value is flagged with its
status and reason, not removed).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from jobs.common.custody import Ledger, begin_stage, commit_stage, is_committed
from jobs.engine.datasets import read_committed, write_validated
from jobs.engine.schemas import RAW_RECORD
from jobs.engine.stage import StageRun, stage_main
from jobs.normalize.transforms import normalize_records

log = logging.getLogger("casefile")
STAGE = "normalize"


def run(sr: StageRun) -> None:
    if is_committed(sr.storage, sr.ctx, STAGE):
        log.info("normalize already committed for run %s: nothing to do", sr.ctx.run_id)
        return
    raw = read_committed(sr, "intake", "raw_records", schema=RAW_RECORD)
    n_in = raw.count()
    begin_stage(sr.storage, sr.ctx, STAGE)
    reference_date = dt.date.fromisoformat(sr.args.reference_date)
    records = normalize_records(raw, reference_date=reference_date, protected_chars=sr.config.name_protected_chars)
    n_out = write_validated(sr, records, "records", "records", expected_rows=n_in)
    ledger = Ledger(STAGE, records_in=n_in, records_out=n_out).check()
    commit_stage(sr.storage, sr.ctx, STAGE, {"stage": STAGE, "run_id": sr.ctx.run_id, "ledger": ledger.to_dict(),
                                             "datasets": {"records": n_out}, "reference_date": reference_date.isoformat(),
                                             "config_digest": sr.config.digest()})
    log.info("normalize committed: %d records", n_out)


def main(argv: Sequence[str] | None = None) -> int:
    return stage_main(STAGE, run, argv, extra_args=lambda p: p.add_argument(
        "--reference-date", required=True, help="ISO date a birth date may not be after (the seizure date)"))


if __name__ == "__main__":
    raise SystemExit(main())
