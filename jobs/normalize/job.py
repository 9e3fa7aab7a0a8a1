"""Normalize stage: raw records → records with normalized values, statuses and reasons.

Reads the committed ``raw_records`` of intake; writes ``records`` (Parquet). Ledger: every raw
record becomes exactly one record (nothing is dropped here: an untrue value is flagged with its
status and reason, not removed).
"""

from __future__ import annotations

import argparse
import datetime as dt

from jobs.common.custody import Ledger
from jobs.engine.schemas import RAW_RECORD
from jobs.engine.stage import Stage, StageResult, StageRun
from jobs.normalize.transforms import normalize_records

STAGE = "normalize"


class NormalizeStage(Stage):
    """Normalize every field of every raw record (see :func:`jobs.normalize.transforms.normalize_records`)."""

    name = STAGE

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--reference-date", type=dt.date.fromisoformat, required=True,
                            help="ISO date a birth date may not be after (the seizure date)")

    def build(self, run: StageRun, *, reference_date: dt.date) -> StageResult:
        """Args:
            reference_date: the date a birth date may not be after (the seizure date, else the
                run's logical date: ``jobs.orchestration.operators.REFERENCE_DATE``).
        """
        raw = run.read_committed("intake", "raw_records", schema=RAW_RECORD)
        n_in = raw.count()
        settings = run.config.normalize
        records = normalize_records(raw, reference_date=reference_date, protected_chars=settings.name_protected_chars,
                                    document_type_codes=dict(settings.document_type_codes))
        run.publish("records", records, suite="records", expected_rows=n_in)
        n_out = run.datasets["records"]
        return StageResult(Ledger(STAGE, records_in=n_in, records_out=n_out), {"reference_date": reference_date.isoformat()},
                           f"normalize committed: {n_out} records")


if __name__ == "__main__":
    raise SystemExit(NormalizeStage().main())
