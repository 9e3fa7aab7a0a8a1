"""Write-audit-publish of stage datasets: write to the attempt location, read back, validate."""

from __future__ import annotations

import json
import logging
from typing import Any

from jobs.common import paths
from jobs.common.custody import read_stage_manifest
from jobs.engine.stage import StageRun
from jobs.engine.validation import validate

log = logging.getLogger("casefile")


def write_validated(sr: StageRun, df, dataset: str, suite: str, *, expected_rows: int | None = None, schema=None) -> int:
    """Write ``df`` as Parquet under the stage's attempt, validate the written data, return its row count.

    The suite ``expectations/<suite>.json`` runs on the data as read back from storage, plus an
    exact row-count expectation when ``expected_rows`` is given (the record ledger). The GX result
    is kept as ``validation/<suite>.json`` in the attempt and later copied into the bundle.

    Raises:
        ValidationFailed: the suite failed (nothing is committed).
    """
    spark = sr.get_spark()
    location = sr.storage.spark_path("work", f"{paths.stage_attempt(sr.ctx, sr.stage)}/{dataset}")
    df.write.mode("overwrite").parquet(location)
    back = spark.read.schema(schema).parquet(location) if schema is not None else spark.read.parquet(location)
    extra = []
    if expected_rows is not None:
        extra.append({"type": "expect_table_row_count_to_equal", "kwargs": {"value": int(expected_rows)}, "meta": {"source": "record ledger"}})
    report = validate(back, suite, extra_expectations=extra)
    sr.storage.write_bytes("work", f"{paths.stage_attempt(sr.ctx, sr.stage)}/validation/{suite}.json", report.to_json_bytes())
    report.raise_for_failure()
    rows = back.count()
    log.info("dataset %s: %d rows written and validated", dataset, rows)
    return rows


def read_committed(sr: StageRun, stage: str, dataset: str, schema=None):
    """The committed dataset of an earlier stage of this run.

    Raises:
        StageNotCommitted: that stage has not committed in this run.
    """
    read_stage_manifest(sr.storage, sr.ctx, stage)
    location = sr.storage.spark_path("work", paths.stage_data(sr.ctx, stage, dataset))
    reader = sr.get_spark().read
    return reader.schema(schema).parquet(location) if schema is not None else reader.parquet(location)


def write_json(sr: StageRun, name: str, data: Any) -> None:
    """A small JSON document in the stage's attempt (sorted keys, UTF-8)."""
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2).encode("utf-8")
    sr.storage.write_bytes("work", f"{paths.stage_attempt(sr.ctx, sr.stage)}/{name}", payload)


def read_json(sr: StageRun, stage: str, name: str) -> Any:
    return json.loads(sr.storage.read_bytes("work", f"{paths.stage_data(sr.ctx, stage)}/{name}"))
